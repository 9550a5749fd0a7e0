// Family 7 of the judges benchmark (design brief §3.3, issue 12): repeated looks over a 120-point
// lifetime, a look every 10 points. Every run draws one pair of series (family 1's additive AR(1):
// level 100, marginal sd 5) and replays the lifetime look by look through
//   - Kayenta standalone (growing window, lookbackMins 0): NetflixACAJudge-v1.0 on all points so
//     far; the run fails at the first look whose score is below marginal (75); at the end it
//     passes if the last score reaches pass (95), else it ends not passed;
//   - Argo-style sliding windows: Kayenta's judge on the last 10 points only; the run fails at the
//     1st (failureLimit 0) or the 2nd (failureLimit 1) look below marginal;
//   - canaria-v1 judgeLook (growing window, state carried between looks as a caller would store it,
//     plannedLooks 12): stop fail / stop pass / continue; nothing proven at look 12 → inconclusive;
//     with margin 0 (any significant increase fails; no pass possible) and the latency default
//     margin +5% (= 1 marginal sd at level 100).
import { judgeLook, type CanariaCanaryConfig, type SequenceState } from '../../lib/judge/canaria-v1/index.ts';
import { JUDGE_CLASSIFIER } from '../../lib/judge/classifier.ts';
import { judge as kayentaJudge } from '../../lib/judge/judge.ts';
import type { JudgeCanaryConfig, MetricSetPair } from '../../lib/judge/types.ts';
import { START, STEP_MS, THRESHOLDS } from './cells.ts';
import { ar1 } from './generators.ts';
import { exact, rate } from './report.ts';
import { hashString, mixSeeds, Rng } from './rng.ts';

export const LIFETIME = 120;
export const EVERY = 10;
export const LOOKS = LIFETIME / EVERY;

export const SEQ_JUDGES = ['kayentaGrow', 'argo1', 'argo2', 'cv1M0', 'cv1Dflt'] as const;
export type SeqJudge = (typeof SEQ_JUDGES)[number];
export const SEQ_LABEL: Record<SeqJudge, string> = {
  kayentaGrow: 'Kayenta growing',
  argo1: 'Argo sliding fL=0',
  argo2: 'Argo sliding fL=1',
  cv1M0: 'c-v1 m=0',
  cv1Dflt: 'c-v1 m=5%',
};

export interface SeqCell {
  id: string;
  params: string;
  rho: number;
  /** canary shift in marginal sd */
  shift: number;
  truth: 'A/A' | 'regression';
}

export function buildSequentialCells(): SeqCell[] {
  const cells: SeqCell[] = [];
  for (const rho of [0, 0.5, 0.8, 0.9]) cells.push({ id: `seq/ρ=${rho}/shift=0`, params: `ρ=${rho}`, rho, shift: 0, truth: 'A/A' });
  for (const [rho, shift] of [[0, 1], [0, 0.5], [0.8, 1]] as const) cells.push({ id: `seq/ρ=${rho}/shift=${shift}`, params: `ρ=${rho}`, rho, shift, truth: 'regression' });
  return cells;
}

/** per judge: how runs ended and at which look (index 1..12; 0 unused) */
export interface SeqTally {
  runs: number;
  exceptions: number;
  firstException?: string;
  failAt: number[];
  passAt: number[];
  /** ended without a stop (canaria: inconclusive at look 12; Kayenta: last score below pass) */
  notPassEnd: number;
  ms: number;
  calls: number;
}
export type SeqCellTally = Record<SeqJudge, SeqTally>;

const emptySeq = (): SeqTally => ({ runs: 0, exceptions: 0, failAt: new Array(LOOKS + 1).fill(0), passAt: new Array(LOOKS + 1).fill(0), notPassEnd: 0, ms: 0, calls: 0 });
export const emptySeqCellTally = (): SeqCellTally => ({ kayentaGrow: emptySeq(), argo1: emptySeq(), argo2: emptySeq(), cv1M0: emptySeq(), cv1Dflt: emptySeq() });

export function mergeSeq(into: SeqCellTally, t: SeqCellTally): void {
  for (const k of SEQ_JUDGES) {
    const a = into[k];
    const b = t[k];
    a.runs += b.runs;
    a.exceptions += b.exceptions;
    a.firstException ??= b.firstException;
    for (let i = 0; i <= LOOKS; i++) {
      a.failAt[i] += b.failAt[i];
      a.passAt[i] += b.passAt[i];
    }
    a.notPassEnd += b.notPassEnd;
    a.ms += b.ms;
    a.calls += b.calls;
  }
}

const LATENCY_QUERY = 'avg(http_server_latency_ms{job="my-app",${scope}})';
const pairOf = (c: number[], e: number[]): MetricSetPair => ({
  name: 'latency',
  id: 'latency',
  tags: {},
  values: { control: c, experiment: e },
  scopes: { control: { startTimeMillis: START, stepMillis: STEP_MS }, experiment: { startTimeMillis: START, stepMillis: STEP_MS } },
  attributes: { control: { query: LATENCY_QUERY.replace('${scope}', 'role="baseline"') }, experiment: { query: LATENCY_QUERY.replace('${scope}', 'role="canary"') } },
});
/** sliding windows start later: their own scope start */
const slidingPair = (c: number[], e: number[], from: number): MetricSetPair => {
  const p = pairOf(c, e);
  const s = START + from * STEP_MS;
  return { ...p, scopes: { control: { startTimeMillis: s, stepMillis: STEP_MS }, experiment: { startTimeMillis: s, stepMillis: STEP_MS } } };
};

const KAYENTA_CONFIG: JudgeCanaryConfig = { metrics: [{ name: 'latency', groups: ['service'], analysisConfigurations: { canary: {} } }], classifier: { groupWeights: { service: 100 } } };
const canariaConfig = (margin: number): CanariaCanaryConfig => ({
  metrics: [{ name: 'latency', groups: ['service'], analysisConfigurations: { canary: {}, canaria: { margin } } }],
  classifier: { groupWeights: { service: 100 } },
  judge: { name: 'canaria-v1' },
});
const CV1 = { cv1M0: canariaConfig(0), cv1Dflt: canariaConfig(0.05) };

export function runSequentialSlice(cell: SeqCell, start: number, end: number, seed: number): SeqCellTally {
  const tally = emptySeqCellTally();
  const cellHash = hashString(cell.id);
  for (let run = start; run < end; run++) {
    const rng = new Rng(mixSeeds(seed, cellHash, run));
    const c = ar1(rng, LIFETIME, cell.rho, 5).map((x) => 100 + x);
    const e = ar1(rng, LIFETIME, cell.rho, 5).map((x) => 100 + 5 * cell.shift + x);
    const noise = rng.fork();
    const kOptions = { ...JUDGE_CLASSIFIER, random: () => noise.uniform() };
    const kayScore = (p: MetricSetPair) => kayentaJudge(KAYENTA_CONFIG, [p], THRESHOLDS, kOptions).score.score;
    const timed = <T>(t: SeqTally, f: () => T): T => {
      const t0 = performance.now();
      const v = f();
      t.ms += performance.now() - t0;
      t.calls++;
      return v;
    };
    const guard = (key: SeqJudge, f: (t: SeqTally) => void) => {
      const t = tally[key];
      t.runs++;
      try {
        f(t);
      } catch (err) {
        t.exceptions++;
        t.firstException ??= `run ${run}: ${(err as Error).stack ?? String(err)}`;
      }
    };
    guard('kayentaGrow', (t) => {
      for (let k = 1; k <= LOOKS; k++) {
        const s = timed(t, () => kayScore(pairOf(c.slice(0, k * EVERY), e.slice(0, k * EVERY))));
        if (s < THRESHOLDS.marginal) {
          t.failAt[k]++;
          return;
        }
        if (k === LOOKS) {
          if (s >= THRESHOLDS.pass) t.passAt[k]++;
          else t.notPassEnd++;
        }
      }
    });
    // the two Argo variants share the per-window scores
    const windowScores: number[] = [];
    guard('argo1', (t) => {
      for (let k = 1; k <= LOOKS; k++) {
        const from = (k - 1) * EVERY;
        windowScores.push(timed(t, () => kayScore(slidingPair(c.slice(from, k * EVERY), e.slice(from, k * EVERY), from))));
      }
      const first = windowScores.findIndex((s) => s < THRESHOLDS.marginal);
      if (first >= 0) t.failAt[first + 1]++;
      else t.passAt[LOOKS]++;
    });
    guard('argo2', (t) => {
      let failed = 0;
      for (let k = 1; k <= LOOKS; k++) {
        if (windowScores[k - 1] < THRESHOLDS.marginal && ++failed === 2) {
          t.failAt[k]++;
          return;
        }
      }
      t.passAt[LOOKS]++;
    });
    for (const key of ['cv1M0', 'cv1Dflt'] as const) {
      guard(key, (t) => {
        let state: SequenceState | undefined;
        for (let k = 1; k <= LOOKS; k++) {
          const r = timed(t, () => judgeLook(CV1[key], [pairOf(c.slice(0, k * EVERY), e.slice(0, k * EVERY))], THRESHOLDS, state, { plannedLooks: LOOKS }));
          state = JSON.parse(JSON.stringify(r.state)) as SequenceState;
          const stop = r.result.canaria.stop;
          if (stop === 'fail') return void t.failAt[k]++;
          if (stop === 'pass') return void t.passAt[k]++;
          if (stop === 'inconclusive') return void t.notPassEnd++;
        }
      });
    }
  }
  return tally;
}

// ---- printing -----------------------------------------------------------------------------------

const sum = (xs: number[], upto = LOOKS) => xs.slice(0, upto + 1).reduce((s, x) => s + x, 0);
/** median / 90th percentile stop point among runs that stopped that way */
function quantilePoints(at: number[], q: number): string {
  const n = sum(at);
  if (n === 0) return '—';
  let acc = 0;
  for (let k = 1; k <= LOOKS; k++) {
    acc += at[k];
    if (acc >= q * n) return String(k * EVERY);
  }
  return '—';
}

function pad(s: string, w: number, right = false): string {
  const len = [...s].length;
  return len >= w ? s : right ? ' '.repeat(w - len) + s : s + ' '.repeat(w - len);
}

export function printSequentialTable(cells: readonly SeqCell[], tallies: readonly SeqCellTally[], out: (s: string) => void): void {
  const cols = [
    { h: 'cell', w: 8 },
    { h: 'truth', w: 13 },
    { h: 'judge', w: 17 },
    { h: 'runs', w: 5, r: true },
    { h: 'Fail any look % [95% CI]', w: 24 },
    { h: 'fail by 40 pts %', w: 17 },
    { h: 'fail pts p50/p90', w: 16 },
    { h: 'pass < 120 % [95% CI]', w: 22 },
    { h: 'pass pts p50', w: 12 },
    { h: 'end not Pass %', w: 14 },
    { h: 'ms/look', w: 7, r: true },
  ];
  const line = (vals: string[]) => out(vals.map((v, i) => pad(v, cols[i].w, cols[i].r)).join(' | ').trimEnd());
  line(cols.map((c) => c.h));
  out(cols.map((c) => '-'.repeat(c.w)).join('-+-'));
  cells.forEach((cell, i) => {
    if (i > 0) out(cols.map((c) => '-'.repeat(c.w)).join('-+-'));
    for (const key of SEQ_JUDGES) {
      const t = tallies[i][key];
      const n = t.runs - t.exceptions;
      const earlyPass = sum(t.passAt, LOOKS - 1);
      line([
        cell.params,
        cell.truth === 'A/A' ? 'A/A' : `+${cell.shift} sd`,
        SEQ_LABEL[key],
        `${t.runs}${t.exceptions ? ` !${t.exceptions}` : ''}`,
        rate(sum(t.failAt), n),
        rate(sum(t.failAt, 4), n).split(' ')[0],
        `${quantilePoints(t.failAt, 0.5)}/${quantilePoints(t.failAt, 0.9)}`,
        key.startsWith('cv1') ? rate(earlyPass, n) : '— (no early pass)',
        key.startsWith('cv1') ? quantilePoints(t.passAt, 0.5) : '—',
        rate(t.notPassEnd + (key.startsWith('argo') ? 0 : 0), n).split(' ')[0],
        t.calls ? (t.ms / t.calls).toFixed(2) : '—',
      ]);
    }
  });
}

/** The family-7 goals (brief §3.4, issue 12), decided on exact counts. */
export function printSequentialGoals(cells: readonly SeqCell[], tallies: readonly SeqCellTally[], out: (s: string) => void): { misses: string[] } {
  const misses: string[] = [];
  const judged = (t: SeqTally) => t.runs - t.exceptions;
  const report = (name: string, lines: Array<{ ok: boolean; text: string }>) => {
    const ok = lines.length > 0 && lines.every((l) => l.ok);
    out(`[${ok ? 'MET ' : 'MISS'}] ${name}`);
    for (const l of lines) out(`       ${l.ok ? 'ok  ' : 'MISS'} ${l.text}`);
    if (!ok) misses.push(name);
  };
  const at = (pred: (c: SeqCell) => boolean) => cells.map((c, i) => ({ c, t: tallies[i] })).filter((x) => pred(x.c));
  {
    const lines: Array<{ ok: boolean; text: string }> = [];
    for (const { c, t } of at((c) => c.truth === 'A/A')) {
      for (const key of ['cv1M0', 'cv1Dflt'] as const) {
        const f = sum(t[key].failAt);
        lines.push({ ok: f <= 0.05 * judged(t[key]), text: `${c.params} ${SEQ_LABEL[key]}: ${exact(f, judged(t[key]))}` });
      }
      lines.push({ ok: true, text: `  (reference ${c.params}: Kayenta growing ${exact(sum(t.kayentaGrow.failAt), judged(t.kayentaGrow))}; Argo sliding fL=0 ${exact(sum(t.argo1.failAt), judged(t.argo1))})` });
    }
    report('Sequential A/A false fail ≤ 5% over all 12 looks (canaria-v1 judgeLook, every A/A cell, both margins)', lines);
  }
  {
    const lines: Array<{ ok: boolean; text: string }> = [];
    for (const { c, t } of at((c) => c.rho === 0 && c.shift === 1)) {
      const x = t.cv1M0;
      const by40 = sum(x.failAt, 4);
      lines.push({ ok: by40 >= 0.5 * judged(x), text: `${c.params} +1 sd ${SEQ_LABEL.cv1M0}: stopped failed by 40 points in ${exact(by40, judged(x))}` });
      lines.push({ ok: true, text: `  (${SEQ_LABEL.cv1Dflt}, shift = margin, not a goal: ${exact(sum(t.cv1Dflt.failAt, 4), judged(t.cv1Dflt))}; Kayenta growing ${exact(sum(t.kayentaGrow.failAt, 4), judged(t.kayentaGrow))})` });
    }
    report('A 1-sd shift at ρ = 0 stops failed by 40 of 120 points in ≥ 50% of runs (margin 0)', lines);
  }
  {
    const lines: Array<{ ok: boolean; text: string }> = [];
    for (const { c, t } of at((c) => c.truth === 'A/A' && c.rho === 0)) {
      const x = t.cv1Dflt;
      const early = sum(x.passAt, LOOKS - 1);
      lines.push({ ok: early >= 0.3 * judged(x), text: `${c.params} A/A ${SEQ_LABEL.cv1Dflt} (margin ≈ 1 sd): stopped passed before point 120 in ${exact(early, judged(x))}` });
    }
    for (const { c, t } of at((c) => c.truth === 'A/A' && c.rho > 0)) {
      const x = t.cv1Dflt;
      lines.push({ ok: true, text: `  (not a goal: ${c.params} ${exact(sum(x.passAt, LOOKS - 1), judged(x))})` });
    }
    report('An A/A canary stops passed before the lifetime ends in ≥ 30% of runs when the margin is 1 sd (ρ = 0)', lines);
  }
  return { misses };
}

export const SEQUENTIAL_FAMILY_NAME = 'sequential';
export const describeSequential = (c: SeqCell) => `${SEQUENTIAL_FAMILY_NAME}: ${c.params} ${c.truth === 'A/A' ? 'A/A' : `+${c.shift} sd`}`;
