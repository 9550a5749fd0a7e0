// Numerical building blocks of canaria-v1 (brief §1.9), written here without a stats library:
// log-gamma, log-beta, the regularized incomplete beta and its inverse, Student t with real
// degrees of freedom, the standard normal, binomial tails. Checked against R in
// test/judge/canaria-v1/numerics.test.ts (vectors from scripts/r/canaria-v1-vectors.R).
//
// Nothing here needs to be bit-exact with anything: canaria-v1 is not a port. The aim is a
// relative error near 1e-13 in the ranges the judge uses (tails included), so that a verdict
// never depends on the last digits.

const LN_SQRT_2PI = 0.91893853320467274178; // ln √(2π)
const SQRT_2PI = 2.5066282746310005024;
const LN_PI = 1.1447298858494002;

// ---------------------------------------------------------------------------------------------
// Gamma and beta functions

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * Stirling-series remainder lnΓ(x) − [(x − ½)ln x − x + ln √(2π)] for x ≥ 10
 * (Bernoulli-number series; the first omitted term is below 1e-17 at x = 10).
 */
export function lgammaCorrection(x: number): number {
  const x2 = 1 / (x * x);
  // B_{2k} / (2k(2k−1)), k = 1..8
  const c = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
  let s = c[7];
  for (let k = 6; k >= 0; k--) s = s * x2 + c[k];
  return s / x;
}

/** ln|Γ(x)|: Stirling with its series for x ≥ 10, Lanczos (g = 7, 9 terms) below, reflection for x < ½. */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Γ(x)Γ(1 − x) = π / sin(πx)
    return LN_PI - Math.log(Math.abs(sinPi(x))) - lgamma(1 - x);
  }
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + lgammaCorrection(x);
  // Exact at the zeros of lnΓ, where Lanczos would leave ~1e-16 absolute error.
  if (x === 1 || x === 2) return 0;
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** sin(πx) with the argument reduced exactly first. */
function sinPi(x: number): number {
  let r = x % 2;
  if (r < -1) r += 2;
  else if (r > 1) r -= 2;
  if (r === 0 || r === 1 || r === -1) return 0;
  if (r === 0.5) return 1;
  if (r === -0.5) return -1;
  return Math.sin(Math.PI * r);
}

/** ln B(a, b) for a, b > 0, with the Stirling corrections kept apart when both are large (no cancellation). */
export function lbeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (!(p > 0)) return p === 0 ? Infinity : NaN;
  if (p >= 10) {
    const corr = lgammaCorrection(p) + lgammaCorrection(q) - lgammaCorrection(p + q);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    // lnΓ(q) − lnΓ(p + q) with the large parts cancelled analytically
    const corr = lgammaCorrection(q) - lgammaCorrection(p + q);
    return lgamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return lgamma(p) + lgamma(q) - lgamma(p + q);
}

// ---------------------------------------------------------------------------------------------
// Regularized incomplete beta

export interface BetaTails {
  /** I_x(a, b) */
  lower: number;
  /** 1 − I_x(a, b) */
  upper: number;
}

/**
 * Both tails of the regularized incomplete beta I_x(a, b), each accurate in relative terms
 * (the smaller one is computed directly, never as 1 − something). `y` is 1 − x, passed
 * separately when the caller has it more accurately than 1 − x (Student t).
 * Continued fraction with modified Lentz (Numerical Recipes `betacf`) on the side
 * x < (a + 1)/(a + b + 2), symmetry otherwise.
 */
export function ibetaTails(x: number, a: number, b: number, y: number = 1 - x): BetaTails {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b) || !(a > 0) || !(b > 0)) return { lower: NaN, upper: NaN };
  if (x <= 0) return { lower: 0, upper: 1 };
  if (y <= 0) return { lower: 1, upper: 0 };
  if (x < (a + 1) / (a + b + 2)) {
    const v = betaFront(x, y, a, b) * betacf(x, a, b) / a;
    return { lower: v, upper: 1 - v };
  }
  const v = betaFront(y, x, b, a) * betacf(y, b, a) / b;
  return { lower: 1 - v, upper: v };
}

/** x^a (1 − x)^b / B(a, b), in logs. */
function betaFront(x: number, y: number, a: number, b: number): number {
  const lx = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const ly = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  return Math.exp(a * lx + b * ly - lbeta(a, b));
}

const TINY = 1e-300;

function betacf(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  const maxIterations = 10000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    // even step: d_{2m} = m(b − m)x / ((a + 2m − 1)(a + 2m))
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  return h; // not converged: only for absurd a, b; the caller's result is then approximate
}

/** ln of the beta density x^(a−1)(1 − x)^(b−1)/B(a, b). */
function lbetaDensity(x: number, a: number, b: number): number {
  return (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta(a, b);
}

/**
 * The beta quantile: x with I_x(a, b) = p (R: qbeta(p, a, b)). Safeguarded Newton on the
 * tail that is smaller (so tiny p and p near 1 keep their digits), with bisection (geometric
 * near 0) whenever Newton leaves the bracket.
 */
export function qbeta(p: number, a: number, b: number): number {
  if (Number.isNaN(p) || !(a > 0) || !(b > 0) || p < 0 || p > 1) return NaN;
  if (p === 0) return 0;
  if (p === 1) return 1;
  // Solve on the side where the root is below ½, using I_x(a, b) = p ⇔ I_{1−x}(b, a) = 1 − p.
  const median = ibetaTails(0.5, a, b);
  if (p > median.lower) return 1 - solveBetaLow(1 - p, p, b, a);
  return solveBetaLow(p, 1 - p, a, b);
}

/** Root x ∈ (0, ½] of I_x(a, b) = p (whose complement is q), knowing I_½(a, b) ≥ p. */
function solveBetaLow(p: number, q: number, a: number, b: number): number {
  let lo = 0;
  let hi = 0.5;
  const useUpper = q < p; // compare on the smaller tail
  const g = (x: number) => {
    const t = ibetaTails(x, a, b);
    return useUpper ? q - t.upper : t.lower - p; // increasing in x either way
  };
  // starting point: the x^a/(a B) approximation of the lower tail, clamped into the bracket
  let x = Math.exp((Math.log(p) + Math.log(a) + lbeta(a, b)) / a);
  if (!(x > 0 && x < 0.5)) x = 0.25;
  for (let i = 0; i < 400; i++) {
    const gx = g(x);
    if (gx === 0) return x;
    if (gx < 0) lo = x;
    else hi = x;
    const dens = Math.exp(lbetaDensity(x, a, b));
    let next = x - gx / dens;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      next = lo === 0 ? hi / 16 : hi / lo > 4 ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    }
    if (Math.abs(next - x) <= 2e-16 * x || next === lo || next === hi) return next;
    x = next;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Standard normal

/** φ(x) with exp(−x²/2) split so that large |x| keep their relative precision (as R does). */
export function dnorm(x: number): number {
  const y = Math.abs(x);
  const ys = Math.trunc(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  return (Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5)) / SQRT_2PI;
}

/**
 * Φ(x) (lowerTail) or 1 − Φ(x), each with full relative precision in its tail: the series
 * Φ(x) − ½ = φ(x)·Σ x^(2k+1)/(2k+1)!! for |x| < 2, the Mills-ratio continued fraction beyond.
 */
export function pnorm(x: number, lowerTail = true): number {
  if (Number.isNaN(x)) return NaN;
  const upperSide = lowerTail ? x > 0 : x < 0; // the asked tail lies beyond |x| iff false
  const y = Math.abs(x);
  if (y === Infinity) return upperSide ? 1 : 0;
  let tail: number; // P(Z > |x|)
  if (y < 2) {
    let term = y;
    let sum = y;
    for (let k = 1; k < 200; k++) {
      term *= (y * y) / (2 * k + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    const half = dnorm(y) * sum; // Φ(|x|) − ½
    return upperSide ? 0.5 + half : 0.5 - half;
  } else if (y > 40) {
    tail = 0;
  } else {
    tail = dnorm(y) * millsRatio(y);
  }
  return upperSide ? 1 - tail : tail;
}

/** R(x) = (1 − Φ(x))/φ(x) for x ≥ 2: 1/(x + 1/(x + 2/(x + 3/(x + …)))) by modified Lentz. */
function millsRatio(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    d = x + k * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = x + k / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = c * d;
    f *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** Φ⁻¹(p): Acklam's rational approximation refined by Halley steps on the accurate Φ above. */
export function qnorm(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -qnormLow(1 - p); // 1 − p is exact for p ≥ ½
  return qnormLow(p);
}

function qnormLow(p: number): number {
  // Acklam (2003), lower region and central region
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (let i = 0; i < 3; i++) {
    const e = pnorm(x) - p;
    const u = e / dnorm(x);
    const step = u / (1 + (x * u) / 2);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Student t with real degrees of freedom

/** F_t(t; ν) (lowerTail) or 1 − F_t(t; ν); ν > 0 real. The tail beyond |t| is ½·I_{ν/(ν+t²)}(ν/2, ½). */
export function pt(t: number, nu: number, lowerTail = true): number {
  if (Number.isNaN(t) || !(nu > 0)) return NaN;
  if (nu === Infinity) return pnorm(t, lowerTail);
  if (nu > 4e5) {
    // Abramowitz & Stegun 26.7.8 (as R's pt): error O(ν⁻²), far below double precision here,
    // where the continued fraction in x → 1 would need ~√ν terms and lose digits.
    const v = 1 / (4 * nu);
    return pnorm((t * (1 - v)) / Math.sqrt(1 + t * t * 2 * v), lowerTail);
  }
  if (t === Infinity) return lowerTail ? 1 : 0;
  if (t === -Infinity) return lowerTail ? 0 : 1;
  const t2 = t * t;
  // both computed directly, each to one rounding, so neither loses digits as 1 − the other
  const x = nu / (nu + t2);
  const y = t2 / (nu + t2);
  const tail = 0.5 * ibetaTails(x, nu / 2, 0.5, y).lower; // P(T > |t|)
  const beyond = lowerTail ? t < 0 : t > 0; // asked tail is the far one
  return beyond ? tail : 1 - tail;
}

/** Student t density. */
export function dt(t: number, nu: number): number {
  return Math.exp(lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * Math.log(nu * Math.PI) - ((nu + 1) / 2) * Math.log1p((t * t) / nu));
}

/** The t quantile: t with F_t(t; ν) = p (R: qt(p, ν)); safeguarded Newton on the smaller tail. */
export function qt(p: number, nu: number): number {
  if (Number.isNaN(p) || !(nu > 0) || p < 0 || p > 1) return NaN;
  if (nu === Infinity) return qnorm(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p > 0.5) return -qtLow(1 - p, nu);
  return qtLow(p, nu);
}

/** t < 0 with F_t(t; ν) = p, p < ½. */
function qtLow(p: number, nu: number): number {
  const g = (t: number) => pt(t, nu) - p; // increasing
  let hi = 0;
  let lo = Math.min(-1, qnorm(p));
  while (g(lo) > 0) {
    hi = lo;
    lo *= 4;
    if (!Number.isFinite(lo)) return -Infinity;
  }
  let t = lo;
  for (let i = 0; i < 500; i++) {
    const gt = g(t);
    if (gt === 0) return t;
    if (gt < 0) lo = t;
    else hi = t;
    let next = t - gt / dt(t, nu);
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      next = hi === 0 ? lo / 2 : lo / hi > 4 ? -Math.sqrt(lo * hi) : (lo + hi) / 2;
    }
    if (Math.abs(next - t) <= 4e-16 * Math.abs(t) || next === lo || next === hi) return next;
    t = next;
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Binomial

/** P(X ≤ k) for X ~ Binomial(n, p) (R: pbinom(k, n, p)); k, n integers. */
export function pbinom(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return ibetaTails(1 - p, n - k, k + 1, p).lower;
}

/** P(X ≥ k) for X ~ Binomial(n, p) (R: pbinom(k − 1, n, p, lower.tail = FALSE)). */
export function pbinomUpper(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return ibetaTails(p, k, n - k + 1, 1 - p).lower;
}
