// Per-metric analysis (brief §2.1, §2.2 steps 1–7): assemble the series, handle no data, drop the
// warm-up, run the kind's test(s), compute the persistence check and the MDE. Returns unadjusted
// hypotheses; decisions are made in verdict.ts after the multiple-testing step.
import type { Direction, MetricSetPair, Stats } from '../types.ts';
import type { JudgeSettings, MetricSettings } from './config.ts';
import { countMde, countTest, minEventsZeroBaseline, type CountBuckets, type CountTestResult } from './counts.ts';
import { essT, essWelch, trendTest, type TTestResult } from './ess.ts';
import { pbinom, pbinomUpper, qbeta, qnorm, qt } from './numerics.ts';
import { alignOnTimestamps, blockMeans, blockSize, countFinite, sideGrid, type Timeline, type TimedSeries } from './series.ts';
import type { CanariaVerdict, EffectScale, MetricKind } from './types.ts';
import { mser5Trim } from './warmup.ts';

/** One tested hypothesis of a metric, on the harm-neutral θ scale (log ratio or difference). */
export interface Hypothesis {
  test: 'level' | 'spread' | 'trend' | 'rate' | 'exceedance' | 'share';
  testName: string;
  harm: Direction;
  measure: string;
  /** θ → the reported number (exp for ratios) */
  display: (theta: number) => number;
  displayScale: EffectScale;
  estimate: number;
  lower: number;
  upper: number;
  marginUp: number;
  marginDown: number;
  /** one-sided p-values on the full (post-warm-up) series */
  pIncrease: number;
  pDecrease: number;
  pValueParts?: Record<string, number>;
  /** MSER-5 persistence: the same test after the data-driven truncation (continuous kinds) */
  persistence?: { trimmedPoints: number; estimate: number; lower: number; upper: number; pIncrease: number; pDecrease: number };
  /** absolute-rate floor (errors): materiality needs |difference| > floor; pass may be shown on it */
  floor?: { value: number; estimate: number; lower: number; upper: number };
  /** pass needs every threshold's bound inside the margin (histograms) */
  passUpper?: number;
  passLower?: number;
  /** effective sample size and the guard */
  nEff: number | null;
  enough: boolean;
  insufficient?: string;
  /** minimum detectable effect on θ scale (harm side), null when unknown */
  mdeTheta: number | null;
  /** part of the reason sentence with the numbers, before p-values */
  numbers: string;
  /** the test is reported but does not take part in BH/decisions */
  reportOnly?: boolean;
}

export type Outcome =
  | { type: 'tested'; hypotheses: Hypothesis[] }
  | { type: 'nodata'; message: string }
  | { type: 'no-traffic'; message: string }
  | { type: 'inconclusive'; message: string }
  | { type: 'error'; message: string };

export interface MetricAnalysis {
  outcome: Outcome;
  kind: MetricKind;
  /** resultMetadata.ratio */
  ratio: number;
  experimentStats: Stats;
  controlStats: Stats;
  sample: CanariaVerdict['sample'];
  power: Omit<CanariaVerdict['power'], 'mde'> & { mde: number | null };
  dataQuality: CanariaVerdict['dataQuality'];
  margin: CanariaVerdict['margin'];
  testName: string;
  absoluteDifference?: number;
  /** latency-histogram: display quantiles per side */
  quantiles?: CanariaVerdict['quantiles'];
}

export interface AnalysisInput {
  name: string;
  pairs: MetricSetPair[];
  settings: MetricSettings;
  judge: JudgeSettings;
  /** all pairs of the call, to find denominators */
  allPairs: readonly MetricSetPair[];
  /** tags of this result (without `le` for histograms) */
  tags: Record<string, string>;
  /** `metrics[i].analysisConfigurations.canaria`, to name fields in judge-time problems */
  field: string;
}

// ---------------------------------------------------------------------------------------------
// helpers

export function describe(values: readonly number[]): Stats {
  const xs = values.filter(Number.isFinite);
  const count = xs.length;
  if (count === 0) return { min: NaN, max: NaN, mean: NaN, std: NaN, count: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of xs) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  const mean = sum / count;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { min, max, mean, std: count > 1 ? Math.sqrt(ss / (count - 1)) : 0, count };
}

const series = (pair: MetricSetPair, side: 'control' | 'experiment'): TimedSeries => ({ grid: sideGrid(pair, side), values: pair.values[side] ?? [] });

/** Index of the first grid point at or after the warm-up end (canary start + warm-up). */
function warmupCut(times: number[], stepMillis: number | null, experimentStart: number, warmupMinutes: number): number {
  if (warmupMinutes <= 0 || stepMillis === null) return 0;
  const cutoff = experimentStart + warmupMinutes * 60000;
  let i = 0;
  while (i < times.length && times[i] < cutoff) i++;
  return i;
}

/** "12300.5" → "12,300.5" (en-US grouping; toLocaleString was half of a metric's judging time). */
function grouped(plain: string): string {
  const dot = plain.indexOf('.');
  const int = dot < 0 ? plain : plain.slice(0, dot);
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (dot < 0 ? '' : plain.slice(dot));
}

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1).replace('e+', 'e');
  return grouped(String(Number(x.toPrecision(digits))));
}

export function fmtPct(ratio: number): string {
  if (!Number.isFinite(ratio)) return ratio > 0 ? '+∞' : 'n/a';
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : '−'}${fmt(Math.abs(p), 2)}%`;
}

export function fmtRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return ratio > 0 ? '×∞' : 'n/a';
  return `×${fmt(ratio, 3)}`;
}

export function fmtP(p: number): string {
  if (p < 1e-6) return '< 1e-6';
  return fmt(p, 2);
}

/** "p = 0.012" or "p < 1e-6" */
export function pEq(p: number): string {
  return p < 1e-6 ? 'p < 1e-6' : `p = ${fmt(p, 2)}`;
}

/** counts: integers with thousands separators, else 3 significant digits */
export function fmtCount(x: number): string {
  if (Number.isFinite(x) && Math.abs(x) < 1e15 && Math.abs(x - Math.round(x)) < 1e-9) return grouped(String(Math.round(x)));
  return fmt(x, 4);
}

/** effective sample sizes: whole numbers from 10 on */
export function fmtN(x: number): string {
  return x >= 10 ? String(Math.round(x)) : fmt(x, 2);
}

const emptyStats = (): Stats => ({ min: NaN, max: NaN, mean: NaN, std: NaN, count: 0 });

function baseAnalysis(input: AnalysisInput, kind: MetricKind): MetricAnalysis {
  const s = input.settings;
  return {
    outcome: { type: 'error', message: 'not analysed' },
    kind,
    ratio: NaN,
    experimentStats: emptyStats(),
    controlStats: emptyStats(),
    sample: { n: 0, nEffective: null, warmupPointsExcluded: 0 },
    power: { mde: null, mdeScale: 'ratio', power: input.judge.power },
    dataQuality: { gapsExperiment: 0, gapsControl: 0, warnings: [...input.judge.warnings, ...s.warnings] },
    margin: { relative: s.margin, onScale: { increase: s.logMarginUp, decrease: s.logMarginDown } },
    testName: '',
  };
}

// ---------------------------------------------------------------------------------------------
// continuous kinds: latency, saturation

function analyseContinuous(input: AnalysisInput): MetricAnalysis {
  const s = input.settings;
  const j = input.judge;
  const a = baseAnalysis(input, s.kind);
  const pair = input.pairs[0];
  const c = series(pair, 'control');
  const e = series(pair, 'experiment');
  a.controlStats = describe(c.values);
  a.experimentStats = describe(e.values);
  if (a.controlStats.count === 0 && a.experimentStats.count === 0) {
    a.outcome = { type: 'nodata', message: 'no data on either side' };
    return a;
  }
  if (a.experimentStats.count === 0 || a.controlStats.count === 0) {
    const message = `no ${a.experimentStats.count === 0 ? 'canary' : 'baseline'} data (${a.experimentStats.count === 0 ? a.controlStats.count : a.experimentStats.count} points on the other side)`;
    // mustHaveData: a side without data is a missing metric (Kayenta: NodataFailMetric); otherwise no verdict
    a.outcome = s.mustHaveData ? { type: 'nodata', message } : { type: 'inconclusive', message };
    return a;
  }
  const positive = [...c.values, ...e.values].every((v) => !Number.isFinite(v) || v > 0);
  const f = positive ? Math.log : (x: number) => x;
  if (!positive) a.dataQuality.warnings.push('values ≤ 0 present: the effect is a difference, not a ratio');
  const timeline = alignOnTimestamps([c, e]);
  let paired = timeline !== null;
  if (timeline) {
    let both = 0;
    for (let i = 0; i < timeline.times.length; i++) if (Number.isFinite(timeline.rows[0][i]) && Number.isFinite(timeline.rows[1][i])) both++;
    if (both < 0.5 * Math.min(a.controlStats.count, a.experimentStats.count)) paired = false;
  }
  const stepMillis = c.grid.step ?? null;
  if (j.warmupMinutes > 0 && stepMillis === null) a.dataQuality.warnings.push('warm-up not applied: the pair carries no timestamps (scopes.*.startTimeMillis/stepMillis)');
  const { b, windowSeconds } = blockSize(input.pairs, stepMillis, s.rangeWindowSeconds);
  if (b > 1) a.dataQuality.warnings.push(`range window ${windowSeconds} s > step ${(stepMillis ?? 0) / 1000} s: averaged into blocks of ${b} points (overlapping windows are autocorrelated by construction)`);
  a.sample.blockSize = b;
  a.sample.paired = paired;
  const baselineLevel = Math.abs(a.controlStats.mean);
  const marginUp = positive ? s.logMarginUp : s.relMarginUp * baselineLevel;
  const marginDown = positive ? s.logMarginDown : s.relMarginDown * baselineLevel;
  const display = positive ? Math.exp : (x: number) => x;
  const displayScale: EffectScale = positive ? 'ratio' : 'difference';
  const measure = positive ? 'meanRatio' : 'difference';
  a.power.mdeScale = displayScale;
  if (!positive) a.margin.onScale = { increase: marginUp, decrease: marginDown };

  const hypotheses: Hypothesis[] = [];
  const guard = (t: { nEff: number }, n: number) => t.nEff >= j.minEffectiveN && n >= 3;
  const insufficient = (nEff: number) => `insufficient effective sample (n_eff ${fmtN(nEff)} < ${j.minEffectiveN})`;
  const mde = (t: TTestResult) => (t.se > 0 ? (t.tAlpha + qt(j.power, t.nu)) * t.se : 0);

  if (paired) {
    const tl = timeline as Timeline;
    const cut = warmupCut(tl.times, tl.stepMillis, e.grid.start, j.warmupMinutes);
    a.sample.warmupPointsExcluded = cut;
    const dGrid: number[] = [];
    let gapsC = 0;
    let gapsE = 0;
    for (let i = cut; i < tl.times.length; i++) {
      const cv = tl.rows[0][i];
      const ev = tl.rows[1][i];
      if (!Number.isFinite(cv)) gapsC++;
      if (!Number.isFinite(ev)) gapsE++;
      dGrid.push(Number.isFinite(cv) && Number.isFinite(ev) ? f(ev) - f(cv) : NaN);
    }
    a.dataQuality.gapsControl = gapsC;
    a.dataQuality.gapsExperiment = gapsE;
    const dPoints = dGrid.filter(Number.isFinite);
    a.sample.n = dPoints.length;
    const blocked = blockMeans(dGrid, b);
    if (blocked.length < 3) {
      a.outcome = { type: 'inconclusive', message: `only ${dPoints.length} paired points after warm-up` };
      return a;
    }
    const lvl = essT(blocked, j.alpha);
    a.sample.nEffective = lvl.nEff;
    a.sample.lag1Autocorrelation = lvl.summary.lag1;
    let persistence: Hypothesis['persistence'];
    if (j.persistence) {
      // MSER-5 cuts where the batch means settle, which under-cuts a decaying transient (a 5 sd
      // blip with τ = 10 still holds ~1 sd at a 15-point cut): when it finds one, twice its cut,
      // at most half the points.
      const cut = mser5Trim(dPoints);
      const trim = cut > 0 ? Math.min(2 * cut, Math.floor(dPoints.length / 2)) : 0;
      a.sample.transientPointsTrimmed = trim;
      if (trim > 0) {
        // drop grid points until `trim` paired points are gone
        let seen = 0;
        let k = 0;
        while (k < dGrid.length && seen < trim) {
          if (Number.isFinite(dGrid[k])) seen++;
          k++;
        }
        const tb = blockMeans(dGrid.slice(k), b);
        if (tb.length >= 3) {
          const tr = essT(tb, j.alpha);
          persistence = { trimmedPoints: trim, estimate: tr.estimate, lower: tr.lower, upper: tr.upper, pIncrease: tr.pIncrease, pDecrease: tr.pDecrease };
        }
      }
    }
    if (s.tests.includes('level')) {
      hypotheses.push({
        test: 'level', testName: 'paired ESS-t', harm: s.harm, measure, display, displayScale,
        estimate: lvl.estimate, lower: lvl.lower, upper: lvl.upper, marginUp, marginDown,
        pIncrease: lvl.pIncrease, pDecrease: lvl.pDecrease, persistence,
        nEff: lvl.nEff, enough: guard(lvl, blocked.length), insufficient: insufficient(lvl.nEff), mdeTheta: mde(lvl),
        numbers: `${fmtEffect(display(lvl.estimate), displayScale)} (${Math.round((1 - 2 * j.alpha) * 100)}% CI ${fmtEffect(display(lvl.lower), displayScale)} … ${fmtEffect(display(lvl.upper), displayScale)}) on n_eff ${fmtN(lvl.nEff)} of ${dPoints.length} points (lag-1 autocorrelation ${fmt(lvl.summary.lag1, 2)}${b > 1 ? `, blocks of ${b}` : ''})`,
      });
    }
    const sp = spreadTest(tl.rows[0].slice(cut).map((v) => (Number.isFinite(v) ? f(v) : NaN)), tl.rows[1].slice(cut).map((v) => (Number.isFinite(v) ? f(v) : NaN)), b, j.alpha);
    if (!s.tests.includes('spread')) {
      a.dataQuality.spreadRatio = sp && sp.controlMad > 0 ? (sp.controlMad + sp.t.estimate) / sp.controlMad : null;
    } else {
      if (sp) {
        const L = sp.controlMad;
        const disp = (x: number) => (L > 0 ? (L + x) / L : NaN);
        hypotheses.push({
          test: 'spread', testName: 'Brown–Forsythe ESS-t', harm: 'increase', measure: 'spreadRatio', display: disp, displayScale: 'ratio',
          estimate: sp.t.estimate, lower: sp.t.lower, upper: sp.t.upper, marginUp: s.relMarginUp * L, marginDown: s.relMarginDown * L,
          pIncrease: sp.t.pIncrease, pDecrease: sp.t.pDecrease, nEff: sp.t.nEff, enough: guard(sp.t, sp.n), insufficient: insufficient(sp.t.nEff), mdeTheta: mde(sp.t),
          numbers: `spread ${fmtRatio(disp(sp.t.estimate))} (CI ${fmtRatio(disp(sp.t.lower))} … ${fmtRatio(disp(sp.t.upper))}) on n_eff ${fmtN(sp.t.nEff)}`,
        });
      }
    }
    if (s.tests.includes('trend')) {
      const stepMin = tl.stepMillis !== null ? (tl.stepMillis * b) / 60000 : null;
      const horizonPoints = s.horizonMinutes !== undefined && stepMin !== null ? s.horizonMinutes / stepMin : blocked.length;
      const tr = trendTest(blocked, horizonPoints, j.alpha);
      const horizonText = stepMin !== null ? `${fmt(horizonPoints * stepMin, 3)} min` : `${fmt(horizonPoints, 3)} points`;
      hypotheses.push({
        test: 'trend', testName: 'trend (OLS slope, AR(1) residual n_eff)', harm: s.harm === 'either' ? 'either' : s.harm, measure: positive ? 'trendRatio' : 'trendDifference', display, displayScale,
        estimate: tr.estimate, lower: tr.lower, upper: tr.upper, marginUp, marginDown, pIncrease: tr.pIncrease, pDecrease: tr.pDecrease,
        nEff: tr.nEff, enough: tr.nEff >= j.minEffectiveN && blocked.length >= 4, insufficient: insufficient(tr.nEff), mdeTheta: mde(tr),
        numbers: `trend ${fmtEffect(display(tr.estimate), displayScale)} over ${horizonText} (CI ${fmtEffect(display(tr.lower), displayScale)} … ${fmtEffect(display(tr.upper), displayScale)})`,
      });
    }
    const lvlH = hypotheses.find((h) => h.test === 'level');
    a.ratio = positive ? Math.exp(lvl.estimate) : a.controlStats.mean !== 0 ? a.experimentStats.mean / a.controlStats.mean : NaN;
    a.power.mde = lvlH?.mdeTheta != null ? display(lvlH.mdeTheta) : null;
    // duration hint: n_eff needed = ((z_{1−α} + z_{1−β})σ̂/m)², points = n_eff(1 + ρ̃)/(1 − ρ̃)·b
    if (marginUp > 0 && tl.stepMillis !== null) {
      const need = (((qnorm(1 - j.alpha) + qnorm(j.power)) * Math.sqrt(lvl.summary.sigma2)) / marginUp) ** 2;
      const rho = lvl.summary.rhoTilde;
      a.power.minutesForMargin = (Math.max(need, j.minEffectiveN) * ((1 + rho) / (1 - rho)) * b * tl.stepMillis) / 60000;
    } else a.power.minutesForMargin = null;
  } else {
    // Unpaired (brief §1.1 fallback): each side on its own grid, Welch–Satterthwaite ν.
    a.dataQuality.warnings.push('sides not on one time grid (e.g. a control offset): unpaired comparison, common-mode load swings are not cancelled');
    const side = (ts: TimedSeries) => {
      const tl = alignOnTimestamps([ts]) as Timeline;
      const cut = warmupCut(tl.times, tl.stepMillis, ts.grid.start, j.warmupMinutes);
      const row = tl.rows[0].slice(cut).map((v) => (Number.isFinite(v) ? f(v) : NaN));
      return { cut, row, gaps: row.length - countFinite(row) };
    };
    const cs = side(c);
    const es = side(e);
    a.sample.warmupPointsExcluded = es.cut;
    a.dataQuality.gapsControl = cs.gaps;
    a.dataQuality.gapsExperiment = es.gaps;
    const cb = blockMeans(cs.row, b);
    const eb = blockMeans(es.row, b);
    a.sample.n = Math.min(countFinite(cs.row), countFinite(es.row));
    if (cb.length < 3 || eb.length < 3) {
      a.outcome = { type: 'inconclusive', message: 'fewer than 3 points on a side after warm-up' };
      return a;
    }
    const w = essWelch(eb, cb, j.alpha);
    a.sample.nEffective = w.nEff;
    a.ratio = positive ? Math.exp(w.estimate) : a.controlStats.mean !== 0 ? a.experimentStats.mean / a.controlStats.mean : NaN;
    hypotheses.push({
      test: 'level', testName: 'unpaired ESS-t (Welch)', harm: s.harm, measure, display, displayScale,
      estimate: w.estimate, lower: w.lower, upper: w.upper, marginUp, marginDown, pIncrease: w.pIncrease, pDecrease: w.pDecrease,
      nEff: w.nEff, enough: w.nEff >= j.minEffectiveN, insufficient: insufficient(w.nEff), mdeTheta: mde(w),
      numbers: `${fmtEffect(display(w.estimate), displayScale)} (${Math.round((1 - 2 * j.alpha) * 100)}% CI ${fmtEffect(display(w.lower), displayScale)} … ${fmtEffect(display(w.upper), displayScale)}) on n_eff ${fmtN(w.nEff)} per side (unpaired)`,
    });
    a.power.mde = hypotheses[0].mdeTheta !== null ? display(hypotheses[0].mdeTheta) : null;
  }
  if (hypotheses.length === 0) {
    a.outcome = { type: 'error', message: 'no sub-test enabled (analysisConfigurations.canaria.tests)' };
    return a;
  }
  a.testName = hypotheses.map((h) => h.testName).join(' + ');
  a.outcome = { type: 'tested', hypotheses };
  return a;
}

function fmtEffect(x: number, scale: EffectScale): string {
  return scale === 'ratio' ? fmtPct(x) : `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
}

/** Centred rolling median over `w` points (finite values only). */
function rollingMedian(x: readonly number[], w = 11): number[] {
  const h = Math.floor(w / 2);
  return x.map((_, i) => {
    const win = x.slice(Math.max(0, i - h), i + h + 1).filter(Number.isFinite).sort((p, q) => p - q);
    if (win.length === 0) return NaN;
    const m = win.length >> 1;
    return win.length % 2 ? win[m] : (win[m - 1] + win[m]) / 2;
  });
}

/** Brown–Forsythe spread test (brief §1.4b) on paired grid rows. */
function spreadTest(c: number[], e: number[], b: number, alpha: number): { t: TTestResult; n: number; controlMad: number } | null {
  const mc = rollingMedian(c);
  const me = rollingMedian(e);
  const aGrid: number[] = [];
  let madC = 0;
  let k = 0;
  for (let i = 0; i < c.length; i++) {
    if (Number.isFinite(c[i]) && Number.isFinite(e[i])) {
      const dc = Math.abs(c[i] - mc[i]);
      aGrid.push(Math.abs(e[i] - me[i]) - dc);
      madC += dc;
      k++;
    } else aGrid.push(NaN);
  }
  const blocked = blockMeans(aGrid, b);
  if (blocked.length < 3 || k === 0) return null;
  return { t: essT(blocked, alpha), n: blocked.length, controlMad: madC / k };
}

// ---------------------------------------------------------------------------------------------
// count kinds: errors, counter, latency-histogram (exceedances)

interface CountAssembly {
  buckets: CountBuckets;
  /** unpaired: each side's per-bucket rates for the robust leg */
  unpaired?: { experiment: CountBuckets; control: CountBuckets };
  warmupPointsExcluded: number;
  gapsExperiment: number;
  gapsControl: number;
  structuralZeros: number;
  stepMillis: number | null;
}

/**
 * Puts numerator and exposure series of both sides on one timeline (paired) or each side on its
 * own (unpaired), drops the warm-up, fills structural zeros (numerator missing where the
 * exposure is known), and keeps buckets whose exposures are known.
 */
function assembleCounts(
  num: { control: TimedSeries; experiment: TimedSeries },
  den: { control: TimedSeries; experiment: TimedSeries },
  warmupMinutes: number,
  structuralZeroFill: boolean,
): CountAssembly | null {
  const all = alignOnTimestamps([num.control, den.control, num.experiment, den.experiment]);
  const fill = (n: number, d: number, counter: { zeros: number }) => {
    if (Number.isFinite(n)) return Math.max(0, n);
    if (structuralZeroFill && Number.isFinite(d)) {
      counter.zeros++;
      return 0;
    }
    return NaN;
  };
  const zeros = { zeros: 0 };
  const take = (tl: Timeline, rows: [number, number], start: number) => {
    const cut = warmupCut(tl.times, tl.stepMillis, start, warmupMinutes);
    const ev: number[] = [];
    const ex: number[] = [];
    let gaps = 0;
    for (let i = cut; i < tl.times.length; i++) {
      const d = tl.rows[rows[1]][i];
      const n = fill(tl.rows[rows[0]][i], d, zeros);
      if (!Number.isFinite(d) || !Number.isFinite(n) || d < 0) {
        gaps++;
        ev.push(NaN);
        ex.push(NaN);
      } else {
        ev.push(n);
        ex.push(d);
      }
    }
    return { cut, ev, ex, gaps };
  };
  if (all) {
    const c = take(all, [0, 1], num.experiment.grid.start);
    const e = take(all, [2, 3], num.experiment.grid.start);
    const b: CountBuckets = { eventsExperiment: [], exposureExperiment: [], eventsControl: [], exposureControl: [] };
    for (let i = 0; i < c.ev.length; i++) {
      if (Number.isFinite(c.ex[i]) && Number.isFinite(e.ex[i])) {
        b.eventsControl.push(c.ev[i]);
        b.exposureControl.push(c.ex[i]);
        b.eventsExperiment.push(e.ev[i]);
        b.exposureExperiment.push(e.ex[i]);
      }
    }
    const minSide = Math.min(c.ev.length - c.gaps, e.ev.length - e.gaps);
    if (b.eventsControl.length >= 0.5 * minSide || minSide === 0) {
      return { buckets: b, warmupPointsExcluded: c.cut, gapsControl: c.gaps, gapsExperiment: e.gaps, structuralZeros: zeros.zeros, stepMillis: all.stepMillis };
    }
  }
  const cs = alignOnTimestamps([num.control, den.control]);
  const es = alignOnTimestamps([num.experiment, den.experiment]);
  if (!cs || !es) return null;
  const c = take(cs, [0, 1], num.control.grid.start);
  const e = take(es, [0, 1], num.experiment.grid.start);
  const keep = (x: { ev: number[]; ex: number[] }) => {
    const ev: number[] = [];
    const ex: number[] = [];
    x.ev.forEach((v, i) => {
      if (Number.isFinite(x.ex[i])) {
        ev.push(v);
        ex.push(x.ex[i]);
      }
    });
    return { ev, ex };
  };
  const ck = keep(c);
  const ek = keep(e);
  return {
    buckets: { eventsExperiment: ek.ev, exposureExperiment: ek.ex, eventsControl: ck.ev, exposureControl: ck.ex },
    unpaired: {
      experiment: { eventsExperiment: ek.ev, exposureExperiment: ek.ex, eventsControl: [], exposureControl: [] },
      control: { eventsExperiment: ck.ev, exposureExperiment: ck.ex, eventsControl: [], exposureControl: [] },
    },
    warmupPointsExcluded: e.cut,
    gapsControl: c.gaps,
    gapsExperiment: e.gaps,
    structuralZeros: zeros.zeros,
    stepMillis: es.stepMillis,
  };
}

/** Count test on an assembly: paired buckets, or totals + Welch on per-bucket rates when unpaired. */
function runCountTest(asm: CountAssembly, alpha: number): CountTestResult {
  if (!asm.unpaired) return countTest(asm.buckets, alpha);
  // unpaired: the exact leg needs only totals; the robust leg compares per-bucket rates with Welch
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const b = asm.buckets;
  const totals = countTest(
    { eventsExperiment: [sum(b.eventsExperiment)], exposureExperiment: [sum(b.exposureExperiment)], eventsControl: [sum(b.eventsControl)], exposureControl: [sum(b.exposureControl)] },
    alpha,
  );
  const rE = b.eventsExperiment.map((x, i) => (b.exposureExperiment[i] > 0 ? x / b.exposureExperiment[i] : NaN)).filter(Number.isFinite);
  const rC = b.eventsControl.map((x, i) => (b.exposureControl[i] > 0 ? x / b.exposureControl[i] : NaN)).filter(Number.isFinite);
  if (rE.length < 2 || rC.length < 2) return { ...totals, robust: null, pIncrease: 1, pDecrease: 1, nEff: null };
  const w = essWelch(rE, rC, alpha);
  const rc = totals.rateControl;
  const toLog = (x: number) => (rc > 0 ? (rc + x > 0 ? Math.log((rc + x) / rc) : -Infinity) : x > 0 ? Infinity : x < 0 ? -Infinity : 0);
  return {
    ...totals,
    robust: w,
    pIncrease: Math.max(totals.exact.pIncrease, w.pIncrease),
    pDecrease: Math.max(totals.exact.pDecrease, w.pDecrease),
    logLower: Math.min(totals.exact.logLower, toLog(w.lower)),
    logUpper: Math.max(totals.exact.logUpper, toLog(w.upper)),
    absoluteLower: w.lower,
    absoluteUpper: w.upper,
    overdispersion: null,
    robustBuckets: Math.min(rE.length, rC.length),
    nEff: w.nEff,
  };
}

/** The rate hypothesis of a count test. */
function rateHypothesis(
  r: CountTestResult,
  s: MetricSettings,
  j: JudgeSettings,
  opts: { test: Hypothesis['test']; measure: string; harm: Direction; eventWord: string; exposureWord: string; floor: number },
  /** The MDE fillCountMeta computed (a.power.mde). */
  mde: number | null,
): Hypothesis {
  const nEff = r.nEff;
  const enough = nEff !== null && nEff >= j.minEffectiveN;
  const ev = r.exact.events;
  const ex = r.exact.exposure;
  const zeroBase = ev.control === 0 && ev.experiment > 0;
  // No events on either side, with traffic on both: nothing to compare, and no sign of harm. It
  // passes, saying how low the canary's rate must be (exact one-sided bound 1 − α^(1/N)); an
  // absoluteFloor, or a longer canary, is how to demand more.
  const noEvents = ev.control === 0 && ev.experiment === 0 && ex.control > 0 && ex.experiment > 0;
  const level = Math.round((1 - 2 * j.alpha) * 100);
  let effectText: string;
  if (noEvents) {
    effectText = `no ${opts.eventWord} on either side: the canary's rate is below ${fmt(-Math.expm1(Math.log(j.alpha) / ex.experiment))} (one-sided ${Math.round((1 - j.alpha) * 100)}%, exact)`;
  } else if (zeroBase) {
    const rrL = Math.exp(r.exact.logLower);
    effectText = `${ev.experiment} vs 0 ${opts.eventWord}${Math.abs(r.trafficShare - 0.5) < 0.01 ? ' in equal traffic' : ` (canary traffic share ${fmt(r.trafficShare * 100, 3)}%)`}: at least ${fmtRatio(rrL)} (one-sided ${Math.round((1 - j.alpha) * 100)}%, exact), no baseline ${opts.eventWord} so no upper bound`;
  } else {
    effectText = `${fmtRatio(Math.exp(r.logEstimate))} (${level}% CI ${fmtRatio(Math.exp(r.logLower))}–${fmtRatio(Math.exp(r.logUpper))})`;
  }
  const robustText = r.robust ? `per-bucket check ${pEq(harmP(opts.harm, r.robust.pIncrease, r.robust.pDecrease))} (n_eff ${fmtN(r.robust.nEff)} of ${r.robustBuckets})` : 'no per-bucket check (fewer than 2 buckets with traffic on both sides)';
  const exactName = r.exact.method === 'stratified-score' ? 'stratified score test' : 'exact test';
  const numbers =
    `canary ${fmtCount(ev.experiment)} ${opts.eventWord} / ${fmtCount(ex.experiment)} ${opts.exposureWord} (${fmt(r.rateExperiment)}) vs baseline ${fmtCount(ev.control)} / ${fmtCount(ex.control)} (${fmt(r.rateControl)}): ${effectText}; ` +
    `${exactName} ${pEq(harmP(opts.harm, r.exact.pIncrease, r.exact.pDecrease))}, ${robustText}, combined ${pEq(harmP(opts.harm, r.pIncrease, r.pDecrease))}` +
    (r.overdispersion !== null && r.overdispersion > 2 ? ` (bursty: dispersion ${fmt(r.overdispersion, 2)})` : '');
  return {
    test: opts.test,
    testName: `${r.exact.method === 'stratified-score' ? 'stratified score' : 'conditional-binomial'} ∩ per-bucket ESS-t`,
    harm: opts.harm,
    measure: opts.measure,
    display: Math.exp,
    displayScale: 'ratio',
    estimate: r.logEstimate,
    lower: r.logLower,
    upper: r.logUpper,
    marginUp: s.logMarginUp,
    marginDown: s.logMarginDown,
    pIncrease: r.pIncrease,
    pDecrease: r.pDecrease,
    pValueParts: { exact: harmP(opts.harm, r.exact.pIncrease, r.exact.pDecrease), robust: r.robust ? harmP(opts.harm, r.robust.pIncrease, r.robust.pDecrease) : 1 },
    floor: { value: opts.floor, estimate: r.absoluteDifference, lower: r.absoluteLower, upper: r.absoluteUpper },
    ...(noEvents ? { passUpper: -Infinity, passLower: Infinity } : {}),
    nEff,
    enough: enough || noEvents,
    insufficient: nEff === null ? 'no per-bucket check possible (fewer than 2 buckets with traffic on both sides)' : `insufficient effective sample in the per-bucket check (n_eff ${fmtN(nEff)} < ${j.minEffectiveN})`,
    mdeTheta: mde !== null ? Math.log(mde) : null,
    numbers,
  };
}

export function harmP(harm: Direction, pInc: number, pDec: number): number {
  if (harm === 'increase') return pInc;
  if (harm === 'decrease') return pDec;
  return Math.min(1, 2 * Math.min(pInc, pDec));
}

export const sameTags = (a: Record<string, string> = {}, b: Record<string, string> = {}) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

const showTags = (t: Record<string, string>) => `{${Object.entries(t).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;

function fillCountMeta(a: MetricAnalysis, asm: CountAssembly, r: CountTestResult, j: JudgeSettings) {
  a.sample.n = asm.buckets.eventsExperiment.length;
  a.sample.nEffective = r.nEff;
  a.sample.paired = !asm.unpaired;
  a.sample.events = r.exact.events;
  a.sample.exposure = r.exact.exposure;
  a.sample.warmupPointsExcluded = asm.warmupPointsExcluded;
  a.sample.lag1Autocorrelation = r.robust && 'summary' in r.robust ? (r.robust as ReturnType<typeof essT>).summary.lag1 : null;
  a.dataQuality.gapsControl = asm.gapsControl;
  a.dataQuality.gapsExperiment = asm.gapsExperiment;
  a.dataQuality.overdispersion = r.overdispersion;
  a.dataQuality.trafficShare = r.trafficShare;
  a.dataQuality.structuralZeros = asm.structuralZeros;
  if (r.shareVaries) a.dataQuality.warnings.push('traffic share varies over time by more than 5 points: stratified score test used for the p-value');
  a.power.mdeScale = 'ratio';
  a.power.mde = countMde(r.exact.events.control, r.exact.exposure.experiment, r.exact.exposure.control, r.overdispersion, j.alpha, j.power);
  a.power.minEventsIfZeroBaseline = r.exact.events.control === 0 ? minEventsZeroBaseline(j.alpha, r.exact.pi0) : null;
  a.ratio = Math.exp(r.logEstimate);
  a.absoluteDifference = r.absoluteDifference;
}

function analyseErrors(input: AnalysisInput): MetricAnalysis {
  const s = input.settings;
  const j = input.judge;
  const a = baseAnalysis(input, 'errors');
  a.margin.absoluteFloor = s.absoluteFloor;
  const pair = input.pairs[0];
  const denField = `${input.field}.denominator`;
  const denPairs = input.allPairs.filter((p) => p.name === s.denominator);
  if (denPairs.length === 0) {
    a.outcome = { type: 'error', message: `${denField}: no pair of metric ${JSON.stringify(s.denominator)} in the input` };
    return a;
  }
  const den = denPairs.find((p) => sameTags(p.tags, pair.tags));
  if (!den) {
    a.outcome = { type: 'error', message: `${denField}: no pair of metric ${JSON.stringify(s.denominator)} has the tags ${showTags(pair.tags ?? {})} (found ${denPairs.map((p) => showTags(p.tags ?? {})).join(', ')})` };
    return a;
  }
  a.controlStats = describe(pair.values.control);
  a.experimentStats = describe(pair.values.experiment);
  const denC = describe(den.values.control);
  const denE = describe(den.values.experiment);
  if (denC.count === 0 && denE.count === 0) {
    a.outcome = a.controlStats.count === 0 && a.experimentStats.count === 0 ? { type: 'nodata', message: 'no data on either side (events and requests)' } : { type: 'inconclusive', message: `events present but the denominator ${JSON.stringify(s.denominator)} has no data` };
    return a;
  }
  const asm = assembleCounts({ control: series(pair, 'control'), experiment: series(pair, 'experiment') }, { control: series(den, 'control'), experiment: series(den, 'experiment') }, j.warmupMinutes, true);
  if (!asm) {
    a.outcome = { type: 'error', message: `the events and the ${JSON.stringify(s.denominator)} series are not on one time grid (different steps)` };
    return a;
  }
  return finishCounts(a, asm, s, j, { test: 'rate', measure: 'rateRatio', eventWord: 'errors', exposureWord: 'requests', floor: s.absoluteFloor });
}

function finishCounts(a: MetricAnalysis, asm: CountAssembly, s: MetricSettings, j: JudgeSettings, opts: { test: Hypothesis['test']; measure: string; eventWord: string; exposureWord: string; floor: number }): MetricAnalysis {
  const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
  const nE = sum(asm.buckets.exposureExperiment);
  const nC = sum(asm.buckets.exposureControl);
  if (asm.buckets.exposureExperiment.length === 0 && asm.buckets.exposureControl.length === 0) {
    a.outcome = { type: 'nodata', message: 'no bucket with known exposure after warm-up' };
    return a;
  }
  if (!(nE > 0)) {
    a.outcome = { type: 'no-traffic', message: `the canary received 0 ${opts.exposureWord}` };
    return a;
  }
  if (!(nC > 0)) {
    a.outcome = { type: 'inconclusive', message: `the baseline received 0 ${opts.exposureWord}; nothing to compare with` };
    return a;
  }
  const r = runCountTest(asm, j.alpha);
  fillCountMeta(a, asm, r, j);
  const h = rateHypothesis(r, s, j, { ...opts, harm: s.harm }, a.power.mde);
  a.testName = h.testName;
  a.outcome = { type: 'tested', hypotheses: [h] };
  return a;
}

function analyseCounter(input: AnalysisInput): MetricAnalysis {
  const s = input.settings;
  const j = input.judge;
  const a = baseAnalysis(input, 'counter');
  const pair = input.pairs[0];
  a.controlStats = describe(pair.values.control);
  a.experimentStats = describe(pair.values.experiment);
  if (s.expectedShare === undefined) {
    a.outcome = { type: 'error', message: `${input.field}.expectedShare: kind "counter" needs the canary's expected share of the exposure` };
    return a;
  }
  if (a.controlStats.count === 0 && a.experimentStats.count === 0 && !s.nanReplace) {
    a.outcome = { type: 'nodata', message: 'no data on either side' };
    return a;
  }
  const pi = s.expectedShare;
  // exposure per bucket: the configured share (time × replica share); events NaN = missing unless nanStrategy=replace
  const c = series(pair, 'control');
  const e = series(pair, 'experiment');
  const fill = (ts: TimedSeries): TimedSeries => ({ grid: ts.grid, values: s.nanReplace ? ts.values.map((v) => (Number.isFinite(v) ? v : 0)) : ts.values });
  const cf = fill(c);
  const ef = fill(e);
  // exposures defined only where the events are known (a missing count is not a zero)
  const ce: TimedSeries = { grid: c.grid, values: cf.values.map((v) => (Number.isFinite(v) ? 1 - pi : NaN)) };
  const ee: TimedSeries = { grid: e.grid, values: ef.values.map((v) => (Number.isFinite(v) ? pi : NaN)) };
  const asm = assembleCounts({ control: cf, experiment: ef }, { control: ce, experiment: ee }, j.warmupMinutes, false);
  if (!asm) {
    a.outcome = { type: 'error', message: 'the two sides are not on one time grid' };
    return a;
  }
  a.dataQuality.expectedShare = pi;
  return finishCounts(a, asm, s, j, { test: 'rate', measure: 'rateRatio', eventWord: 'events', exposureWord: 'exposure units', floor: 0 });
}

// latency-histogram ---------------------------------------------------------------------------

function parseLe(le: string | undefined): number {
  if (le === undefined) return NaN;
  if (/^\+?inf$/i.test(le.trim())) return Infinity;
  const x = Number(le);
  return Number.isFinite(x) ? x : NaN;
}

function analyseHistogram(input: AnalysisInput): MetricAnalysis {
  const s = input.settings;
  const j = input.judge;
  const a = baseAnalysis(input, 'latency-histogram');
  const byLe = new Map<number, MetricSetPair>();
  for (const p of input.pairs) {
    const le = parseLe(p.tags?.le);
    if (Number.isNaN(le)) {
      a.outcome = { type: 'error', message: `pair tags ${showTags(p.tags ?? {})}: kind "latency-histogram" needs one pair per bucket with a numeric \`le\` tag` };
      return a;
    }
    byLe.set(le, p);
  }
  const inf = byLe.get(Infinity);
  if (!inf) {
    a.outcome = { type: 'error', message: 'no le="+Inf" bucket: the total count (exposure) is unknown' };
    return a;
  }
  a.controlStats = describe(inf.values.control);
  a.experimentStats = describe(inf.values.experiment);
  if (a.controlStats.count === 0 && a.experimentStats.count === 0) {
    a.outcome = { type: 'nodata', message: 'no data on either side' };
    return a;
  }
  // a bucket present on one side only: the layouts differ → refuse
  for (const [le, p] of byLe) {
    const hasC = countFinite(p.values.control) > 0;
    const hasE = countFinite(p.values.experiment) > 0;
    if (hasC !== hasE && a.controlStats.count > 0 && a.experimentStats.count > 0) {
      a.outcome = { type: 'error', message: `bucket le=${le} has data on the ${hasC ? 'baseline' : 'canary'} side only: the bucket layouts differ` };
      return a;
    }
  }
  const bounds = [...byLe.keys()].filter(Number.isFinite).sort((x, y) => x - y);
  if (bounds.length === 0) {
    a.outcome = { type: 'error', message: 'only the le="+Inf" bucket: no threshold to test' };
    return a;
  }
  // thresholds from the baseline only (or configured)
  const sumFinite = (xs: readonly number[]) => xs.reduce((t, x) => t + (Number.isFinite(x) ? x : 0), 0);
  const totalC = sumFinite(inf.values.control);
  const chosen: number[] = [];
  const notes: string[] = [];
  if (s.thresholds) {
    for (const u of s.thresholds) {
      const le = bounds.find((x) => x >= u - 1e-12 * Math.abs(u));
      if (le === undefined) notes.push(`threshold ${u} is above every finite bucket bound; used ${bounds[bounds.length - 1]}`);
      else if (Math.abs(le - u) > 1e-12 * Math.abs(u)) notes.push(`threshold ${u} is not a bucket bound; used le=${le}`);
      chosen.push(le ?? bounds[bounds.length - 1]);
    }
  } else {
    for (const q of s.quantiles) {
      let pick: number | undefined;
      for (const le of bounds) {
        const below = sumFinite(byLe.get(le)!.values.control);
        if (totalC > 0 && 1 - below / totalC <= 1 - q + 1e-12) {
          pick = le;
          break;
        }
      }
      if (pick === undefined) {
        pick = bounds[bounds.length - 1];
        notes.push(`p${q * 100}: more than ${fmt((1 - q) * 100, 3)}% of baseline requests exceed the largest finite bucket; tested le=${pick}`);
      }
      chosen.push(pick);
    }
  }
  a.dataQuality.warnings.push(...notes);
  const thresholds = [...new Set(chosen)].sort((x, y) => x - y);
  const results: Array<{ le: number; r: CountTestResult; asm: CountAssembly }> = [];
  for (const le of thresholds) {
    const lp = byLe.get(le)!;
    // exceedances and their exposure (the +Inf count) on one timeline per side, defined where both are known
    const sideSeries = (side: 'control' | 'experiment'): { ex: TimedSeries; expo: TimedSeries } => {
      const tot = series(inf, side);
      const below = series(lp, side);
      const tl = alignOnTimestamps([tot, below]);
      if (!tl) return { ex: { grid: tot.grid, values: tot.values.map(() => NaN) }, expo: { grid: tot.grid, values: tot.values.map(() => NaN) } };
      const grid = { start: Math.min(tot.grid.start, below.grid.start), step: tl.stepMillis };
      const known = (i: number) => Number.isFinite(tl.rows[0][i]) && Number.isFinite(tl.rows[1][i]);
      return {
        ex: { grid, values: tl.rows[0].map((t, i) => (known(i) ? Math.max(0, t - tl.rows[1][i]) : NaN)) },
        expo: { grid, values: tl.rows[0].map((t, i) => (known(i) ? t : NaN)) },
      };
    };
    const cs = sideSeries('control');
    const es = sideSeries('experiment');
    const ex = { control: cs.ex, experiment: es.ex };
    const asm = assembleCounts(ex, { control: cs.expo, experiment: es.expo }, j.warmupMinutes, false);
    if (!asm) {
      a.outcome = { type: 'error', message: 'bucket series are not on one time grid' };
      return a;
    }
    const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
    if (!(sum(asm.buckets.exposureExperiment) > 0) || !(sum(asm.buckets.exposureControl) > 0)) {
      const nothing = sum(asm.buckets.exposureExperiment) > 0 ? 'baseline' : 'canary';
      a.outcome = nothing === 'canary' ? { type: 'no-traffic', message: 'the canary received 0 requests' } : { type: 'inconclusive', message: 'the baseline received 0 requests; nothing to compare with' };
      return a;
    }
    results.push({ le, r: runCountTest(asm, j.alpha), asm });
  }
  const Q = results.length;
  const harm = s.harm;
  let best = 0;
  results.forEach((x, i) => {
    if (harmP(harm, x.r.pIncrease, x.r.pDecrease) < harmP(harm, results[best].r.pIncrease, results[best].r.pDecrease)) best = i;
  });
  const primary = results[best];
  fillCountMeta(a, primary.asm, primary.r, j);
  const h = rateHypothesis(primary.r, s, j, { test: 'exceedance', measure: 'exceedanceRatio', harm, eventWord: `requests > ${fmt(primary.le)}`, exposureWord: 'requests', floor: s.absoluteFloor }, a.power.mde);
  // Bonferroni over the Q thresholds (brief §1.4a); pass needs every threshold inside the margin
  h.pIncrease = Math.min(1, Q * Math.min(...results.map((x) => x.r.pIncrease)));
  h.pDecrease = Math.min(1, Q * Math.min(...results.map((x) => x.r.pDecrease)));
  h.passUpper = Math.max(...results.map((x) => x.r.logUpper));
  h.passLower = Math.min(...results.map((x) => x.r.logLower));
  h.enough = results.every((x) => x.r.nEff !== null && x.r.nEff >= j.minEffectiveN);
  h.testName = `exceedances at le ∈ {${thresholds.map((x) => fmt(x)).join(', ')}}: ${h.testName}, Bonferroni ×${Q}`;
  h.numbers = `exceedance of le=${fmt(primary.le)} (${Q > 1 ? `smallest p of ${Q} thresholds` : 'one threshold'}): ${h.numbers}`;
  // display only: quantiles per side by linear interpolation inside the bucket (histogram_quantile's rule)
  if (!s.thresholds) {
    a.quantiles = s.quantiles.map((q, i) => ({
      q,
      threshold: chosen[i],
      control: histogramQuantile(q, bounds, byLe, 'control'),
      experiment: histogramQuantile(q, bounds, byLe, 'experiment'),
    }));
    h.numbers += `; quantiles canary vs baseline: ${a.quantiles.map((x) => `p${fmt(x.q * 100, 4)} ${fmt(x.experiment)} vs ${fmt(x.control)}`).join(', ')}`;
  }
  a.testName = h.testName;
  a.outcome = { type: 'tested', hypotheses: [h] };
  return a;
}

/** Prometheus histogram_quantile on pooled cumulative counts: linear inside the bucket, lower bound 0. */
function histogramQuantile(q: number, bounds: number[], byLe: Map<number, MetricSetPair>, side: 'control' | 'experiment'): number {
  const total = (le: number) => (byLe.get(le)!.values[side] ?? []).reduce((t: number, x) => t + (Number.isFinite(x) ? x : 0), 0);
  const n = total(Infinity);
  if (!(n > 0)) return NaN;
  const rank = q * n;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of bounds) {
    const c = total(le);
    if (c >= rank) return c === prevCount ? le : prevLe + ((le - prevLe) * (rank - prevCount)) / (c - prevCount);
    prevLe = le;
    prevCount = c;
  }
  return bounds[bounds.length - 1]; // in the +Inf bucket: the largest finite bound, as Prometheus
}

// throughput ----------------------------------------------------------------------------------

function analyseThroughput(input: AnalysisInput): MetricAnalysis {
  const s = input.settings;
  const j = input.judge;
  const a = baseAnalysis(input, 'throughput');
  const pair = input.pairs[0];
  const pi = s.expectedShare ?? 0.5;
  a.dataQuality.expectedShare = pi;
  a.controlStats = describe(pair.values.control);
  a.experimentStats = describe(pair.values.experiment);
  if (a.controlStats.count === 0 && a.experimentStats.count === 0) {
    a.outcome = { type: 'nodata', message: 'no data on either side' };
    return a;
  }
  const c = series(pair, 'control');
  const e = series(pair, 'experiment');
  const tl = alignOnTimestamps([c, e]);
  const cut = tl ? warmupCut(tl.times, tl.stepMillis, e.grid.start, j.warmupMinutes) : 0;
  const nEt: number[] = [];
  const nCt: number[] = [];
  if (tl) {
    for (let i = cut; i < tl.times.length; i++) {
      const cv = tl.rows[0][i];
      const ev = tl.rows[1][i];
      if (!Number.isFinite(cv)) a.dataQuality.gapsControl++;
      if (!Number.isFinite(ev)) a.dataQuality.gapsExperiment++;
      if (Number.isFinite(cv) && Number.isFinite(ev) && cv >= 0 && ev >= 0) {
        nCt.push(cv);
        nEt.push(ev);
      }
    }
  }
  a.sample.warmupPointsExcluded = cut;
  a.sample.paired = true;
  if (!tl || nEt.length < 3) {
    a.outcome = { type: 'inconclusive', message: tl ? `only ${nEt.length} paired points` : 'the sides are not on one time grid: traffic shares per step cannot be formed' };
    return a;
  }
  const NE = nEt.reduce((t, x) => t + x, 0);
  const NC = nCt.reduce((t, x) => t + x, 0);
  const N = NE + NC;
  if (!(NE > 0)) {
    a.outcome = { type: 'no-traffic', message: 'the canary received 0 requests' };
    return a;
  }
  const share = NE / N;
  a.dataQuality.trafficShare = share;
  // exact leg: N_E ~ Binomial(N, π) on rounded totals
  const kE = Math.round(NE);
  const kN = Math.round(N);
  const pExInc = pbinomUpper(kE, kN, pi);
  const pExDec = pbinom(kE, kN, pi);
  // robust leg: per-step share minus the expected share (a constant offset under SRM, whatever the
  // traffic level does over time; counts themselves would follow the diurnal curve)
  const y = nEt.map((x, i) => (x + nCt[i] > 0 ? x / (x + nCt[i]) - pi : NaN)).filter(Number.isFinite);
  if (y.length < 3) {
    a.outcome = { type: 'inconclusive', message: `only ${y.length} steps with traffic` };
    return a;
  }
  const rob = essT(y, j.alpha);
  const toLog = (offset: number) => (pi + offset > 0 ? Math.log((pi + offset) / pi) : -Infinity);
  const piL = kE === 0 ? 0 : qbeta(j.alpha, kE, kN - kE + 1);
  const piU = kE === kN ? 1 : qbeta(1 - j.alpha, kE + 1, kN - kE);
  const estimate = Math.log(share / pi);
  const lower = Math.min(piL > 0 ? Math.log(piL / pi) : -Infinity, toLog(rob.lower));
  const upper = Math.max(Math.log(piU / pi), toLog(rob.upper));
  const pInc = Math.max(pExInc, rob.pIncrease);
  const pDec = Math.max(pExDec, rob.pDecrease);
  a.sample.n = nEt.length;
  a.sample.nEffective = rob.nEff;
  a.sample.lag1Autocorrelation = rob.summary.lag1;
  a.ratio = share / pi;
  a.power.mdeScale = 'ratio';
  const mdeTheta = rob.se > 0 ? Math.log1p(((rob.tAlpha + qt(j.power, rob.nu)) * rob.se) / pi) : 0;
  a.power.mde = Math.exp(mdeTheta);
  a.testName = 'binomial share ∩ per-step ESS-t (sample-ratio mismatch)';
  const h: Hypothesis = {
    test: 'share',
    testName: a.testName,
    harm: s.harm,
    measure: 'shareRatio',
    display: Math.exp,
    displayScale: 'ratio',
    estimate,
    lower,
    upper,
    marginUp: Math.log1p(s.margin),
    marginDown: Math.log1p(s.margin),
    pIncrease: pInc,
    pDecrease: pDec,
    pValueParts: { exact: harmP(s.harm, pExInc, pExDec), robust: harmP(s.harm, rob.pIncrease, rob.pDecrease) },
    nEff: rob.nEff,
    enough: rob.nEff >= j.minEffectiveN,
    insufficient: `insufficient effective sample (n_eff ${fmtN(rob.nEff)} < ${j.minEffectiveN})`,
    mdeTheta,
    numbers: `canary share ${fmt(share * 100, 3)}% vs expected ${fmt(pi * 100, 3)}% (${fmtCount(NE)} of ${fmtCount(N)} requests; ${Math.round((1 - 2 * j.alpha) * 100)}% CI of share/expected ${fmtRatio(Math.exp(lower))}–${fmtRatio(Math.exp(upper))}); binomial ${pEq(harmP(s.harm, pExInc, pExDec))}, per-step check ${pEq(harmP(s.harm, rob.pIncrease, rob.pDecrease))} (n_eff ${fmtN(rob.nEff)} of ${nEt.length})`,
  };
  a.margin.onScale = { increase: h.marginUp, decrease: h.marginDown };
  a.outcome = { type: 'tested', hypotheses: [h] };
  return a;
}

// ---------------------------------------------------------------------------------------------

export function analyseMetric(input: AnalysisInput): MetricAnalysis {
  switch (input.settings.kind) {
    case 'latency':
    case 'saturation':
      return analyseContinuous(input);
    case 'errors':
      return analyseErrors(input);
    case 'counter':
      return analyseCounter(input);
    case 'latency-histogram':
      return analyseHistogram(input);
    case 'throughput':
      return analyseThroughput(input);
  }
}
