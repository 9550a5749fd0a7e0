// Per-metric classification: Kayenta's MannWhitneyClassifier (judge-spec.md §3.2, §3.7, §5).
import { mannWhitneySorted, rankSumsOf } from './mann-whitney.ts';
import { mean, sortedCopy } from './stats.ts';
import type {
  CanaryAnalysisConfiguration,
  EffectSizeMeasure,
  MetricClassification,
  MetricParameters,
  ResultMetadata,
} from './types.ts';

export interface ClassifierOptions {
  /** Band around the estimate: tolerance·|estimate|. The judge uses 0.25. */
  tolerance: number;
  /** Confidence level of the interval. The judge uses 0.98. */
  confidenceLevel: number;
  /** Uniform [0, 1) source for the degenerate-input noise (§4.1). */
  random?: () => number;
}

export const JUDGE_CLASSIFIER: ClassifierOptions = { tolerance: 0.25, confidenceLevel: 0.98 };

/** Applies Kayenta's defaults to `analysisConfigurations.canary`. */
export function resolveParameters(c: CanaryAnalysisConfiguration = {}): MetricParameters {
  const measure: EffectSizeMeasure = c.effectSize?.measure === 'cles' ? 'cles' : 'meanRatio';
  const defaultBound = measure === 'cles' ? 0.5 : 1.0;
  return {
    direction: c.direction ?? 'either',
    nanStrategy: c.nanStrategy ?? 'remove',
    outlierStrategy: c.outliers?.strategy ?? 'keep',
    outlierFactor: c.outliers?.outlierFactor ?? 3.0,
    critical: c.critical ?? false,
    mustHaveData: c.mustHaveData ?? false,
    muted: c.muted ?? false,
    measure,
    allowedIncrease: c.effectSize?.allowedIncrease ?? defaultBound,
    allowedDecrease: c.effectSize?.allowedDecrease ?? defaultBound,
    criticalIncrease: c.effectSize?.criticalIncrease ?? defaultBound,
    criticalDecrease: c.effectSize?.criticalDecrease ?? defaultBound,
  };
}

/** mean(E) / mean(C); NaN when either mean is exactly zero. */
export function meanRatio(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const c = mean(control);
  const e = mean(experiment);
  if (c === 0 || e === 0) return NaN;
  return e / c;
}

/** Common-language effect size P(E > C) + ½P(E = C), from E's rank sum at no shift (m = |E|, n = |C|). */
function clesOf(experimentRankSum: number, m: number, n: number): number {
  return (2 * experimentRankSum - m * (m + 1)) / (2 * n * m);
}

export function cles(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const e = sortedCopy(experiment);
  const c = sortedCopy(control);
  return clesOf(rankSumsOf(e, c)(0).rankSumX, e.length, c.length);
}

export interface MetricClassificationOutcome {
  classification: MetricClassification;
  reason?: string;
  /** The mean ratio, reported as resultMetadata.ratio. */
  deviation: number;
  critical: boolean;
  /** canaria's additions, present when the Mann-Whitney comparison ran. */
  test?: Omit<ResultMetadata, 'ratio'>;
}

/**
 * Classifies one metric from its transformed (NaN- and outlier-handled) samples.
 * Throws only where Kayenta's classifier throws (all observations tied).
 */
export function classifyMetric(
  name: string,
  control: ArrayLike<number>,
  experiment: ArrayLike<number>,
  params: MetricParameters,
  options: ClassifierOptions = JUDGE_CLASSIFIER,
): MetricClassificationOutcome {
  if (experiment.length === 0 || control.length === 0) {
    if (params.nanStrategy === 'replace') return { classification: 'Pass', deviation: 1.0, critical: false };
    const reason = `Missing data for ${name}`;
    if (params.mustHaveData && !params.critical) {
      return { classification: 'NodataFailMetric', reason, deviation: 1.0, critical: false };
    }
    return { classification: 'Nodata', reason, deviation: 1.0, critical: params.critical };
  }

  let e = sortedCopy(experiment);
  let c = sortedCopy(control);
  if (e.length === c.length && e.every((v, i) => v === c[i])) {
    return {
      classification: 'Pass',
      reason: 'The Canary and Baseline data are identical',
      deviation: 1.0,
      critical: false,
    };
  }
  const eConstant = e[0] === e[e.length - 1];
  const cConstant = c[0] === c[c.length - 1];
  if (eConstant && cConstant && e[0] === c[0]) return { classification: 'Pass', deviation: 1.0, critical: false };

  let eRaw: ArrayLike<number> = experiment;
  let cRaw: ArrayLike<number> = control;
  if (eConstant && cConstant) {
    // Two different constants: Kayenta adds N(0, (v·1e-5)²) noise to each sample.
    const random = options.random ?? Math.random;
    eRaw = addNoise(e, e[0] * 1e-5, random);
    cRaw = addNoise(c, c[0] * 1e-5, random);
    e = sortedCopy(eRaw);
    c = sortedCopy(cRaw);
  }

  // One set of tie groups for the interval and the effect size.
  const rankSumsAt = rankSumsOf(e, c);
  const mw = mannWhitneySorted(e, c, options.confidenceLevel, rankSumsAt);
  const ratio = meanRatio(cRaw, eRaw);
  const effectSize = params.measure === 'cles' ? clesOf(rankSumsAt(0).rankSumX, e.length, c.length) : ratio;
  const upperBound = options.tolerance * Math.abs(mw.estimate);
  const lowerBound = -upperBound;
  const test = {
    lowerConfidence: mw.lowerConfidence,
    upperConfidence: mw.upperConfidence,
    estimate: mw.estimate,
    effectSize,
    effectSizeMeasure: params.measure,
    confidenceLevel: options.confidenceLevel,
    pValue: mw.pValue,
  };

  let label: 'High' | 'Low' | 'Pass' = 'Pass';
  if (
    params.direction !== 'decrease' &&
    mw.lowerConfidence > upperBound &&
    (Number.isNaN(effectSize) || effectSize >= params.allowedIncrease)
  ) {
    label = 'High';
  } else if (
    params.direction !== 'increase' &&
    mw.upperConfidence < lowerBound &&
    (Number.isNaN(effectSize) || effectSize <= params.allowedDecrease)
  ) {
    label = 'Low';
  }

  if (params.critical) {
    if (label === 'High' && (Number.isNaN(effectSize) || effectSize >= params.criticalIncrease)) {
      return { classification: 'High', reason: `The metric ${name} was classified as High (Critical)`, deviation: ratio, critical: true, test };
    }
    if (label === 'Low' && (Number.isNaN(effectSize) || effectSize <= params.criticalDecrease)) {
      return { classification: 'Low', reason: `The metric ${name} was classified as Low (Critical)`, deviation: ratio, critical: true, test };
    }
  }
  const reason = label === 'Pass' ? undefined : `${name} was classified as ${label}`;
  return { classification: label, reason, deviation: ratio, critical: false, test };
}

function addNoise(sorted: Float64Array, scale: number, random: () => number): number[] {
  return Array.from(sorted, (v) => v + gaussian(random) * scale);
}

/** Standard normal deviate (Box-Muller). */
function gaussian(random: () => number): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
