// NetflixACAJudge-v1.0: classify every metric-set pair, then score (judge-spec.md §1, §3, §8).
import { kayentaJson } from '../json.ts';
import { classifyMetric, JUDGE_CLASSIFIER, resolveParameters, type ClassifierOptions } from './classifier.ts';
import { classifyScore, weightedSumScore } from './scorer.ts';
import { describe, removeNaNs, removeOutliers, replaceNaNs } from './stats.ts';
import type {
  CanaryAnalysisResult,
  CanaryJudgeResult,
  JudgeCanaryConfig,
  MetricParameters,
  MetricSetPair,
  ScoreThresholds,
} from './types.ts';

export const JUDGE_NAME = 'NetflixACAJudge-v1.0';

export class UnknownMetricError extends Error {
  readonly index: number;
  constructor(name: string, index: number) {
    super(`Could not find metric config for ${name}`);
    this.index = index;
  }
}

/** NaN strategy, then IQR outlier removal when configured (§3.3–3.4). */
export function preprocess(values: readonly number[], params: MetricParameters): readonly number[] {
  const cleaned = params.nanStrategy === 'replace' ? replaceNaNs(values) : removeNaNs(values);
  return params.outlierStrategy === 'remove' ? removeOutliers(cleaned, params.outlierFactor) : cleaned;
}

export function classifyPair(
  pair: MetricSetPair,
  metricConfig: JudgeCanaryConfig['metrics'][number],
  options: ClassifierOptions = JUDGE_CLASSIFIER,
): CanaryAnalysisResult {
  const params = resolveParameters(metricConfig.analysisConfigurations?.canary);
  const experiment = preprocess(pair.values.experiment, params);
  const control = preprocess(pair.values.control, params);
  const experimentMetadata = { stats: describe(experiment) };
  const controlMetadata = { stats: describe(control) };
  const groups = metricConfig.groups ?? [];
  // Fields in Kayenta's declaration order (CanaryAnalysisResult.java).
  const result = (outcome: Pick<CanaryAnalysisResult, 'classification' | 'classificationReason' | 'resultMetadata' | 'critical'>) => ({
    name: pair.name,
    id: pair.id,
    tags: pair.tags ?? {},
    classification: outcome.classification,
    classificationReason: outcome.classificationReason,
    groups,
    experimentMetadata,
    controlMetadata,
    resultMetadata: outcome.resultMetadata,
    critical: outcome.critical,
    muted: params.muted,
  });
  try {
    const outcome = classifyMetric(pair.name, control, experiment, params, options);
    return result({
      classification: outcome.classification,
      classificationReason: outcome.reason,
      resultMetadata: { ratio: outcome.deviation, ...outcome.test },
      critical: outcome.critical,
    });
  } catch {
    return result({ classification: 'Error', classificationReason: 'Metric Classification Failed', critical: false });
  }
}

/**
 * Judges a metric-set-pair list against a canary config. Throws UnknownMetricError when a
 * pair names no configured metric (Kayenta fails the whole call there too).
 */
export function judge(
  canaryConfig: JudgeCanaryConfig,
  metricSetPairList: readonly MetricSetPair[],
  thresholds: ScoreThresholds,
  options: ClassifierOptions = JUDGE_CLASSIFIER,
): CanaryJudgeResult {
  const results = metricSetPairList.map((pair, index) => {
    const metricConfig = canaryConfig.metrics.find((m) => m.name === pair.name);
    if (!metricConfig) throw new UnknownMetricError(pair.name, index);
    return classifyPair(pair, metricConfig, options);
  });
  const scored = weightedSumScore(
    results.filter((r) => !r.muted),
    canaryConfig.classifier?.groupWeights,
  );
  return {
    judgeName: JUDGE_NAME,
    results,
    groupScores: scored.groupScores,
    score: {
      score: scored.score,
      classification: classifyScore(scored.score, thresholds),
      classificationReason: scored.reason ?? '',
    },
  };
}

/** Kayenta's JSON: null/undefined fields omitted, NaN and infinities as strings. */
export function serializeJudgeResult(result: CanaryJudgeResult, space?: number): string {
  return kayentaJson(result, space);
}
