// Decisions after the multiple-testing step (brief §1.6, §1.7, §2.2 steps 8–10), per-metric labels
// within Kayenta's set, reason strings (§2.5), and the summary score (docs/judge.md, canaria-v1).
import { classifyScore, roundHalfUp, weightedSumScore } from '../scorer.ts';
import type { CanaryAnalysisResult, CanaryJudgeGroupScore, CanaryJudgeScore, Direction, MetricClassification, ScoreThresholds } from '../types.ts';
import type { JudgeSettings, MetricSettings } from './config.ts';
import { fmt, fmtP, fmtPct, fmtRatio, harmP, pEq, type Hypothesis, type MetricAnalysis } from './kinds.ts';
import { adjustPValues } from './multiplicity.ts';
import type { Decision, InconclusivePolicy } from './types.ts';

export type InconclusiveCause = 'insufficient' | 'transient' | 'not-material' | 'power' | 'other';

export interface HypothesisDecision {
  decision: 'pass' | 'fail' | 'inconclusive';
  /** the side a fail (or the smaller p) points to */
  side: 'up' | 'down';
  cause?: InconclusiveCause;
  pHarm: number;
  pAdjusted: number | null;
}

/** The p-value a hypothesis brings to BH: the harm p, max'ed with the trimmed series' p (persistence), 1 when guarded. */
export function bhPValue(h: Hypothesis): number {
  if (!h.enough) return 1;
  const full = harmP(h.harm, h.pIncrease, h.pDecrease);
  if (!h.persistence) return full;
  return Math.max(full, harmP(h.harm, h.persistence.pIncrease, h.persistence.pDecrease));
}

const coversUp = (harm: Direction) => harm === 'increase' || harm === 'either';
const coversDown = (harm: Direction) => harm === 'decrease' || harm === 'either';

/** Decides one hypothesis given whether BH rejected it (brief §1.6: fail / pass / inconclusive). */
export function decideHypothesis(h: Hypothesis, rejected: boolean, pAdjusted: number | null, fullAloneRejected: boolean): HypothesisDecision {
  const side: 'up' | 'down' = h.harm === 'increase' ? 'up' : h.harm === 'decrease' ? 'down' : h.pIncrease <= h.pDecrease ? 'up' : 'down';
  const pHarm = harmP(h.harm, h.pIncrease, h.pDecrease);
  const base = { side, pHarm, pAdjusted };
  if (!h.enough) return { ...base, decision: 'inconclusive', cause: 'insufficient' };
  const material = (estimate: number) => {
    const floorOk = !h.floor || (side === 'up' ? h.floor.estimate > h.floor.value : -h.floor.estimate > h.floor.value);
    return floorOk && (side === 'up' ? estimate > h.marginUp : -estimate > h.marginDown);
  };
  if (rejected) {
    const persistent = !h.persistence || material(h.persistence.estimate);
    if (material(h.estimate) && persistent) return { ...base, decision: 'fail' };
    if (material(h.estimate) && !persistent) return { ...base, decision: 'inconclusive', cause: 'transient' };
  }
  const upOk = !coversUp(h.harm) || (h.passUpper ?? h.upper) < h.marginUp || (!!h.floor && h.floor.value > 0 && h.floor.upper < h.floor.value);
  const downOk = !coversDown(h.harm) || (h.passLower ?? h.lower) > -h.marginDown || (!!h.floor && h.floor.value > 0 && h.floor.lower > -h.floor.value);
  if (upOk && downOk) return { ...base, decision: 'pass' };
  if (!rejected && fullAloneRejected && material(h.estimate)) return { ...base, decision: 'inconclusive', cause: 'transient' };
  if (rejected) return { ...base, decision: 'inconclusive', cause: 'not-material' };
  return { ...base, decision: 'inconclusive', cause: 'power' };
}

export interface Unit {
  name: string;
  analysis: MetricAnalysis;
  settings?: MetricSettings;
  muted: boolean;
  critical: boolean;
  mustHaveData: boolean;
  groups: string[];
}

export interface UnitDecision {
  decision: Decision;
  label: MetricClassification;
  /** the critical rule of Kayenta fired (score 0) */
  criticalFail: boolean;
  reason: string;
  hypotheses: Array<{ h: Hypothesis; d: HypothesisDecision }>;
  /** index into hypotheses of the one reported in effect/test */
  primary: number;
  /** for ordering failures in the summary */
  sortP: number;
  shortText: string;
}

/** Runs BH over the non-muted units' hypotheses and decides every unit. */
export function decideAll(units: readonly Unit[], judge: JudgeSettings): UnitDecision[] {
  const pool: Array<{ u: number; k: number; p: number; h: Hypothesis }> = [];
  units.forEach((unit, u) => {
    if (unit.muted || unit.analysis.outcome.type !== 'tested') return;
    unit.analysis.outcome.hypotheses.forEach((h, k) => {
      if (!h.reportOnly) pool.push({ u, k, p: bhPValue(h), h });
    });
  });
  const adjusted = adjustPValues(
    pool.map((x) => x.p),
    judge.multipleTesting,
  );
  const adjustedOf = new Map<string, number>();
  pool.forEach((x, i) => adjustedOf.set(`${x.u}/${x.k}`, adjusted[i]));
  /** would BH reject this hypothesis had it brought its full-series p (no persistence rule)? */
  const fullAlone = (idx: number): boolean => {
    const x = pool[idx];
    if (!x.h.persistence || !x.h.enough) return false;
    const ps = pool.map((y, i) => (i === idx ? harmP(y.h.harm, y.h.pIncrease, y.h.pDecrease) : y.p));
    return adjustPValues(ps, judge.multipleTesting)[idx] <= judge.alpha;
  };
  return units.map((unit, u) => decideUnit(unit, u, judge, adjustedOf, pool, fullAlone));
}

function decideUnit(
  unit: Unit,
  u: number,
  judge: JudgeSettings,
  adjustedOf: Map<string, number>,
  pool: Array<{ u: number; k: number }>,
  fullAlone: (idx: number) => boolean,
): UnitDecision {
  const a = unit.analysis;
  const o = a.outcome;
  const policyLabel = (p: InconclusivePolicy): MetricClassification => (p === 'nodata' ? 'Nodata' : 'Pass');
  const plain = (decision: Decision, label: MetricClassification, reason: string, criticalFail = false): UnitDecision => ({
    decision, label, reason, criticalFail, hypotheses: [], primary: -1, sortP: 1, shortText: reason,
  });
  switch (o.type) {
    case 'error':
      return plain('inconclusive', 'Error', `${unit.name}: ${o.message}. No verdict (configuration or input problem).`);
    case 'nodata': {
      const label: MetricClassification = unit.mustHaveData ? 'NodataFailMetric' : 'Nodata';
      const decision: Decision = 'nodata';
      const crit = unit.critical && !unit.muted;
      return plain(decision, label, `${unit.name}: ${o.message}. ${unit.mustHaveData ? 'Fails: mustHaveData is set.' : crit ? 'Fails: a critical metric without data cannot be verified.' : 'No data: not scored.'}`, crit);
    }
    case 'no-traffic': {
      const p = judge.onNoTraffic;
      const reason = `${unit.name}: ${o.message}; ${p === 'pass' ? 'passes' : p === 'fail' ? 'fails' : 'no verdict'} (onNoTraffic = ${p}).`;
      if (p === 'pass') return plain('pass', 'Pass', reason);
      if (p === 'fail') return plain('fail', 'NodataFailMetric', reason, unit.critical);
      return { ...plain('inconclusive', policyLabel(judge.inconclusive), reason), shortText: `${unit.name}: no canary traffic` };
    }
    case 'inconclusive':
      return { ...plain('inconclusive', policyLabel(judge.inconclusive), `${unit.name}: ${o.message}. Cannot tell: inconclusive.`), shortText: `${unit.name}: ${o.message}` };
    case 'tested':
      break;
  }
  const hyps = o.hypotheses.map((h, k) => {
    const key = `${u}/${k}`;
    const adj = adjustedOf.get(key);
    let d: HypothesisDecision;
    if (unit.muted || adj === undefined) {
      // muted: reported with the unadjusted p, no part in BH or the score
      const p = bhPValue(h);
      d = decideHypothesis(h, p <= judge.alpha && h.enough, null, h.persistence ? harmP(h.harm, h.pIncrease, h.pDecrease) <= judge.alpha : false);
    } else {
      const idx = pool.findIndex((x) => x.u === u && x.k === k);
      const rejected = adj <= judge.alpha && h.enough;
      d = decideHypothesis(h, rejected, adj, !rejected && h.persistence ? fullAlone(idx) : false);
    }
    return { h, d };
  });
  const failIdx = hyps.findIndex((x) => x.d.decision === 'fail');
  const inconIdx = hyps.findIndex((x) => x.d.decision === 'inconclusive');
  const decision: Decision = failIdx >= 0 ? 'fail' : inconIdx >= 0 ? 'inconclusive' : 'pass';
  const primary = failIdx >= 0 ? failIdx : inconIdx >= 0 ? inconIdx : 0;
  const { h, d } = hyps[primary];
  let label: MetricClassification;
  let criticalFail = false;
  if (decision === 'fail') {
    label = d.side === 'up' ? 'High' : 'Low';
    if (unit.critical && unit.settings) {
      const bound = d.side === 'up' ? unit.settings.logCriticalUp : unit.settings.logCriticalDown;
      const eff = d.side === 'up' ? h.estimate : -h.estimate;
      // the Kayenta critical bound is on the ratio scale; difference-scale effects always count
      criticalFail = h.displayScale !== 'ratio' || h.measure === 'spreadRatio' || eff >= bound;
    }
  } else if (decision === 'pass') label = 'Pass';
  else label = policyLabel(judge.inconclusive);
  const reasons = hyps.map((x) => hypothesisReason(x.h, x.d, unit.analysis));
  const reason = `${unit.name}: ${hyps.length > 1 ? reasons.map((r, i) => `${hyps[i].h.test}: ${r}`).join(' ') : reasons[0]}`;
  const short = `${unit.name}${hyps.length > 1 ? ` ${h.test}` : ''} ${h.displayScale === 'ratio' ? (h.measure === 'meanRatio' || h.measure === 'trendRatio' ? fmtPct(h.display(h.estimate)) : fmtRatio(h.display(h.estimate))) : fmt(h.display(h.estimate))}`;
  const causeText = d.cause === 'insufficient' ? 'insufficient effective sample' : d.cause === 'transient' ? 'transient at start' : d.cause === 'not-material' ? 'significant, within margin?' : h.mdeTheta !== null ? `MDE ${allowedText(h, h.mdeTheta)} > allowed ${allowedText(h, h.marginUp)}` : 'cannot tell';
  return {
    decision,
    label,
    criticalFail,
    reason,
    hypotheses: hyps,
    primary,
    sortP: d.pAdjusted ?? d.pHarm,
    shortText: decision === 'inconclusive' ? `${unit.name}: ${causeText}` : short,
  };
}

/** A margin or MDE on θ scale as the user reads it. */
function allowedText(h: Hypothesis, theta: number, side: 'up' | 'down' = 'up'): string {
  if (h.displayScale !== 'ratio') return `${side === 'up' ? '+' : '−'}${fmt(Math.abs(theta))}`;
  if (h.measure === 'spreadRatio') return fmtRatio(h.display(side === 'up' ? theta : -theta));
  const r = Math.exp(side === 'up' ? theta : -theta);
  return h.measure === 'meanRatio' || h.measure === 'trendRatio' ? fmtPct(r) : fmtRatio(r);
}

function hypothesisReason(h: Hypothesis, d: HypothesisDecision, a: MetricAnalysis): string {
  // Adjusted: the persistence rule's max(p_full, p_trimmed), then the FDR adjustment across metrics.
  const adj = d.pAdjusted !== null && fmtP(d.pAdjusted) !== fmtP(d.pHarm) ? ` (adjusted ${fmtP(d.pAdjusted)})` : '';
  const ptext = h.testName.includes('∩') || h.test === 'share' ? '' : `, ${pEq(d.pHarm)}`;
  const numbers = `${h.numbers}${ptext}${adj}.`;
  const sideWord = d.side === 'up' ? 'increase' : 'decrease';
  const allowedSide = (side: 'up' | 'down') => allowedText(h, side === 'up' ? h.marginUp : h.marginDown, side);
  const floorText = h.floor && h.floor.value > 0 ? ` and the absolute floor ${fmt(h.floor.value)}` : '';
  // Every reason that is not a pass names the smallest change the data could have detected.
  const mdeNote = h.mdeTheta !== null ? ` (smallest detectable change ${allowedText(h, h.mdeTheta, d.side)})` : '';
  switch (d.decision) {
    case 'fail': {
      if (!Number.isFinite(h.estimate)) return `${numbers} Fails: any ${sideWord} from zero${floorText ? ` beyond the absolute floor ${fmt(h.floor!.value)}` : ''} is a regression${mdeNote}.`;
      return `${numbers} Fails: the ${sideWord} exceeds the allowed ${allowedSide(d.side)}${floorText}${mdeNote}.`;
    }
    case 'pass': {
      const allowed = h.harm === 'either' ? `${allowedSide('up')} / ${allowedSide('down')}` : allowedSide(h.harm === 'increase' ? 'up' : 'down');
      return `${numbers} Passes: any ${h.harm === 'either' ? 'change' : h.harm} is within the allowed ${allowed}${floorText ? ' (or below the absolute floor)' : ''}.`;
    }
    case 'inconclusive':
      break;
  }
  if (d.cause === 'insufficient') return `${numbers} Cannot tell: ${h.insufficient ?? 'insufficient effective sample'}${mdeNote}.`;
  if (d.cause === 'transient' && h.persistence) {
    return `${numbers} After the first ${h.persistence.trimmedPoints} points: ${allowedTextEffect(h, h.persistence.estimate)} (CI ${allowedTextEffect(h, h.persistence.lower)} … ${allowedTextEffect(h, h.persistence.upper)}). Transient at start, not persistent: inconclusive${mdeNote}.`;
  }
  if (d.cause === 'not-material') return `${numbers} Cannot tell: the ${sideWord} is significant but its size may be within the allowed ${allowedSide(d.side)}${mdeNote}.`;
  const mde = h.mdeTheta;
  const margin = d.side === 'up' ? h.marginUp : h.marginDown;
  if (margin === 0) return `${numbers} Cannot tell: with a margin of 0 no change can be shown to be allowed${mde !== null ? ` (smallest detectable change ${allowedText(h, mde)})` : ''}.`;
  const hint = h.test === 'level' && a.power.minutesForMargin != null && Number.isFinite(a.power.minutesForMargin) && a.power.minutesForMargin > 0 ? `; about ${fmt(a.power.minutesForMargin, 2)} min of data would decide` : '';
  return `${numbers} Cannot tell: the smallest detectable change is ${mde !== null ? allowedText(h, mde) : 'unknown'} and the allowed change is ${allowedSide(d.side)}${hint}.`;
}

function allowedTextEffect(h: Hypothesis, theta: number): string {
  const v = h.display(theta);
  if (h.displayScale !== 'ratio') return `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v))}`;
  return h.measure === 'meanRatio' || h.measure === 'trendRatio' ? fmtPct(v) : fmtRatio(v);
}

// ---------------------------------------------------------------------------------------------
// summary score

export interface ScoredSummary {
  score: CanaryJudgeScore;
  groupScores: CanaryJudgeGroupScore[];
}

/**
 * The canaria scoring (docs/judge.md, canaria-v1): any critical fail → 0; all non-muted metrics
 * without data → 0; any fail → below marginal: marginal·f (capped at marginal − 0.01); else any
 * inconclusive → marginal + (pass − marginal)·f (capped at pass − 0.01, floored at marginal);
 * else 100. f = the group-weighted fraction of metrics proven to pass.
 */
export function canariaScore(
  units: readonly Unit[],
  decisions: readonly UnitDecision[],
  groupWeights: Record<string, number> = {},
  thresholds: ScoreThresholds,
  judge: JudgeSettings,
): ScoredSummary {
  type Cat = 'P' | 'I' | 'F' | 'N';
  const cats: Array<{ cat: Cat; groups: string[]; i: number }> = [];
  units.forEach((u, i) => {
    if (u.muted) return;
    const d = decisions[i];
    let cat: Cat;
    if (d.decision === 'fail' || d.label === 'NodataFailMetric') cat = 'F';
    else if (d.decision === 'pass') cat = 'P';
    else if (d.decision === 'nodata') cat = 'N';
    else cat = judge.inconclusive === 'pass' ? 'P' : judge.inconclusive === 'nodata' ? 'N' : 'I';
    cats.push({ cat, groups: u.groups.length > 0 ? u.groups : ['\u0000ungrouped'], i });
  });
  // group tallies (first appearance order); the implicit group of ungrouped metrics is not reported
  const tally = new Map<string, { P: number; I: number; F: number }>();
  for (const c of cats) for (const g of c.groups) {
    let t = tally.get(g);
    if (!t) tally.set(g, (t = { P: 0, I: 0, F: 0 }));
    if (c.cat !== 'N') t[c.cat]++;
  }
  const groupScores: CanaryJudgeGroupScore[] = [...tally.entries()]
    .filter(([g]) => g !== '\u0000ungrouped')
    .map(([name, t]) => {
      const n = t.P + t.I + t.F;
      return { name, score: n === 0 ? 0 : roundHalfUp((100 * t.P) / n, 2), classification: '', classificationReason: '' };
    });
  const configured = Object.values(groupWeights).reduce((s, w) => s + w, 0);
  const unweighted = [...tally.keys()].filter((g) => !(g in groupWeights)).length;
  const defaultWeight = unweighted > 0 ? Math.max(0, (100 - configured) / unweighted) : 0;
  let wSum = 0;
  let fSum = 0;
  for (const [g, t] of tally) {
    const n = t.P + t.I + t.F;
    if (n === 0) continue;
    const w = groupWeights[g] ?? defaultWeight;
    wSum += w;
    fSum += (w * t.P) / n;
  }
  let f: number;
  if (wSum > 0) f = fSum / wSum;
  else {
    const counted = cats.filter((c) => c.cat !== 'N');
    f = counted.length === 0 ? 0 : counted.filter((c) => c.cat === 'P').length / counted.length;
  }
  const count = (cat: Cat) => cats.filter((c) => c.cat === cat).length;
  const F = count('F');
  const I = count('I');
  const N = count('N');
  const reason = summaryReason(decisions, cats.map((c) => c.i));
  const { pass, marginal } = thresholds;
  const done = (score: number, text: string): ScoredSummary => ({
    score: { score, classification: classifyScore(score, thresholds), classificationReason: text },
    groupScores,
  });
  if (cats.length === 0) return done(0, 'Canary Failed: no metric to judge (all muted or none)');
  const critical = cats.map((c) => decisions[c.i]).find((d) => d.criticalFail);
  if (critical) return done(0, `Canary Failed: critical metric: ${critical.reason}`);
  if (N === cats.length) return done(0, judge.inconclusive === 'nodata' ? 'Canary Failed: no metric had data or a verdict' : 'Canary Failed: no metric had data');
  if (judge.inconclusive === 'nodata' && (N / cats.length) * 100 >= 50) return done(0, `Canary Failed: 50% or more metrics returned no data or were inconclusive; ${reason}`);
  if (F > 0) {
    const cap = Math.max(0, roundDown(marginal - 0.01));
    return done(Math.max(0, Math.min(cap, roundHalfUp(marginal * f, 2))), reason);
  }
  if (I > 0) {
    const lo = marginal;
    const hi = Math.max(lo, roundDown(pass - 0.01));
    return done(Math.min(hi, Math.max(lo, roundHalfUp(marginal + (pass - marginal) * f, 2))), reason);
  }
  return done(100, reason);
}

const roundDown = (x: number) => Math.floor(x * 100 + 1e-9) / 100;

function summaryReason(decisions: readonly UnitDecision[], counted: number[]): string {
  const fails = counted.filter((i) => decisions[i].decision === 'fail').sort((a, b) => decisions[a].sortP - decisions[b].sortP);
  const incon = counted.filter((i) => decisions[i].decision === 'inconclusive');
  const passes = counted.filter((i) => decisions[i].decision === 'pass');
  const parts: string[] = [];
  if (fails.length > 0) parts.push(`${fails.length} metric${fails.length > 1 ? 's' : ''} failed (${fails.map((i) => decisions[i].shortText).join(', ')})`);
  if (incon.length > 0) {
    const shown = incon.slice(0, 5).map((i) => decisions[i].shortText);
    parts.push(`${incon.length} inconclusive (${shown.join('; ')}${incon.length > 5 ? `; +${incon.length - 5} more` : ''})`);
  }
  if (fails.length === 0 && incon.length === 0) parts.push(`all ${passes.length} metric${passes.length === 1 ? '' : 's'} passed`);
  else if (passes.length > 0) parts.push(`${passes.length} passed`);
  return parts.join('; ');
}

/** `scoring: "kayenta"`: the labels through the exact WeightedSumScorer port. */
export function kayentaScore(results: readonly CanaryAnalysisResult[], groupWeights: Record<string, number> | undefined, thresholds: ScoreThresholds): ScoredSummary {
  const s = weightedSumScore(
    results.filter((r) => !r.muted),
    groupWeights,
  );
  return { score: { score: s.score, classification: classifyScore(s.score, thresholds), classificationReason: s.reason ?? '' }, groupScores: s.groupScores };
}
