// End-to-end benchmark: one canary analysis through the HTTP API of `canaria serve` (the command
// as a user starts it: its own process, its SQLite store on disk, the real ASL run in that
// process, analyses logged on stderr) against sending the same PromQL queries straight to
// Prometheus' /api/v1/query_range with the state machine's concurrency, uncompressed as the service
// asks for them. The reference is fetch, the client a script would use; the bench also prints the
// same queries over node:http on kept-alive connections (what canaria's source uses, the strictest
// reference) and fetch with gzip (fetch's default). Prints median/p90 of each and the ratios
// median(analysis) / median(direct) (target ≤ 1.5×), then where the time of an analysis goes: an
// instrumented copy of the service in this process (per task, per store call), each piece alone,
// and two bench-only what-ifs: the storage ports in memory, and the tasks without the interpreter.
//
// This process is the client, as Argo is: it calls the service with node:http on a kept-alive
// connection, and sends the reference's queries itself. Besides wall times it reads the CPU the
// service's process spent (/proc/PID/task/*/schedstat), its main thread's apart.
//
// Run with `npm run bench:e2e`. Needs Debian's prometheus/promtool (see test/support/prometheus.ts);
// without them it says why and exits 0. BENCH_E2E_RUNS sets the number of timed rounds (default 10),
// measured twice: on a fresh `canaria serve`, and again after BENCH_E2E_WARM_ROUNDS more (default 400).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExecutionStore } from '../lib/analysis/executions.ts';
import { createExecution } from '../lib/analysis/start.ts';
import { taskHandlers, type MixOutput, type TaskDeps } from '../lib/analysis/tasks.ts';
import type { Plan } from '../lib/analysis/prepare.ts';
import { canaryConfigSchema, type CanaryConfig } from '../lib/config/canary-config.ts';
import { metricSetPairSchema } from '../lib/config/metric-set-pair.ts';
import { parseWith } from '../lib/config/validation.ts';
import { kayentaJson } from '../lib/json.ts';
import { judge } from '../lib/judge/judge.ts';
import { loadDefinition, LocalStateMachine } from '../lib/local/state-machine.ts';
import { MetricAccounts } from '../lib/metrics/sources.ts';
import type { MetricSource } from '../lib/metrics/source.ts';
import { openSqliteStorage } from '../lib/store/sqlite-storage.ts';
import { ConfigStore } from '../lib/store/config-store.ts';
import type { Condition, ObjectStore, RecordKey, RecordStore, StoredRecord } from '../lib/store/ports.ts';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from '../test/support/prometheus.ts';
import { startServe, type Served } from '../test/support/serve-bin.ts';
import { CANARY_DATASET, END, START, STEP } from '../test/support/prometheus-data.ts';
import { CONFIG, iso, METRICS, scopes, thresholds } from './support/ten-metrics.ts';
import { Agent, request as httpRequest } from 'node:http';

const RUNS = Math.max(1, Number(process.env.BENCH_E2E_RUNS ?? 10) || 10);
const WARMUP = 2;
/**
 * Rounds before the second, warm measurement: V8 optimizes a function only after many calls, and
 * much of an analysis' code runs once or a few times per analysis, so a new process takes some
 * hundreds of analyses to reach its steady pace (as `canaria serve` does over a day of rollouts).
 */
const WARM_ROUNDS = Math.max(0, Number(process.env.BENCH_E2E_WARM_ROUNDS ?? 400) || 0);
/** How often the client asks GET /canary/{id}: a client that polls finds the end half an interval late on average. */
const POLL_MS = 2;
/** The ASL's Fetch Map (functions/canary.asl.yml): MaxConcurrency fetches at once, each of both sides. */
const MAP_CONCURRENCY = (loadDefinition() as { States: { Fetch: { MaxConcurrency: number } } }).States.Fetch.MaxConcurrency;
/** Queries in flight at most, in an analysis and in the reference. */
const CONCURRENCY = 2 * MAP_CONCURRENCY;
const INSTRUMENTED_RUNS = 5;

// ---- the analysis ---------------------------------------------------------------------------

const QUERIES = METRICS.length * 2;

// ---- helpers --------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (xs: readonly number[]) => quantile(xs, 0.5);
const p90 = (xs: readonly number[]) => quantile(xs, 0.9);
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** For what takes well under a millisecond. */
const fineMs = (x: number) => `${x.toFixed(3)} ms`;
const pad = (s: string, n: number) => s.padEnd(n);

const agent = new Agent({ keepAlive: true });

/** One call to the service (or Prometheus) with node:http, the reply's JSON parsed when it is JSON. */
function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function must<T extends { status: number; text: string }>(r: T, what: string): T {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
  return r;
}

/** Runs `tasks` with at most `limit` at a time (as the Map state does). */
async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

// ---- the service's CPU ------------------------------------------------------------------------

/** CPU time (ms) the service's process has run: its main thread (the event loop) and all its threads. */
interface ServiceCpu {
  main: number;
  all: number;
}

let servicePid = 0;

/** The first field of /proc/PID/task/TID/schedstat: nanoseconds on a CPU. */
const onCpuMs = (tid: string) => Number(readFileSync(`/proc/${servicePid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

function serviceCpu(): ServiceCpu {
  let all = 0;
  for (const tid of readdirSync(`/proc/${servicePid}/task`)) {
    try {
      all += onCpuMs(tid);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return { main: onCpuMs(String(servicePid)), all };
}

const cpuSince = (c0: ServiceCpu): ServiceCpu => {
  const c = serviceCpu();
  return { main: c.main - c0.main, all: c.all - c0.all };
};

// ---- one analysis through the HTTP API -------------------------------------------------------

interface AnalysisTiming {
  total: number;
  /** POST /canary/{id} until its reply. */
  post: number;
  /** Reply until the GET that saw complete = true. */
  wait: number;
  polls: number;
  /** The last GET /canary/{id} (the complete one). */
  lastGet: number;
  /** From the execution record (Date.now() in the service): buildTime → startTime (Plan) and startTime → endTime. */
  buildToStart: number;
  startToEnd: number;
  /** endTime until the client saw complete. */
  endToSeen: number;
  /** CPU (user + system) of this process, the client, during the analysis. */
  cpu: number;
  /** CPU of the service during the analysis. */
  service: ServiceCpu;
  final: any;
}

async function runAnalysis(service: Served, configId: string): Promise<AnalysisTiming> {
  const s0 = serviceCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const started = must(await call(service.url, 'POST', `/canary/${configId}?metricsAccountName=prom`, { scopes, thresholds }), 'POST /canary');
  const t1 = performance.now();
  const id = started.json.canaryExecutionId as string;
  let polls = 0;
  let lastGet = 0;
  let final: any;
  for (;;) {
    const g0 = performance.now();
    const r = must(await call(service.url, 'GET', `/canary/${id}`), 'GET /canary/{id}');
    lastGet = performance.now() - g0;
    polls++;
    if (r.json.complete) {
      final = r.json;
      break;
    }
    if (performance.now() - t0 > 60_000) throw new Error(`execution ${id} not complete after 60 s`);
    await sleep(POLL_MS);
  }
  const t2 = performance.now();
  const wallSeen = Date.now();
  const c = process.cpuUsage(c0);
  const sc = cpuSince(s0);
  if (final.status !== 'succeeded') throw new Error(`execution ${id} ended ${final.status}: ${JSON.stringify(final.exception ?? {})}`);
  return {
    total: t2 - t0,
    post: t1 - t0,
    wait: t2 - t1,
    polls,
    lastGet,
    buildToStart: final.startTimeMillis - final.buildTimeMillis,
    startToEnd: final.endTimeMillis - final.startTimeMillis,
    endToSeen: wallSeen - final.endTimeMillis,
    cpu: (c.user + c.system) / 1000,
    service: sc,
    final,
  };
}

// ---- one synchronous verdict: POST /v1/judgements (Argo's web provider) ----------------------

interface JudgementTiming {
  total: number;
  /** From the execution record: endTime until the reply reached the client. */
  endToReply: number;
  cpu: number;
  service: ServiceCpu;
}

async function runJudgement(service: Served, configId: string): Promise<JudgementTiming> {
  const s0 = serviceCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = must(
    await call(service.url, 'POST', '/v1/judgements', { canaryConfigId: configId, application: 'bench', metricsAccountName: 'prom', scopes, thresholds, timeoutSeconds: 28 }),
    'POST /v1/judgements',
  );
  const total = performance.now() - t0;
  const replied = Date.now();
  const c = process.cpuUsage(c0);
  const sc = cpuSince(s0);
  const j = r.json.judgement;
  if (!j?.complete || j.phase === 'Error' || j.phase === 'Running') throw new Error(`POST /v1/judgements answered ${r.text.slice(0, 300)}`);
  const status = must(await call(service.url, 'GET', `/canary/${j.executionId}`), 'GET /canary/{id}').json;
  return { total, endToReply: replied - status.endTimeMillis, cpu: (c.user + c.system) / 1000, service: sc };
}

// ---- the reference: the same queries straight to Prometheus ----------------------------------

interface RangeQuery {
  query: string;
  start: string;
  end: string;
  step: string;
}

/** How the reference sends a query: fetch uncompressed (as canaria asks), fetch with gzip (its default), node:http uncompressed. */
type Client = 'fetch' | 'gzip' | 'http';

async function queryDirect(promUrl: string, q: RangeQuery, client: Client = 'fetch'): Promise<number> {
  const path = `/api/v1/query_range?${new URLSearchParams({ query: q.query, start: q.start, end: q.end, step: q.step })}`;
  let status: number;
  let text: string;
  if (client === 'http') {
    ({ status, text } = await call(promUrl, 'GET', path, undefined, { 'accept-encoding': 'identity' }));
  } else {
    const res = await fetch(promUrl + path, client === 'gzip' ? {} : { headers: { 'accept-encoding': 'identity' } });
    status = res.status;
    text = await res.text();
  }
  const body = JSON.parse(text);
  if (status !== 200 || body.status !== 'success') throw new Error(`query_range ${q.query}: HTTP ${status}: ${text.slice(0, 300)}`);
  return body.data.result.length;
}

async function runDirect(promUrl: string, queries: readonly RangeQuery[], client: Client = 'fetch'): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(queries.map((q) => () => queryDirect(promUrl, q, client)), CONCURRENCY);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** The queries the analysis sent, from its metric set pair list (each set keeps its query). */
async function queriesOf(service: Served, final: any): Promise<RangeQuery[]> {
  const pairs = must(await call(service.url, 'GET', `/metricSetPairList/${final.metricSetPairListId}`), 'GET /metricSetPairList').json as any[];
  const out: RangeQuery[] = [];
  for (const [i, metric] of METRICS.entries()) {
    const pair = pairs.find((p) => p.name === metric.name);
    if (!pair) throw new Error(`no metric set pair for '${metric.name}'`);
    const scope = scopes[metric.scopeName as keyof typeof scopes];
    for (const side of ['control', 'experiment'] as const) {
      const query = pair.attributes?.[side]?.query;
      if (typeof query !== 'string') throw new Error(`metric ${i} '${metric.name}' (${side}): no query in the pair's attributes`);
      const s = scope[`${side}Scope`];
      out.push({ query, start: s.start, end: s.end, step: String(s.step) });
    }
  }
  return out;
}

// ---- where the time goes: an instrumented copy of the embedded service ------------------------

interface Span {
  what: string;
  start: number;
  end: number;
}

/**
 * What-if adapters (bench only): the storage ports in memory, keeping the JSON round trip
 * (kayentaJson, so NaN stays "NaN") and the conditional writes. Not what the service runs.
 */
function memoryStorage(): { objects: ObjectStore; records: RecordStore } {
  const docs = new Map<string, string>();
  const rows = new Map<string, StoredRecord>();
  const key = (k: RecordKey) => `${k.pk}\u0000${k.sk}`;
  const holds = (current: StoredRecord | undefined, c: Condition | undefined) => {
    switch (c?.kind) {
      case undefined:
        return true;
      case 'absent':
        return !current;
      case 'exists':
        return !!current;
      case 'absentOrEquals':
        return !current || current[c.attribute] === c.value;
      case 'equals':
        return !!current && current[c.attribute] === c.value;
    }
  };
  const copy = (r: StoredRecord) => JSON.parse(JSON.stringify(r)) as StoredRecord;
  return {
    objects: {
      putJson: async (k, v) => void docs.set(k, kayentaJson(v)),
      getJson: async <T>(k: string) => {
        const text = docs.get(k);
        return text === undefined ? undefined : (JSON.parse(text) as T);
      },
      delete: async (k) => void docs.delete(k),
      tag: async () => {},
    },
    records: {
      put: async (r, c) => {
        if (!holds(rows.get(key(r)), c)) return false;
        rows.set(key(r), copy(r));
        return true;
      },
      get: async (k) => {
        const r = rows.get(key(k));
        return r && copy(r);
      },
      queryPartition: async (pk) =>
        [...rows.values()].filter((r) => r.pk === pk).sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0)).map(copy),
      delete: async (k, c = { kind: 'exists' }) => {
        if (!holds(rows.get(key(k)), c)) return false;
        return rows.delete(key(k));
      },
    },
  };
}

/**
 * The same assembly as canaria serve's (lib/local/service.ts, without HTTP), with every task, store call and metric
 * fetch timed; on the SQLite store on disk (as the service) or, `memory`, on in-memory what-if adapters.
 */
async function instrumentedMachine(promUrl: string, memory = false) {
  const spans: Span[] = [];
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      spans.push({ what, start, end: performance.now() });
    }
  };
  const storage = memory ? memoryStorage() : openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'canaria-bench-')), 'canaria.db'));
  const objects: ObjectStore = {
    putJson: (k, v) => timed(`s3 put ${kind(k)}`, () => storage.objects.putJson(k, v)),
    getJson: (k) => timed(`s3 get ${kind(k)}`, () => storage.objects.getJson(k)),
    delete: (k) => timed('s3 delete', () => storage.objects.delete(k)),
    tag: (k, t) => timed('s3 tag', () => storage.objects.tag(k, t)),
  };
  const records: RecordStore = {
    put: (r, c) => timed(`dynamo put${c ? ` (${c.kind})` : ''}`, () => storage.records.put(r, c)),
    get: (k) => timed('dynamo get', () => storage.records.get(k)),
    queryPartition: (pk) => timed('dynamo query', () => storage.records.queryPartition(pk)),
    delete: (k, c) => timed('dynamo delete', () => storage.records.delete(k, c)),
  };
  const realAccounts = new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: promUrl } as never]);
  const accounts = Object.assign(Object.create(realAccounts) as MetricAccounts, {
    resolve(name: string | undefined, type: string) {
      const r = realAccounts.resolve(name, type);
      const source: MetricSource = Object.assign(Object.create(r.source) as MetricSource, {
        fetch: (req: Parameters<MetricSource['fetch']>[0], signal?: AbortSignal) => timed('prometheus query_range', () => r.source.fetch(req, signal)),
      });
      return { account: r.account, source };
    },
  });
  const executions = new ExecutionStore({ objects, records });
  const configs = new ConfigStore({ objects, records });
  const now = () => Date.now();
  const deps: TaskDeps = { executions, accounts, configs, now };
  const handlers = taskHandlers(deps);
  const overrides = Object.fromEntries(
    Object.entries(handlers).map(([name, fn]) => [name, (input: unknown) => timed(`task ${name}`, () => (fn as (i: unknown) => Promise<unknown>)(input))]),
  );
  const machine = new LocalStateMachine(deps, { overrides });
  return { spans, machine, tasks: overrides, executions, configs, deps, storage, realAccounts, stop: async () => (storage as { close?: () => void }).close?.() };
}

function kind(key: string): string {
  if (key.startsWith('executions/') && key.endsWith('/request.json')) return 'request doc';
  if (key.includes('/sets/')) return 'metric sets';
  if (key.endsWith('/judge-result.json')) return 'judge result';
  if (key.startsWith('metric_set_pair_list/')) return 'pair list';
  return key.split('/')[0];
}

/** Each task's wall time (the Map: first FetchOne start to last end) and the rest of the run. */
function phaseRows(runs: ReadonlyArray<{ spans: Span[] }>): Array<[string, number[]]> {
  const phase = (r: { spans: Span[] }, name: string) => {
    const s = r.spans.filter((x) => x.what === name);
    if (s.length === 0) return 0;
    return Math.max(...s.map((x) => x.end)) - Math.min(...s.map((x) => x.start));
  };
  const run = (r: { spans: Span[] }) => r.spans.find((s) => s.what === '__run')!;
  return [
    ['createExecution (POST work)', runs.map((r) => phase(r, 'createExecution (POST work)'))],
    ['task Plan', runs.map((r) => phase(r, 'task Plan'))],
    ['Fetch map (first FetchOne start → last end)', runs.map((r) => phase(r, 'task FetchOne'))],
    ['task Mix', runs.map((r) => phase(r, 'task Mix'))],
    ['task Judge', runs.map((r) => phase(r, 'task Judge'))],
    ['task Record', runs.map((r) => phase(r, 'task Record'))],
    [
      'state machine overhead (run minus tasks)',
      runs.map((r) => {
        const tasks = ['task Plan', 'task FetchOne', 'task Mix', 'task Judge', 'task Record'].reduce((a, n) => a + phase(r, n), 0);
        const x = run(r);
        return x.end - x.start - tasks;
      }),
    ],
  ];
}

/** The most `name` spans running at once (the Map's effective concurrency). */
function maxInFlight(spans: readonly Span[], name: string): number {
  const edges = spans.filter((s) => s.what === name).flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

type Instrumented = Awaited<ReturnType<typeof instrumentedMachine>>;

/** Runs instrumented analyses (after warm-up); their spans, total times and the last execution id. */
async function instrumentedRuns(inst: Instrumented, config: CanaryConfig) {
  const runs: Array<{ total: number; spans: Span[] }> = [];
  let lastId = '';
  for (let i = 0; i < WARMUP + INSTRUMENTED_RUNS; i++) {
    inst.spans.length = 0;
    const t0 = performance.now();
    const { id } = await createExecution({ config, canaryConfigId: 'bench', executionRequest: { scopes, thresholds } as never, application: 'bench', metricsAccountName: 'prom' }, inst.deps);
    const created = performance.now();
    await inst.machine.run({ executionId: id }, id);
    const t1 = performance.now();
    const rec = await inst.executions.get(id);
    lastId = id;
    if (rec.status !== 'succeeded') throw new Error(`instrumented execution ended ${rec.status}`);
    if (i < WARMUP) continue;
    const spans = [{ what: 'createExecution (POST work)', start: t0, end: created }, ...inst.spans.map((s) => ({ ...s })), { what: '__run', start: created, end: t1 }];
    runs.push({ total: t1 - t0, spans });
  }
  return { runs, lastId };
}

async function breakdown(promUrl: string, directMedian: number): Promise<void> {
  const config = canaryConfigSchema.parse(CONFIG) as CanaryConfig;
  const inst = await instrumentedMachine(promUrl);
  try {
    const { runs, lastId } = await instrumentedRuns(inst, config);

    console.log(`\nwhere the time goes (an instrumented copy of the service in this process, its code not yet warm: compare parts, not totals; no HTTP, no polling; median of ${INSTRUMENTED_RUNS} runs):`);
    console.log(`  whole analysis (createExecution + state machine run): median ${ms(median(runs.map((r) => r.total)))}`);
    const rows = phaseRows(runs);
    for (const [name, xs] of rows) console.log(`  ${pad(name, 46)} ${ms(median(xs)).padStart(10)}`);

    // Inside FetchOne: the Prometheus query against the store calls around it.
    const fetchTasks = runs.map((r) => r.spans.filter((s) => s.what === 'task FetchOne'));
    const each = (what: string) => runs.flatMap((r) => r.spans.filter((s) => s.what === what).map((s) => s.end - s.start));
    console.log(`  FetchOne tasks in flight at most: ${median(runs.map((r) => maxInFlight(r.spans, 'task FetchOne')))} (MaxConcurrency ${MAP_CONCURRENCY})`);
    console.log(`  one FetchOne task: median ${ms(median(fetchTasks.flat().map((s) => s.end - s.start)))}, of which the prometheus query_range median ${ms(median(each('prometheus query_range')))}`);

    // Store calls: count per analysis and median latency.
    const names = [...new Set(runs.flatMap((r) => r.spans.map((s) => s.what)))].filter((n) => n.startsWith('s3 ') || n.startsWith('dynamo ') || n.startsWith('prometheus'));
    console.log('  calls per analysis (count, median latency, summed latency):');
    for (const n of names.sort()) {
      const count = runs[0].spans.filter((s) => s.what === n).length;
      const lat = each(n);
      console.log(`    ${pad(n, 34)} ×${String(count).padStart(3)}   median ${ms(median(lat)).padStart(9)}   sum ${ms(median(runs.map((r) => r.spans.filter((s) => s.what === n).reduce((a, s) => a + s.end - s.start, 0)))).padStart(9)}`);
    }

    // What each piece costs alone, one at a time (no contention): the store calls an analysis makes,
    // canaria's Prometheus client without the stores, and the judge.
    const rec = await inst.executions.get(lastId);
    const doc = await inst.storage.objects.getJson(`executions/${lastId}/request.json`);
    // Small metric sets travel in the state, not S3; time a set-sized object all the same.
    const sets = (await inst.storage.objects.getJson<unknown[]>(`metric_set_pair_list/${rec.metricSetPairListId}.json`))!.slice(0, 1);
    const storeOps: Array<[string, () => Promise<unknown>, number]> = [
      ['s3 get request doc', () => inst.storage.objects.getJson(`executions/${lastId}/request.json`), JSON.stringify(doc).length],
      ['s3 put metric sets', () => inst.storage.objects.putJson(`bench/sets.json`, sets), JSON.stringify(sets).length],
      ['s3 get metric sets', () => inst.storage.objects.getJson(`bench/sets.json`), JSON.stringify(sets).length],
      ['dynamo get', () => inst.storage.records.get({ pk: 'canaryExecution', sk: lastId }), JSON.stringify(rec).length],
      ['dynamo put (equals)', () => inst.storage.records.put({ pk: 'bench', sk: 'x', status: 'running', n: 1 }, { kind: 'absentOrEquals', attribute: 'status', value: 'running' }), 40],
    ];
    console.log('  one call alone (sequential, uncontended): wall and CPU of this process per call:');
    let storeCpuPerAnalysis = 0;
    const calls = (n: string) => runs[0].spans.filter((s) => s.what === n || s.what.startsWith(`${n} `)).length;
    for (const [name, op, bytes] of storeOps) {
      for (let i = 0; i < 20; i++) await op();
      const n = 100;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await op();
      const wall = (performance.now() - t0) / n;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000 / n;
      const perAnalysis = name.startsWith('dynamo put') ? calls('dynamo put') : calls(name);
      storeCpuPerAnalysis += cpu * perAnalysis;
      console.log(`    ${pad(name, 22)} (${String(bytes).padStart(5)} B JSON)   wall ${fineMs(wall).padStart(9)}   CPU ${fineMs(cpu).padStart(9)}   × ${perAnalysis} per analysis`);
    }
    const storeCalls = runs[0].spans.filter((s) => s.what.startsWith('s3 ') || s.what.startsWith('dynamo ')).length;
    console.log(`  → ${storeCalls} store calls per analysis ≈ ${fineMs(storeCpuPerAnalysis)} of CPU on the service's one thread (the store shares it)`);

    const { source } = inst.realAccounts.resolve('prom', 'prometheus');
    const sourceTasks = config.metrics.flatMap((metric) =>
      (['control', 'experiment'] as const).map((side) => () => source.fetch({ metric, templates: config.templates, scope: scopes[metric.scopeName as keyof typeof scopes][`${side}Scope`] })),
    );
    await pool(sourceTasks, CONCURRENCY);
    const sourceTimes: number[] = [];
    for (let i = 0; i < INSTRUMENTED_RUNS; i++) {
      const t0 = performance.now();
      await pool(sourceTasks, CONCURRENCY);
      sourceTimes.push(performance.now() - t0);
    }
    console.log(`  canaria's PrometheusSource.fetch alone (render + query_range + convert), ${sourceTasks.length} queries, concurrency ${CONCURRENCY}: median ${ms(median(sourceTimes))}`);

    const stored = await inst.executions.pairList(rec.metricSetPairListId!);
    const judgeTimes: number[] = [];
    for (let i = 0; i < 3 + INSTRUMENTED_RUNS; i++) {
      const t0 = performance.now();
      const pairs = stored.map((p, j) => parseWith(metricSetPairSchema, p, ['metricSetPairList', j]));
      judge(config, pairs, thresholds);
      if (i >= 3) judgeTimes.push(performance.now() - t0);
    }
    console.log(`  judge alone (parse the ${stored.length} pairs + judge): median ${ms(median(judgeTimes))}`);
  } finally {
    await inst.stop();
  }

  // What if the embedded service kept its stores in memory (the same tasks, the same ASL)?
  const mem = await instrumentedMachine(promUrl, true);
  try {
    const { runs } = await instrumentedRuns(mem, config);
    const t = median(runs.map((r) => r.total));
    console.log(`\nwhat-if: the same analysis on in-memory store adapters (bench-only, same tasks and ASL): median ${ms(t)} → ratio ≈ ${(t / directMedian).toFixed(2)}× the direct median`);
    console.log(`  FetchOne tasks in flight at most: ${median(runs.map((r) => maxInFlight(r.spans, 'task FetchOne')))}; one FetchOne median ${ms(median(runs.flatMap((r) => r.spans.filter((x) => x.what === 'task FetchOne').map((x) => x.end - x.start))))}, its query_range ${ms(median(runs.flatMap((r) => r.spans.filter((x) => x.what === 'prometheus query_range').map((x) => x.end - x.start))))}`);
    console.log(`  ${phaseRows(runs).map(([name, xs]) => `${name.replace(/ \(.*\)$/, '')} ${ms(median(xs))}`).join('; ')}`);
  } finally {
    await mem.stop();
  }

  await interpreterShare(promUrl, config);
}

/**
 * What-if (bench only): the same tasks called in the ASL's order and concurrency, without the
 * interpreter (aws-local-stepfunctions), which `canaria serve` does not skip: its share of an analysis.
 */
async function runTasksDirectly(inst: Instrumented, executionId: string): Promise<void> {
  const task = inst.tasks as Record<string, (input: unknown) => Promise<unknown>>;
  const plan = (await task.Plan({ input: { executionId }, executionName: executionId })) as Plan;
  const fetched: unknown[] = new Array(plan.fetches.length);
  await pool(plan.fetches.map((ref, i) => async () => (fetched[i] = await task.FetchOne({ fetchWith: plan.fetchWith, ref }))), MAP_CONCURRENCY);
  const mixed = (await task.Mix({ executionId, fetched })) as MixOutput;
  const judged = (await task.Judge({ executionId, metricSetPairListId: mixed.metricSetPairListId })) as { score: number; classification: string };
  await task.Record({ executionId, ...mixed, ...judged });
}

/** Analyses through the ASL and with the tasks called directly, interleaved: medians and the difference. */
async function interpreterShare(promUrl: string, config: CanaryConfig): Promise<void> {
  const inst = await instrumentedMachine(promUrl);
  const rounds = 60;
  const warmup = 20;
  const viaAsl: number[] = [];
  const direct: number[] = [];
  try {
    for (let i = 0; i < warmup + rounds; i++) {
      for (const how of i % 2 ? (['direct', 'asl'] as const) : (['asl', 'direct'] as const)) {
        const { id } = await createExecution({ config, canaryConfigId: 'bench', executionRequest: { scopes, thresholds } as never, application: 'bench', metricsAccountName: 'prom' }, inst.deps);
        const t0 = performance.now();
        if (how === 'asl') await inst.machine.run({ executionId: id }, id);
        else await runTasksDirectly(inst, id);
        const t = performance.now() - t0;
        if ((await inst.executions.get(id)).status !== 'succeeded') throw new Error(`execution ${id} (${how}) did not succeed`);
        if (i >= warmup) (how === 'asl' ? viaAsl : direct).push(t);
        inst.spans.length = 0;
      }
    }
  } finally {
    await inst.stop();
  }
  const a = median(viaAsl);
  const d = median(direct);
  console.log(`
what-if: the tasks called directly, without the ASL interpreter (bench-only; ${rounds} of each, interleaved, after ${warmup}):`);
  console.log(`  through the ASL ${ms(a)}, tasks called directly ${ms(d)}: the interpreter's share ≈ ${ms(a - d)} (${((100 * (a - d)) / a).toFixed(0)}% of the run)`);
}

/** Stops `canaria serve` as Ctrl-C would, and waits for it to end. */
async function stopServe(served: Served): Promise<void> {
  if (served.proc.exitCode !== null || served.proc.signalCode !== null) return;
  const ended = new Promise((resolve) => served.proc.once('exit', resolve));
  served.proc.kill('SIGINT');
  await ended;
}

// ---- main -------------------------------------------------------------------------------------

interface Rounds {
  analyses: AnalysisTiming[];
  direct: Array<{ wall: number; cpu: number }>;
  judgements: JudgementTiming[];
  gzip: Array<{ wall: number; cpu: number }>;
  http: Array<{ wall: number; cpu: number }>;
}

/** The analysis and the synchronous verdict against the same queries sent directly: medians, p90s, ratios. */
function report(title: string, r: Rounds, queries: number): void {
  const total = r.analyses.map((a) => a.total);
  const direct = r.direct.map((d) => d.wall);
  const viaHttp = r.http.map((d) => d.wall);
  const judged = r.judgements.map((j) => j.total);
  const verdictOf = (x: number) => `${x.toFixed(2)}× (target ≤ 1.5×)${x <= 1.5 ? '' : '  — above target'}`;
  console.log(`\n${title}:`);
  console.log(`end-to-end analysis (${METRICS.length} metrics × 2 sides): median ${ms(median(total))}, p90 ${ms(p90(total))}`);
  console.log(`direct PromQL (same ${queries} queries, concurrency ${CONCURRENCY}): median ${ms(median(direct))}, p90 ${ms(p90(direct))}`);
  console.log(`direct PromQL over node:http, kept alive (the client canaria uses): median ${ms(median(viaHttp))}, p90 ${ms(p90(viaHttp))}`);
  console.log(`ratio: ${verdictOf(median(total) / median(direct))}; against node:http ${verdictOf(median(total) / median(viaHttp))}`);
  console.log(`POST /v1/judgements (synchronous verdict, same config and scopes): median ${ms(median(judged))}, p90 ${ms(p90(judged))}`);
  console.log(`ratio: ${verdictOf(median(judged) / median(direct))}; against node:http ${verdictOf(median(judged) / median(viaHttp))}`);
  console.log(`\n  ${pad('', 40)} ${'median'.padStart(10)} ${'p90'.padStart(10)} ${'/ direct'.padStart(9)} ${'/ node:http'.padStart(12)}`);
  for (const [name, xs] of [
    ['direct PromQL, fetch (the reference)', direct],
    ['direct PromQL, node:http', viaHttp],
    ['direct PromQL, fetch with gzip (default)', r.gzip.map((d) => d.wall)],
    ['POST /canary + GET status until complete', total],
    ['POST /v1/judgements', judged],
  ] as const) {
    const by = (ref: number[]) => `${(median(xs) / median(ref)).toFixed(2)}×`;
    console.log(`  ${pad(name, 40)} ${ms(median(xs)).padStart(10)} ${ms(p90(xs)).padStart(10)} ${by(direct).padStart(9)} ${by(viaHttp).padStart(12)}`);
  }
}

async function main(): Promise<void> {
  const available = prometheusAvailable();
  if (!available.ok) {
    console.log(`bench:e2e skipped: Prometheus is unavailable: ${available.reason}`);
    return;
  }
  let prom: RunningPrometheus | undefined;
  let service: Served | undefined;
  try {
    prom = await startPrometheus([...CANARY_DATASET]);
    // `canaria serve` as a user starts it, its store in a new data directory; --quiet leaves out
    // the request lines (a line per poll), not the analyses' events.
    const scratch = mkdtempSync(join(tmpdir(), 'canaria-bench-'));
    const accountsFile = join(scratch, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));
    service = await startServe(['--quiet', '--data-dir', join(scratch, 'data'), '--accounts', accountsFile]);
    servicePid = service.proc.pid!;
    console.log(`${available.version}; Prometheus ready in ${ms(prom.timings.totalMs)}; node ${process.version}`);

    const c0 = performance.now();
    const stored = must(await call(service.url, 'POST', '/canaryConfig', CONFIG), 'POST /canaryConfig');
    const configId = stored.json.canaryConfigId as string;
    const storeConfigMs = performance.now() - c0;

    // Warm-up: module loading, JIT, connection pools; also gives the queries the analysis sends.
    let queries: RangeQuery[] = [];
    for (let i = 0; i < WARMUP; i++) {
      const w = await runAnalysis(service, configId);
      queries = await queriesOf(service, w.final);
      await runDirect(prom.url, queries);
      await runDirect(prom.url, queries, 'http');
      await runJudgement(service, configId);
    }
    const verdict = (await runAnalysis(service, configId)).final.result.judgeResult;
    if (queries.length !== QUERIES) throw new Error(`expected ${QUERIES} queries, got ${queries.length}`);
    // The reference sends what the analysis sent: cross-check one against the service's dry-run render.
    const m0 = METRICS[0];
    const dry = new URLSearchParams({
      metricsAccountName: 'prom',
      metricSetName: m0.name,
      metricName: 'unused',
      step: String(STEP),
      customFilter: (m0.query as { customInlineTemplate: string }).customInlineTemplate,
      scope: scopes.default.controlScope.scope,
      dryRun: 'true',
    });
    const rendered = must(await call(service.url, 'POST', `/fetch/prometheus/query?${dry}`), 'POST /fetch/prometheus/query?dryRun=true').json.query;
    if (rendered !== queries[0].query) throw new Error(`dry-run render ${JSON.stringify(rendered)} differs from the sent query ${JSON.stringify(queries[0].query)}`);

    const rounds = async (n: number): Promise<Rounds> => {
      const r: Rounds = { analyses: [], direct: [], judgements: [], gzip: [], http: [] };
      for (let i = 0; i < n; i++) {
        // Interleaved, so drift (GC, JIT, the store's growing data) hits all alike.
        r.analyses.push(await runAnalysis(service!, configId));
        r.direct.push(await runDirect(prom!.url, queries));
        r.gzip.push(await runDirect(prom!.url, queries, 'gzip'));
        r.http.push(await runDirect(prom!.url, queries, 'http'));
        r.judgements.push(await runJudgement(service!, configId));
      }
      return r;
    };
    const fresh = await rounds(RUNS);
    const sequential: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      for (const q of queries) await queryDirect(prom.url, q);
      sequential.push(performance.now() - t0);
    }
    const w0 = performance.now();
    for (let i = 0; i < WARM_ROUNDS; i++) {
      await runAnalysis(service, configId);
      await runDirect(prom.url, queries);
      await runDirect(prom.url, queries, 'http');
      await runJudgement(service, configId);
    }
    const warmingMs = performance.now() - w0;
    const warm = WARM_ROUNDS > 0 ? await rounds(RUNS) : undefined;

    console.log(`\nconfig: ${METRICS.length} metrics, ${verdict.results.length} judged (score ${verdict.score.score}, ${verdict.score.classification}); window ${iso(START)}..${iso(END)} step ${STEP}s; POST /canaryConfig once: ${ms(storeConfigMs)}`);
    console.log(`${RUNS} timed rounds, each of every kind below, interleaved; polling GET /canary/{id} every ${POLL_MS} ms`);
    report(`a fresh canaria serve (after ${WARMUP} warm-up rounds)`, fresh, queries.length);
    if (warm) report(`the same canaria serve warm (after ${WARM_ROUNDS} more rounds, ${(warmingMs / 1000).toFixed(1)} s)`, warm, queries.length);
    const { analyses, judgements, direct: directRounds, http: httpRounds } = warm ?? fresh;
    const direct = directRounds.map((d) => d.wall);

    console.log(`\nbreakdown of the end-to-end analysis (medians, ${warm ? 'warm' : 'fresh'}):`);
    const row = (name: string, xs: number[]) => console.log(`  ${pad(name, 52)} ${ms(median(xs)).padStart(10)}`);
    row('POST /canary/{id} until its reply', analyses.map((a) => a.post));
    row('reply until a GET saw complete', analyses.map((a) => a.wait));
    row('  execution record: buildTime → startTime (Plan)', analyses.map((a) => a.buildToStart));
    row('  execution record: startTime → endTime (fetch…record)', analyses.map((a) => a.startToEnd));
    row('  endTime until the client saw complete', analyses.map((a) => a.endToSeen));
    row('one GET /canary/{id} (the complete one)', analyses.map((a) => a.lastGet));
    console.log(`  ${pad('GETs per analysis', 52)} ${String(median(analyses.map((a) => a.polls))).padStart(10)}`);
    row('/v1/judgements: execution endTime until its reply', judgements.map((j) => j.endToReply));
    row('service CPU during an analysis (polled): main thread', analyses.map((a) => a.service.main));
    row('  all its threads (JIT compiler and GC helpers too)', analyses.map((a) => a.service.all));
    row('service CPU during a /v1/judgements: main thread', judgements.map((j) => j.service.main));
    row('  all its threads', judgements.map((j) => j.service.all));
    row('CPU of this process (the client) during an analysis (polled)', analyses.map((a) => a.cpu));
    row('CPU of this process (the client) during a /v1/judgements', judgements.map((j) => j.cpu));
    row('CPU of this process during a direct PromQL round', directRounds.map((d) => d.cpu));
    row('CPU of this process during a direct round over node:http', httpRounds.map((d) => d.cpu));
    row(`direct PromQL, the ${queries.length} queries one at a time`, sequential);
    row('direct PromQL, one query (sequential median / n)', sequential.map((s) => s / queries.length));

    await breakdown(prom.url, median(direct));
  } finally {
    if (service) await stopServe(service);
    await prom?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
