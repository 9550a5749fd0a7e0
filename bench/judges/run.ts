// Runs a slice of one cell's runs through both judges and tallies the outcomes. Used by the
// worker threads and, with BENCH_JUDGES_WORKERS=0, in the main thread. Tallies are integer counts
// (plus timing sums), so merging slices in any order gives the same rates.
import { judge as canariaJudge } from '../../lib/judge/canaria-v1/index.ts';
import type { CanariaResultMetadata } from '../../lib/judge/canaria-v1/index.ts';
import { JUDGE_CLASSIFIER } from '../../lib/judge/classifier.ts';
import { judge as kayentaJudge } from '../../lib/judge/judge.ts';
import type { CanaryJudgeResult } from '../../lib/judge/types.ts';
import { THRESHOLDS, type Cell } from './cells.ts';
import { hashString, mixSeeds, Rng } from './rng.ts';

export const JUDGES = ['kayenta', 'canariaM0', 'canariaDef'] as const;
export type JudgeKey = (typeof JUDGES)[number];

/** What every non-pass canaria-v1 metric must explain (brief §3.4, issue 11). */
export const REASON_ELEMENTS = ['effect', 'interval', 'p', 'n', 'n_eff', 'MDE'] as const;
export type ReasonElement = (typeof REASON_ELEMENTS)[number];

export interface JudgeTally {
  runs: number;
  fail: number;
  marginal: number;
  pass: number;
  /** the judge threw */
  exceptions: number;
  firstException?: string;
  /** scored metrics judged, and the time spent (ms) */
  metrics: number;
  ms: number;
  /** canaria-v1: metric-level decisions of scored metrics */
  decisions: Record<string, number>;
  /** metric results labelled Error (unusable input/config) */
  errorLabels: number;
  firstErrorLabel?: string;
  /** canaria-v1 interval coverage of the known true effect */
  covered: number;
  coverageTotal: number;
  /** canaria-v1 reasons of non-pass scored metrics: how many lack each element, in the text / in the metadata */
  nonPass: number;
  missingText: Record<ReasonElement, number>;
  missingMeta: Record<ReasonElement, number>;
  /** one example (the lowest run index) of a reason missing an element */
  example?: { run: number; missing: ReasonElement[]; reason: string };
}

export type CellTally = Record<JudgeKey, JudgeTally>;

const zeroElements = (): Record<ReasonElement, number> => ({ effect: 0, interval: 0, p: 0, n: 0, n_eff: 0, MDE: 0 });

export function emptyTally(): JudgeTally {
  return {
    runs: 0, fail: 0, marginal: 0, pass: 0, exceptions: 0, metrics: 0, ms: 0, decisions: {}, errorLabels: 0,
    covered: 0, coverageTotal: 0, nonPass: 0, missingText: zeroElements(), missingMeta: zeroElements(),
  };
}

export function emptyCellTally(): CellTally {
  return { kayenta: emptyTally(), canariaM0: emptyTally(), canariaDef: emptyTally() };
}

export function mergeTally(into: JudgeTally, t: JudgeTally): void {
  into.runs += t.runs;
  into.fail += t.fail;
  into.marginal += t.marginal;
  into.pass += t.pass;
  into.exceptions += t.exceptions;
  into.firstException ??= t.firstException;
  into.metrics += t.metrics;
  into.ms += t.ms;
  for (const [k, v] of Object.entries(t.decisions)) into.decisions[k] = (into.decisions[k] ?? 0) + v;
  into.errorLabels += t.errorLabels;
  into.firstErrorLabel ??= t.firstErrorLabel;
  into.covered += t.covered;
  into.coverageTotal += t.coverageTotal;
  into.nonPass += t.nonPass;
  for (const e of REASON_ELEMENTS) {
    into.missingText[e] += t.missingText[e];
    into.missingMeta[e] += t.missingMeta[e];
  }
  if (t.example && (!into.example || t.example.run < into.example.run)) into.example = t.example;
}

// ---- reason checks ---------------------------------------------------------------------------

const TEXT_CHECKS: Record<ReasonElement, RegExp> = {
  // an effect figure: +2.1%, −0.4%, ×1.23, ×∞
  effect: /[+−-]\d[\d.,]*%|×(\d|∞)/,
  // an interval: "CI … – …" / "… … …", or the one-sided bound of a zero baseline ("at least ×3.9")
  interval: /\bCI\b|at least ×/,
  p: /\bp [=<] ?[\d<]/,
  // the number of points/buckets behind the estimate ("n_eff 43 of 106", "of 106 points")
  n: /\bof [\d,]+\b/,
  n_eff: /n_eff/,
  MDE: /MDE|detectable/i,
};

const isNum = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);

function metaChecks(meta: CanariaResultMetadata | undefined): Record<ReasonElement, boolean> {
  const c = meta?.canaria;
  return {
    effect: !!c && isNum(c.effect.estimate),
    interval: !!c && isNum(c.effect.lower) && isNum(c.effect.upper),
    p: !!c && isNum(c.test.pValue),
    n: !!c && isNum(c.sample.n) && c.sample.n > 0,
    n_eff: !!c && isNum(c.sample.nEffective),
    MDE: !!c && isNum(c.power.mde),
  };
}

// ---- one slice -------------------------------------------------------------------------------

export interface SliceOptions {
  seed: number;
}

export function runSlice(cell: Cell, start: number, end: number, opts: SliceOptions): CellTally {
  const tally = emptyCellTally();
  const cellHash = hashString(cell.id);
  for (let run = start; run < end; run++) {
    const rng = new Rng(mixSeeds(opts.seed, cellHash, run));
    const data = cell.generate(rng);
    const noise = rng.fork(); // Kayenta's degenerate-input noise path (judge-spec §4.1), seeded
    const kOptions = { ...JUDGE_CLASSIFIER, random: () => noise.uniform() };
    for (const key of JUDGES) {
      const t = tally[key];
      t.runs++;
      let result: CanaryJudgeResult;
      const t0 = performance.now();
      try {
        result =
          key === 'kayenta'
            ? kayentaJudge(cell.configs.kayenta, data.kayentaPairs, THRESHOLDS, kOptions)
            : canariaJudge(key === 'canariaM0' ? cell.configs.canariaM0 : cell.configs.canariaDef, data.canariaPairs, THRESHOLDS);
      } catch (e) {
        t.exceptions++;
        t.firstException ??= `run ${run}: ${(e as Error).stack ?? String(e)}`;
        continue;
      }
      t.ms += performance.now() - t0;
      const cls = result.score.classification;
      if (cls === 'Fail') t.fail++;
      else if (cls === 'Marginal') t.marginal++;
      else t.pass++;
      const scored = result.results.filter((r) => !r.muted);
      t.metrics += scored.length;
      for (const r of scored) {
        if (r.classification === 'Error') {
          t.errorLabels++;
          t.firstErrorLabel ??= `run ${run}: ${r.name}: ${r.classificationReason}`;
        }
        if (key === 'kayenta') continue;
        const meta = r.resultMetadata as CanariaResultMetadata | undefined;
        const decision = meta?.canaria?.decision ?? 'none';
        t.decisions[decision] = (t.decisions[decision] ?? 0) + 1;
        const truth = cell.trueEffect?.(r);
        const eff = meta?.canaria?.effect;
        if (truth !== undefined && Number.isFinite(truth) && eff && isNum(eff.lower) && isNum(eff.upper)) {
          t.coverageTotal++;
          if (eff.lower <= truth && truth <= eff.upper) t.covered++;
        }
        if (decision !== 'pass') {
          t.nonPass++;
          const reason = r.classificationReason ?? '';
          const m = metaChecks(meta);
          const missing: ReasonElement[] = [];
          for (const el of REASON_ELEMENTS) {
            if (!TEXT_CHECKS[el].test(reason)) {
              t.missingText[el]++;
              missing.push(el);
            }
            if (!m[el]) t.missingMeta[el]++;
          }
          if (missing.length > 0 && (!t.example || run < t.example.run)) t.example = { run, missing, reason };
        }
      }
    }
  }
  return tally;
}
