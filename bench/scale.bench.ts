// Scale curves (issue 14): how the embedded service's requests grow with what it stores and
// with the size of one analysis. For each size: the median time per operation and the peak memory
// (maxRSS) of the process serving it, so the growth (O(1), O(log n), O(n)) shows in the table.
//
//   GET /canaryConfig?application=app0            with 10, 1,000 and 10,000 stored configs (10 applications)
//   GET /canary/executions?application=app0&limit=20   with 1,000 and 100,000 recorded executions (10 applications)
//   POST /v1/judgements, one analysis             with 20, 100 and 200 metrics (real Prometheus, 121 points per side)
//   POST /v1/judgements, one 10-metric analysis   with ~1,000 and 7,201 points per side (steps of 7 s and 1 s over the
//                                                 test data's 2 h; 100,000 is out of reach: Prometheus answers at most
//                                                 11,000 points per series and query, and steps are whole seconds)
//   50 concurrent POST /v1/judgements             on one service: all complete, each with its own execution and verdict
//
// Each size runs in two fresh processes: one fills a data directory (SQLite on disk, as `canaria
// serve` keeps it) through the stores, one starts the service on it and times the requests over
// HTTP; the peak memory is that second process's. Run with `npm run bench:scale`; BENCH_SCALE_SIZES
// picks cases, e.g. `configs:10,configs:1000,executions:1000,metrics:20`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutionStore, type ExecutionRecord } from '../lib/analysis/executions.ts';
import { ulid } from '../lib/analysis/ids.ts';
import { canaryConfigSchema, type CanaryConfig } from '../lib/config/canary-config.ts';
import { startLocalService } from '../lib/local/service.ts';
import { ConfigStore } from '../lib/store/config-store.ts';
import { openSqliteStorage } from '../lib/store/sqlite-storage.ts';
import { httpCall } from '../test/support/http.ts';
import { prometheusAvailable, startPrometheus } from '../test/support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../test/support/prometheus-data.ts';

type Kind = 'configs' | 'executions' | 'metrics' | 'points' | 'concurrent';
const CASES: Array<[Kind, number]> = [
  ['configs', 10],
  ['configs', 1_000],
  ['configs', 10_000],
  ['executions', 1_000],
  ['executions', 100_000],
  ['metrics', 20],
  ['metrics', 100],
  ['metrics', 200],
  ['points', 1_000],
  ['points', 7_201],
  ['concurrent', 50],
];
/** Analyses of these kinds talk to Prometheus. */
const ANALYSES: readonly Kind[] = ['metrics', 'points', 'concurrent'];
const WINDOW_SEC = END - START;
/** The whole-second step giving about `points` points per side over the test data's window. */
const stepFor = (points: number) => Math.max(1, Math.floor(WINDOW_SEC / (points - 1)));
const pointsAt = (step: number) => Math.floor(WINDOW_SEC / step) + 1;
const APPLICATIONS = 10;
const MIN_RUNS = 5;
const MIN_MS = 1_000;
const ANALYSIS_RUNS = 3;
const SELF = fileURLToPath(import.meta.url);

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const scopesAt = (step: number) => {
  const window = { start: iso(START), end: iso(END), step };
  return { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
};
const scopes = scopesAt(STEP);
const thresholds = { pass: 75, marginal: 50 };

function config(name: string, application: string, metrics: number): CanaryConfig {
  return canaryConfigSchema.parse({
    name,
    applications: [application],
    metrics: Array.from({ length: metrics }, (_, i) => ({
      name: `latency ${i}`,
      query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${i % 2 ? LATENCY.worse : LATENCY.identical}{\${scope}}) + ${i}` },
      groups: [`g${i % 4}`],
      analysisConfigurations: { canary: { direction: 'increase' } },
    })),
    classifier: { groupWeights: { g0: 25, g1: 25, g2: 25, g3: 25 } },
  }) as CanaryConfig;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const mb = (bytes: number) => bytes / (1024 * 1024);

// ---- child: fill a data directory -----------------------------------------------------------

async function fill(kind: Kind, size: number, dataDir: string): Promise<void> {
  const storage = openSqliteStorage(join(dataDir, 'canaria.db'));
  try {
    if (kind === 'configs') {
      const configs = new ConfigStore(storage);
      for (let i = 0; i < size; i++) await configs.create(config(`config-${i}`, `app${i % APPLICATIONS}`, 3));
    } else if (kind === 'executions') {
      const executions = new ExecutionStore(storage);
      const doc = { config: config('c', 'app0', 1), executionRequest: { scopes, thresholds } as never };
      const t0 = Date.now() - size * 1000;
      for (let i = 0; i < size; i++) {
        const built = t0 + i * 1000;
        const record: ExecutionRecord = {
          id: ulid(built),
          application: `app${i % APPLICATIONS}`,
          status: 'succeeded',
          stage: 'done' as never,
          canaryConfigId: 'c',
          metricCount: 1,
          buildTimeMillis: built,
          startTimeMillis: built + 1,
          endTimeMillis: built + 50,
          score: 100,
          classification: 'Pass',
        };
        await executions.create(record, doc);
      }
    }
  } finally {
    await storage.close();
  }
}

// ---- child: time the requests on a service over that directory ------------------------------

interface Measured {
  opMs: number;
  runs: number;
  startRssMb: number;
  peakRssMb: number;
  items: number;
}

async function measure(kind: Kind, size: number, dataDir: string): Promise<Measured> {
  const prom = ANALYSES.includes(kind) ? await startPrometheus([...CANARY_DATASET]) : undefined;
  const service = await startLocalService({ port: 0, dataDir, accounts: prom ? [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] : [] });
  try {
    let op: () => Promise<number>;
    if (ANALYSES.includes(kind)) {
      const metrics = kind === 'metrics' ? size : 10;
      const stored = await httpCall(service.url, 'POST', '/canaryConfig', { body: config('scale', 'app0', metrics) });
      const canaryConfigId = stored.json.canaryConfigId as string;
      const analysisScopes = kind === 'points' ? scopesAt(stepFor(size)) : scopes;
      const judgement = async () => {
        const r = await httpCall(service.url, 'POST', '/v1/judgements', {
          body: { canaryConfigId, application: 'app0', metricsAccountName: 'prom', scopes: analysisScopes, thresholds, timeoutSeconds: 28 },
        });
        const j = r.json?.judgement;
        if (r.status !== 200 || !j?.complete || j.phase === 'Error' || typeof j.score !== 'number') throw new Error(`/v1/judgements: ${r.status} ${r.text.slice(0, 300)}`);
        return j as { executionId: string; score: number };
      };
      op = async () => {
        if (kind !== 'concurrent') {
          await judgement();
          return kind === 'points' ? pointsAt(stepFor(size)) : size;
        }
        const all = await Promise.all(Array.from({ length: size }, judgement));
        // Each its own execution, and each execution's own verdict as its record has it.
        if (new Set(all.map((j) => j.executionId)).size !== size) throw new Error('concurrent analyses shared an execution');
        for (const j of all) {
          const status = await httpCall(service.url, 'GET', `/canary/${j.executionId}`);
          if (status.json.status !== 'succeeded' || status.json.result?.judgeResult?.score?.score !== j.score) throw new Error(`execution ${j.executionId}: ${status.text.slice(0, 300)}`);
        }
        return all.length;
      };
    } else {
      const path = kind === 'configs' ? '/canaryConfig?application=app0' : '/canary/executions?application=app0&limit=20';
      op = async () => {
        const r = await httpCall(service.url, 'GET', path);
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 300)}`);
        return (r.json as unknown[]).length;
      };
    }
    const startRssMb = mb(process.memoryUsage().rss);
    let items = await op(); // warm-up
    const times: number[] = [];
    const analysis = ANALYSES.includes(kind);
    const minRuns = analysis ? ANALYSIS_RUNS : MIN_RUNS;
    const t0 = performance.now();
    while (times.length < minRuns || (!analysis && performance.now() - t0 < MIN_MS)) {
      const t = performance.now();
      items = await op();
      times.push(performance.now() - t);
    }
    return { opMs: median(times), runs: times.length, startRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024, items };
  } finally {
    await service.stop();
    await prom?.stop();
  }
}

// ---- parent ---------------------------------------------------------------------------------

function child(args: string[]): string {
  const r = spawnSync(process.execPath, [SELF, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

const OPS: Record<Kind, string> = {
  configs: 'GET /canaryConfig?application=app0',
  executions: 'GET /canary/executions?application=app0&limit=20',
  metrics: 'POST /v1/judgements (one analysis)',
  points: 'POST /v1/judgements (one 10-metric analysis)',
  concurrent: '50 x POST /v1/judgements at once (10 metrics)',
};
const UNITS: Record<Kind, string> = { configs: 'stored configs', executions: 'stored executions', metrics: 'metrics', points: 'points per side', concurrent: 'analyses' };
const ANSWERS: Record<Kind, string> = { configs: '', executions: '', metrics: ' m', points: ' pts', concurrent: ' ok' };

async function parent(): Promise<void> {
  const wanted = process.env.BENCH_SCALE_SIZES?.split(',').map((s) => s.trim());
  const cases = CASES.filter(([k, n]) => !wanted || wanted.includes(`${k}:${n}`));
  const prom = prometheusAvailable();
  console.log(`node ${process.version}, ${cpus().length} CPU(s); SQLite on disk in a temporary data directory; ${APPLICATIONS} applications`);
  console.log('time per op: median wall ms over HTTP (>= 5 runs and >= 1 s; analyses: 3 runs after one warm-up)');
  console.log('memory: RSS of the serving process once started, and its peak (maxRSS) after the runs\n');
  console.log(`  ${'operation'.padEnd(50)} ${'size'.padStart(22)} ${'fill'.padStart(9)} ${'per op'.padStart(10)} ${'runs'.padStart(5)} ${'answer'.padStart(9)} ${'RSS start'.padStart(10)} ${'RSS peak'.padStart(9)}`);
  let last: Kind | undefined;
  for (const [kind, size] of cases) {
    if (ANALYSES.includes(kind) && !prom.ok) {
      console.log(`  ${OPS[kind].padEnd(50)} ${`${size} ${UNITS[kind]}`.padStart(22)}   skipped: ${prom.reason}`);
      continue;
    }
    if (last && last !== kind) console.log('');
    last = kind;
    const dir = mkdtempSync(join(tmpdir(), 'canaria-scale-'));
    try {
      const f0 = performance.now();
      child(['--fill', kind, String(size), dir]);
      const fillS = (performance.now() - f0) / 1000;
      const m = JSON.parse(child(['--measure', kind, String(size), dir]).split('\n').pop()!) as Measured;
      const answer = `${m.items}${ANSWERS[kind]}`;
      console.log(
        `  ${OPS[kind].padEnd(50)} ${`${size.toLocaleString('en-US')} ${UNITS[kind]}`.padStart(22)} ${`${fillS.toFixed(1)} s`.padStart(9)} ${`${m.opMs.toFixed(m.opMs < 10 ? 2 : 1)} ms`.padStart(10)} ${String(m.runs).padStart(5)} ${answer.padStart(9)} ${`${m.startRssMb.toFixed(0)} MB`.padStart(10)} ${`${m.peakRssMb.toFixed(0)} MB`.padStart(9)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('\n"answer": configs or executions in the reply (the application\'s share; limit 20), metrics judged, points per side, or');
  console.log('analyses complete with their own execution and verdict; "per op" of the 50 is the wall time until all have answered.');
}

const [mode, kind, size, dir] = process.argv.slice(2);
if (mode === '--fill') {
  await fill(kind as Kind, Number(size), dir);
  process.exit(0);
} else if (mode === '--measure') {
  console.log(JSON.stringify(await measure(kind as Kind, Number(size), dir)));
  process.exit(0);
} else {
  await parent();
  process.exit(0);
}
