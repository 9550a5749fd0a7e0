// Repeated looks (brief §1.8): the always-valid pieces for one metric, pure functions.
//
// - continuous kinds: the normal-mixture mSPRT / confidence sequence on the ESS-t statistic
//   z = θ̂/SE with V = n_eff·κ², κ² = (2 ln(1/α) + ln(1 + 2 ln(1/α)))/n* (n* = planned n_eff);
// - count kinds: the beta-binomial mixture e-process on the pooled events (Lindon & Malek 2022),
//   one-sided by truncating the Beta prior to the harm side, and its confidence sequence;
// - across metrics: e-BH (Wang & Ramdas 2022) = BH on 1/e, valid under any dependence;
// - burn-in and the n_eff guard.
// Everything is in log space; e-values are capped at 1e300 when exponentiated.
// The judge entry that uses these is `judgeLook` (index.ts).
import { ibetaTails, lbeta, pnorm } from './numerics.ts';

export const E_CAP = 1e300;
export const DEFAULT_BURN_IN_POINTS = 30;
export const DEFAULT_MIN_EFFECTIVE_N = 8;
/** floor of the planned n_eff the mixture is tuned for (brief §1.8) */
export const MIN_PLANNED_EFFECTIVE_N = 15;
/** beta-binomial concentration k (savvi, seqabpy default) */
export const DEFAULT_CONCENTRATION = 100;

export const capE = (logE: number): number => (logE >= Math.log(E_CAP) ? E_CAP : Math.exp(logE));

/** κ² = (2 ln(1/α) + ln(1 + 2 ln(1/α)))/n*: the mixture variance (in σ units²) that is tightest near n_eff = n*. */
export function mixtureKappa2(alpha: number, plannedEffectiveN: number): number {
  const l = 2 * Math.log(1 / alpha);
  return (l + Math.log(1 + l)) / Math.max(plannedEffectiveN, 1e-9);
}

/** Two-sided normal-mixture log e-value: ln Λ = −½ ln(1 + V) + z²V/(2(1 + V)). */
export function normalMixtureLogE(z: number, V: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 0 : Infinity;
  return -0.5 * Math.log1p(V) + (z * z * V) / (2 * (1 + V));
}

/**
 * One-sided (half-normal prior on the harm side, effect > 0 in z units) log e-value:
 * ln Λ₁ = ln 2 + ln Φ(z·√(V/(1 + V))) + ln Λ. An e-process for the composite null "effect ≤ 0".
 */
export function normalMixtureLogEOneSided(z: number, V: number): number {
  if (z === Infinity) return Infinity;
  if (z === -Infinity || Number.isNaN(z)) return Number.isNaN(z) ? 0 : -Infinity;
  const x = z * Math.sqrt(V / (1 + V));
  const phi = pnorm(x);
  const lphi = phi > 0 ? Math.log(phi) : -0.5 * x * x - Math.log(-x) - 0.5 * Math.log(2 * Math.PI); // Mills ratio tail
  return Math.LN2 + lphi + normalMixtureLogE(z, V);
}

/** Two-sided CS half-width: SE·√((1 + V)/V·(2 ln(1/α) + ln(1 + V))); the set where Λ < 1/α. */
export function csHalfwidth(se: number, V: number, alpha: number): number {
  if (!(se > 0)) return 0;
  if (!(V > 0)) return Infinity;
  return se * Math.sqrt(((1 + V) / V) * (2 * Math.log(1 / alpha) + Math.log1p(V)));
}

/** One-sided bound (GrowthBook's form, κ tuned with 2α): SE·√(2(1 + V)/V·ln(1 + √(1 + V)/(2α))). */
export function csHalfwidthOneSided(se: number, V: number, alpha: number): number {
  if (!(se > 0)) return 0;
  if (!(V > 0)) return Infinity;
  return se * Math.sqrt(((2 * (1 + V)) / V) * Math.log(1 + Math.sqrt(1 + V) / (2 * alpha)));
}

export interface NormalSequence {
  /** harm-side e-value (one-sided mixture; two-sided for harm "either") */
  logE: number;
  /** CS at level 1 − 2α: the one-sided α bound on each side */
  lower: number;
  upper: number;
  V: number;
}

/** The normal-mixture sequence of one look for an estimate θ̂ with standard error SE on n_eff. */
export function normalSequence(estimate: number, se: number, nEff: number, kappa2: number, alpha: number, harm: 'increase' | 'decrease' | 'either'): NormalSequence {
  const V = nEff * kappa2;
  if (!(se > 0)) {
    const sign = estimate > 0 ? 1 : estimate < 0 ? -1 : 0;
    const hit = harm === 'increase' ? sign > 0 : harm === 'decrease' ? sign < 0 : sign !== 0;
    return { logE: hit ? Infinity : 0, lower: estimate, upper: estimate, V };
  }
  const z = estimate / se;
  const logE = harm === 'increase' ? normalMixtureLogEOneSided(z, V) : harm === 'decrease' ? normalMixtureLogEOneSided(-z, V) : normalMixtureLogE(z, V);
  const h = csHalfwidthOneSided(se, V, alpha);
  return { logE, lower: estimate - h, upper: estimate + h, V };
}

// ---------------------------------------------------------------------------------------------
// counts: beta-binomial mixture e-process

/** π(θ) = π0·e^θ/(π0·e^θ + 1 − π0): the canary's event share when its rate is e^θ × the baseline's. */
export function shareAt(theta: number, pi0: number): number {
  if (theta === Infinity) return 1;
  if (theta === -Infinity) return 0;
  const w = pi0 * Math.exp(theta);
  return w / (w + 1 - pi0);
}

/**
 * ln E of the beta-binomial mixture against "share = π" (brief §1.8, a = kπ, b = k(1 − π)):
 * ln B(a + e_E, b + e_C) − ln B(a, b) − e_E ln π − e_C ln(1 − π). side "increase" truncates the
 * Beta prior to (π, 1), "decrease" to (0, π): then E is an e-process for "share ≤ π" (≥ π).
 */
export function betaBinomialLogE(eventsExperiment: number, eventsControl: number, pi: number, side: 'two-sided' | 'increase' | 'decrease' = 'two-sided', k = DEFAULT_CONCENTRATION): number {
  const eE = eventsExperiment;
  const eC = eventsControl;
  if (!(pi > 0 && pi < 1)) return 0;
  const a = k * pi;
  const b = k * (1 - pi);
  const ll = (eE > 0 ? eE * Math.log(pi) : 0) + (eC > 0 ? eC * Math.log1p(-pi) : 0);
  let logE = lbeta(a + eE, b + eC) - lbeta(a, b) - ll;
  if (side !== 'two-sided') {
    const post = ibetaTails(pi, a + eE, b + eC);
    const prior = ibetaTails(pi, a, b);
    const num = side === 'increase' ? post.upper : post.lower;
    const den = side === 'increase' ? prior.upper : prior.lower;
    logE += (num > 0 ? Math.log(num) : -Infinity) - Math.log(den);
  }
  return logE;
}

/**
 * Confidence sequence for θ = ln(rate ratio) from the beta-binomial mixture: {θ : E(θ) < 1/α}
 * with the two-sided E at π(θ), by bisection on each side of θ̂. ±∞ where no events bound it
 * (no canary events → lower −∞; no baseline events → upper +∞).
 */
export function betaBinomialCs(eventsExperiment: number, eventsControl: number, pi0: number, alpha: number, k = DEFAULT_CONCENTRATION): { lower: number; upper: number; estimate: number } {
  const eE = eventsExperiment;
  const eC = eventsControl;
  const target = Math.log(1 / alpha);
  const logOdds0 = Math.log(pi0 / (1 - pi0));
  if (eE === 0 && eC === 0) return { lower: -Infinity, upper: Infinity, estimate: 0 };
  // θ̂ on the share scale, shrunk by the prior so it is finite
  const estimate = eE > 0 && eC > 0 ? Math.log(eE / eC) - logOdds0 : eE > 0 ? Infinity : -Infinity;
  const centre = Math.log((eE + 0.5) / (eC + 0.5)) - logOdds0;
  const f = (theta: number) => betaBinomialLogE(eE, eC, shareAt(theta, pi0), 'two-sided', k) - target;
  const root = (inside: number, dir: 1 | -1): number => {
    if (f(inside) >= 0) return inside; // even the centre is excluded (cannot happen for sensible α)
    let step = 0.5;
    let out = inside + dir * step;
    while (f(out) < 0) {
      step *= 2;
      out = inside + dir * step;
      if (step > 60) return dir * Infinity;
    }
    let lo = inside;
    let hi = out;
    for (let i = 0; i < 80; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) < 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = eE === 0 ? -Infinity : root(centre, -1);
  const upper = eC === 0 ? Infinity : root(centre, 1);
  return { lower, upper, estimate };
}

// ---------------------------------------------------------------------------------------------
// across metrics

/**
 * e-BH at level α: rejects the k* hypotheses with the largest e-values, k* = max{k : e_(k) ≥ m/(α·k)}.
 * Identical to BH on p = min(1, 1/e) (Wang & Ramdas 2022, valid under arbitrary dependence).
 */
export function eBH(eValues: readonly number[], alpha: number): boolean[] {
  const m = eValues.length;
  const order = eValues.map((_, i) => i).sort((x, y) => eValues[y] - eValues[x] || x - y);
  let kStar = 0;
  for (let k = 1; k <= m; k++) if (eValues[order[k - 1]] >= m / (alpha * k)) kStar = k;
  const out = new Array<boolean>(m).fill(false);
  for (let r = 0; r < kStar; r++) out[order[r]] = true;
  return out;
}

// ---------------------------------------------------------------------------------------------
// burn-in and tuning

/** No decisions before `burnInPoints` points and n_eff ≥ `minEffectiveN` (brief §1.8). */
export function pastBurnIn(points: number, nEff: number | null, burnInPoints = DEFAULT_BURN_IN_POINTS, minEffectiveN = DEFAULT_MIN_EFFECTIVE_N): boolean {
  return points >= burnInPoints && nEff !== null && nEff >= minEffectiveN;
}

/**
 * Planned n_eff at the end of the canary (brief §1.8 default): the configured
 * `plannedEffectiveN`, else the current n_eff scaled to the planned number of looks
 * (n_eff·plannedLooks/look), floored at 15. Frozen by the caller at the metric's first
 * decision-eligible look; it only tunes power, never validity.
 */
export function plannedEffectiveN(configured: number | null | undefined, nEff: number, look: number, plannedLooks: number | undefined): number {
  if (configured != null && configured > 0) return configured;
  const scaled = plannedLooks !== undefined && plannedLooks > look ? (nEff * plannedLooks) / look : nEff;
  return Math.max(MIN_PLANNED_EFFECTIVE_N, scaled);
}
