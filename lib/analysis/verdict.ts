// What a Kayenta score does not say: metrics judged on no data or on too few points, and which
// metrics kept a canary from passing. Applied to the judge's result in an execution (the judge
// itself stays Kayenta's, bit for bit); with `strict`, missing data makes the verdict Inconclusive.
import type { CanaryJudgeResult, MetricSetPair, ScoreThresholds, SummaryClassification } from '../judge/types.ts';
import { MIN_POINTS } from './preview.ts';

export type Verdict = SummaryClassification | 'Inconclusive';

/** A metric whose data is missing or thin on some side (over all its tag pairs). */
export interface DataGap {
  metric: string;
  /** Real (non-NaN) points on each side, the fewest over the metric's pairs. */
  control: number;
  experiment: number;
}

/** An executed canary's result: Kayenta's, plus what it hides. */
export type ExplainedResult = Omit<CanaryJudgeResult, 'score'> & {
  score: Omit<CanaryJudgeResult['score'], 'classification'> & {
    classification: Verdict;
    /** canaria: the score before `strict` capped it. */
    uncappedScore?: number;
  };
  /** canaria: metrics with no data or fewer than MIN_POINTS points on a side. */
  dataGaps?: DataGap[];
};

const real = (values: number[]) => values.reduce((n, v) => (Number.isNaN(v) ? n : n + 1), 0);

/** Metrics (in config order) with no data or fewer than MIN_POINTS real points on a side. */
export function dataGaps(metricNames: readonly string[], pairs: readonly MetricSetPair[]): DataGap[] {
  return metricNames.flatMap((metric) => {
    const own = pairs.filter((p) => p.name === metric);
    const control = own.length ? Math.min(...own.map((p) => real(p.values.control))) : 0;
    const experiment = own.length ? Math.min(...own.map((p) => real(p.values.experiment))) : 0;
    return Math.min(control, experiment) < MIN_POINTS ? [{ metric, control, experiment }] : [];
  });
}

const list = (names: string[]) => names.join(', ');

/** "1 of 3 metrics had no data: latency_p99; 1 had fewer than 50 points on a side: errors (control 12, experiment 80)". */
export function describeGaps(gaps: readonly DataGap[], metricCount: number): string | undefined {
  if (gaps.length === 0) return undefined;
  const none = gaps.filter((g) => g.control === 0 || g.experiment === 0);
  const thin = gaps.filter((g) => g.control > 0 && g.experiment > 0);
  const parts: string[] = [];
  if (none.length) parts.push(`${none.length} of ${metricCount} metrics had no data: ${list(none.map((g) => g.metric))}`);
  if (thin.length) {
    const shown = list(thin.map((g) => `${g.metric} (control ${g.control}, experiment ${g.experiment})`));
    parts.push(`${thin.length} of ${metricCount} metrics had fewer than ${MIN_POINTS} points on a side: ${shown}`);
  }
  return parts.join('; ');
}

/**
 * The result with a reason that names what it hides: metrics without (enough) data, and the
 * metrics that kept a Marginal or Fail from passing. With `strict`, missing data turns a Pass
 * or Marginal into Inconclusive, its score capped where Argo's kayenta provider (which reads
 * only the score) sees Inconclusive too: at `marginal`, or just under `pass` when they are equal.
 */
export function explainResult(
  result: CanaryJudgeResult,
  pairs: readonly MetricSetPair[],
  metricNames: readonly string[],
  thresholds: ScoreThresholds,
  strict = false,
): ExplainedResult {
  const gaps = dataGaps(metricNames, pairs);
  const reasons: string[] = [];
  if (result.score.classificationReason) reasons.push(result.score.classificationReason);
  const notPassing = result.results.filter((r) => !r.muted && r.classification !== 'Pass' && !r.classification.startsWith('Nodata'));
  if (result.score.classification !== 'Pass' && notPassing.length > 0 && !result.score.classificationReason) {
    reasons.push(`not passing: ${list(notPassing.map((r) => `${r.name} (${r.classification})`))}`);
  }
  const gapText = describeGaps(gaps, metricNames.length);
  if (gapText) reasons.push(gapText);

  const score: ExplainedResult['score'] = { ...result.score };
  if (strict && gaps.length > 0 && result.score.classification !== 'Fail') {
    const cap = thresholds.marginal < thresholds.pass ? thresholds.marginal : thresholds.pass - 0.01;
    score.classification = 'Inconclusive';
    if (result.score.score > cap) {
      score.uncappedScore = result.score.score;
      score.score = cap;
    }
    reasons.push(`strict: missing data makes the verdict Inconclusive${score.uncappedScore !== undefined ? ` (score ${score.uncappedScore} capped at ${cap})` : ''}`);
  }
  score.classificationReason = reasons.join('; ');
  return { ...result, score, ...(gaps.length ? { dataGaps: gaps } : {}) };
}
