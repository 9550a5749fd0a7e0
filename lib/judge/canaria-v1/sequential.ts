// Repeated looks (brief §1.8) — NOT BUILT YET. This file marks where the sequential pieces go:
//
// - continuous kinds: the normal-mixture confidence sequence / mSPRT on the ESS-t statistic
//   (Λ = (1 + V)^{−1/2}·exp(z²V/(2(1 + V))), V = n_eff·κ², κ² from plannedEffectiveN),
//   burn-in 30 points and n_eff ≥ 8;
// - count kinds: the beta-binomial mixture e-process (Lindon & Malek), min with the robust CS;
// - across metrics: e-BH (Wang & Ramdas);
// - judge result: a top-level `canaria` object {stop, lookIndex, nextLookMinimumMinutes, alphaSpent}.
//
// Until then `judge.judgeConfigurations.sequential.mode` other than "off" is accepted, reported in
// every metric's dataQuality.warnings, and fixed-horizon tests are used (valid for one look).
// The per-metric analysis (kinds.ts) already returns n_eff, SE and the counts these need.

/** The sequential modes the config accepts; only "off" is implemented. */
export const IMPLEMENTED_SEQUENTIAL_MODES = ['off'] as const;
