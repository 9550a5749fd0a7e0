// What one FetchOne costs: the real task (lib/analysis/tasks.ts, as functions/tasks/fetch.ts runs
// it, with the Powertools telemetry sink) for a 20-metric analysis at a 60 s step over 2 hours,
// against a real Prometheus (test/support/prometheus.ts), the request document in SQLite.
// Per fetch (one metric, both sides): wall time, CPU time of this process (process.cpuUsage,
// user + system) and bytes.
// From those, an estimate of the fetch Lambda's billed duration at 512 and 256 MB and the fetch
// tasks' cost per analysis (docs/executions.md, "What one analysis costs"). Then the memory one
// fetch takes for both sides' answers at limits.maxBytesPerAnswer (16 MiB each), measured in a child process
// (the bench run again with FETCH_COST_CHILD set) so that nothing else of the bench is in its RSS.
// Figures, no verdict.
//
// Run with `npm run bench:fetch-cost`. Needs Debian's prometheus/promtool; without them it says why
// and exits 0. BENCH_FETCH_ROUNDS sets the timed rounds of 20 fetches (default 10).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExecutionStore } from '../lib/analysis/executions.ts';
import type { FetchOneInput, FetchRef, FetchWith } from '../lib/analysis/prepare.ts';
import { createExecution } from '../lib/analysis/start.ts';
import { fetchOne, judgeTask, mix, plan, record, type FetchResult, type TaskDeps } from '../lib/analysis/tasks.ts';
import { canaryConfigSchema } from '../lib/config/canary-config.ts';
import { parseWith } from '../lib/config/validation.ts';
import { kayentaJson } from '../lib/json.ts';
import { DEFAULT_LIMITS } from '../lib/metrics/source.ts';
import { MetricAccounts } from '../lib/metrics/sources.ts';
import { openSqliteStorage } from '../lib/store/sqlite-storage.ts';
import { ConfigStore } from '../lib/store/config-store.ts';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from '../test/support/prometheus.ts';
import { CANARY_DATASET, START, STEP } from '../test/support/prometheus-data.ts';
import { iso, METRICS, scopes, window } from './support/ten-metrics.ts';

const ROUNDS = Math.max(1, Number(process.env.BENCH_FETCH_ROUNDS ?? 10) || 10);

// Prices and sizes of docs/executions.md (us-east-1, arm64).
const GB_SECOND = 0.0000133334;
/** Lambda: 1,769 MB of memory get one vCPU; CPU in proportion below that. */
const MB_PER_VCPU = 1769;
const SIZES_MB = [512, 256];

// ---- the analysis: 20 metrics over the test dataset (bench/e2e.bench.ts's ten, twice) --------

const CONFIG = {
  name: 'bench-fetch-cost',
  applications: ['bench'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [...METRICS, ...METRICS.map((m) => ({ ...m, name: `${m.name} (2)` }))],
  classifier: { groupWeights: { latency: 40, errors: 30, saturation: 30 } },
};

// ---- helpers --------------------------------------------------------------------------------

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
}
const median = (xs: readonly number[]) => quantile(xs, 0.5);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Everything written to stdout and stderr while `fn` runs (what Lambda would ship to CloudWatch Logs), kept off the terminal. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write);
  for (const s of streams) s.write = ((chunk: unknown) => (chunks.push(String(chunk)), true)) as typeof s.write;
  try {
    return { value: await fn(), text: chunks.join('') };
  } finally {
    streams.forEach((s, i) => (s.write = writes[i]));
  }
}
const linesOf = (text: string) => text.split('\n').filter((l) => l.length > 0);
/** A line's UTF-8 bytes (PutLogEvents counts 26 more per event; whether ingestion is billed so is not checked). */
const bytesOf = (lines: readonly string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);

interface Sample {
  wall: number;
  cpu: number;
}

async function timedFetch(item: FetchOneInput, deps: TaskDeps): Promise<Sample & { result: FetchResult }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fetchOne(item, deps);
  const wall = performance.now() - t0;
  return { wall, cpu: cpuMs(process.cpuUsage(c0)), result };
}


// ---- memory at the answer cap ----------------------------------------------------------------

/** 1,000 series (limits.maxSeriesPerMetric) of 500 points: just under the 16 MiB cap. */
const BIG = { series: 1000, points: 500 };

function bigAnswer(): Buffer {
  const parts: string[] = [];
  for (let s = 0; s < BIG.series; s++) {
    const values = Array.from({ length: BIG.points }, (_, i) => `[${START + STEP * i},"${(Math.random() * 1000).toFixed(12)}"]`).join(',');
    parts.push(`{"metric":{"__name__":"big","instance":"i-${String(s).padStart(17, '0')}","job":"node"},"values":[${values}]}`);
  }
  return Buffer.from(`{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}}`);
}

/**
 * The child: what one FetchOne does at worst, both sides' big answers from FETCH_COST_CHILD's
 * endpoint at once, each side's sets then written as JSON (what goes to S3); prints its RSS.
 */
async function memoryChild(endpoint: string): Promise<void> {
  const { source } = new MetricAccounts([{ name: 'big', type: 'prometheus', endpoint } as never]).resolve('big', 'prometheus');
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const c0 = process.cpuUsage();
  const side = async () => {
    const sets = await source.fetch({
      metric: { name: 'big', query: { type: 'prometheus', customInlineTemplate: 'PromQL:big{${scope}}' }, groups: ['g'], analysisConfigurations: {}, scopeName: 'default' } as never,
      scope: { start: iso(START), end: iso(START + STEP * (BIG.points - 1)), step: STEP, scope: 'job="node"' } as never,
    });
    return { sets: sets.length, json: kayentaJson(sets).length };
  };
  const [control] = await Promise.all([side(), side()]);
  const cpu = cpuMs(process.cpuUsage(c0));
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  console.log(JSON.stringify({ base, peak, cpu, ...control }));
}

/** Serves the big answer to a child running memoryChild; what it printed, or why not. */
async function measureBigFetch(): Promise<string> {
  const body = bigAnswer();
  const server = createServer((_, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const { port } = server.address() as { port: number };
    // Asynchronously: this process serves the answer meanwhile.
    const child = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [process.argv[1]], { env: { ...process.env, FETCH_COST_CHILD: `http://127.0.0.1:${port}` } }, (err, stdout, stderr) =>
        resolve({ status: err ? 1 : 0, stdout, stderr }),
      ),
    );
    if (child.status !== 0) return `  the child failed: ${child.stderr.trim().split('\n').slice(-3).join(' / ')}`;
    const m = JSON.parse(child.stdout.trim().split('\n').pop()!) as { base: number; peak: number; cpu: number; sets: number; json: number };
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    return (
      `  2 sides x answer ${(body.length / 2 ** 20).toFixed(1)} MiB (cap ${mib(DEFAULT_LIMITS.maxBytesPerAnswer)} MiB), ${m.sets} sets, ${(m.json / 2 ** 20).toFixed(1)} MiB of JSON for S3 a side:` +
      ` RSS ${mib(m.base)} -> peak ${mib(m.peak)} MiB (+${mib(m.peak - m.base)} MiB, unbundled TypeScript in this process), CPU ${m.cpu.toFixed(0)} ms (x ${(MB_PER_VCPU / 256).toFixed(2)} = ${((m.cpu * MB_PER_VCPU) / 256 / 1000).toFixed(1)} s at 256 MB)`
    );
  } finally {
    server.close();
  }
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const available = prometheusAvailable();
  if (!available.ok) {
    console.log(`bench:fetch-cost skipped: Prometheus is unavailable: ${available.reason}`);
    return;
  }
  // As the stack sets it on the task functions (serverless.yml); log level INFO (the default).
  process.env.POWERTOOLS_SERVICE_NAME ??= 'canaria-prod';
  const { powertoolsTelemetry } = await import('../lib/telemetry/powertools.ts');
  let prom: RunningPrometheus | undefined;
  try {
    prom = await startPrometheus([...CANARY_DATASET]);
    const storage = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'canaria-bench-')), 'canaria.db'));
    const deps: TaskDeps = {
      executions: new ExecutionStore(storage),
      configs: new ConfigStore(storage),
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: prom.url } as never]),
      now: Date.now,
      telemetry: powertoolsTelemetry(),
    };
    console.log(`${available.version}; node ${process.version}; ${CONFIG.metrics.length} metrics, ${window.start}..${window.end} step ${STEP} s`);

    // One whole analysis through the tasks (Plan, 20 fetches in a fresh process, Mix, Judge,
    // Record), its telemetry captured as Lambda would ship it.
    const config = parseWith(canaryConfigSchema, CONFIG, ['canaryConfig']);
    const { id } = await createExecution({ config, canaryConfigId: 'bench', executionRequest: { scopes, thresholds: { pass: 75, marginal: 50 } } as never, application: 'bench', metricsAccountName: 'prom' }, deps);
    const planned = await captured(() => plan({ input: { executionId: id }, executionName: id }, deps));
    // As the ItemSelector gives them (functions/canary.asl.yml).
    const { fetchWith } = planned.value;
    const items = planned.value.fetches.map((ref) => ({ fetchWith, ref }));
    const until = (deadline: number) => (item: { fetchWith: FetchWith; ref: FetchRef }) => ({ fetchWith: { ...item.fetchWith, fetchDeadlineMillis: deadline }, ref: item.ref });
    const first = await captured(async () => {
      const out = [];
      for (const item of items) out.push(await timedFetch(item, deps));
      return out;
    });
    const fetched = first.value.map((s) => s.result);
    const rest = await captured(async () => {
      const mixed = await mix({ executionId: id, fetched }, deps);
      const judged = await judgeTask({ executionId: id, metricSetPairListId: mixed.metricSetPairListId }, deps);
      await record({ executionId: id, metricSetPairListId: mixed.metricSetPairListId, storedSets: mixed.storedSets, ...judged }, deps);
      return judged;
    });

    // Timed rounds, one fetch at a time (a Lambda container serves one invocation at a time),
    // warm: the request document cached, as in a warm container after its first fetch.
    const later = Date.now() + 3_600_000; // the plan's 120 s fetch deadline is for one analysis, not for the rounds
    const samples: Sample[] = [];
    const timed = await captured(async () => {
      for (let r = 0; r < ROUNDS; r++) for (const item of items) samples.push(await timedFetch(until(later)(item), deps));
    });

    // Bytes: Prometheus' replies in one more round, outside the timing, counted by a wrapper of
    // node:http's request (the source's client), put in place of the module's export.
    const http = process.getBuiltinModule('node:http');
    const realRequest = http.request;
    const replyBytes: number[] = [];
    http.request = ((...args: Parameters<typeof realRequest>) => {
      const req = realRequest(...args);
      req.on('response', (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => replyBytes.push(bytes));
      });
      return req;
    }) as typeof realRequest;
    syncBuiltinESMExports();
    try {
      await captured(async () => {
        for (const item of items) await fetchOne(until(later)(item), deps);
      });
    } finally {
      http.request = realRequest;
      syncBuiltinESMExports();
    }
    if (replyBytes.length !== 2 * items.length) throw new Error(`counted ${replyBytes.length} Prometheus replies for ${items.length} fetches of both sides`);
    const resultBytes = fetched.map((r) => Buffer.byteLength(JSON.stringify(r), 'utf8'));
    const sides = fetched.flatMap((r) => ('control' in r ? [r.control, r.experiment] : [r]));
    const points = sides.map((r) => ('sets' in r ? (r.sets as { values: unknown[] }[]).reduce((n, s) => n + s.values.length, 0) : NaN));

    const n = items.length;
    const firstWall = first.value.map((s) => s.wall);
    const firstCpu = first.value.map((s) => s.cpu);
    const wall = samples.map((s) => s.wall);
    const cpu = samples.map((s) => s.cpu);
    const wait = samples.map((s) => Math.max(0, s.wall - s.cpu));
    const f = (x: number) => x.toFixed(2);
    console.log('');
    console.log(`per FetchOne (${ROUNDS} warm rounds of ${n}, one at a time):`);
    console.log(`  wall       median ${f(median(wall))} ms, mean ${f(mean(wall))} ms, p90 ${f(quantile(wall, 0.9))} ms`);
    console.log(`  CPU        median ${f(median(cpu))} ms, mean ${f(mean(cpu))} ms, p90 ${f(quantile(cpu, 0.9))} ms (user + system of this process; total ${f(cpu.reduce((a, b) => a + b, 0))} ms / ${samples.length})`);
    console.log(`  wall - CPU median ${f(median(wait))} ms, mean ${f(mean(wait))} ms (waiting on Prometheus, on this machine)`);
    console.log(`  first round (fresh process, cold JIT): wall mean ${f(mean(firstWall))} ms, CPU mean ${f(mean(firstCpu))} ms; first fetch alone: wall ${f(firstWall[0])} ms, CPU ${f(firstCpu[0])} ms`);
    console.log(`  bytes: Prometheus reply ${Math.round(mean(replyBytes))} B mean (${Math.min(...replyBytes)}..${Math.max(...replyBytes)}), ${Math.round(median(points))} points a side; result in the state ${Math.round(mean(resultBytes))} B mean (max ${Math.max(...resultBytes)}; budget ${fetchWith.inlineBytes} a side); ${sides.filter((r) => 'stored' in r).length} of ${sides.length} sides to S3`);

    const fetchLines = linesOf(first.text);
    const allLines = [...linesOf(planned.text), ...fetchLines, ...linesOf(rest.text)];
    const timedLines = linesOf(timed.text);
    const each = fetchLines.length > 0 ? `, ${Math.round(bytesOf(fetchLines) / fetchLines.length)} B each` : '';
    console.log(`  telemetry: ${fetchLines.length} lines in the first round (${f(fetchLines.length / n)} per fetch)${each}; ${timedLines.length / samples.length} per fetch in the timed rounds`);
    console.log(`telemetry of the whole analysis (Plan, ${n} fetches, Mix, Judge ${rest.value.classification}, Record): ${allLines.length} lines, ${bytesOf(allLines)} B (+ 26 B event overhead each = ${bytesOf(allLines) + 26 * allLines.length} B)`);
    for (const l of allLines.filter((l) => !fetchLines.includes(l) || l === fetchLines[0])) console.log(`  ${Buffer.byteLength(l)} B: ${l}`);

    // Lambda: CPU in proportion to memory, one full core at 1,769 MB. This machine's core is the
    // reference (an estimate: Graviton's core is not this one). Billed duration ≈ CPU × 1769 / MB
    // + the wait on the metric store (which does not scale), rounded up to the millisecond.
    const cpuS = mean(cpu) / 1000;
    const waitS = mean(wait) / 1000;
    console.log('');
    console.log(`estimate per fetch (mean CPU ${f(mean(cpu))} ms on one core here, mean wait ${f(mean(wait))} ms; Lambda CPU = MB / ${MB_PER_VCPU} of a core):`);
    for (const mb of SIZES_MB) {
      const scale = MB_PER_VCPU / mb;
      const d = Math.ceil((cpuS * scale + waitS) * 1000) / 1000;
      const gbS = n * d * (mb / 1024);
      const cost = gbS * GB_SECOND;
      console.log(
        `  ${mb} MB: ${f(mb / MB_PER_VCPU)} vCPU, CPU ${f(cpuS * 1000)} ms x ${f(scale)} = ${f(cpuS * scale * 1000)} ms + wait ${f(waitS * 1000)} ms -> billed ~${(d * 1000).toFixed(0)} ms;` +
          ` ${n} fetches x ${d.toFixed(3)} s x ${mb / 1024} GB = ${gbS.toFixed(4)} GB-s x $${GB_SECOND} = $${cost.toFixed(7)} per analysis`,
      );
    }
    console.log(`  first-round CPU at 256 MB: ${f((mean(firstCpu) * MB_PER_VCPU) / 256)} ms a fetch`);
    console.log('  not in the estimate: the S3 GET of the request document once per warm container, cold starts, a remote metric store\'s network time');
    console.log('');
    console.log('memory of one fetch at the answer cap (a child process: both sides at once, their sets as JSON):');
    console.log(await measureBigFetch());
  } finally {
    await prom?.stop();
  }
}

const child = process.env.FETCH_COST_CHILD;
(child ? memoryChild(child) : main()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
