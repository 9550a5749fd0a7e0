// `npm run demo`: canaria's whole loop on one machine, in one command.
//
// With `prometheus` and `promtool` on PATH (Debian's `prometheus` package): it generates an hour
// of realistic series (seeded; below) for a baseline, a bad canary and a healthy canary, backfills
// them with promtool into a temporary TSDB, starts Prometheus on 127.0.0.1 (9090, or a free port),
// starts canaria's embedded service (8090, or a free port) with that Prometheus as account
// `prometheus`, stores examples/demo/canary-config.json, runs two analyses (baseline vs bad
// canary, baseline vs healthy canary), prints both verdicts and their report URLs, and keeps
// running so the URLs work. Ctrl-C or SIGTERM stops the service and Prometheus and removes the
// temporary directory.
//
// Without them: it says how to install Prometheus, then judges the metric set pairs recorded from
// such a run (examples/demo/*-canary.json, RemoteJudge bodies) in process, writes the two report
// pages as HTML files, prints their paths and exits 0.
//
// Reuses the Prometheus harness of the tests (test/support/prometheus.ts) and its OpenMetrics
// builders (test/support/prometheus-data.ts), as `npm run demo:prometheus` does.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ar1, binomial } from '../test/support/canaria-v1-data.ts';
import { counter, gauge, prng, round, type OpenMetricsSeries } from '../test/support/prometheus-data.ts';

/** Where examples/demo/ is, whatever the working directory. */
const DEMO_DIR = fileURLToPath(new URL('../examples/demo/', import.meta.url));
const CONFIG_FILE = join(DEMO_DIR, 'canary-config.json');
const INSTALL_HINT = 'sudo apt-get install -y --no-install-recommends prometheus';

export const SERVICE_PORT = 8090;
export const PROMETHEUS_PORT = 9090;
export const STEP_SEC = 60;
/** The analysed window: the last hour of data. */
export const WINDOW_MIN = 60;
/** Data before the window (counters need a sample before their first increase). */
export const WARMUP_MIN = 10;
export const THRESHOLDS = { pass: 95, marginal: 75 } as const;

// ---------------------------------------------------------------------------------------
// The series
// ---------------------------------------------------------------------------------------

export const SIDES = ['baseline', 'canary-bad', 'canary-healthy'] as const;
export type Side = (typeof SIDES)[number];

/** What each side serves; the bad canary has 3.5× the 5xx share and 6 % of its requests 5× slower (the p99 tail). */
export const PROFILE = {
  job: 'demo-shop',
  requestsPerMinute: 2000,
  errorShare: { baseline: 0.005, 'canary-bad': 0.0175, 'canary-healthy': 0.005 } as Record<Side, number>,
  latency: { median: 0.08, sigma: 0.45, slowShare: { baseline: 0, 'canary-bad': 0.06, 'canary-healthy': 0 } as Record<Side, number>, slowFactor: 5 },
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const,
  cpuCores: 0.6,
  instances: 2,
  seed: 20_260_101,
} as const;

/**
 * The demo's series, one sample a minute from WARMUP_MIN + WINDOW_MIN minutes before `endSec`
 * to `endSec` (a multiple of 60), as Prometheus would have scraped them, each with a `version`
 * label (SIDES) and job="demo-shop":
 *   demo_http_requests_total{code="200"|"500"}        counters: a shared daily-ish load curve and
 *                                                      AR(1) load noise, errors in AR(1) bursts
 *   demo_http_request_duration_seconds_bucket{le}      histogram counters: log-normal latencies whose
 *                                                      median drifts (AR(1)), every request observed
 *   demo_cpu_usage_cores{instance}                      a gauge per instance, following the load, AR(1)
 * Seeded: the values depend only on the sample's index, not on the time.
 */
export function demoSeries(endSec: number): OpenMetricsSeries[] {
  if (endSec % STEP_SEC !== 0) throw new Error(`endSec must be a multiple of ${STEP_SEC}`);
  const n = WARMUP_MIN + WINDOW_MIN + 1;
  const start = endSec - (n - 1) * STEP_SEC;
  const r = prng(PROFILE.seed);
  const out: OpenMetricsSeries[] = [];
  // What every side shares: traffic and its latency and error climate.
  const loadNoise = ar1(r, n, 0.9, 0.06);
  const load = (i: number) => (1 + 0.2 * Math.sin((2 * Math.PI * i) / 90)) * Math.exp(loadNoise[i]);
  const latencyDrift = ar1(r, n, 0.85, 0.06);
  const errorBursts = ar1(r, n, 0.7, 0.25);
  const labels = (version: Side, extra: Record<string, string> = {}) => ({ job: PROFILE.job, ...extra, version });
  for (const version of SIDES) {
    const own = { load: ar1(r, n, 0.6, 0.02), latency: ar1(r, n, 0.5, 0.02), cpu: ar1(r, n, 0.7, 0.03) };
    const ok: number[] = [];
    const bad: number[] = [];
    const buckets: number[][] = Array.from({ length: PROFILE.buckets.length + 1 }, () => []); // +Inf last
    for (let i = 0; i < n; i++) {
      const requests = r.poisson(PROFILE.requestsPerMinute * load(i) * Math.exp(own.load[i]));
      const errors = binomial(r, requests, Math.min(0.5, PROFILE.errorShare[version] * Math.exp(errorBursts[i])));
      ok.push(requests - errors);
      bad.push(errors);
      const median = PROFILE.latency.median * Math.exp(latencyDrift[i] + own.latency[i]);
      const counts = new Array<number>(PROFILE.buckets.length + 1).fill(0);
      for (let k = 0; k < requests; k++) {
        let seconds = median * Math.exp(r.normal(0, PROFILE.latency.sigma));
        if (r.next() < PROFILE.latency.slowShare[version]) seconds *= PROFILE.latency.slowFactor;
        PROFILE.buckets.forEach((le, b) => {
          if (seconds <= le) counts[b]++;
        });
        counts[PROFILE.buckets.length]++;
      }
      counts.forEach((c, b) => buckets[b].push(c));
    }
    out.push(counter('demo_http_requests_total', labels(version, { code: '200' }), start, STEP_SEC, ok, 250_000));
    out.push(counter('demo_http_requests_total', labels(version, { code: '500' }), start, STEP_SEC, bad, 1_200));
    [...PROFILE.buckets.map(String), '+Inf'].forEach((le, b) =>
      out.push(counter('demo_http_request_duration_seconds_bucket', labels(version, { le }), start, STEP_SEC, buckets[b], 0)),
    );
    for (let k = 0; k < PROFILE.instances; k++) {
      const instance = `${version}-${k}:9100`;
      const mine = ar1(r, n, 0.7, 0.03);
      const cores = Array.from({ length: n }, (_, i) => round(PROFILE.cpuCores * load(i) ** 0.8 * Math.exp(own.cpu[i] + mine[i]), 4));
      out.push(gauge('demo_cpu_usage_cores', labels(version, { instance }), start, STEP_SEC, cores));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The two analyses
// ---------------------------------------------------------------------------------------

export interface Scenario {
  key: 'bad' | 'healthy';
  title: string;
  experiment: Side;
  /** The recorded RemoteJudge body, under examples/demo/. */
  file: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { key: 'bad', title: 'bad canary', experiment: 'canary-bad', file: 'bad-canary.json' },
  { key: 'healthy', title: 'healthy canary', experiment: 'canary-healthy', file: 'healthy-canary.json' },
];

/** Kayenta's execution request for a scenario over [startSec, endSec]. */
function executionRequest(s: Scenario, startSec: number, endSec: number) {
  const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
  const scope = (version: Side) => ({ scope: `version="${version}"`, location: 'local', start: iso(startSec), end: iso(endSec), step: STEP_SEC });
  return { scopes: { default: { controlScope: scope('baseline'), experimentScope: scope(s.experiment) } }, thresholds: THRESHOLDS };
}

type Obj = Record<string, any>;

/** `verdict bad canary (version="canary-bad" vs version="baseline"): Fail, score 30 (judge canaria-v1; shadow NetflixACAJudge-v1.0: Fail)`. */
function verdictLine(s: Scenario, judgeResult: Obj): string {
  const score = judgeResult.score ?? {};
  const shadows = Array.isArray(judgeResult.shadowJudgeResults) ? (judgeResult.shadowJudgeResults as Obj[]) : [];
  const shadow = shadows.map((sh) => `; shadow ${sh.judgeName}: ${sh.error ? `error (${sh.error})` : sh.score?.classification}`).join('');
  return `verdict ${s.title} (version="${s.experiment}" vs version="baseline"): ${score.classification}, score ${score.score} (judge ${judgeResult.judgeName}${shadow})`;
}

/** The metric results, failing first, one line each, indented. */
function metricLines(judgeResult: Obj): string[] {
  const results = Array.isArray(judgeResult.results) ? (judgeResult.results as Obj[]) : [];
  return results.map((m) => {
    const c = m.resultMetadata?.canaria;
    const decision = c?.decision ? ` (${c.decision})` : '';
    return `    ${String(m.name).padEnd(16)} ${m.classification}${decision}${m.muted ? ', muted' : ''}`;
  });
}

// ---------------------------------------------------------------------------------------
// With Prometheus
// ---------------------------------------------------------------------------------------

/** Resolves true when `port` on 127.0.0.1 can be listened on. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

interface Options {
  port: number;
  prometheusPort: number;
  out?: string;
  record?: string;
  offline: boolean;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

async function json(res: Response, what: string): Promise<Obj> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function runWithPrometheus(options: Options): Promise<number | undefined> {
  const [{ startPrometheus, freePort }, { startLocalService }] = await Promise.all([import('../test/support/prometheus.ts'), import('../lib/local/service.ts')]);
  const config = JSON.parse(await readFile(CONFIG_FILE, 'utf8'));

  // One sample a minute up to the last whole minute; the window is its last hour.
  const endSec = Math.floor(Date.now() / 1000 / STEP_SEC) * STEP_SEC - STEP_SEC;
  const startSec = endSec - WINDOW_MIN * 60;

  const choose = async (wanted: number, what: string, flag: string): Promise<number> => {
    if (wanted === 0) return freePort();
    if (await portFree(wanted)) return wanted;
    const port = await freePort();
    say(`${what}: port ${wanted} is taken, using ${port} instead (${flag} N picks one)`);
    return port;
  };
  const prometheusPort = await choose(options.prometheusPort, 'Prometheus', '--prometheus-port');
  const servicePort = await choose(options.port, 'canaria', '--port');

  const t0 = performance.now();
  const series = demoSeries(endSec);
  const prometheus = await startPrometheus(series, { port: prometheusPort });
  let service: Awaited<ReturnType<typeof startLocalService>> | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await service?.stop().catch(() => {});
      await prometheus.stop();
    })());
  const onSignal = (signal: string) => {
    if (stopping) return;
    say(`\n${signal}: stopping canaria and Prometheus, removing ${prometheus.dir}`);
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (prometheus.port !== prometheusPort) say(`Prometheus: port ${prometheusPort} was taken meanwhile, using ${prometheus.port}`);
    say(`Prometheus on ${prometheus.url}: ${series.length} series (baseline, canary-bad, canary-healthy), one sample a minute, data in ${prometheus.dir}`);
    const accounts = [{ name: 'prometheus', type: 'prometheus' as const, endpoint: prometheus.url }];
    try {
      service = await startLocalService({ port: servicePort, accounts });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      service = await startLocalService({ port: 0, accounts });
      say(`canaria: port ${servicePort} was taken meanwhile, using ${new URL(service.url).port}`);
    }
    const url = service.url;
    say(`canaria on ${url} (embedded store in memory), account "prometheus" → ${prometheus.url}`);

    const stored = await json(
      await fetch(`${url}/canaryConfig`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) }),
      'POST /canaryConfig',
    );
    const configId = String(stored.canaryConfigId);
    say(`stored config "${config.name}" (${relative(process.cwd(), CONFIG_FILE) || CONFIG_FILE}) as ${configId}`);
    say(`analysing ${new Date(startSec * 1000).toISOString()} to ${new Date(endSec * 1000).toISOString()}, step ${STEP_SEC} s, thresholds pass ${THRESHOLDS.pass}, marginal ${THRESHOLDS.marginal}`);
    say('');

    const started = await Promise.all(
      SCENARIOS.map(async (s) => {
        const body = executionRequest(s, startSec, endSec);
        const res = await fetch(`${url}/canary/${encodeURIComponent(configId)}?application=demo&metricsAccountName=prometheus`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { s, id: String((await json(res, `POST /canary (${s.title})`)).canaryExecutionId) };
      }),
    );
    const lines: string[] = [];
    for (const { s, id } of started) {
      const deadline = Date.now() + 120_000;
      let status: Obj;
      for (;;) {
        status = await json(await fetch(`${url}/canary/${id}`), `GET /canary/${id}`);
        if (status.complete) break;
        if (Date.now() > deadline) throw new Error(`analysis ${id} (${s.title}) not complete after 120 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      if (status.status !== 'succeeded') throw new Error(`analysis ${id} (${s.title}) ended ${status.status}: ${JSON.stringify(status.exception ?? {}).slice(0, 500)}`);
      const judgeResult = status.result.judgeResult as Obj;
      lines.push(verdictLine(s, judgeResult), ...metricLines(judgeResult), `report ${s.title}: ${url}/canary/${id}/report`, '');
      if (options.record) await record(options.record, s, config, status, url);
    }
    for (const line of lines) say(line);
    say(`${((performance.now() - t0) / 1000).toFixed(1)} s from generating the data to the second verdict.`);
    say(`Open the reports above, or the console at ${url}/ ; the API is Kayenta's (README.md).`);
    say(`Ctrl-C (or kill -TERM ${process.pid}) stops canaria and Prometheus and removes ${prometheus.dir}.`);
    return undefined; // the servers keep the process alive until a signal
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** --record DIR: the analysis' metric set pairs as a RemoteJudge body (what examples/demo/*-canary.json are). */
async function record(dir: string, s: Scenario, config: Obj, status: Obj, url: string): Promise<void> {
  const pairs = await json(await fetch(`${url}/metricSetPairList/${status.metricSetPairListId}`), 'GET /metricSetPairList');
  await mkdir(dir, { recursive: true });
  const body = { canaryConfig: config, metricSetPairList: pairs, scoreThresholds: THRESHOLDS, executionRequest: status.canaryExecutionRequest };
  const file = join(dir, s.file);
  await writeFile(file, `${JSON.stringify(body)}\n`);
  say(`recorded ${file}`);
}

// ---------------------------------------------------------------------------------------
// Without Prometheus: the recorded pairs
// ---------------------------------------------------------------------------------------

async function runRecorded(options: Options, why: string | undefined): Promise<number> {
  const [{ judgeRequestSchema }, { parseWith }, { judgeExecution }, { kayentaJson }, { renderReport }] = await Promise.all([
    import('../lib/config/judge-request.ts'),
    import('../lib/config/validation.ts'),
    import('../lib/analysis/judging.ts'),
    import('../lib/json.ts'),
    import('../lib/report/render.ts'),
  ]);
  if (why !== undefined) {
    say(`Prometheus is not installed (${why}). To run the whole loop (Prometheus, canaria serve, two analyses):`);
    say(`  ${INSTALL_HINT}`);
    say('  npm run demo');
    say('');
  }
  say('Judging the metric set pairs recorded from such a run (examples/demo/, see its README.md) in this process:');
  const out = options.out ?? (await mkdtemp(join(tmpdir(), 'canaria-demo-')));
  await mkdir(out, { recursive: true });
  say('');
  for (const s of SCENARIOS) {
    const file = join(DEMO_DIR, s.file);
    const raw = JSON.parse(await readFile(file, 'utf8')) as Obj;
    const request = parseWith(judgeRequestSchema, raw);
    // As an analysis judges (lib/analysis/judging.ts): the judge, then the shadow judges on the same pairs.
    const result = judgeExecution(request.canaryConfig, request.metricSetPairList, { thresholds: request.scoreThresholds });
    const judgeResult = JSON.parse(kayentaJson(result)) as Obj;
    const now = Date.now();
    const status = {
      application: 'demo',
      pipelineId: `recorded-${s.key}-canary`,
      complete: true,
      status: 'succeeded',
      result: { judgeResult, canaryDuration: `PT${WINDOW_MIN / 60}H` },
      config: raw.canaryConfig,
      canaryConfigId: raw.canaryConfig.name,
      canaryExecutionRequest: raw.executionRequest ?? { thresholds: raw.scoreThresholds },
      startTimeIso: new Date(now).toISOString(),
      endTimeIso: new Date(now).toISOString(),
      metricsAccountName: `recorded pairs (examples/demo/${s.file})`,
    };
    const page = renderReport({ status, pairs: raw.metricSetPairList });
    const target = join(out, `${s.key}-canary.html`);
    await writeFile(target, page);
    say(verdictLine(s, judgeResult));
    for (const line of metricLines(judgeResult)) say(line);
    say(`report ${s.title}: ${target}`);
    say('');
  }
  say(`Open the two HTML files in a browser (self-contained, no network). ${options.out ? '' : `Remove ${out} when done.`}`.trimEnd());
  return 0;
}

// ---------------------------------------------------------------------------------------

const HELP = `Usage: npm run demo [-- --port N] [--prometheus-port N] [--out DIR] [--offline] [--record DIR]

With prometheus and promtool on PATH: backfills a baseline, a bad and a healthy canary into a
temporary Prometheus (127.0.0.1:9090, or a free port), starts canaria (127.0.0.1:8090, or a
free port), runs both analyses and prints their verdicts and report URLs; Ctrl-C stops both.
Without them (or with --offline): judges the pairs recorded in examples/demo/ and writes the two
report pages into --out DIR (default: a new temporary directory).

  --port N             canaria's port (0: any free one)
  --prometheus-port N  Prometheus' port (0: any free one)
  --out DIR            where the recorded run writes its reports
  --offline            the recorded run even when Prometheus is installed
  --record DIR         write each analysis' pairs as a RemoteJudge body into DIR
                       (how examples/demo/*-canary.json were made)
`;

function parseArgs(args: string[]): Options {
  const o: Options = { port: SERVICE_PORT, prometheusPort: PROMETHEUS_PORT, offline: false };
  const portOf = (flag: string, text: string | undefined) => {
    const n = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || n > 65535) throw new Error(`${flag} needs a port number from 0 to 65535, not ${JSON.stringify(text)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === '--port') o.port = portOf(a, args[++i]);
    else if (a === '--prometheus-port') o.prometheusPort = portOf(a, args[++i]);
    else if (a === '--out') o.out = args[++i];
    else if (a === '--record') o.record = args[++i];
    else if (a === '--offline') o.offline = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n${HELP}`);
  }
  return o;
}

async function main(args: string[]): Promise<number | undefined> {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    return 2;
  }
  if (options.offline) return runRecorded(options, undefined);
  const { prometheusAvailable } = await import('../test/support/prometheus.ts');
  const available = prometheusAvailable();
  if (!available.ok) return runRecorded(options, available.reason);
  return runWithPrometheus(options);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // stdout closed early (`| head`): drop what is left rather than die before cleaning up.
  process.stdout.on('error', () => {});
  try {
    const code = await main(process.argv.slice(2));
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
