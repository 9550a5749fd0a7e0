// Data shapes of NetflixACAJudge-v1.0 (judge-spec.md §2, §8, §14).
// Inputs are already validated (lib/config/judge-request.ts): NaN is a number here.

export type Direction = 'increase' | 'decrease' | 'either';
export type NanStrategy = 'remove' | 'replace';
export type OutlierStrategy = 'remove' | 'keep';
export type EffectSizeMeasure = 'meanRatio' | 'cles';

/** `analysisConfigurations.canary` as stored in a canary config (all keys optional). */
export interface CanaryAnalysisConfiguration {
  direction?: Direction;
  nanStrategy?: NanStrategy;
  critical?: boolean;
  mustHaveData?: boolean;
  muted?: boolean;
  outliers?: { strategy?: OutlierStrategy; outlierFactor?: number };
  effectSize?: {
    measure?: EffectSizeMeasure;
    allowedIncrease?: number;
    allowedDecrease?: number;
    criticalIncrease?: number;
    criticalDecrease?: number;
  };
}

/** The per-metric parameters with Kayenta's defaults applied (judge-spec.md §3.2). */
export interface MetricParameters {
  direction: Direction;
  nanStrategy: NanStrategy;
  outlierStrategy: OutlierStrategy;
  outlierFactor: number;
  critical: boolean;
  mustHaveData: boolean;
  muted: boolean;
  measure: EffectSizeMeasure;
  allowedIncrease: number;
  allowedDecrease: number;
  criticalIncrease: number;
  criticalDecrease: number;
}

/** The part of a canary config the judge reads. */
export interface JudgeCanaryConfig {
  metrics: Array<{
    name: string;
    groups?: string[];
    analysisConfigurations?: { canary?: CanaryAnalysisConfiguration };
  }>;
  classifier?: { groupWeights?: Record<string, number> };
}

export interface MetricSetPair {
  name: string;
  id?: string;
  tags?: Record<string, string>;
  values: { control: number[]; experiment: number[] };
  scopes?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
}

export interface ScoreThresholds {
  pass: number;
  marginal: number;
}

export type MetricClassification = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric' | 'Error';
export type SummaryClassification = 'Pass' | 'Marginal' | 'Fail';

export interface Stats {
  min: number;
  max: number;
  mean: number;
  std: number;
  count: number;
}

export interface ResultMetadata {
  ratio: number;
  lowerConfidence?: number;
  upperConfidence?: number;
  estimate?: number;
  effectSize?: number;
  effectSizeMeasure?: EffectSizeMeasure;
  confidenceLevel?: number;
  pValue?: number;
}

export interface CanaryAnalysisResult {
  name: string;
  id?: string;
  tags: Record<string, string>;
  classification: MetricClassification;
  classificationReason?: string;
  groups: string[];
  experimentMetadata: { stats: Stats };
  controlMetadata: { stats: Stats };
  resultMetadata?: ResultMetadata;
  critical: boolean;
  muted: boolean;
}

export interface CanaryJudgeGroupScore {
  name: string;
  score: number;
  classification: string;
  classificationReason: string;
}

export interface CanaryJudgeScore {
  score: number;
  classification: SummaryClassification;
  classificationReason: string;
}

export interface CanaryJudgeResult {
  judgeName: string;
  results: CanaryAnalysisResult[];
  groupScores: CanaryJudgeGroupScore[];
  score: CanaryJudgeScore;
}
