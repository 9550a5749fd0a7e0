// What a Kayenta score does not say: metrics judged on no data or on too few points, and which
// metrics kept a canary from passing. Applied to the judge's result in an execution (the judge
// itself stays Kayenta's, bit for bit); with `strict`, missing data makes the verdict Inconclusive.
import type { CanaryJudgeResult, MetricSetPair, ScoreThresholds, SummaryClassification } from '../judge/types.ts';

/** Below this many points per side, Kayenta's docs (and users' reports) call the result unreliable. */
export const MIN_POINTS = 50;

export type Verdict = SummaryClassification | 'Inconclusive';

/** A metric's series pair with no data or fewer than MIN_POINTS real (non-NaN) points on a side. */
export interface DataGap {
  metric: string;
  tags: Record<string, string>;
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
  /** canaria: series pairs with no data or fewer than MIN_POINTS points on a side. */
  dataGaps?: DataGap[];
};

const real = (values: number[]) => values.reduce((n, v) => (Number.isNaN(v) ? n : n + 1), 0);

/** `latency` or, for one of several series of a metric, `latency{region="eu"}`. */
export function seriesName(name: string, tags: Record<string, string> | undefined): string {
  const entries = Object.entries(tags ?? {});
  return entries.length > 0 ? `${name}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : name;
}

/** The pairs of counted (not muted) metrics with no data or fewer than MIN_POINTS real points on a side. */
export function dataGaps(pairs: readonly MetricSetPair[], muted: ReadonlySet<string> = new Set()): DataGap[] {
  return pairs.flatMap((p) => {
    if (muted.has(p.name)) return [];
    const control = real(p.values.control);
    const experiment = real(p.values.experiment);
    return Math.min(control, experiment) < MIN_POINTS ? [{ metric: p.name, tags: p.tags ?? {}, control, experiment }] : [];
  });
}

const distinct = (names: string[]) => [...new Set(names)];

/** "1 of 3 metrics had no data: latency_p99; 1 of 3 metrics had fewer than 50 points on a side: errors (control 12, experiment 80)". */
export function describeGaps(gaps: readonly DataGap[], metricCount: number): string | undefined {
  if (gaps.length === 0) return undefined;
  const none = gaps.filter((g) => g.control === 0 || g.experiment === 0);
  const thin = gaps.filter((g) => g.control > 0 && g.experiment > 0);
  const parts: string[] = [];
  if (none.length) {
    const metrics = distinct(none.map((g) => g.metric)).length;
    parts.push(`${metrics} of ${metricCount} metrics had no data: ${distinct(none.map((g) => seriesName(g.metric, g.tags))).join(', ')}`);
  }
  if (thin.length) {
    const metrics = distinct(thin.map((g) => g.metric)).length;
    const shown = thin.map((g) => `${seriesName(g.metric, g.tags)} (control ${g.control}, experiment ${g.experiment})`).join(', ');
    parts.push(`${metrics} of ${metricCount} metrics had fewer than ${MIN_POINTS} points on a side: ${shown}`);
  }
  return parts.join('; ');
}

/**
 * The result with a reason that names what it hides: metrics without data or with fewer than
 * MIN_POINTS points on a side, and the metrics that kept a Marginal or Fail from passing. With
 * `strict`, such data turns a Pass or Marginal into Inconclusive, its score capped at `marginal`
 * (where Argo's kayenta provider, which reads only the score, sees Inconclusive too); with pass
 * equal to marginal there is no such band, and the cap just under `pass` reads as Failed there.
 */
export function explainResult(result: CanaryJudgeResult, pairs: readonly MetricSetPair[], thresholds: ScoreThresholds, strict = false): ExplainedResult {
  const muted = new Set(result.results.filter((r) => r.muted).map((r) => r.name));
  const gaps = dataGaps(pairs, muted);
  const counted = distinct(result.results.filter((r) => !r.muted).map((r) => r.name)).length;
  const reasons: string[] = [];
  if (result.score.classificationReason) reasons.push(result.score.classificationReason);
  const notPassing = result.results.filter((r) => !r.muted && r.classification !== 'Pass' && !r.classification.startsWith('Nodata'));
  if (result.score.classification !== 'Pass' && notPassing.length > 0 && !result.score.classificationReason) {
    reasons.push(`not passing: ${distinct(notPassing.map((r) => `${seriesName(r.name, r.tags)} (${r.classification})`)).join(', ')}`);
  }
  const gapText = describeGaps(gaps, counted);
  if (gapText) reasons.push(gapText);

  const score: ExplainedResult['score'] = { ...result.score };
  if (strict && gaps.length > 0 && result.score.classification !== 'Fail') {
    const cap = thresholds.marginal < thresholds.pass ? thresholds.marginal : thresholds.pass - 0.01;
    score.classification = 'Inconclusive';
    if (result.score.score > cap) {
      score.uncappedScore = result.score.score;
      score.score = cap;
    }
    const capped = score.uncappedScore !== undefined ? ` (score ${score.uncappedScore} capped at ${cap})` : '';
    reasons.push(`strict: metrics without enough data make the verdict Inconclusive${capped}`);
  }
  score.classificationReason = reasons.join('; ');
  return { ...result, score, ...(gaps.length ? { dataGaps: gaps } : {}) };
}
