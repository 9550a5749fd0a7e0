// canaria-v1: a canary judge for autocorrelated time series and counts (design brief
// canaria-v1-brief.md; user documentation docs/judge.md, canaria-v1). Pure: no I/O, no randomness.
// Same call shape as NetflixACAJudge-v1.0 (../judge.ts); the result is a Kayenta CanaryJudgeResult
// with the full decision in each metric's resultMetadata.canaria.
//
// Layout: numerics.ts (§1.9), ess.ts (§1.1, trend), counts.ts (§1.2–1.3), series.ts (alignment,
// blocking), warmup.ts (§1.5), multiplicity.ts (§1.7), config.ts (§2.3), kinds.ts (§2.1–2.2),
// verdict.ts (§2.4–2.5), sequential.ts (§1.8, not built yet).
import { UnknownMetricError } from '../judge.ts';
import type { CanaryAnalysisResult, CanaryJudgeResult, MetricSetPair, ScoreThresholds } from '../types.ts';
import { checkConfig as checkCanariaConfig, checkMetricConfig, resolveJudgeSettings, resolveMetricSettings, type JudgeSettings } from './config.ts';
import { analyseMetric, describe, type MetricAnalysis } from './kinds.ts';
import type { CanariaCanaryConfig, CanariaResultMetadata, CanariaVerdict, ConfigProblem } from './types.ts';
import { canariaScore, decideAll, kayentaScore, type Unit, type UnitDecision } from './verdict.ts';

export type * from './types.ts';
export { CanariaConfigError } from './config.ts';
export { UnknownMetricError };

export const JUDGE_NAME = 'canaria-v1';

/**
 * Config problems a user must fix, each naming the field, e.g.
 * {field: 'metrics[2].analysisConfigurations.canaria.denominator', message: 'names no metric of this config: "reqs"'}.
 * Empty when fine. Pure.
 */
export function checkConfig(canaryConfig: CanariaCanaryConfig): Array<{ field: string; message: string }> {
  return checkCanariaConfig(canaryConfig);
}

interface PairGroup {
  metricIndex: number;
  pairs: MetricSetPair[];
  tags: Record<string, string>;
}

const tagKey = (tags: Record<string, string>) => JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** One unit per pair; a latency-histogram metric's pairs are grouped by their tags without `le`. */
function groupPairs(canaryConfig: CanariaCanaryConfig, pairs: readonly MetricSetPair[]): PairGroup[] {
  const out: PairGroup[] = [];
  const histogramGroups = new Map<string, PairGroup>();
  pairs.forEach((pair, index) => {
    const metricIndex = canaryConfig.metrics.findIndex((m) => m.name === pair.name);
    if (metricIndex < 0) throw new UnknownMetricError(pair.name, index);
    const metric = canaryConfig.metrics[metricIndex];
    if (metric.analysisConfigurations?.canaria?.kind === 'latency-histogram') {
      const { le: _le, ...rest } = pair.tags ?? {};
      void _le;
      const key = `${metricIndex}\u0000${tagKey(rest)}`;
      let g = histogramGroups.get(key);
      if (!g) {
        g = { metricIndex, pairs: [], tags: rest };
        histogramGroups.set(key, g);
        out.push(g);
      }
      g.pairs.push(pair);
    } else {
      out.push({ metricIndex, pairs: [pair], tags: pair.tags ?? {} });
    }
  });
  return out;
}

function errorAnalysis(message: string, pairs: MetricSetPair[], judge: JudgeSettings): MetricAnalysis {
  return {
    outcome: { type: 'error', message },
    kind: 'latency',
    ratio: NaN,
    experimentStats: describe(pairs[0]?.values.experiment ?? []),
    controlStats: describe(pairs[0]?.values.control ?? []),
    sample: { n: 0, nEffective: null, warmupPointsExcluded: 0 },
    power: { mde: null, mdeScale: 'ratio', power: judge.power },
    dataQuality: { gapsExperiment: 0, gapsControl: 0, warnings: [...judge.warnings] },
    margin: { relative: 0, onScale: { increase: 0, decrease: 0 } },
    testName: '',
  };
}

const problemText = (p: ConfigProblem[]) => p.map((x) => `${x.field}: ${x.message}`).join('; ');

/**
 * Judges a metric-set-pair list against a canary config with canaria-v1. Throws
 * UnknownMetricError when a pair names no configured metric (as the Kayenta port) and
 * CanariaConfigError when `judge.judgeConfigurations` is invalid; a metric whose own
 * canaria-v1 config is invalid, or whose pairs cannot be used (a missing denominator pair, …),
 * becomes `Error` with a reason naming the field.
 */
export function judge(canaryConfig: CanariaCanaryConfig, metricSetPairList: readonly MetricSetPair[], thresholds: ScoreThresholds): CanaryJudgeResult {
  const settings = resolveJudgeSettings(canaryConfig);
  const groups = groupPairs(canaryConfig, metricSetPairList);
  const units: Unit[] = groups.map((g) => {
    const metric = canaryConfig.metrics[g.metricIndex];
    const name = metric.name;
    const k = metric.analysisConfigurations?.canary ?? {};
    const base = { name, muted: k.muted ?? false, critical: k.critical ?? false, mustHaveData: k.mustHaveData ?? false, groups: metric.groups ?? [] };
    const problems = checkMetricConfig(canaryConfig, g.metricIndex);
    if (problems.length > 0) return { ...base, analysis: errorAnalysis(problemText(problems), g.pairs, settings) };
    const ms = resolveMetricSettings(canaryConfig, metric);
    try {
      const analysis = analyseMetric({ name, pairs: g.pairs, settings: ms, judge: settings, allPairs: metricSetPairList, tags: g.tags, field: `metrics[${g.metricIndex}].analysisConfigurations.canaria` });
      return { ...base, analysis, settings: ms };
    } catch (e) {
      return { ...base, analysis: errorAnalysis(`Metric Classification Failed: ${(e as Error).message}`, g.pairs, settings), settings: ms };
    }
  });
  const decisions = decideAll(units, settings);
  const results: CanaryAnalysisResult[] = units.map((u, i) => buildResult(u, decisions[i], groups[i], settings));
  const summary = settings.scoring === 'kayenta' ? kayentaScore(results, canaryConfig.classifier?.groupWeights, thresholds) : canariaScore(units, decisions, canaryConfig.classifier?.groupWeights, thresholds, settings);
  return { judgeName: JUDGE_NAME, results, groupScores: summary.groupScores, score: summary.score };
}

function buildResult(u: Unit, d: UnitDecision, g: PairGroup, judge: JudgeSettings): CanaryAnalysisResult {
  const a = u.analysis;
  const hx = d.primary >= 0 ? d.hypotheses[d.primary] : undefined;
  const h = hx?.h;
  const level = 1 - 2 * judge.alpha;
  const effect: CanariaVerdict['effect'] = h
    ? { measure: h.measure, estimate: h.display(h.estimate), lower: h.display(h.lower), upper: h.display(h.upper), level, scale: h.displayScale }
    : { measure: 'none', estimate: NaN, lower: NaN, upper: NaN, level, scale: 'ratio' };
  if (a.absoluteDifference !== undefined) effect.absoluteDifference = a.absoluteDifference;
  const verdict: CanariaVerdict = {
    judge: 'canaria-v1',
    kind: a.kind,
    decision: d.decision,
    harm: u.settings?.harm ?? 'increase',
    effect,
    margin: a.margin,
    test: {
      name: a.testName,
      pValue: hx ? hx.d.pHarm : null,
      ...(h?.pValueParts ? { pValueParts: h.pValueParts } : {}),
      pValueAdjusted: hx ? hx.d.pAdjusted : null,
      adjustment: judge.multipleTesting,
      alpha: judge.alpha,
      sequential: false,
    },
    sample: a.sample,
    power: { ...a.power, mde: a.power.mde },
    dataQuality: a.dataQuality,
    reason: d.reason,
  };
  if (d.hypotheses.length > 1) {
    verdict.subtests = d.hypotheses.map(({ h: s, d: sd }) => ({
      test: s.test,
      decision: sd.decision,
      harm: s.harm,
      effect: { measure: s.measure, estimate: s.display(s.estimate), lower: s.display(s.lower), upper: s.display(s.upper), scale: s.displayScale },
      pValue: sd.pHarm,
      pValueAdjusted: sd.pAdjusted,
    }));
  }
  if (a.quantiles) verdict.quantiles = a.quantiles;
  if (a.kind === 'throughput' && a.outcome.type === 'tested') verdict.dataQuality.srm = d.decision === 'fail';
  const resultMetadata: CanariaResultMetadata = { ratio: a.ratio, canaria: verdict };
  return {
    name: u.name,
    id: g.pairs[0]?.id,
    tags: g.tags,
    classification: d.label,
    classificationReason: d.reason,
    groups: u.groups,
    experimentMetadata: { stats: a.experimentStats },
    controlMetadata: { stats: a.controlStats },
    resultMetadata,
    critical: d.criticalFail,
    muted: u.muted,
  };
}
