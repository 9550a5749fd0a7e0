// Counts with exposures (brief §1.2, §1.3): the exact conditional test of two Poisson rates
// (Przyborowski & Wilenski) with Clopper–Pearson bounds, its stratified score form when the
// traffic share varies, the robust per-bucket ESS-t leg, and their intersection–union
// combination (Berger 1982): p = max(p_exact, p_robust); the interval is the hull of both.
import { essT, type TTestResult } from './ess.ts';
import { pbinom, pbinomUpper, pnorm, qbeta, qnorm } from './numerics.ts';

/** Per-bucket counts on one grid, only buckets where both exposures are known. */
export interface CountBuckets {
  eventsExperiment: number[];
  exposureExperiment: number[];
  eventsControl: number[];
  exposureControl: number[];
}

export interface ExactResult {
  method: 'conditional-binomial' | 'stratified-score';
  events: { experiment: number; control: number };
  exposure: { experiment: number; control: number };
  pi0: number;
  pIncrease: number;
  pDecrease: number;
  /** ln rate-ratio bounds at one-sided level α each (Clopper–Pearson on the canary's event share) */
  logLower: number;
  logUpper: number;
}

/**
 * Exact conditional test (brief §1.2a) on pooled totals. Events are rounded to integers
 * (Prometheus `increase()` extrapolates); exposures stay real.
 */
export function exactConditional(eventsExperiment: number, eventsControl: number, exposureExperiment: number, exposureControl: number, alpha: number): ExactResult {
  const ee = Math.round(eventsExperiment);
  const ec = Math.round(eventsControl);
  const K = ee + ec;
  const pi0 = exposureExperiment / (exposureExperiment + exposureControl);
  const base = { method: 'conditional-binomial' as const, events: { experiment: ee, control: ec }, exposure: { experiment: exposureExperiment, control: exposureControl }, pi0 };
  if (K === 0) return { ...base, pIncrease: 1, pDecrease: 1, logLower: -Infinity, logUpper: Infinity };
  const pIncrease = ee === 0 ? 1 : pbinomUpper(ee, K, pi0);
  const pDecrease = pbinom(ee, K, pi0);
  const piL = ee === 0 ? 0 : qbeta(alpha, ee, K - ee + 1);
  const piU = ee === K ? 1 : qbeta(1 - alpha, ee + 1, K - ee);
  const offset = Math.log(exposureControl / exposureExperiment);
  const logit = (p: number) => (p <= 0 ? -Infinity : p >= 1 ? Infinity : Math.log(p / (1 - p)));
  return { ...base, pIncrease, pDecrease, logLower: logit(piL) + offset, logUpper: logit(piU) + offset };
}

/**
 * Mantel–Haenszel-type stratified score statistic (brief §1.2a, time-varying traffic share):
 * Z = Σ(e_E,t − k_t π_t)/sqrt(Σ k_t π_t(1 − π_t)), π_t = n_E,t/(n_E,t + n_C,t).
 */
export function stratifiedScore(b: CountBuckets): { z: number; pIncrease: number; pDecrease: number } {
  let num = 0;
  let v = 0;
  for (let t = 0; t < b.eventsExperiment.length; t++) {
    const tot = b.exposureExperiment[t] + b.exposureControl[t];
    if (!(tot > 0)) continue;
    const pi = b.exposureExperiment[t] / tot;
    const k = b.eventsExperiment[t] + b.eventsControl[t];
    num += b.eventsExperiment[t] - k * pi;
    v += k * pi * (1 - pi);
  }
  if (!(v > 0)) return { z: 0, pIncrease: 1, pDecrease: 1 };
  const z = num / Math.sqrt(v);
  return { z, pIncrease: pnorm(z, false), pDecrease: pnorm(z, true) };
}

/**
 * Pearson dispersion φ̂ over buckets with events (brief §1.2), around the fitted rate ratio
 * `ratio` (the canary's rate over the baseline's): around 1, a steady real difference would read
 * as burstiness. Null below 2 such buckets, or without a finite positive ratio.
 */
export function overdispersion(b: CountBuckets, ratio = 1): number | null {
  if (!(ratio > 0 && Number.isFinite(ratio))) return null;
  let ss = 0;
  let count = 0;
  for (let t = 0; t < b.eventsExperiment.length; t++) {
    const weighted = ratio * b.exposureExperiment[t];
    const tot = weighted + b.exposureControl[t];
    const k = b.eventsExperiment[t] + b.eventsControl[t];
    if (!(tot > 0) || !(k > 0)) continue;
    const pi = weighted / tot;
    if (pi <= 0 || pi >= 1) continue;
    const eps = (b.eventsExperiment[t] - k * pi) / Math.sqrt(k * pi * (1 - pi));
    ss += eps * eps;
    count++;
  }
  return count >= 2 ? ss / (count - 1) : null;
}

export interface CountTestResult {
  exact: ExactResult;
  /** per-bucket rate difference r_E,t − r_C,t (brief §1.2b); null when fewer than 2 usable buckets */
  robust: TTestResult | null;
  pIncrease: number;
  pDecrease: number;
  rateExperiment: number;
  rateControl: number;
  /** ln(rate ratio): +∞ with events only on the canary, 0 with no events at all */
  logEstimate: number;
  logLower: number;
  logUpper: number;
  absoluteDifference: number;
  absoluteLower: number;
  absoluteUpper: number;
  overdispersion: number | null;
  trafficShare: number;
  shareVaries: boolean;
  /** buckets used by the robust leg */
  robustBuckets: number;
  nEff: number | null;
}

/** Exact ∩ robust count test (brief §1.2c); one-sided p each way; intervals at level 1 − 2α. */
export function countTest(b: CountBuckets, alpha: number): CountTestResult {
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const eE = sum(b.eventsExperiment);
  const eC = sum(b.eventsControl);
  const nE = sum(b.exposureExperiment);
  const nC = sum(b.exposureControl);
  let exact = exactConditional(eE, eC, nE, nC, alpha);
  // time-varying traffic share → stratified score test for the p-value (bounds stay pooled)
  let minPi = Infinity;
  let maxPi = -Infinity;
  for (let t = 0; t < b.exposureExperiment.length; t++) {
    const tot = b.exposureExperiment[t] + b.exposureControl[t];
    if (!(tot > 0)) continue;
    const pi = b.exposureExperiment[t] / tot;
    minPi = Math.min(minPi, pi);
    maxPi = Math.max(maxPi, pi);
  }
  const shareVaries = maxPi - minPi > 0.05;
  if (shareVaries) {
    const s = stratifiedScore(b);
    exact = { ...exact, method: 'stratified-score', pIncrease: s.pIncrease, pDecrease: s.pDecrease };
  }
  const d: number[] = [];
  for (let t = 0; t < b.eventsExperiment.length; t++) {
    if (b.exposureExperiment[t] > 0 && b.exposureControl[t] > 0) d.push(b.eventsExperiment[t] / b.exposureExperiment[t] - b.eventsControl[t] / b.exposureControl[t]);
  }
  const robust = d.length >= 2 ? essT(d, alpha) : null;
  const rateExperiment = nE > 0 ? eE / nE : NaN;
  const rateControl = nC > 0 ? eC / nC : NaN;
  const logEstimate = eE === 0 && eC === 0 ? 0 : Math.log(rateExperiment / rateControl);
  // robust bounds on the ratio scale, relative to the pooled baseline rate
  const toLog = (absolute: number) => {
    const r = rateControl + absolute;
    if (rateControl > 0) return r > 0 ? Math.log(r / rateControl) : -Infinity;
    return absolute > 0 ? Infinity : absolute < 0 ? -Infinity : 0;
  };
  const robustLogLower = robust ? toLog(robust.lower) : -Infinity;
  const robustLogUpper = robust ? toLog(robust.upper) : Infinity;
  return {
    exact,
    robust,
    pIncrease: Math.max(exact.pIncrease, robust ? robust.pIncrease : 1),
    pDecrease: Math.max(exact.pDecrease, robust ? robust.pDecrease : 1),
    rateExperiment,
    rateControl,
    logEstimate,
    logLower: Math.min(exact.logLower, robustLogLower),
    logUpper: Math.max(exact.logUpper, robustLogUpper),
    absoluteDifference: rateExperiment - rateControl,
    absoluteLower: robust ? robust.lower : -Infinity,
    absoluteUpper: robust ? robust.upper : Infinity,
    overdispersion: overdispersion(b, Math.exp(logEstimate)),
    trafficShare: nE / (nE + nC),
    shareVaries,
    robustBuckets: d.length,
    nEff: robust ? robust.nEff : null,
  };
}

/** Minimum canary events to fail at one-sided α with no baseline event: ⌈ln α / ln π0⌉ (brief §1.3). */
export function minEventsZeroBaseline(alpha: number, pi0: number): number | null {
  if (!(pi0 > 0 && pi0 < 1)) return null;
  return Math.ceil(Math.log(alpha) / Math.log(pi0) - 1e-12);
}

/**
 * Count-kind MDE (brief §1.6) as a rate ratio: exp((z_{1−α} + z_{1−β})·sqrt(φ(1/λ_E + 1/λ_C))),
 * λ_X = p̂0·N_X, p̂0 = (E_C + 0.5)/N_C, φ = max(1, φ̂).
 */
export function countMde(eventsControl: number, exposureExperiment: number, exposureControl: number, phi: number | null, alpha: number, power: number): number | null {
  if (!(exposureExperiment > 0 && exposureControl > 0)) return null;
  const p0 = (eventsControl + 0.5) / exposureControl;
  const se = Math.sqrt(Math.max(1, phi ?? 1) * (1 / (p0 * exposureExperiment) + 1 / (p0 * exposureControl)));
  return Math.exp((qnorm(1 - alpha) + qnorm(power)) * se);
}
