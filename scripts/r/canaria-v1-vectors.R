# Reference vectors for the canaria-v1 judge (lib/judge/canaria-v1), computed with base R.
#
# How to run (from the repository root; needs only base R, no packages):
#
#     Rscript scripts/r/canaria-v1-vectors.R
#
# It writes, overwriting:
#   test/fixtures/r/canaria-v1-numerics.json    lgamma, lbeta, pbeta (both tails), qbeta, pt (both
#                                               tails), qt, pnorm (both tails), qnorm, pbinom
#                                               (both tails), p.adjust(BH / BY)
#   test/fixtures/r/canaria-v1-statistics.json  the brief's statistics (ESS-t §1.1, exact
#                                               conditional test and Clopper-Pearson bounds §1.2,
#                                               MSER-5 §1.5, the saturation trend test §2.1)
#                                               re-implemented here in R from the brief's formulas,
#                                               on series drawn with set.seed()
# The tests (test/judge/canaria-v1/numerics.test.ts, statistics.test.ts) read the committed JSON;
# CI does not need R. Re-run this script only when adding cases, and commit the output.
# Numbers are written with sprintf("%.17g") (round-trip exact); non-finite values as the strings
# "Inf", "-Inf", "NaN". jsonlite is deliberately not used (it is not installed everywhere).

num <- function(x) {
  vapply(x, function(v) {
    if (is.na(v) && !is.nan(v)) return('"NA"')
    if (is.nan(v)) return('"NaN"')
    if (v == Inf) return('"Inf"')
    if (v == -Inf) return('"-Inf"')
    sprintf("%.17g", v)
  }, "")
}
arr <- function(x) paste0("[", paste(num(x), collapse = ","), "]")
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s":%s', names(kv), unlist(kv)), collapse = ","), "}")
}
rows <- function(lst) paste0("[\n  ", paste(lst, collapse = ",\n  "), "\n]")
str <- function(s) sprintf('"%s"', s)

out_dir <- "test/fixtures/r"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

# ------------------------------------------------------------------------------------------
# numerics

lg_x <- c(1e-8, 0.001, 0.1, 0.3, 0.5, 0.9, 0.999, 1, 1.001, 1.5, 1.9999, 2, 2.5, 3.7, 5, 9.99, 10,
          10.5, 25.25, 50, 123.456, 1000, 12345.678, 1e5, 1e10, -0.5, -1.5, -2.3, -10.7)
lgamma_rows <- lapply(lg_x, function(x) obj(x = num(x), value = num(lgamma(x))))

lb <- list(c(0.5, 0.5), c(1, 1), c(2, 3), c(0.5, 50), c(3, 1e4), c(10, 10), c(12.5, 400.25),
           c(1e3, 1e3), c(5e4, 2e4), c(0.1, 1e6), c(40, 0.7))
lbeta_rows <- lapply(lb, function(ab) obj(a = num(ab[1]), b = num(ab[2]), value = num(lbeta(ab[1], ab[2]))))

pb <- list(c(0.5, 0.5, 0.5), c(0.1, 2, 3), c(0.9, 2, 3), c(0.3, 10, 20), c(0.01, 1, 100),
           c(1e-6, 3, 1), c(0.999, 50, 2), c(0.5, 1000, 1000), c(0.48, 1000, 1000), c(0.45, 1000, 1000),
           c(0.2, 5, 45), c(0.05, 0.5, 15), c(0.5, 300, 250), c(0.5, 1, 1), c(0.7, 25.5, 0.5),
           c(0.9999, 3.5, 0.5), c(0.25, 12, 38), c(0.5, 9, 1), c(0.3, 5000, 12000), c(0.95, 60, 5))
pbeta_rows <- lapply(pb, function(v) obj(x = num(v[1]), a = num(v[2]), b = num(v[3]),
  lower = num(pbeta(v[1], v[2], v[3])), upper = num(pbeta(v[1], v[2], v[3], lower.tail = FALSE))))

qb <- list(c(0.05, 1, 10), c(0.95, 10, 1), c(0.05, 5, 6), c(0.95, 6, 5), c(0.025, 31, 13),
           c(0.975, 32, 12), c(1e-8, 2, 3), c(0.5, 0.5, 0.5), c(0.999999, 4, 4), c(0.05, 300, 320),
           c(0.95, 321, 300), c(0.1, 0.5, 20), c(0.05, 10, 1), c(0.05, 1, 1), c(0.3, 1000, 5))
qbeta_rows <- lapply(qb, function(v) obj(p = num(v[1]), a = num(v[2]), b = num(v[3]), value = num(qbeta(v[1], v[2], v[3]))))

pt_t <- c(-50, -10, -3, -1, -0.1, 0, 0.5, 2, 6, 40)
pt_nu <- c(1, 1.5, 2.7, 5, 7.3, 30, 100.5, 1e4, 1e7)
pt_rows <- list()
for (nu in pt_nu) for (t in pt_t) pt_rows[[length(pt_rows) + 1]] <- obj(t = num(t), nu = num(nu),
  lower = num(pt(t, nu)), upper = num(pt(t, nu, lower.tail = FALSE)))

qt_p <- c(1e-10, 1e-4, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 0.95, 0.99, 0.999)
qt_nu <- c(1, 1.3, 2, 4.5, 7, 12.25, 30, 100, 1e5)
qt_rows <- list()
for (nu in qt_nu) for (p in qt_p) qt_rows[[length(qt_rows) + 1]] <- obj(p = num(p), nu = num(nu), value = num(qt(p, nu)))

pn_x <- c(-38, -20, -10, -6, -3, -2.5, -2, -1.96, -1, -0.3, 0, 0.2, 0.67, 1.5, 1.99, 2, 2.01, 3, 5, 8.5, 15, 30)
pnorm_rows <- lapply(pn_x, function(x) obj(x = num(x), lower = num(pnorm(x)), upper = num(pnorm(x, lower.tail = FALSE))))
qn_p <- c(1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.02425, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95,
          0.975, 0.99, 0.999, 0.99999)
qnorm_rows <- lapply(qn_p, function(p) obj(p = num(p), value = num(qnorm(p))))

pbn <- list(c(0, 10, 0.5), c(5, 10, 0.5), c(9, 10, 0.5), c(3, 100, 0.01), c(0, 5, 0.1), c(17, 40, 0.3),
            c(250, 500, 0.5), c(280, 500, 0.5), c(1, 1000, 1e-4), c(30, 43, 0.5), c(4, 7, 0.9),
            c(2900, 6000, 0.5), c(10, 10000, 0.001))
pbinom_rows <- lapply(pbn, function(v) obj(k = num(v[1]), n = num(v[2]), p = num(v[3]),
  lower = num(pbinom(v[1], v[2], v[3])), upper = num(pbinom(v[1], v[2], v[3], lower.tail = FALSE))))

set.seed(20261201)
padj_cases <- list(
  c(0.01, 0.02, 0.03, 0.04, 0.05),
  c(0.5, 0.001, 0.04, 0.9, 0.04, 0.2, 1),
  c(1e-8, 0.3),
  c(0.049),
  round(runif(12), 4),
  c(0.01, 0.01, 0.01, 0.5, 0.02, 0.03, 0.6, 0.7, 0.0001, 0.8)
)
padj_rows <- lapply(padj_cases, function(p) obj(p = arr(p), bh = arr(p.adjust(p, "BH")), by = arr(p.adjust(p, "BY"))))

numerics <- paste0("{\n",
  '"generator": "scripts/r/canaria-v1-vectors.R", "r": ', str(R.version.string), ",\n",
  '"lgamma": ', rows(lgamma_rows), ",\n",
  '"lbeta": ', rows(lbeta_rows), ",\n",
  '"pbeta": ', rows(pbeta_rows), ",\n",
  '"qbeta": ', rows(qbeta_rows), ",\n",
  '"pt": ', rows(pt_rows), ",\n",
  '"qt": ', rows(qt_rows), ",\n",
  '"pnorm": ', rows(pnorm_rows), ",\n",
  '"qnorm": ', rows(qnorm_rows), ",\n",
  '"pbinom": ', rows(pbinom_rows), ",\n",
  '"padjust": ', rows(padj_rows), "\n}\n")
writeLines(numerics, file.path(out_dir, "canaria-v1-numerics.json"), sep = "")

# ------------------------------------------------------------------------------------------
# statistics, re-implemented from the brief's formulas

ar1 <- function(n, phi, sd, burn = 200) {
  e <- rnorm(n + burn, 0, sd * sqrt(1 - phi * phi))
  x <- numeric(n + burn)
  x[1] <- rnorm(1, 0, sd)
  for (t in 2:(n + burn)) x[t] <- phi * x[t - 1] + e[t]
  x[(burn + 1):(n + burn)]
}

# §1.1 ESS-t on d; one-sided p for harm = increase and decrease; interval at 1 - 2 alpha
ess <- function(d, alpha = 0.05) {
  n <- length(d); m <- mean(d); u <- d - m
  c0 <- sum(u * u) / n; c1 <- sum(u[-1] * u[-n]) / n
  r <- c1 / c0
  rbc <- r + (1 + 3 * r) / n
  rt <- min(max(rbc + sqrt(max(1 - rbc * rbc, 0) / n), 0), 0.99)
  ne <- max(2, n * (1 - rt) / (1 + rt))
  s2 <- sum(u * u) / max(1, n - n / ne)
  se <- sqrt(s2 / ne); nu <- max(1, ne - 1); t <- m / se
  q <- qt(1 - alpha, nu)
  list(n = n, mean = m, r = r, rhoTilde = rt, nEff = ne, sigma2 = s2, se = se, nu = nu, t = t,
       pIncrease = pt(t, nu, lower.tail = FALSE), pDecrease = pt(t, nu),
       lower = m - q * se, upper = m + q * se)
}
ess_obj <- function(label, d, alpha = 0.05) {
  s <- ess(d, alpha)
  obj(label = str(label), alpha = num(alpha), d = arr(d), n = num(s$n), mean = num(s$mean), r = num(s$r),
      rhoTilde = num(s$rhoTilde), nEff = num(s$nEff), sigma2 = num(s$sigma2), se = num(s$se), nu = num(s$nu),
      t = num(s$t), pIncrease = num(s$pIncrease), pDecrease = num(s$pDecrease), lower = num(s$lower), upper = num(s$upper))
}
set.seed(11)
ess_rows <- list(
  ess_obj("ar1 rho 0 n 30", ar1(30, 0, 1)),
  ess_obj("ar1 rho 0.5 n 106 shifted 0.3", ar1(106, 0.5, 1) + 0.3),
  ess_obj("ar1 rho 0.9 n 106", ar1(106, 0.9, 5)),
  ess_obj("ar1 rho 0.95 n 240 alpha 0.01", ar1(240, 0.95, 2) - 0.2, 0.01),
  ess_obj("iid n 12", rnorm(12, 0.1, 0.05))
)

# §1.2 exact conditional test and Clopper-Pearson bounds; harm = increase
exact_obj <- function(ee, ec, ne, nc, alpha = 0.05) {
  K <- ee + ec; pi0 <- ne / (ne + nc)
  p_inc <- if (ee == 0) 1 else pbinom(ee - 1, K, pi0, lower.tail = FALSE)
  p_dec <- pbinom(ee, K, pi0)
  piL <- if (ee == 0) 0 else qbeta(alpha, ee, K - ee + 1)
  piU <- if (ee == K) 1 else qbeta(1 - alpha, ee + 1, K - ee)
  rrL <- piL / (1 - piL) * nc / ne; rrU <- piU / (1 - piU) * nc / ne
  obj(eventsExperiment = num(ee), eventsControl = num(ec), exposureExperiment = num(ne), exposureControl = num(nc),
      alpha = num(alpha), pIncrease = num(p_inc), pDecrease = num(p_dec), piLower = num(piL), piUpper = num(piU),
      rateRatioLower = num(rrL), rateRatioUpper = num(rrU))
}
exact_rows <- list(
  exact_obj(31, 12, 318240, 317410),
  exact_obj(10, 0, 300000, 300000),
  exact_obj(5, 0, 1000, 1000),
  exact_obj(2, 0, 100, 900),
  exact_obj(0, 7, 5000, 5000),
  exact_obj(477, 317, 318000, 317000, 0.01),
  exact_obj(3, 3, 1e6, 1e6)
)

# §1.5 MSER-5 truncation point (in points)
mser5 <- function(d, b = 5) {
  k <- length(d) %/% b
  z <- colMeans(matrix(d[1:(k * b)], nrow = b))
  v <- sapply(0:(k %/% 2), function(j) { zz <- z[(j + 1):k]; sum((zz - mean(zz))^2) / (k - j)^2 })
  b * (which.min(v) - 1)
}
set.seed(77)
mser_rows <- list()
for (case in list(list("pure noise", 0, 10), list("blip 5 sd tau 10", 5, 10), list("blip 3 sd tau 5", 3, 5))) {
  n <- 106; d <- ar1(n, 0.5, 1) + case[[2]] * exp(-(0:(n - 1)) / case[[3]])
  mser_rows[[length(mser_rows) + 1]] <- obj(label = str(case[[1]]), d = arr(d), trim = num(mser5(d)))
}

# §2.1 saturation trend test
trend <- function(d, alpha = 0.05) {
  n <- length(d); ti <- 1:n; tb <- mean(ti); db <- mean(d)
  sxx <- sum((ti - tb)^2); beta <- sum((ti - tb) * (d - db)) / sxx
  e <- d - db - beta * (ti - tb)
  u <- e - mean(e); c0 <- sum(u * u) / n; c1 <- sum(u[-1] * u[-n]) / n; r <- c1 / c0
  rbc <- r + (1 + 3 * r) / n
  rt <- min(max(rbc + sqrt(max(1 - rbc * rbc, 0) / n), 0), 0.99)
  ne <- max(2, n * (1 - rt) / (1 + rt))
  s2 <- sum(e * e) / max(1, n - 2 - n / ne)
  se <- sqrt(s2 / sxx * n / ne); nu <- max(1, ne - 2)
  list(beta = beta, se = se, nEff = ne, nu = nu, pIncrease = pt(beta / se, nu, lower.tail = FALSE))
}
set.seed(5)
trend_rows <- list()
for (case in list(list("flat", 0), list("leak", 0.004), list("down", -0.002))) {
  d <- ar1(90, 0.6, 0.05) + case[[2]] * (1:90)
  s <- trend(d)
  trend_rows[[length(trend_rows) + 1]] <- obj(label = str(case[[1]]), d = arr(d), beta = num(s$beta), se = num(s$se),
    nEff = num(s$nEff), nu = num(s$nu), pIncrease = num(s$pIncrease))
}

statistics <- paste0("{\n",
  '"generator": "scripts/r/canaria-v1-vectors.R", "r": ', str(R.version.string), ",\n",
  '"ess": ', rows(ess_rows), ",\n",
  '"exact": ', rows(exact_rows), ",\n",
  '"mser5": ', rows(mser_rows), ",\n",
  '"trend": ', rows(trend_rows), "\n}\n")
writeLines(statistics, file.path(out_dir, "canaria-v1-statistics.json"), sep = "")
cat("wrote", file.path(out_dir, "canaria-v1-numerics.json"), "and", file.path(out_dir, "canaria-v1-statistics.json"), "\n")
