// Judges benchmark (`npm run bench:judges`): NetflixACAJudge-v1.0 (the Kayenta port,
// lib/judge/judge.ts) and canaria-v1 (lib/judge/canaria-v1) side by side on identical seeded data,
// the design brief's §3.3 families 1–6; one table and the §3.4 goals as amended by issue 11; then
// family 7 (repeated looks, issue 12: Kayenta standalone / Argo-style looks vs canaria-v1 judgeLook)
// with its own table and goals.
//
//   BENCH_JUDGES_RUNS=N     A/A (and warm-up blip) cells run N times, regression cells ⌈N/2⌉ (default 1000)
//   BENCH_JUDGES_QUICK=1    smoke run: 40 / 20 runs
//   BENCH_JUDGES_SEED=S     master seed (default 20261128, the brief's seed A)
//   BENCH_JUDGES_WORKERS=W  worker threads (default: available parallelism; 0 = main thread)
//   BENCH_JUDGES_FILTER=re  only cells whose id or description matches the regular expression
//
// Deterministic: run r of a cell draws its data from xoshiro128**(mix(seed, hash(cell id), r)),
// so the counts do not depend on the number of workers or the order slices finish. Exit code 0
// whatever the goals say (a benchmark, not a test); misses are printed.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildCells, type Cell } from './judges/cells.ts';
import { printGoals, printTable } from './judges/report.ts';
import { emptyCellTally, JUDGES, mergeTally, runSlice, type CellTally } from './judges/run.ts';
import { buildSequentialCells, describeSequential, emptySeqCellTally, LOOKS, mergeSeq, printSequentialGoals, printSequentialTable, runSequentialSlice, type SeqCellTally } from './judges/sequential.ts';
import type { Job } from './judges/worker.ts';

const env = process.env;
const quick = env.BENCH_JUDGES_QUICK === '1';
const aaRuns = quick ? 40 : Math.max(1, Number.parseInt(env.BENCH_JUDGES_RUNS ?? '1000', 10) || 1000);
const powerRuns = quick ? 20 : Math.ceil(aaRuns / 2);
const seed = Number.parseInt(env.BENCH_JUDGES_SEED ?? '20261128', 10) >>> 0;
const workerCount = env.BENCH_JUDGES_WORKERS !== undefined ? Math.max(0, Number.parseInt(env.BENCH_JUDGES_WORKERS, 10) || 0) : availableParallelism();
const filter = env.BENCH_JUDGES_FILTER ? new RegExp(env.BENCH_JUDGES_FILTER) : null;
const SLICE = quick ? 20 : 50;

const allCells = buildCells();
const selected = allCells.map((c, index) => ({ c, index })).filter(({ c }) => !filter || filter.test(c.id) || filter.test(`${c.familyName}: ${c.params} ${c.effect ?? ''}`));
const runsOf = (c: Cell) => (c.truth === 'regression' ? powerRuns : aaRuns);

const allSeqCells = buildSequentialCells();
const selectedSeq = allSeqCells.map((c, index) => ({ c, index })).filter(({ c }) => !filter || filter.test(c.id) || filter.test(describeSequential(c)));
const seqRunsOf = (c: (typeof allSeqCells)[number]) => (c.truth === 'regression' ? powerRuns : aaRuns);

const jobs: Job[] = [];
for (const { c, index } of selected) {
  for (let start = 0; start < runsOf(c); start += SLICE) jobs.push({ id: jobs.length, cell: index, start, end: Math.min(runsOf(c), start + SLICE) });
}
for (const { c, index } of selectedSeq) {
  for (let start = 0; start < seqRunsOf(c); start += SLICE) jobs.push({ id: jobs.length, cell: index, start, end: Math.min(seqRunsOf(c), start + SLICE), seq: true });
}
// heavy cells first so the last slices are short (a family-7 run: 12 looks × 5 judges)
const cost = (j: Job) => (j.end - j.start) * (j.seq ? 3 * LOOKS : allCells[j.cell].configs.kayenta.metrics.length);
jobs.sort((a, b) => cost(b) - cost(a) || a.id - b.id);

const tallies = new Map<number, CellTally>(selected.map(({ index }) => [index, emptyCellTally()]));
const seqTallies = new Map<number, SeqCellTally>(selectedSeq.map(({ index }) => [index, emptySeqCellTally()]));
const totalRuns = jobs.reduce((s, j) => s + j.end - j.start, 0);
let doneRuns = 0;
let lastProgress = 0;
const t0 = performance.now();

function absorb(job: Job, tally: CellTally | null, seqTally?: SeqCellTally) {
  if (job.seq && seqTally) mergeSeq(seqTallies.get(job.cell)!, seqTally);
  else if (tally) {
    const into = tallies.get(job.cell)!;
    for (const k of JUDGES) mergeTally(into[k], tally[k]);
  }
  doneRuns += job.end - job.start;
  const now = performance.now();
  if (process.stderr.isTTY && now - lastProgress > 2000) {
    lastProgress = now;
    process.stderr.write(`\r  bench:judges ${((doneRuns / totalRuns) * 100).toFixed(0)}% of ${totalRuns} runs, ${((now - t0) / 1000).toFixed(0)} s`);
  }
}

async function runAll(): Promise<void> {
  if (workerCount === 0) {
    for (const job of jobs) {
      if (job.seq) absorb(job, null, runSequentialSlice(allSeqCells[job.cell], job.start, job.end, seed));
      else absorb(job, runSlice(allCells[job.cell], job.start, job.end, { seed }));
    }
    return;
  }
  const queue = [...jobs];
  const n = Math.min(workerCount, queue.length);
  await Promise.all(
    Array.from({ length: n }, () => {
      const worker = new Worker(new URL('./judges/worker.ts', import.meta.url), { workerData: { seed } });
      return new Promise<void>((resolve, reject) => {
        const next = () => {
          const job = queue.shift();
          if (job) worker.postMessage(job);
          else void worker.terminate().then(() => resolve());
        };
        worker.on('message', (m: { job: Job; tally?: CellTally; seqTally?: SeqCellTally }) => {
          absorb(m.job, m.tally ?? null, m.seqTally);
          next();
        });
        worker.on('error', reject);
        next();
      });
    }),
  );
}

await runAll();
const seconds = (performance.now() - t0) / 1000;
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

const cells = selected.map(({ c }) => c);
const cellTallies = selected.map(({ index }) => tallies.get(index)!);
const out = (s: string) => process.stdout.write(`${s}\n`);

out(`bench:judges — NetflixACAJudge-v1.0 (Kayenta port) vs canaria-v1 on identical seeded data (design brief §3.3 families 1–7)`);
out(`seed ${seed}; ${aaRuns} runs per A/A cell, ${powerRuns} per regression cell${quick ? ' (BENCH_JUDGES_QUICK smoke run)' : ''}; ${cells.length} + ${selectedSeq.length} (family 7) cells; ${workerCount === 0 ? 'main thread' : `${Math.min(workerCount, jobs.length)} worker threads`}`);
out('');
out('Judges (one canary config per cell, thresholds pass 95 / marginal 75):');
out('  Kayenta    NetflixACAJudge-v1.0 with its defaults (direction either unless set, allowedIncrease 1, no outlier removal).');
out('  c-v1 m=0   canaria-v1, analysisConfigurations.canaria.margin = 0 on every scored metric: any significant change in the');
out('             harm direction (increase) fails — the detection setting, comparable with Kayenta\'s default effect size.');
out('  c-v1 dflt  canaria-v1 with the kind-default margins (latency +5%, errors ×1.2, histogram exceedances ×1.2): a pass must');
out('             be shown (interval upper bound below the margin), else the metric is inconclusive (summary Marginal).');
out('Inputs per family (both judges see the same simulated data; pairs carry scopes {startTimeMillis, stepMillis 60000} and the query):');
out('  1 AR(1)        level 100 + stationary AR(1), marginal sd 5 (lognormal: 100·exp(AR(1) sd 0.05)); +load: shared AR(1) ρ 0.98 sd 10');
out('                 on both sides; regressions shift the canary level by 0.25/0.5/1/2 sd. Kind latency (default).');
out('  2 Prom rate    sum(rate(x[w])) at 60 s step over 10 s scrapes of two counters (increments max(N(.4,.1),0)·10 and');
out('                 max(N(.2,.05),0)·10, random scrape phase), Prometheus extrapolation; the query carries [1m] or [5m], so');
out('                 canaria-v1 blocks by 5 at [5m]. increase() = rate()·w gives the same verdicts (both judges are scale-free).');
out('  3 counts       per minute requests ~ Poisson(rps·60), errors ~ Binomial(requests, p); bursty: +Geometric(mean 20) errors');
out('                 with probability 0.04·(side\'s traffic share) per minute (0.02 per side at 50/50; at 10/90 the canary gets');
out('                 10% of the bursts, so per-request rates stay equal). canaria-v1: kind errors (counts) with denominator requests');
out('                 (muted, kind throughput). Kayenta: the per-minute error RATIO series errors/requests, direction increase,');
out('                 nanStrategy replace (what the seed config\'s request_error metric would be with [60s] windows).');
out('  4 histogram    lognormal latency (median 100 ms, σ 0.5), Prometheus default buckets, Poisson counts per bucket per minute.');
out('                 canaria-v1: kind latency-histogram (one pair per le, default quantiles 0.5/0.9/0.99). Kayenta: three');
out('                 gauges p50/p90/p99 computed per minute with histogram_quantile() from the same bucket counts.');
out('  5 warm-up      family 1 at ρ 0.5, n 106, canary + A·sd·e^(−t/τ). "warm-up 10 min": canaria-v1 warmupMinutes 10, Kayenta');
out('                 gets the series without the first 10 minutes (as beginAfterMins would).');
out('  6 many metrics M metrics as family 1 (ρ 0.5, n 106), independent or equicorrelated 0.5 across metrics (a common factor');
out('                 per side); k metrics shifted +1 sd. One group; BH across metrics in canaria-v1.');
out('  7 sequential   family 1 at n 120 (level 100, sd 5), a look every 10 points; its own table and goals below the others.');
out('Columns: Fail = summary classification Fail (false fail on A/A rows, power on regression rows); not Pass = Fail or');
out('Marginal; Marginal = summary Marginal (canaria-v1: no fail and ≥ 1 inconclusive metric); coverage = share of canaria-v1');
out('metric intervals (resultMetadata.canaria.effect.lower/upper, nominal level 1 − 2α = 90%) containing the true effect on the');
out('judge\'s scale (paired log ratio, rate ratio, exceedance ratio at the reported threshold; "/N" = intervals when ≠ runs, "—"');
out('= truth unknown or infinite); ms/metric = mean wall time of one judge call / scored metrics in it (Kayenta scores 3 gauges');
out('per histogram run, canaria-v1 1 histogram), measured inside the worker threads, so it grows with machine load.');
out('[..] = Wilson 95% interval; "!k" = k runs where the judge threw.');
out('');
const problems: string[] = [];
let misses: string[] = [];
if (cells.length > 0) {
  printTable(cells, cellTallies, out);
  out('');
  out('Goals (design brief §3.4 as amended by issue 11; decided on exact counts, point estimates):');
  misses = printGoals(cells, cellTallies, out).misses;
  out('');
  cells.forEach((c, i) => {
    for (const k of JUDGES) {
      const t = cellTallies[i][k];
      if (t.exceptions > 0) problems.push(`${k} threw in ${c.id} (${t.exceptions} runs): ${t.firstException?.split('\n')[0]}`);
      if (t.errorLabels > 0) problems.push(`${k} labelled ${t.errorLabels} metrics Error in ${c.id}: ${t.firstErrorLabel}`);
    }
  });
}
if (selectedSeq.length > 0) {
  const seqCells = selectedSeq.map(({ c }) => c);
  const seqT = selectedSeq.map(({ index }) => seqTallies.get(index)!);
  out('Family 7, sequential looks (brief §3.3, issue 12): 120-point lifetime of family 1 (additive AR(1), level 100, sd 5),');
  out('a look every 10 points (12 looks); canary shift in marginal sd. Judges:');
  out('  Kayenta growing    NetflixACAJudge-v1.0 on all points so far (standalone, lookbackMins 0); fails at the first look');
  out('                     with score < 75; at look 12 it passes if the score ≥ 95, else ends not passed. Never passes early.');
  out('  Argo sliding fL=0  the same judge on the last 10 points only; fails at the 1st look below 75 (failureLimit 0);');
  out('  Argo sliding fL=1  … at the 2nd (failureLimit 1). A run without enough failed looks counts as passed at the end.');
  out('  c-v1 m=0 / m=5%    canaria-v1 judgeLook (growing window, SequenceState stored as JSON between looks, plannedLooks 12,');
  out('                     burn-in 30 points and n_eff ≥ 8) with margin 0 and with the latency default margin +5% (≈ 1 sd);');
  out('                     stop fail / stop pass / continue; nothing proven at look 12 = inconclusive (end not Pass).');
  out('Columns: Fail any look = runs that ended failed (false fail on A/A rows, power on shifted rows); fail by 40 pts = failed at');
  out('look ≤ 4; fail/pass pts = median (p90) point of the stopping look among runs that stopped so; pass < 120 = stopped passed');
  out('at look ≤ 11; end not Pass = reached look 12 without a stop (canaria-v1: inconclusive) or Kayenta\'s last score < 95.');
  out('');
  printSequentialTable(seqCells, seqT, out);
  out('');
  out('Goals, family 7 (brief §3.4 and issue 12; decided on exact counts):');
  misses = misses.concat(printSequentialGoals(seqCells, seqT, out).misses);
  out('');
  seqCells.forEach((c, i) => {
    for (const [k, t] of Object.entries(seqT[i])) if (t.exceptions > 0) problems.push(`${k} threw in ${c.id} (${t.exceptions} runs): ${t.firstException?.split('\n')[0]}`);
  });
}
if (problems.length > 0) {
  out('Judge exceptions / Error labels:');
  for (const p of problems) out(`  ${p}`);
} else out('No judge threw and no metric was labelled Error.');
out(misses.length === 0 ? 'All goals met.' : `${misses.length} goal(s) MISSED: ${misses.join('; ')}`);
out(`runtime ${seconds.toFixed(1)} s (${totalRuns} runs; families 1–6: 3 judge calls each, family 7: 12 looks × 5 judges)`);
process.exitCode = 0;
