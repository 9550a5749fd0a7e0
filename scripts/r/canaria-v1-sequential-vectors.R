# Reference vectors for the always-valid pieces of canaria-v1 (lib/judge/canaria-v1/sequential.ts,
# brief §1.8), computed with base R — each closed form is also re-derived numerically here
# (integrate() over the mixing distribution, uniroot() for confidence-sequence boundaries), so the
# fixture checks the formulas, not only their transcription.
#
# How to run (from the repository root; base R only):
#
#     Rscript scripts/r/canaria-v1-sequential-vectors.R
#
# It writes, overwriting, test/fixtures/r/canaria-v1-sequential.json, read by
# test/judge/canaria-v1/sequential.test.ts (CI does not need R). Numbers as in
# scripts/r/canaria-v1-vectors.R: sprintf("%.17g"), non-finite values as strings.

num <- function(x) {
  vapply(x, function(v) {
    if (is.nan(v)) return('"NaN"')
    if (v == Inf) return('"Inf"')
    if (v == -Inf) return('"-Inf"')
    sprintf("%.17g", v)
  }, "")
}
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s":%s', names(kv), unlist(kv)), collapse = ","), "}")
}
arr <- function(x) paste0("[", paste(num(x), collapse = ","), "]")
rows <- function(lst) paste0("[\n  ", paste(lst, collapse = ",\n  "), "\n]")

# ---- normal mixture (mSPRT on z, V = n_eff * kappa^2) ------------------------------------------
# Lambda(z) = E_{delta ~ N(0, V)} exp(delta z - delta^2 / 2); one-sided: delta ~ half-normal (> 0)
closed2 <- function(z, V) -0.5 * log1p(V) + z^2 * V / (2 * (1 + V))
closed1 <- function(z, V) log(2) + pnorm(z * sqrt(V / (1 + V)), log.p = TRUE) + closed2(z, V)
integ <- function(z, V, lower) {
  # integrate around the posterior mode for accuracy, then add the log back
  m <- z * V / (1 + V); s <- sqrt(V / (1 + V))
  shift <- closed2(z, V)
  f <- function(d) exp(dnorm(d, 0, sqrt(V), log = TRUE) + d * z - d^2 / 2 - shift)
  lo <- if (lower == 0) 0 else m - 40 * s
  v <- integrate(f, lo, m + 40 * s, rel.tol = 1e-12, subdivisions = 2000L)$value
  log(if (lower == 0) 2 * v else v) + shift
}
nm <- list()
for (z in c(-3, -1, 0, 0.5, 1.96, 3, 5)) for (V in c(0.05, 0.5, 2, 10, 100)) {
  nm[[length(nm) + 1]] <- obj(z = num(z), V = num(V), logE = num(closed2(z, V)), logEOneSided = num(closed1(z, V)),
                               logENumeric = num(integ(z, V, -Inf)), logEOneSidedNumeric = num(integ(z, V, 0)))
}

# ---- kappa^2 and CS half-widths ------------------------------------------------------------------
kappa2 <- function(alpha, nstar) (2 * log(1 / alpha) + log(1 + 2 * log(1 / alpha))) / nstar
kp <- list()
for (alpha in c(0.05, 0.1, 0.01)) for (nstar in c(15, 30, 120)) kp[[length(kp) + 1]] <- obj(alpha = num(alpha), nStar = num(nstar), kappa2 = num(kappa2(alpha, nstar)))

cs <- list()
for (se in c(0.3, 1)) for (V in c(0.2, 1, 5, 50)) for (alpha in c(0.05, 0.1)) {
  two <- se * sqrt((1 + V) / V * (2 * log(1 / alpha) + log1p(V)))
  one <- se * sqrt(2 * (1 + V) / V * log(1 + sqrt(1 + V) / (2 * alpha)))
  # the two-sided boundary is where Lambda((estimate - theta)/se) = 1/alpha
  root <- uniroot(function(h) closed2(h / se, V) - log(1 / alpha), c(1e-9, 1e3), tol = 1e-14)$root
  cs[[length(cs) + 1]] <- obj(se = num(se), V = num(V), alpha = num(alpha), twoSided = num(two), oneSided = num(one), twoSidedRoot = num(root))
}

# ---- beta-binomial mixture e-process --------------------------------------------------------------
bbClosed <- function(eE, eC, p, k) {
  a <- k * p; b <- k * (1 - p)
  lbeta(a + eE, b + eC) - lbeta(a, b) - eE * log(p) - eC * log1p(-p)
}
bbSided <- function(eE, eC, p, k, side) {
  a <- k * p; b <- k * (1 - p)
  num <- if (side == "increase") pbeta(p, a + eE, b + eC, lower.tail = FALSE, log.p = TRUE) else pbeta(p, a + eE, b + eC, log.p = TRUE)
  den <- if (side == "increase") pbeta(p, a, b, lower.tail = FALSE, log.p = TRUE) else pbeta(p, a, b, log.p = TRUE)
  bbClosed(eE, eC, p, k) + num - den
}
bbNumeric <- function(eE, eC, p, k, lower = 0, upper = 1) {
  a <- k * p; b <- k * (1 - p)
  shift <- bbClosed(eE, eC, p, k)
  f <- function(q) exp(dbeta(q, a, b, log = TRUE) + eE * log(q / p) + eC * log((1 - q) / (1 - p)) - shift)
  mass <- pbeta(upper, a, b) - pbeta(lower, a, b)
  log(integrate(f, lower, upper, rel.tol = 1e-12, subdivisions = 5000L)$value / mass) + shift
}
bb <- list()
cases <- list(c(0, 0, 0.5), c(5, 0, 0.5), c(31, 12, 0.5), c(12, 31, 0.5), c(50, 50, 0.5), c(200, 150, 0.5), c(30, 250, 0.1), c(3, 1, 0.2), c(1000, 900, 0.5))
for (cc in cases) for (k in c(100, 20)) {
  eE <- cc[1]; eC <- cc[2]; p <- cc[3]
  bb[[length(bb) + 1]] <- obj(eE = num(eE), eC = num(eC), pi = num(p), k = num(k),
    logE = num(bbClosed(eE, eC, p, k)), logEIncrease = num(bbSided(eE, eC, p, k, "increase")), logEDecrease = num(bbSided(eE, eC, p, k, "decrease")),
    logENumeric = num(bbNumeric(eE, eC, p, k)), logEIncreaseNumeric = num(bbNumeric(eE, eC, p, k, p, 1)), logEDecreaseNumeric = num(bbNumeric(eE, eC, p, k, 0, p)))
}

# CS for theta = ln(rate ratio): {theta : E(pi(theta)) < 1/alpha}, roots by uniroot
shareAt <- function(theta, p0) { w <- p0 * exp(theta); w / (w + 1 - p0) }
bbcs <- list()
for (cc in list(c(31, 12, 0.5), c(50, 50, 0.5), c(200, 150, 0.5), c(30, 250, 0.1), c(5, 3, 0.5))) for (alpha in c(0.05, 0.1)) {
  eE <- cc[1]; eC <- cc[2]; p0 <- cc[3]
  f <- function(theta) bbClosed(eE, eC, shareAt(theta, p0), 100) - log(1 / alpha)
  centre <- log((eE + 0.5) / (eC + 0.5)) - log(p0 / (1 - p0))
  lo <- uniroot(f, c(centre - 30, centre), tol = 1e-13)$root
  hi <- uniroot(f, c(centre, centre + 30), tol = 1e-13)$root
  bbcs[[length(bbcs) + 1]] <- obj(eE = num(eE), eC = num(eC), pi0 = num(p0), alpha = num(alpha), lower = num(lo), upper = num(hi))
}

# ---- e-BH = BH on 1/e -------------------------------------------------------------------------------
ebh <- list()
evs <- list(c(30, 5, 1, 0.2), c(100, 45, 41, 2, 0.5), c(19.9, 19.9), c(40, 40), c(1, 1, 1), c(1e4, 0.1, 25, 25, 8, 3, 1.1, 60))
for (e in evs) for (alpha in c(0.05, 0.1)) {
  rej <- p.adjust(pmin(1, 1 / e), "BH") <= alpha
  ebh[[length(ebh) + 1]] <- obj(e = arr(e), alpha = num(alpha), rejected = paste0("[", paste(ifelse(rej, "true", "false"), collapse = ","), "]"))
}

out <- paste0("{\n",
  '"r": "', R.version.string, '",\n',
  '"normalMixture": ', rows(nm), ",\n",
  '"kappa2": ', rows(kp), ",\n",
  '"csHalfwidth": ', rows(cs), ",\n",
  '"betaBinomial": ', rows(bb), ",\n",
  '"betaBinomialCs": ', rows(bbcs), ",\n",
  '"eBH": ', rows(ebh), "\n}\n")
dir.create("test/fixtures/r", recursive = TRUE, showWarnings = FALSE)
writeLines(out, "test/fixtures/r/canaria-v1-sequential.json", sep = "")
cat("wrote test/fixtures/r/canaria-v1-sequential.json\n")
