// Data shapes of the canaria-v1 judge (design brief canaria-v1-brief.md §2.3, §2.5).
// The input and output shapes are Kayenta's (../types.ts); canaria-v1 adds the sibling map
// `analysisConfigurations.canaria`, `judge.judgeConfigurations`, and `resultMetadata.canaria`.
import type { CanaryAnalysisConfiguration, Direction, JudgeCanaryConfig, ResultMetadata } from '../types.ts';

export const METRIC_KINDS = ['latency', 'errors', 'counter', 'latency-histogram', 'throughput', 'saturation'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];
export const SUB_TESTS = ['level', 'spread', 'trend'] as const;
export type SubTestName = (typeof SUB_TESTS)[number];

/** `analysisConfigurations.canaria` (brief §2.3, all optional). */
export interface CanariaMetricConfiguration {
  /** default "latency" (a metric named as another's denominator defaults to "throughput") */
  kind?: MetricKind;
  /** errors: the metric name of the exposure (request count) series; tags must match */
  denominator?: string;
  /** allowed relative degradation (0.2 = +20%); overrides the kind default */
  margin?: number;
  /** errors (and histogram exceedances): minimum absolute rate increase to fail; also lets pass be shown on the absolute scale */
  absoluteFloor?: number;
  /** latency-histogram: target quantiles, default [0.5, 0.9, 0.99] */
  quantiles?: number[];
  /** latency-histogram: fixed thresholds (bucket bounds, in the `le` unit) instead of baseline-derived ones */
  thresholds?: number[];
  /** throughput / counter: the canary's expected share of traffic (throughput default 0.5; counter: required) */
  expectedShare?: number;
  /** latency / saturation sub-tests that enter the multiple-testing correction */
  tests?: SubTestName[];
  /** the range window of the query in seconds, when the query string does not show it (else parsed from `[5m]`) */
  rangeWindowSeconds?: number;
  /** saturation: the horizon of the trend effect in minutes (default: the analysed duration) */
  horizonMinutes?: number;
}

export type MultipleTesting = 'bh' | 'by' | 'none';
export type InconclusivePolicy = 'marginal' | 'nodata' | 'pass';
export type ScoringMode = 'canaria' | 'kayenta';
export type NoTrafficPolicy = 'pass' | 'inconclusive' | 'fail';
export type SequentialMode = 'always-valid' | 'gst' | 'off';

/** `judge.judgeConfigurations` (brief §2.3; ignored by NetflixACAJudge-v1.0). */
export interface CanariaJudgeConfigurations {
  /** A/A probability of a false Fail verdict; default 0.05 */
  alpha?: number;
  /** power for the minimum detectable effect; default 0.8 */
  power?: number;
  multipleTesting?: MultipleTesting;
  /** Not implemented yet (fixed-horizon tests are used); accepted and reported in dataQuality.warnings. */
  sequential?: { mode?: SequentialMode; plannedEffectiveN?: number | null; burnInPoints?: number; minEffectiveN?: number };
  warmupMinutes?: number;
  /** MSER-5 persistence rule for fails of continuous kinds; default true */
  persistence?: boolean;
  onNoTraffic?: NoTrafficPolicy;
  inconclusive?: InconclusivePolicy;
  scoring?: ScoringMode;
  /** Read by the caller (shadow runs), not by the judge. */
  shadowJudges?: string[];
}

export interface CanariaMetricConfig {
  name: string;
  groups?: string[];
  analysisConfigurations?: { canary?: CanaryAnalysisConfiguration; canaria?: CanariaMetricConfiguration };
}

/** A Kayenta canary config as canaria-v1 reads it. */
export interface CanariaCanaryConfig extends JudgeCanaryConfig {
  metrics: CanariaMetricConfig[];
  judge?: { name?: string; judgeConfigurations?: CanariaJudgeConfigurations };
}

export type Decision = 'pass' | 'fail' | 'inconclusive' | 'nodata';

export type EffectScale = 'ratio' | 'difference';

/** One hypothesis of a metric (a metric has one, or several for level/spread/trend). */
export interface CanariaSubTest {
  test: string;
  decision: Decision;
  harm: Direction;
  effect: { measure: string; estimate: number; lower: number; upper: number; scale: EffectScale };
  pValue: number;
  pValueAdjusted: number | null;
}

/** `resultMetadata.canaria` (brief §2.5). */
export interface CanariaVerdict {
  judge: 'canaria-v1';
  kind: MetricKind;
  decision: Decision;
  /** the harm direction tested (Kayenta's `direction`, kind default) */
  harm: Direction;
  effect: {
    measure: string;
    estimate: number;
    lower: number;
    upper: number;
    /** interval level: 1 − 2α (both one-sided α bounds) */
    level: number;
    scale: EffectScale;
    absoluteDifference?: number;
  };
  margin: { relative: number; absoluteFloor?: number; onScale: { increase: number; decrease: number } };
  test: {
    name: string;
    pValue: number | null;
    pValueParts?: Record<string, number>;
    pValueAdjusted: number | null;
    adjustment: MultipleTesting;
    alpha: number;
    /** false from `judge()` (fixed horizon); true from `judgeLook()` (always-valid, brief §1.8) */
    sequential: boolean;
    /** judgeLook only: the metric's sequence at this look */
    sequence?: CanariaMetricSequence;
  };
  sample: {
    n: number;
    nEffective: number | null;
    lag1Autocorrelation?: number | null;
    paired?: boolean;
    blockSize?: number;
    events?: { experiment: number; control: number };
    exposure?: { experiment: number; control: number };
    warmupPointsExcluded: number;
    transientPointsTrimmed?: number;
  };
  power: {
    mde: number | null;
    mdeScale: EffectScale;
    power: number;
    minutesForMargin?: number | null;
    minEventsIfZeroBaseline?: number | null;
  };
  dataQuality: {
    gapsExperiment: number;
    gapsControl: number;
    overdispersion?: number | null;
    trafficShare?: number | null;
    expectedShare?: number | null;
    srm?: boolean;
    structuralZeros?: number;
    /** latency/saturation: ratio of mean absolute deviations from an 11-point rolling median (canary/baseline), reported when the spread test is not enabled */
    spreadRatio?: number | null;
    warnings: string[];
  };
  subtests?: CanariaSubTest[];
  /** latency-histogram: per target quantile, the baseline-chosen threshold and each side's interpolated quantile (display only) */
  quantiles?: Array<{ q: number; threshold: number; control: number; experiment: number }>;
  reason: string;
}

export interface CanariaResultMetadata extends ResultMetadata {
  canaria?: CanariaVerdict;
}

export interface ConfigProblem {
  field: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Repeated looks (brief §1.8; judgeLook in index.ts)

export type SequenceDecision = 'fail' | 'pass' | 'continue' | 'inconclusive';

/** `resultMetadata.canaria.test.sequence` of one metric at one look (θ scale shown as in `effect`). */
export interface CanariaMetricSequence {
  method: 'normal-mixture' | 'beta-binomial ∩ normal-mixture';
  /** look index of the sequence (1-based) */
  look: number;
  /** looks at which this metric was judged so far (this one included) */
  looks: number;
  decision: SequenceDecision;
  /** the confidence sequence at this look (level 1 − 2α, both one-sided α bounds), display scale */
  interval: { lower: number; upper: number; level: number; scale: EffectScale };
  /** harm-side e-value of this look (capped at 1e300); e-BH across metrics uses these */
  eValue: number;
  /** always-valid p: min over looks of min(1, 1/e) */
  alwaysValidP: number;
  /** planned n_eff the mixture is tuned for (frozen at the first look past burn-in); null before */
  plannedEffectiveN: number | null;
  /** false while in burn-in (fewer than burnInPoints points or n_eff < minEffectiveN) */
  pastBurnIn: boolean;
}

/** Per metric (key: name + tags) state kept between looks. */
export interface SequenceMetricState {
  looks: number;
  /** per hypothesis (level / spread / trend / rate / exceedance / share) */
  tests: Record<string, { plannedEffectiveN: number | null; minP: number }>;
  decision: SequenceDecision;
  /** the stopped answer of this metric (only once the sequence stopped) */
  label?: string;
  reason?: string;
}

/** What a caller stores between looks of one sequence (small JSON; pass it back as `previous`). */
export interface SequenceState {
  version: 1;
  judge: 'canaria-v1';
  /** looks taken so far */
  looks: number;
  /** the look at which the sequence stopped (fail / pass / inconclusive), null while running */
  stoppedAtLook: number | null;
  decision: SequenceDecision;
  metrics: Record<string, SequenceMetricState>;
  /** the stopped answer, repeated by later looks */
  final?: { score: number; classification: string; classificationReason: string };
}

/** Options of one look. */
export interface LookOptions {
  /** planned number of looks; the look with this index is the last (tunes the mixture, never validity) */
  plannedLooks?: number;
  /** this look is the last one (lifetime end) whatever plannedLooks says */
  final?: boolean;
}

/** Top-level `canaria` object of a look's result (brief §2.4). */
export interface CanariaLookSummary {
  stop: SequenceDecision;
  lookIndex: number;
  stoppedAtLook: number | null;
  plannedLooks: number | null;
  /** no minimum between looks: the sequence is valid at any look times */
  nextLookMinimumMinutes: number;
  /** GST mode only (not built); always null */
  alphaSpent: null;
  reason: string;
}
