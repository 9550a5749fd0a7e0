// Kayenta's WeightedSumScorer and ThresholdScoreClassifier (judge-spec.md §6–7).
import type { CanaryAnalysisResult, CanaryJudgeGroupScore, ScoreThresholds, SummaryClassification } from './types.ts';

export interface SummaryScore {
  score: number;
  reason?: string;
  groupScores: CanaryJudgeGroupScore[];
}

interface GroupTally {
  name: string;
  counted: number;
  passed: number;
}

/** Scores the non-muted results; groups are reported in order of first appearance. */
export function weightedSumScore(results: readonly CanaryAnalysisResult[], groupWeights: Record<string, number> = {}): SummaryScore {
  const tallies = new Map<string, GroupTally>();
  for (const r of results) {
    for (const g of r.groups) {
      let t = tallies.get(g);
      if (!t) tallies.set(g, (t = { name: g, counted: 0, passed: 0 }));
      if (r.classification === 'Nodata' || r.classification === 'Error') continue;
      t.counted++;
      if (r.classification === 'Pass') t.passed++;
    }
  }
  const groups = [...tallies.values()].map((t) => ({
    name: t.name,
    noData: t.counted === 0,
    score: t.counted === 0 ? 0.0 : (t.passed / t.counted) * 100,
  }));
  const groupScores = groups.map((g) => ({ name: g.name, score: g.score, classification: '', classificationReason: '' }));

  const criticalFailure = results.find((r) => r.critical && r.classification !== 'Pass');
  if (criticalFailure) {
    return { score: 0.0, reason: `Canary Failed: ${criticalFailure.classificationReason ?? 'null'}`, groupScores };
  }
  const nodata = results.filter((r) => r.classification === 'Nodata').length;
  if ((nodata / results.length) * 100 >= 50) {
    return { score: 0.0, reason: 'Canary Failed: 50% or more metrics returned NODATA', groupScores };
  }

  const weights = new Map(Object.entries(groupWeights));
  let configured = 0;
  for (const w of weights.values()) configured += w;
  const unweighted = groups.filter((g) => !weights.has(g.name)).length;
  const defaultWeight = unweighted > 0 ? (100 - configured) / unweighted : 0.0;
  let summary = 0;
  for (const g of groups) {
    const weight = weights.get(g.name) ?? defaultWeight;
    const effective = g.noData ? 100.0 : g.score;
    summary += effective * (weight / 100);
  }
  return { score: roundHalfUp(summary, 2), groupScores };
}

export function classifyScore(score: number, thresholds: ScoreThresholds): SummaryClassification {
  if (score >= thresholds.pass) return 'Pass';
  if (score >= thresholds.marginal) return 'Marginal';
  return 'Fail';
}

/**
 * commons-math Precision.round(x, scale): round the shortest decimal string of x half-up
 * (away from zero); a negative value that rounds to zero stays −0.
 */
export function roundHalfUp(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(x.toString());
  if (!m) return x;
  const [, sign, intPart, fracPart = '', exp = '0'] = m;
  const digits = intPart + fracPart;
  const cut = intPart.length + Number(exp) + scale; // digits kept before the rounding digit
  if (cut >= digits.length) return x;
  let kept = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  if (cut >= 0 && digits.charCodeAt(cut) >= 53 /* '5' */) kept += 1n;
  return Number(`${sign}${kept}e-${scale}`);
}
