// canaria-v1: a canary judge for autocorrelated time series and counts (design brief
// canaria-v1-brief.md; user documentation docs/judge.md, canaria-v1). Pure: no I/O, no randomness.
// Same call shape as NetflixACAJudge-v1.0 (../judge.ts); the result is a Kayenta CanaryJudgeResult
// with the full decision in each metric's resultMetadata.canaria.
//
// Layout: numerics.ts (§1.9), ess.ts (§1.1, trend), counts.ts (§1.2–1.3), series.ts (alignment,
// blocking), warmup.ts (§1.5), multiplicity.ts (§1.7), config.ts (§2.3), kinds.ts (§2.1–2.2),
// verdict.ts (§2.4–2.5), sequential.ts (§1.8: the always-valid pieces; `judgeLook` below uses them).
import { UnknownMetricError } from '../judge.ts';
import type { CanaryAnalysisResult, CanaryJudgeResult, MetricSetPair, ScoreThresholds } from '../types.ts';
import { checkConfig as checkCanariaConfig, checkMetricConfig, resolveJudgeSettings, resolveMetricSettings, type JudgeSettings } from './config.ts';
import { analyseMetric, describe, fmt, fmtCount, fmtN, fmtPct, fmtRatio, sameTags, type Hypothesis, type MetricAnalysis } from './kinds.ts';
import { qnorm, qt } from './numerics.ts';
import { betaBinomialCs, betaBinomialLogE, capE, DEFAULT_BURN_IN_POINTS, mixtureKappa2, normalSequence, pastBurnIn, plannedEffectiveN } from './sequential.ts';
import type {
  CanariaCanaryConfig,
  CanariaLookSummary,
  CanariaMetricSequence,
  CanariaResultMetadata,
  CanariaVerdict,
  ConfigProblem,
  LookOptions,
  SequenceDecision,
  SequenceMetricState,
  SequenceState,
} from './types.ts';
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

/**
 * Pair problems a caller who supplies the pairs (POST /judge, canaria judge) must fix, each
 * naming the field: an errors metric's pair without a denominator pair of the same tags.
 * (In an analysis canaria fetched the pairs itself: there the metric becomes Error instead.)
 */
export function checkPairs(canaryConfig: CanariaCanaryConfig, metricSetPairList: readonly MetricSetPair[]): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const showTags = (t: Record<string, string> = {}) => JSON.stringify(t);
  metricSetPairList.forEach((pair, i) => {
    const metric = canaryConfig.metrics.find((m) => m.name === pair.name);
    const c = metric?.analysisConfigurations?.canaria;
    if (c?.kind !== 'errors' || typeof c.denominator !== 'string') return;
    const denominators = metricSetPairList.filter((p) => p.name === c.denominator);
    if (denominators.length === 0) out.push({ field: `metricSetPairList[${i}]`, message: `errors metric ${JSON.stringify(pair.name)} needs the pairs of its denominator ${JSON.stringify(c.denominator)}, and there are none` });
    else if (!denominators.some((d) => sameTags(d.tags, pair.tags))) {
      out.push({ field: `metricSetPairList[${i}].tags`, message: `no pair of the denominator ${JSON.stringify(c.denominator)} has the tags ${showTags(pair.tags)} (its pairs have ${denominators.map((d) => showTags(d.tags)).join(', ')})` });
    }
  });
  return out;
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
  const units = buildUnits(canaryConfig, metricSetPairList, groups, settings);
  const decisions = decideAll(units, settings);
  const results: CanaryAnalysisResult[] = units.map((u, i) => buildResult(u, decisions[i], groups[i], settings));
  const summary = settings.scoring === 'kayenta' ? kayentaScore(results, canaryConfig.classifier?.groupWeights, thresholds) : canariaScore(units, decisions, canaryConfig.classifier?.groupWeights, thresholds, settings);
  return { judgeName: JUDGE_NAME, results, groupScores: summary.groupScores, score: summary.score };
}

/** The per-metric analyses (fixed-horizon statistics) of a call, one unit per pair group. */
function buildUnits(canaryConfig: CanariaCanaryConfig, metricSetPairList: readonly MetricSetPair[], groups: PairGroup[], settings: JudgeSettings): Unit[] {
  return groups.map((g) => {
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
    power: { ...a.power },
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

// ---------------------------------------------------------------------------------------------
// Repeated looks (brief §1.8): one look of an always-valid sequence.

/** A look's result: a Kayenta CanaryJudgeResult plus the top-level `canaria` object (brief §2.4). */
export type CanaryLookResult = CanaryJudgeResult & { canaria: CanariaLookSummary };

const metricKey = (name: string, tags: Record<string, string>) => `${name}${Object.keys(tags).length > 0 ? tagKey(tags) : ''}`;

interface SeqInfo {
  method: CanariaMetricSequence['method'];
  logE: number;
  lower: number;
  upper: number;
  plannedEffectiveN: number | null;
  pastBurnIn: boolean;
  minP: number;
}

function effectText(h: Hypothesis, theta: number): string {
  const v = h.display(theta);
  if (h.displayScale !== 'ratio') return Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v))}` : fmt(v);
  return h.measure === 'meanRatio' || h.measure === 'trendRatio' ? fmtPct(v) : fmtRatio(v);
}

/**
 * The always-valid version of one fixed-horizon hypothesis at this look: the interval becomes the
 * confidence sequence, the harm p becomes 1/e (so the judge's BH is e-BH), `enough` becomes
 * "past burn-in and the n_eff guard", and the persistence rule is dropped (burn-in replaces it).
 */
function sequentialHypothesis(
  h: Hypothesis,
  a: MetricAnalysis,
  j: JudgeSettings,
  seq: { burnInPoints: number; plannedEffectiveN: number | null | undefined; plannedLooks: number | undefined },
  look: number,
  prev: { plannedEffectiveN: number | null; minP: number } | undefined,
): { h: Hypothesis; info: SeqInfo } {
  const alpha = j.alpha;
  const nEff = h.nEff;
  const past = h.enough && nEff !== null && pastBurnIn(a.sample.n, nEff, seq.burnInPoints, j.minEffectiveN);
  let nStar = prev?.plannedEffectiveN ?? null;
  if (past && nStar === null) nStar = plannedEffectiveN(seq.plannedEffectiveN, nEff, look, seq.plannedLooks);
  // before burn-in the figures are shown with the floor tuning; no decision is taken on them
  const kappa2 = mixtureKappa2(2 * alpha, nStar ?? plannedEffectiveN(seq.plannedEffectiveN, nEff ?? 2, look, seq.plannedLooks));
  const harm = h.harm;
  const ne = nEff ?? 2;
  const isCount = h.test === 'rate' || h.test === 'exceedance';
  // SE from the fixed-horizon interval estimate ± q·SE (q of the test that made it; z when the
  // interval is a hull or Welch's ν is not kept: a larger SE, conservative)
  const seFrom = (lower: number, upper: number, q: number) => (Number.isFinite(lower) && Number.isFinite(upper) ? (upper - lower) / (2 * q) : Infinity);
  const qz = qnorm(1 - alpha);
  const qFixed = h.testName === 'paired ESS-t' || h.test === 'spread' ? qt(1 - alpha, Math.max(1, ne - 1)) : h.test === 'trend' ? qt(1 - alpha, Math.max(1, ne - 2)) : qz;
  let logE: number;
  let lower: number;
  let upper: number;
  let method: SeqInfo['method'] = 'normal-mixture';
  let floor = h.floor;
  let passUpper = h.passUpper;
  let passLower = h.passLower;
  if (!isCount) {
    const se = seFrom(h.lower, h.upper, qFixed);
    const centre = Number.isFinite(se) ? (h.lower + h.upper) / 2 : h.estimate;
    if (!Number.isFinite(se)) {
      logE = 0;
      lower = -Infinity;
      upper = Infinity;
    } else {
      const s = normalSequence(centre, se, ne, kappa2, alpha, harm);
      logE = s.logE;
      lower = s.lower;
      upper = s.upper;
    }
  } else {
    method = 'beta-binomial ∩ normal-mixture';
    const ev = a.sample.events ?? { experiment: 0, control: 0 };
    const ex = a.sample.exposure ?? { experiment: 0, control: 0 };
    const pi0 = ex.experiment / (ex.experiment + ex.control);
    const side = harm === 'increase' ? 'increase' : harm === 'decrease' ? 'decrease' : 'two-sided';
    const bbLogE = betaBinomialLogE(ev.experiment, ev.control, pi0, side);
    const bb = betaBinomialCs(ev.experiment, ev.control, pi0, alpha);
    // robust leg: the per-bucket rate differences (the floor's interval), as a normal mixture
    const qRobust = a.sample.paired ? qt(1 - alpha, Math.max(1, ne - 1)) : qz;
    const rSe = h.floor ? seFrom(h.floor.lower, h.floor.upper, qRobust) : Infinity;
    let rLogE = 0;
    let rLower = -Infinity;
    let rUpper = Infinity;
    if (h.floor && Number.isFinite(rSe)) {
      const s = normalSequence((h.floor.lower + h.floor.upper) / 2, rSe, ne, kappa2, alpha, harm);
      rLogE = s.logE;
      rLower = s.lower;
      rUpper = s.upper;
    }
    // intersection of the nulls: the smaller e-value; the union (hull) of the two sequences
    logE = Math.min(bbLogE, rLogE);
    const bonferroni = /Bonferroni ×(\d+)/.exec(h.testName);
    if (bonferroni) logE -= Math.log(Number(bonferroni[1])); // max over thresholds / Q ≤ their mean
    const rc = ex.control > 0 ? ev.control / ex.control : NaN;
    const toLog = (x: number) => (rc > 0 ? (rc + x > 0 ? Math.log((rc + x) / rc) : -Infinity) : x > 0 ? Infinity : x < 0 ? -Infinity : 0);
    lower = Math.min(bb.lower, toLog(rLower));
    upper = Math.max(bb.upper, toLog(rUpper));
    if (h.floor) floor = { ...h.floor, lower: rLower, upper: rUpper };
    // histograms: every threshold's bound widened as much as the tested one's (heuristic)
    if (passUpper !== undefined && Number.isFinite(passUpper)) passUpper += Math.max(0, upper - h.upper);
    if (passLower !== undefined && Number.isFinite(passLower)) passLower -= Math.max(0, h.lower - lower);
  }
  const e = capE(logE);
  const p = Math.min(1, 1 / e);
  const estimateSide = h.estimate >= 0 ? 'up' : 'down';
  const pIncrease = harm === 'increase' ? p : harm === 'decrease' ? 1 : estimateSide === 'up' ? p / 2 : 1;
  const pDecrease = harm === 'decrease' ? p : harm === 'increase' ? 1 : estimateSide === 'down' ? p / 2 : 1;
  const minP = Math.min(prev?.minP ?? 1, past ? p : 1);
  const level = Math.round((1 - 2 * alpha) * 100);
  const counts = isCount && a.sample.events && a.sample.exposure
    ? `canary ${fmtCount(a.sample.events.experiment)} / ${fmtCount(a.sample.exposure.experiment)} vs baseline ${fmtCount(a.sample.events.control)} / ${fmtCount(a.sample.exposure.control)}: `
    : '';
  const burn = past ? '' : ` — burn-in: no decision before ${seq.burnInPoints} points and n_eff ≥ ${j.minEffectiveN}`;
  const numbers =
    `${counts}${effectText(h, h.estimate)} (${level}% confidence sequence ${effectText(h, lower)} … ${effectText(h, upper)}) on n_eff ${fmtN(ne)} of ${a.sample.n} points, ` +
    `look ${look}: e-value ${fmt(e, 3)}${burn}`;
  const out: Hypothesis = {
    ...h,
    testName: `${h.testName}, always-valid (${method})`,
    lower,
    upper,
    pIncrease,
    pDecrease,
    persistence: undefined,
    floor,
    passUpper,
    passLower,
    enough: past,
    insufficient: past ? h.insufficient : `burn-in (${a.sample.n} points, n_eff ${fmtN(ne)}; decisions from ${seq.burnInPoints} points and n_eff ${j.minEffectiveN})`,
    numbers,
  };
  return { h: out, info: { method, logE, lower, upper, plannedEffectiveN: nStar, pastBurnIn: past, minP } };
}

/**
 * One look of an always-valid sequence (brief §1.8, docs/judge.md "Repeated looks").
 *
 * `metricSetPairList` is the GROWING window at this look: every point from the canary's start
 * (warm-up included; the judge drops `warmupMinutes` itself) to the look's end — the statistics
 * are recomputed from all data at every look. `previous` is the state returned by the previous
 * look (undefined at the first). `options.plannedLooks` / `options.final` mark the last look, where
 * a sequence that proved nothing ends `inconclusive` (summary Marginal); both only tune the
 * mixture and end the sequence, they never change validity (the sequence may be looked at any
 * number of times, at any times).
 *
 * Decisions (after e-BH across the non-muted metrics' harm-side e-values): stop `fail` as soon as
 * a metric's sequence rejects "no harm" and its estimate is beyond the margin (the fixed-horizon
 * materiality rule); stop `pass` when every non-muted metric's sequence lies within its margin on
 * the harm side; else `continue`. Nothing is decided before burn-in (burnInPoints, default 30, and
 * n_eff ≥ minEffectiveN, default 8). Once stopped, later looks repeat the stopped answer.
 * Same exceptions as judge().
 */
export function judgeLook(
  canaryConfig: CanariaCanaryConfig,
  metricSetPairList: readonly MetricSetPair[],
  thresholds: ScoreThresholds,
  previous?: SequenceState | null,
  options: LookOptions = {},
): { result: CanaryLookResult; state: SequenceState } {
  const base = resolveJudgeSettings(canaryConfig);
  const settings: JudgeSettings = {
    ...base,
    // e-BH = BH on 1/e under any dependence: BY is not needed
    multipleTesting: base.multipleTesting === 'none' ? 'none' : 'bh',
    persistence: false,
    sequentialMode: 'always-valid',
    // The only judge-level warning is judge()'s "sequential.mode … not implemented": not so here.
    warnings: [],
  };
  const sc = canaryConfig.judge?.judgeConfigurations?.sequential ?? {};
  const seq = { burnInPoints: sc.burnInPoints ?? DEFAULT_BURN_IN_POINTS, plannedEffectiveN: sc.plannedEffectiveN, plannedLooks: options.plannedLooks };
  const look = (previous?.looks ?? 0) + 1;
  const final = options.final === true || (options.plannedLooks !== undefined && look >= options.plannedLooks);
  const groups = groupPairs(canaryConfig, metricSetPairList);
  const units = buildUnits(canaryConfig, metricSetPairList, groups, settings);
  const keys = units.map((u, i) => metricKey(u.name, groups[i].tags));
  const infos: Array<Map<number, SeqInfo>> = units.map(() => new Map());
  const seqUnits: Unit[] = units.map((u, i) => {
    const o = u.analysis.outcome;
    if (o.type !== 'tested') return u;
    const prevMetric = previous?.metrics[keys[i]];
    const hypotheses = o.hypotheses.map((h, k) => {
      const r = sequentialHypothesis(h, u.analysis, settings, seq, look, prevMetric?.tests[h.test]);
      infos[i].set(k, r.info);
      return r.h;
    });
    return { ...u, analysis: { ...u.analysis, outcome: { type: 'tested', hypotheses } } };
  });
  const decisions = decideAll(seqUnits, settings);
  const results: CanaryAnalysisResult[] = seqUnits.map((u, i) => buildResult(u, decisions[i], groups[i], settings));
  const summary = settings.scoring === 'kayenta' ? kayentaScore(results, canaryConfig.classifier?.groupWeights, thresholds) : canariaScore(seqUnits, decisions, canaryConfig.classifier?.groupWeights, thresholds, settings);

  // the look's decision
  const scored = seqUnits.map((u, i) => ({ u, d: decisions[i] })).filter((x) => !x.u.muted);
  const anyFail = scored.some((x) => x.d.decision === 'fail' || x.d.criticalFail);
  const allPass = scored.length > 0 && scored.every((x) => x.d.decision === 'pass');
  const stopped = previous?.stoppedAtLook != null ? previous : null;
  const stop: SequenceDecision = stopped ? stopped.decision : anyFail ? 'fail' : allPass ? 'pass' : final ? 'inconclusive' : 'continue';
  const metricDecision = (d: UnitDecision): SequenceDecision => (d.decision === 'fail' ? 'fail' : d.decision === 'pass' ? 'pass' : final || (stop !== 'continue' && !stopped) ? 'inconclusive' : 'continue');

  const metrics: Record<string, SequenceMetricState> = {};
  results.forEach((r, i) => {
    const prevMetric = previous?.metrics[keys[i]];
    const d = decisions[i];
    const tests: SequenceMetricState['tests'] = { ...(prevMetric?.tests ?? {}) };
    const o = seqUnits[i].analysis.outcome;
    if (o.type === 'tested' && !stopped) o.hypotheses.forEach((h, k) => {
      const info = infos[i].get(k)!;
      tests[h.test] = { plannedEffectiveN: info.plannedEffectiveN, minP: info.minP };
    });
    const looks = (prevMetric?.looks ?? 0) + 1;
    let decision = metricDecision(d);
    if (stopped && prevMetric) {
      decision = prevMetric.decision;
      if (prevMetric.label) r.classification = prevMetric.label as CanaryAnalysisResult['classification'];
      if (prevMetric.reason) r.classificationReason = prevMetric.reason;
    }
    metrics[keys[i]] = { looks, tests, decision, ...(stopped ? { label: prevMetric?.label, reason: prevMetric?.reason } : stop !== 'continue' ? { label: r.classification, reason: r.classificationReason } : {}) };
    const verdict = (r.resultMetadata as CanariaResultMetadata).canaria;
    if (!verdict) return;
    verdict.test.sequential = true;
    if (stopped && prevMetric) verdict.decision = prevMetric.decision === 'fail' ? 'fail' : prevMetric.decision === 'pass' ? 'pass' : 'inconclusive';
    const hp = d.primary >= 0 ? d.hypotheses[d.primary].h : undefined;
    const info = hp && o.type === 'tested' ? infos[i].get(o.hypotheses.indexOf(hp)) : undefined;
    if (hp && info) {
      verdict.test.sequence = {
        method: info.method,
        look,
        looks,
        decision,
        interval: { lower: hp.display(info.lower), upper: hp.display(info.upper), level: 1 - 2 * settings.alpha, scale: hp.displayScale },
        eValue: capE(info.logE),
        alwaysValidP: info.minP,
        plannedEffectiveN: info.plannedEffectiveN,
        pastBurnIn: info.pastBurnIn,
      };
    }
  });

  let score = summary.score;
  if (stopped?.final) score = { ...stopped.final, classification: stopped.final.classification as CanaryJudgeResult['score']['classification'] };
  else if (stop === 'continue' && score.classification === 'Fail') {
    // no metric's sequence failed: a look without a decision never fails the run (missing data included)
    score = { score: thresholds.marginal, classification: 'Marginal', classificationReason: `no decision yet: ${score.classificationReason}` };
  }
  const stoppedAtLook = stopped ? stopped.stoppedAtLook : stop === 'continue' ? null : look;
  const reason =
    stop === 'continue'
      ? `look ${look}: continue — nothing proven yet; ${score.classificationReason}`
      : `stopped ${stop === 'inconclusive' ? 'inconclusive at the last look' : stop === 'fail' ? 'failed' : 'passed'} at look ${stoppedAtLook}: ${score.classificationReason}`;
  const state: SequenceState = {
    version: 1,
    judge: 'canaria-v1',
    looks: look,
    stoppedAtLook,
    decision: stop,
    metrics,
    ...(stopped?.final ? { final: stopped.final } : stop !== 'continue' ? { final: { score: score.score, classification: score.classification, classificationReason: score.classificationReason } } : {}),
  };
  const result: CanaryLookResult = {
    judgeName: JUDGE_NAME,
    results,
    groupScores: summary.groupScores,
    score,
    canaria: { stop, lookIndex: look, stoppedAtLook, plannedLooks: options.plannedLooks ?? null, nextLookMinimumMinutes: 0, alphaSpent: null, reason },
  };
  return { result, state };
}
