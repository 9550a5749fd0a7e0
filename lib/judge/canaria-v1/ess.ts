// Autocorrelation-aware t statistics (brief §1.1): paired ESS-t, its unpaired (Welch) fallback,
// and the trend test of the saturation kind (brief §2.1). Pure functions on finite numbers.
import { pt, qt } from './numerics.ts';

export interface EssSummary {
  n: number;
  mean: number;
  /** raw lag-1 autocorrelation r = c1/c0 (0 when the series is constant) */
  lag1: number;
  /** conservative ρ̃ = clamp(r_bc + SE, 0, 0.99) */
  rhoTilde: number;
  nEff: number;
  /** autocorrelation-corrected variance of one point */
  sigma2: number;
  /** standard error of the mean */
  se: number;
}

/** AR(1) effective sample size pieces of a series around a given centre (brief §1.1 step 4). */
function arOne(u: readonly number[], n: number): { lag1: number; rhoTilde: number; nEff: number; ss: number } {
  let ss = 0;
  let c1 = 0;
  for (let i = 0; i < u.length; i++) {
    ss += u[i] * u[i];
    if (i > 0) c1 += u[i] * u[i - 1];
  }
  if (!(ss > 0) || n < 3) return { lag1: 0, rhoTilde: 0, nEff: Math.max(1, n), ss };
  const r = c1 / ss; // c1/n ÷ c0/n
  const rbc = r + (1 + 3 * r) / n; // Kendall / Marriott & Pope bias correction
  const rhoTilde = Math.min(Math.max(rbc + Math.sqrt(Math.max(1 - rbc * rbc, 0) / n), 0), 0.99);
  const nEff = Math.max(2, (n * (1 - rhoTilde)) / (1 + rhoTilde)); // Bayley & Hammersley
  return { lag1: r, rhoTilde, nEff, ss };
}

/** ESS summary of one series (brief §1.1 step 4). n ≥ 1. */
export function essSummary(d: readonly number[]): EssSummary {
  const n = d.length;
  let sum = 0;
  for (const x of d) sum += x;
  const mean = sum / n;
  const u = d.map((x) => x - mean);
  const a = arOne(u, n);
  const sigma2 = a.ss / Math.max(1, n - n / a.nEff);
  return { n, mean, lag1: a.lag1, rhoTilde: a.rhoTilde, nEff: a.nEff, sigma2, se: Math.sqrt(sigma2 / a.nEff) };
}

export interface TTestResult {
  estimate: number;
  se: number;
  nu: number;
  nEff: number;
  /** one-sided p for "the true value is above `nullValue`" (harm = increase) */
  pIncrease: number;
  /** one-sided p for "below" (harm = decrease) */
  pDecrease: number;
  /** interval at level 1 − 2α: both one-sided α bounds */
  lower: number;
  upper: number;
  /** t_{1−α, ν}, kept for the MDE */
  tAlpha: number;
}

/**
 * One-sided tests and the 1 − 2α interval from an estimate, its SE and ν. A zero SE gives
 * p = 0 or 1 (a constant non-zero difference is certain) and p = 1 both ways for exactly 0.
 */
export function tTest(estimate: number, se: number, nu: number, nEff: number, alpha: number): TTestResult {
  const tAlpha = qt(1 - alpha, nu);
  if (!(se > 0)) {
    return {
      estimate, se: 0, nu, nEff, tAlpha,
      pIncrease: estimate > 0 ? 0 : 1,
      pDecrease: estimate < 0 ? 0 : 1,
      lower: estimate,
      upper: estimate,
    };
  }
  const t = estimate / se;
  return {
    estimate, se, nu, nEff, tAlpha,
    pIncrease: pt(t, nu, false),
    pDecrease: pt(t, nu, true),
    lower: estimate - tAlpha * se,
    upper: estimate + tAlpha * se,
  };
}

/** Paired ESS-t on differences d (brief §1.1): ν = max(1, n_eff − 1). */
export function essT(d: readonly number[], alpha: number): TTestResult & { summary: EssSummary } {
  const s = essSummary(d);
  return { ...tTest(s.mean, s.se, Math.max(1, s.nEff - 1), s.nEff, alpha), summary: s };
}

/**
 * Unpaired fallback (brief §1.1): each side's own n_eff and σ̂², Welch–Satterthwaite ν.
 * Estimate = mean(E) − mean(C).
 */
export function essWelch(experiment: readonly number[], control: readonly number[], alpha: number): TTestResult & { summaries: [EssSummary, EssSummary] } {
  const e = essSummary(experiment);
  const c = essSummary(control);
  const ve = e.sigma2 / e.nEff;
  const vc = c.sigma2 / c.nEff;
  const se2 = ve + vc;
  const denom = (e.nEff > 1 ? (ve * ve) / (e.nEff - 1) : 0) + (c.nEff > 1 ? (vc * vc) / (c.nEff - 1) : 0);
  const nu = denom > 0 ? Math.max(1, (se2 * se2) / denom) : Math.max(1, Math.min(e.nEff, c.nEff) - 1);
  // the guard of the paired test applies to the smaller side
  const nEff = Math.min(e.nEff, c.nEff);
  return { ...tTest(e.mean - c.mean, Math.sqrt(se2), nu, nEff, alpha), summaries: [e, c] };
}

export interface TrendResult extends TTestResult {
  /** slope per point */
  slope: number;
  slopeSe: number;
  rhoTilde: number;
}

/**
 * Trend test (brief §2.1): OLS slope of d on t = 1..n, residual AR(1) n_eff,
 * σ̂_e² = Σe²/max(1, n − 2 − n/n_eff), SE(β̂) = sqrt(σ̂_e²/Σ(t − t̄)² · n/n_eff), ν = max(1, n_eff − 2).
 * The estimate and interval are the slope times `horizonPoints` (the effect over the horizon).
 */
export function trendTest(d: readonly number[], horizonPoints: number, alpha: number): TrendResult {
  const n = d.length;
  const tb = (n + 1) / 2;
  let db = 0;
  for (const x of d) db += x;
  db /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dt = i + 1 - tb;
    sxx += dt * dt;
    sxy += dt * (d[i] - db);
  }
  const beta = sxx > 0 ? sxy / sxx : 0;
  const e = d.map((x, i) => x - db - beta * (i + 1 - tb));
  let em = 0;
  for (const x of e) em += x;
  em /= n;
  const a = arOne(
    e.map((x) => x - em),
    n,
  );
  let ss = 0;
  for (const x of e) ss += x * x;
  const s2 = ss / Math.max(1, n - 2 - n / a.nEff);
  const slopeSe = sxx > 0 ? Math.sqrt((s2 / sxx) * (n / a.nEff)) : 0;
  const nu = Math.max(1, a.nEff - 2);
  const r = tTest(beta * horizonPoints, slopeSe * horizonPoints, nu, a.nEff, alpha);
  return { ...r, slope: beta, slopeSe, rhoTilde: a.rhoTilde };
}
