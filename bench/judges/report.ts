// Printing for the judges benchmark: the one table (a row per cell and judge) and the goals block
// (brief §3.4 as amended by issue 11). Rates carry Wilson 95% intervals and their run counts;
// goals are decided on the exact counts, never on a rounded figure.
import type { Cell, GoalTag } from './cells.ts';
import { JUDGES, REASON_ELEMENTS, type CellTally, type JudgeKey, type JudgeTally } from './run.ts';

export const JUDGE_LABEL: Record<JudgeKey, string> = { kayenta: 'Kayenta', canariaM0: 'c-v1 m=0', canariaDef: 'c-v1 dflt' };

/** Wilson score interval at 95%. */
export function wilson(x: number, n: number): [number, number] {
  if (n === 0) return [NaN, NaN];
  const z = 1.959963984540054;
  const p = x / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const f1 = (x: number) => (x * 100).toFixed(1);

/** "48.4 [45.3–51.5]" (percent) */
export function rate(x: number, n: number): string {
  if (n === 0) return '—';
  const [lo, hi] = wilson(x, n);
  return `${f1(x / n)} [${f1(lo)}–${f1(hi)}]`;
}

/** exact figure for the goals: "5.30% (53/1000, 95% CI 4.1–6.9%)" */
export function exact(x: number, n: number): string {
  if (n === 0) return 'no runs';
  const [lo, hi] = wilson(x, n);
  return `${((x / n) * 100).toFixed(2)}% (${x}/${n}, 95% CI ${f1(lo)}–${f1(hi)}%)`;
}

function pad(s: string, w: number, right = false): string {
  const len = [...s].length;
  if (len >= w) return s;
  return right ? ' '.repeat(w - len) + s : s + ' '.repeat(w - len);
}

export function printTable(cells: readonly Cell[], tallies: readonly CellTally[], out: (s: string) => void): void {
  const cols = [
    { h: 'fam', w: 3 },
    { h: 'cell', w: 40 },
    { h: 'truth', w: 27 },
    { h: 'judge', w: 9 },
    { h: 'runs', w: 5, r: true },
    { h: 'Fail % [95% CI]', w: 17 },
    { h: 'not Pass % [95% CI]', w: 19 },
    { h: 'Marginal % [95% CI]', w: 19 },
    { h: 'coverage % [95% CI]', w: 26 },
    { h: 'ms/metric', w: 9, r: true },
  ];
  const line = (vals: string[]) => out(vals.map((v, i) => pad(v, cols[i].w, cols[i].r)).join(' | ').trimEnd());
  line(cols.map((c) => c.h));
  out(cols.map((c) => '-'.repeat(c.w)).join('-+-'));
  let lastFamily = -1;
  cells.forEach((cell, i) => {
    if (cell.family !== lastFamily && lastFamily !== -1) out(cols.map((c) => '-'.repeat(c.w)).join('-+-'));
    lastFamily = cell.family;
    JUDGES.forEach((key, j) => {
      const t = tallies[i][key];
      const judged = t.runs - t.exceptions;
      const cov = key === 'kayenta' ? '' : t.coverageTotal === 0 ? '—' : `${rate(t.covered, t.coverageTotal)}${t.coverageTotal !== judged ? ` /${t.coverageTotal}` : ''}`;
      line([
        j === 0 ? String(cell.family) : '',
        j === 0 ? `${cell.familyName}: ${cell.params}` : '',
        j === 0 ? (cell.effect ? `${cell.truth} ${cell.effect}` : cell.truth) : '',
        JUDGE_LABEL[key],
        String(t.runs) + (t.exceptions > 0 ? `!${t.exceptions}` : ''),
        rate(t.fail, judged),
        rate(judged - t.pass, judged),
        rate(t.marginal, judged),
        cov,
        t.metrics > 0 ? (t.ms / t.metrics).toFixed(3) : '—',
      ]);
    });
  });
}

// ---- goals -----------------------------------------------------------------------------------

interface GoalLine {
  ok: boolean;
  text: string;
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function cellName(c: Cell): string {
  return `${c.familyName}: ${c.params}${c.effect ? ` [${c.effect}]` : ''}`;
}

const CANARIA: JudgeKey[] = ['canariaM0', 'canariaDef'];

export function printGoals(cells: readonly Cell[], tallies: readonly CellTally[], out: (s: string) => void): { misses: string[] } {
  const misses: string[] = [];
  const tagged = (tag: GoalTag) => cells.map((c, i) => ({ c, t: tallies[i] })).filter((x) => x.c.goals?.includes(tag));
  const judged = (t: JudgeTally) => t.runs - t.exceptions;
  const report = (name: string, lines: GoalLine[]) => {
    const ok = lines.length > 0 && lines.every((l) => l.ok);
    out(`[${verdict(ok)}] ${name}`);
    for (const l of lines) out(`       ${l.ok ? 'ok  ' : 'MISS'} ${l.text}`);
    if (!ok) misses.push(name);
  };

  // 1. A/A verdict-level false fail ≤ 5% in every cell with n ≥ 30
  {
    const aa = cells.map((c, i) => ({ c, t: tallies[i] })).filter((x) => x.c.truth === 'A/A' && x.c.points >= 30);
    const lines: GoalLine[] = [];
    for (const key of CANARIA) {
      const over = aa.filter((x) => x.t[key].fail > 0.05 * judged(x.t[key]));
      const worst = aa.reduce((a, b) => (b.t[key].fail / Math.max(1, judged(b.t[key])) > a.t[key].fail / Math.max(1, judged(a.t[key])) ? b : a), aa[0]);
      lines.push({ ok: over.length === 0, text: `${JUDGE_LABEL[key]}: ${aa.length - over.length} of ${aa.length} A/A cells ≤ 5%; worst ${cellName(worst.c)}: ${exact(worst.t[key].fail, judged(worst.t[key]))}` });
      for (const x of over) lines.push({ ok: false, text: `  over 5%: ${cellName(x.c)}: ${exact(x.t[key].fail, judged(x.t[key]))}` });
    }
    const kOver = aa.filter((x) => x.t.kayenta.fail > 0.05 * judged(x.t.kayenta));
    const kWorst = aa.reduce((a, b) => (b.t.kayenta.fail / Math.max(1, judged(b.t.kayenta)) > a.t.kayenta.fail / Math.max(1, judged(a.t.kayenta)) ? b : a), aa[0]);
    report('A/A verdict-level false fail ≤ 5% in every cell with n ≥ 30 (families 1–6; warm-up blips judged by goal 4)', lines);
    out(`       (reference, Kayenta: ${kOver.length} of ${aa.length} A/A cells over 5%; worst ${cellName(kWorst.c)}: ${exact(kWorst.t.kayenta.fail, judged(kWorst.t.kayenta))})`);
  }

  // 2. zero baseline with ≥ 10 expected canary errors: power ≥ 90%
  {
    const lines: GoalLine[] = [];
    for (const { c, t } of tagged('zero-baseline-10')) {
      for (const key of CANARIA) lines.push({ ok: t[key].fail >= 0.9 * judged(t[key]), text: `${JUDGE_LABEL[key]}: ${cellName(c)}: power ${exact(t[key].fail, judged(t[key]))}` });
    }
    report('zero baseline with ≥ 10 expected canary errors: power ≥ 90%', lines);
    for (const { c, t } of tagged('zero-baseline-10')) out(`       (reference, Kayenta on the error ratio: ${cellName(c)}: ${exact(t.kayenta.fail, judged(t.kayenta))})`);
  }

  // 3. errors ×1.2 at 1e-3, 50 req/s per side, 106 min: power ≥ 65%
  {
    const lines: GoalLine[] = [];
    for (const { c, t } of tagged('errors-1.2')) lines.push({ ok: t.canariaM0.fail >= 0.65 * judged(t.canariaM0), text: `${JUDGE_LABEL.canariaM0}: ${cellName(c)}: power ${exact(t.canariaM0.fail, judged(t.canariaM0))}` });
    report('errors ×1.2 at 1e-3, 50 req/s per side, 106 min: power ≥ 65% (margin 0: a detection goal)', lines);
    for (const { t } of tagged('errors-1.2')) {
      out(`       (not a goal: ${JUDGE_LABEL.canariaDef}, default margin ×1.2 = the true effect, so a fail needs the estimate above the truth: ${exact(t.canariaDef.fail, judged(t.canariaDef))})`);
      out(`       (reference, Kayenta on the error ratio: ${exact(t.kayenta.fail, judged(t.kayenta))})`);
    }
  }

  // 4. warm-up blip (5 sd, τ = 10): false fail ≤ 8%
  {
    const lines: GoalLine[] = [];
    for (const { c, t } of tagged('warmup-5-10')) for (const key of CANARIA) lines.push({ ok: t[key].fail <= 0.08 * judged(t[key]), text: `${JUDGE_LABEL[key]}: ${cellName(c)}: ${exact(t[key].fail, judged(t[key]))}` });
    report('warm-up blip (5 sd, τ = 10): false fail ≤ 8%', lines);
    for (const { t } of tagged('warmup-5-10')) out(`       (reference, Kayenta: ${exact(t.kayenta.fail, judged(t.kayenta))})`);
    for (const { c, t } of tagged('warmup-5-10-configured')) {
      for (const key of CANARIA) out(`       (brief * bar, not in issue 11: with warmupMinutes 10, ≤ 5%: ${JUDGE_LABEL[key]} ${cellName(c)}: ${exact(t[key].fail, judged(t[key]))} → ${t[key].fail <= 0.05 * judged(t[key]) ? 'meets' : 'misses'})`);
    }
  }

  // 5. every non-pass canaria-v1 metric has a reason with effect, interval, p, n, n_eff and MDE
  {
    const lines: GoalLine[] = [];
    for (const key of CANARIA) {
      let nonPass = 0;
      const text: Record<string, number> = {};
      const meta: Record<string, number> = {};
      for (const t of tallies) {
        nonPass += t[key].nonPass;
        for (const e of REASON_ELEMENTS) {
          text[e] = (text[e] ?? 0) + t[key].missingText[e];
          meta[e] = (meta[e] ?? 0) + t[key].missingMeta[e];
        }
      }
      for (const e of REASON_ELEMENTS) {
        lines.push({
          ok: text[e] === 0,
          text: `${JUDGE_LABEL[key]}: ${e.padEnd(8)} missing from the reason text in ${exact(text[e], nonPass)} of non-pass metrics; missing from resultMetadata.canaria in ${exact(meta[e], nonPass)}`,
        });
      }
    }
    report('every non-pass canaria-v1 metric has a reason with effect, interval, p, n, n_eff and MDE (checked in the reason text; metadata shown too)', lines);
    const examples = new Map<string, string>();
    cells.forEach((c, i) => {
      for (const key of CANARIA) {
        const ex = tallies[i][key].example;
        if (!ex) continue;
        const sig = `${c.family}/${ex.missing.join(',')}`;
        if (!examples.has(sig)) examples.set(sig, `       e.g. ${JUDGE_LABEL[key]} ${cellName(c)} run ${ex.run}, missing ${ex.missing.join(', ')}: "${ex.reason}"`);
      }
    });
    for (const e of examples.values()) out(e);
  }

  // not an issue-11 goal: interval coverage against the intervals' own nominal level
  {
    out('[info] interval coverage (brief §3.4 * bar; not in issue 11): canaria-v1 reports 1 − 2α = 90% intervals; cells whose');
    out('       coverage is below 90% with the whole Wilson interval below it:');
    let any = false;
    cells.forEach((c, i) => {
      const t = tallies[i].canariaM0;
      if (t.coverageTotal === 0) return;
      const [, hi] = wilson(t.covered, t.coverageTotal);
      if (hi < 0.9) {
        any = true;
        out(`       ${cellName(c)}: ${exact(t.covered, t.coverageTotal)}`);
      }
    });
    if (!any) out('       none');
    const fam1 = cells.map((c, i) => ({ c, t: tallies[i].canariaM0 })).filter((x) => x.c.family === 1 && x.t.coverageTotal > 0);
    if (fam1.length > 0) {
      const worst = fam1.reduce((a, b) => (b.t.covered / b.t.coverageTotal < a.t.covered / a.t.coverageTotal ? b : a));
      out(`       family 1 (AR(1), ρ ≤ 0.95): lowest ${cellName(worst.c)}: ${exact(worst.t.covered, worst.t.coverageTotal)} (the brief's * bar asks ≥ 95% of a 95% interval)`);
    }
  }
  return { misses };
}
