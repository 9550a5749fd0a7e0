// Judge benchmark: canaria's judge and Mann-Whitney (rank sums counted over tie groups, O(distinct values)) against the same
// computation with a sort per evaluation (Kayenta's way) and against R's wilcox.test, on
// identical seeded data, in-process; then `canaria judge` (bin/canaria.js) against Rscript running
// wilcox.test, as whole processes on the same data (issue 14). Run with `npm run bench:judge`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judge, serializeJudgeResult } from '../lib/judge/judge.ts';
import { mannWhitneySorted, rankSumsOf, type MannWhitneyResult, type RankSums } from '../lib/judge/mann-whitney.ts';
import { sortedCopy } from '../lib/judge/stats.ts';
import type { JudgeCanaryConfig, MetricSetPair } from '../lib/judge/types.ts';
import { mulberry32 } from '../test/support/prometheus-data.ts';
import { sortPerEvaluationRankSums } from './sort-per-evaluation.ts';

const SIZES = [1_000, 10_000];
const CONFIDENCE = 0.98;
const MIN_RUNS = 5;
const MIN_MS = 1_000;
const WARMUP_MS = 200;
const R_MIN_RUNS = 3;
/** Whole processes: this many runs of each, interleaved (R, canaria, canaria, R, ...). */
const PROCESS_R_RUNS = 3;
const PROCESS_CANARIA_PER_R = 3;
const BIN = fileURLToPath(new URL('../bin/canaria.js', import.meta.url));

// ---- deterministic data ---------------------------------------------------------------------

/** Standard normal deviate (Box-Muller). */
function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Poisson deviate (Knuth); fine for the small means used here. */
function poisson(rng: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

/** Rounding to 2 decimals makes ties, as metric stores do. */
const round2 = (v: number) => Math.round(v * 100) / 100;

type Generator = (rng: () => number, canary: boolean) => number;
const logNormal =
  (median: number, sigma: number, canaryFactor: number): Generator =>
  (rng, canary) =>
    round2(median * (canary ? canaryFactor : 1) * Math.exp(sigma * gaussian(rng)));
const normal =
  (mu: number, sd: number, canaryShift: number): Generator =>
  (rng, canary) =>
    round2(mu + (canary ? canaryShift : 0) + sd * gaussian(rng));
/** Small integer counts: heavy ties. */
const counts =
  (lambda: number, canaryLambda: number): Generator =>
  (rng, canary) =>
    poisson(rng, canary ? canaryLambda : lambda);

const METRICS: Array<{ name: string; generate: Generator }> = [
  { name: 'latency_p50_ms', generate: logNormal(120, 0.25, 1.0) },
  { name: 'latency_p99_ms', generate: logNormal(450, 0.4, 1.03) },
  { name: 'gc_pause_ms', generate: logNormal(15, 0.6, 1.1) },
  { name: 'cpu_percent', generate: normal(45, 8, 1.5) },
  { name: 'memory_mb', generate: normal(2048, 50, 0) },
  { name: 'requests_per_s', generate: normal(800, 40, -10) },
  { name: 'errors', generate: counts(0.5, 0.7) },
  { name: 'http_5xx', generate: counts(2, 2) },
  { name: 'retries', generate: counts(4, 3.5) },
  { name: 'queue_depth', generate: counts(10, 11) },
];

function metricSetPairs(size: number): MetricSetPair[] {
  return METRICS.map(({ name, generate }, i) => {
    const rng = mulberry32(size * 100 + i);
    const control = Array.from({ length: size }, () => generate(rng, false));
    const experiment = Array.from({ length: size }, () => generate(rng, true));
    return { name, id: `m${i}`, tags: {}, values: { control, experiment } };
  });
}

const canaryConfig: JudgeCanaryConfig = {
  metrics: METRICS.map(({ name }) => ({ name, groups: ['service'], analysisConfigurations: { canary: {} } })),
  classifier: { groupWeights: { service: 100 } },
};
const thresholds = { pass: 95, marginal: 75 };

// ---- timing ---------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Warm up (one run, then until WARMUP_MS), then time ≥ MIN_RUNS runs and ≥ MIN_MS; median ms per run. */
function measure<T>(fn: () => T): { ms: number; runs: number; result: T } {
  let result = fn();
  for (const t0 = performance.now(); performance.now() - t0 < WARMUP_MS; ) result = fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_RUNS || performance.now() - start < MIN_MS) {
    const t = performance.now();
    result = fn();
    times.push(performance.now() - t);
  }
  return { ms: median(times), runs: times.length, result };
}

type RankSumFn = (x: Float64Array, y: Float64Array) => (d: number) => RankSums;
const sortPerEvaluation: RankSumFn = (x, y) => (d) => sortPerEvaluationRankSums(x, y, d);
const allMannWhitney = (pairs: MetricSetPair[], rankSums: RankSumFn) =>
  pairs.map((p) => {
    const x = sortedCopy(p.values.experiment);
    const y = sortedCopy(p.values.control);
    return mannWhitneySorted(x, y, CONFIDENCE, rankSums(x, y));
  });

// ---- R reference ----------------------------------------------------------------------------

// Times only the wilcox.test loop inside R (R start-up and reading excluded): ≥ R_MIN_RUNS runs and
// ≥ MIN_MS, no warm-up (stats is byte-compiled; the median absorbs a slow first run). Fewer runs than
// measure() because one 10k run takes ~15 s here, most of it in table() inside wilcox.test's wdiff.
const R_SCRIPT = `
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; k <- as.integer(args[2])
read <- function(name) { f <- file.path(dir, name); readBin(f, "double", n = file.size(f) / 8, size = 8) }
experiment <- lapply(seq_len(k), function(i) read(sprintf("experiment%d.f64", i)))
control <- lapply(seq_len(k), function(i) read(sprintf("control%d.f64", i)))
run <- function() lapply(seq_len(k), function(i)
  wilcox.test(experiment[[i]], control[[i]], exact = FALSE, correct = TRUE, conf.int = TRUE, conf.level = ${CONFIDENCE}))
now <- function() proc.time()[["elapsed"]]
times <- numeric(0); start <- now()
while (length(times) < ${R_MIN_RUNS} || now() - start < ${MIN_MS / 1000}) { t <- now(); res <- run(); times <- c(times, now() - t) }
cat(sprintf("time %.17g %.17g %d\\n", median(times) * 1000, min(times) * 1000, length(times)))
for (r in res) cat(sprintf("result %.17g %.17g %.17g %.17g\\n", r$conf.int[1], r$conf.int[2], r$estimate, r$p.value))
`;

interface RRun {
  ms: number;
  minMs: number;
  runs: number;
  results: MannWhitneyResult[];
}

function rVersion(): string | undefined {
  const r = spawnSync('Rscript', ['--version'], { encoding: 'utf8' });
  return r.error ? undefined : (r.stdout + r.stderr).trim();
}

/** Series go over as raw native-endian float64 (readBin's default), so R sees the exact doubles. */
function runR(pairs: MetricSetPair[]): RRun {
  const dir = mkdtempSync(join(tmpdir(), 'canaria-bench-'));
  try {
    pairs.forEach((p, i) => {
      writeFileSync(join(dir, `experiment${i + 1}.f64`), Float64Array.from(p.values.experiment));
      writeFileSync(join(dir, `control${i + 1}.f64`), Float64Array.from(p.values.control));
    });
    writeFileSync(join(dir, 'bench.R'), R_SCRIPT);
    const r = spawnSync('Rscript', [join(dir, 'bench.R'), dir, String(pairs.length)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Rscript failed: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n').map((l) => l.split(' '));
    const [, ms, minMs, runs] = lines.find((l) => l[0] === 'time')!;
    const results = lines
      .filter((l) => l[0] === 'result')
      .map(([, lower, upper, estimate, pValue]) => ({
        lowerConfidence: Number(lower),
        upperConfidence: Number(upper),
        estimate: Number(estimate),
        pValue: Number(pValue),
      }));
    return { ms: Number(ms), minMs: Number(minMs), runs: Number(runs), results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- whole processes ------------------------------------------------------------------------

// One process per run, as a user runs either tool: R starts, reads the series (raw float64, cheaper
// than canaria's JSON), runs wilcox.test once per metric and prints; canaria starts, reads the
// RemoteJudge JSON body, validates it, judges and prints the CanaryJudgeResult.
const R_PROCESS_SCRIPT = `
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; k <- as.integer(args[2])
read <- function(name) { f <- file.path(dir, name); readBin(f, "double", n = file.size(f) / 8, size = 8) }
for (i in seq_len(k)) {
  r <- wilcox.test(read(sprintf("experiment%d.f64", i)), read(sprintf("control%d.f64", i)),
                   exact = FALSE, correct = TRUE, conf.int = TRUE, conf.level = ${CONFIDENCE})
  cat(sprintf("result %.17g %.17g %.17g %.17g\\n", r$conf.int[1], r$conf.int[2], r$estimate, r$p.value))
}
`;

interface ProcessRuns {
  canariaMs: number;
  canariaRuns: number;
  /** The same command run from the TypeScript sources (CANARIA_NO_BUNDLE=1), and `node -e 0`. */
  sourcesMs: number;
  nodeMs: number;
  rMs: number | undefined;
  rRuns: number;
}

function timeProcess(command: string, args: string[], env?: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: env && { ...process.env, ...env } });
  const ms = performance.now() - t;
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return { ms, stdout: r.stdout };
}

/** `canaria judge --input FILE` and Rscript as whole processes, interleaved; median wall ms of each. */
function runProcesses(pairs: MetricSetPair[], expectedJson: string, withR: boolean): ProcessRuns {
  const dir = mkdtempSync(join(tmpdir(), 'canaria-bench-'));
  try {
    const input = join(dir, 'judge-request.json');
    writeFileSync(input, JSON.stringify({ canaryConfig: { name: 'bench', ...canaryConfig }, metricSetPairList: pairs, scoreThresholds: thresholds }));
    pairs.forEach((p, i) => {
      writeFileSync(join(dir, `experiment${i + 1}.f64`), Float64Array.from(p.values.experiment));
      writeFileSync(join(dir, `control${i + 1}.f64`), Float64Array.from(p.values.control));
    });
    writeFileSync(join(dir, 'judge.R'), R_PROCESS_SCRIPT);
    const canariaOnce = (env?: NodeJS.ProcessEnv) => {
      const run = timeProcess(process.execPath, [BIN, 'judge', '--input', input], env);
      if (run.stdout.trim() !== expectedJson) {
        console.error('canaria judge (process) printed a result different from the in-process judge');
        process.exit(1);
      }
      return run.ms;
    };
    canariaOnce(); // warm the file cache, as R's first run below warms its own
    const canariaTimes: number[] = [];
    const sourcesTimes: number[] = [];
    const nodeTimes: number[] = [];
    const rTimes: number[] = [];
    for (let i = 0; i < (withR ? PROCESS_R_RUNS : 1); i++) {
      if (withR) {
        const r = timeProcess('Rscript', [join(dir, 'judge.R'), dir, String(pairs.length)]);
        if (r.stdout.split('\n').filter((l) => l.startsWith('result ')).length !== pairs.length) throw new Error('Rscript printed too few results');
        rTimes.push(r.ms);
      }
      for (let j = 0; j < PROCESS_CANARIA_PER_R; j++) {
        canariaTimes.push(canariaOnce());
        sourcesTimes.push(canariaOnce({ CANARIA_NO_BUNDLE: '1' }));
        nodeTimes.push(timeProcess(process.execPath, ['-e', '0']).ms);
      }
    }
    return {
      canariaMs: median(canariaTimes),
      canariaRuns: canariaTimes.length,
      sourcesMs: median(sourcesTimes),
      nodeMs: median(nodeTimes),
      rMs: withR ? median(rTimes) : undefined,
      rRuns: rTimes.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- checks ---------------------------------------------------------------------------------

const FIELDS = ['lowerConfidence', 'upperConfidence', 'estimate', 'pValue'] as const;

/** Exits 1 unless every compared result equals the reference bit for bit (Object.is). */
function assertBitIdentical(reference: MannWhitneyResult[], others: Record<string, Array<Partial<MannWhitneyResult> | undefined>>): void {
  for (const [label, results] of Object.entries(others)) {
    reference.forEach((ref, i) => {
      for (const field of FIELDS) {
        const got = results[i]?.[field];
        if (!Object.is(got, ref[field])) {
          console.error(`bit-identical: NO — ${METRICS[i].name}.${field}: canaria mannWhitney ${ref[field]} vs ${label} ${got}`);
          process.exit(1);
        }
      }
    });
  }
}

const maxAbsDiff = (a: MannWhitneyResult[], b: MannWhitneyResult[], fields: ReadonlyArray<keyof MannWhitneyResult>) =>
  Math.max(...a.flatMap((r, i) => fields.map((f) => Math.abs(r[f] - b[i][f]))));

// ---- main -----------------------------------------------------------------------------------

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const fmtDiff = (v: number) => (v === 0 ? '0' : v.toExponential(2));
const row = (label: string, value: string, note = '') => console.log(`  ${label.padEnd(34)}${value.padStart(10)}${note}`);

const R_VERSION = rVersion();
console.log(`node ${process.version}, ${cpus().length} CPU(s); ${METRICS.length} metrics; times are the median ms per run of all ${METRICS.length} metrics`);
console.log(R_VERSION ? `R: ${R_VERSION.split('\n')[0]}` : 'R: Rscript not found (install Debian package r-base-core to compare); skipping the R reference');

for (const size of SIZES) {
  const pairs = metricSetPairs(size);

  let evaluations = 0;
  allMannWhitney(pairs, (x, y) => {
    const at = rankSumsOf(x, y);
    return (d) => {
      evaluations++;
      return at(d);
    };
  });

  const judged = measure(() => judge(canaryConfig, pairs, thresholds));
  const canaria = measure(() => allMannWhitney(pairs, rankSumsOf));
  const sortPerEvaluationRun = measure(() => allMannWhitney(pairs, sortPerEvaluation));
  const r = R_VERSION ? runR(pairs) : undefined;

  const labelCounts = new Map<string, number>();
  for (const res of judged.result.results) labelCounts.set(res.classification, (labelCounts.get(res.classification) ?? 0) + 1);
  const labelSummary = [...labelCounts].map(([label, count]) => `${label} ${count}`).join(', ');
  console.log(`\n${size} points per side (${evaluations} rank-sum evaluations per run; judge score ${judged.result.score.score} ${judged.result.score.classification}: ${labelSummary})`);
  row('canaria judge', `${fmt(judged.ms)} ms`, `  (${judged.runs} runs)`);
  row('canaria mannWhitney', `${fmt(canaria.ms)} ms`, `  (${canaria.runs} runs)`);
  row('sort-per-evaluation mannWhitney', `${fmt(sortPerEvaluationRun.ms)} ms`, `  (${sortPerEvaluationRun.runs} runs)`);
  row('R wilcox.test', r ? `${fmt(r.ms)} ms` : 'n/a', r ? `  (${r.runs} runs, min ${fmt(r.minMs)} ms)` : '');
  row('sort-per-evaluation / canaria', `${(sortPerEvaluationRun.ms / canaria.ms).toFixed(1)}x`);
  row('R / canaria', r ? `${(r.ms / canaria.ms).toFixed(1)}x` : 'n/a');

  assertBitIdentical(canaria.result, {
    'sort-per-evaluation': sortPerEvaluationRun.result,
    'canaria judge': judged.result.results.map((res) => res.resultMetadata),
  });
  console.log('  bit-identical: yes (canaria mannWhitney = sort-per-evaluation = judge resultMetadata: CI, estimate, p-value)');
  if (r) {
    const ci = maxAbsDiff(canaria.result, r.results, ['lowerConfidence', 'upperConfidence']);
    const p = maxAbsDiff(canaria.result, r.results, ['pValue']);
    const estimate = maxAbsDiff(canaria.result, r.results, ['estimate']);
    console.log(`  R vs canaria, max |difference|: conf.int ${fmtDiff(ci)}, p-value ${fmtDiff(p)}, estimate ${fmtDiff(estimate)} (R drops the continuity correction for the estimate, §4.4)`);
  }

  const processes = runProcesses(pairs, serializeJudgeResult(judged.result), R_VERSION !== undefined);
  console.log(`  whole processes (start, read, judge, print; median wall time, interleaved):`);
  row('canaria judge --input FILE', `${fmt(processes.canariaMs)} ms`, `  (${processes.canariaRuns} runs; output = in-process judge)`);
  row('  the same from the .ts sources', `${fmt(processes.sourcesMs)} ms`, '  (CANARIA_NO_BUNDLE=1: no cached CLI bundle)');
  row('  node -e 0 (Node start alone)', `${fmt(processes.nodeMs)} ms`);
  row('Rscript wilcox.test', processes.rMs !== undefined ? `${fmt(processes.rMs)} ms` : 'n/a', processes.rMs !== undefined ? `  (${processes.rRuns} runs)` : '');
  row('R / canaria judge, in-process', r ? `${(r.ms / judged.ms).toFixed(1)}x` : 'n/a');
  row('R / canaria judge, whole process', processes.rMs !== undefined ? `${(processes.rMs / processes.canariaMs).toFixed(1)}x` : 'n/a', '  (goal >= 50x at 10000 points)');
}
