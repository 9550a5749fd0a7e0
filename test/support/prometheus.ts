// A real Prometheus for tests (Debian's prometheus 2.42): backfill synthetic series with
// promtool into a fresh TSDB, start prometheus on 127.0.0.1 with a config that scrapes
// nothing, query it, stop it. Suites that need it use describeWithPrometheus().
//
// Binaries: `prometheus` and `promtool` from PATH. Overrides: CANARIA_PROMETHEUS_BIN (path to
// prometheus; promtool is then looked up beside it) and CANARIA_PROMTOOL_BIN (path to promtool).
// A path that does not exist makes the suites skip, e.g. CANARIA_PROMETHEUS_BIN=/nonexistent.
// CANARIA_REQUIRE_PROMETHEUS=1 (set by .ci/run) turns that skip into a failing test.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'vitest';
import { toOpenMetrics, type OpenMetricsSeries } from './prometheus-data.ts';

export type { OpenMetricsSeries } from './prometheus-data.ts';

export type PrometheusAvailability =
  | { ok: true; prometheus: string; promtool: string; version: string }
  | { ok: false; reason: string };

export interface StartOptions {
  /** `--query.lookback-delta`; Prometheus' default (5m) when absent. */
  lookbackDelta?: string;
  /** Try this port first (a clash falls back to a free one); a free port when absent. */
  port?: number;
  /** Give up when not ready after this long (ms). Default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  port: number;
  /** Kills prometheus and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** The temp dir holding data.om, prometheus.yml and tsdb/ (removed by stop()). */
  dir: string;
  /** Milliseconds: writing + promtool backfill, prometheus start to /-/ready, and the whole call. */
  timings: { backfillMs: number; readyMs: number; totalMs: number };
  /** The last lines prometheus logged. */
  logs(): string;
}

const SKIP_HINT = "Debian package 'prometheus'";

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

let cached: { key: string; value: PrometheusAvailability } | undefined;

/** Whether prometheus and promtool are installed and run (`--version`); cached per PATH/overrides. */
export function prometheusAvailable(): PrometheusAvailability {
  const env = process.env;
  const key = [env.PATH, env.CANARIA_PROMETHEUS_BIN, env.CANARIA_PROMTOOL_BIN].join('\0');
  if (cached?.key === key) return cached.value;
  const value = probe();
  cached = { key, value };
  return value;
}

function probe(): PrometheusAvailability {
  const env = process.env;
  const problems: string[] = [];
  const notOnPath: string[] = [];
  const resolve = (name: string, override: string | undefined, overrideVar: string, beside?: string): string | undefined => {
    if (override) {
      if (isExecutable(override)) return override;
      problems.push(`${overrideVar}=${override} is not an executable file`);
      return undefined;
    }
    if (beside && isExecutable(beside)) return beside;
    const found = onPath(name);
    if (!found) notOnPath.push(name);
    return found;
  };
  const prometheus = resolve('prometheus', env.CANARIA_PROMETHEUS_BIN, 'CANARIA_PROMETHEUS_BIN');
  const promtool = resolve(
    'promtool',
    env.CANARIA_PROMTOOL_BIN,
    'CANARIA_PROMTOOL_BIN',
    env.CANARIA_PROMETHEUS_BIN ? join(dirname(env.CANARIA_PROMETHEUS_BIN), 'promtool') : undefined,
  );
  if (notOnPath.length > 0) problems.unshift(`${notOnPath.join('/')} not found on PATH`);
  if (!prometheus || !promtool) return { ok: false, reason: `${problems.join('; ')} (${SKIP_HINT})` };
  let version = '';
  for (const bin of [prometheus, promtool]) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n')[0].slice(0, 200)}`;
      return { ok: false, reason: `${bin} --version failed (${why}) (${SKIP_HINT})` };
    }
    if (bin === prometheus) version = ((r.stdout || r.stderr).split('\n')[0] ?? '').trim();
  }
  return { ok: true, prometheus, promtool, version };
}

/**
 * describe() for suites that need a real Prometheus. Without the binaries: a console.warn
 * naming the reason and describe.skip; with CANARIA_REQUIRE_PROMETHEUS=1, a failing test instead.
 */
export function describeWithPrometheus(name: string, fn: () => void): void {
  const available = prometheusAvailable();
  if (available.ok) {
    describe(name, fn);
    return;
  }
  if (process.env.CANARIA_REQUIRE_PROMETHEUS === '1') {
    describe(name, () => {
      it('needs Prometheus (CANARIA_REQUIRE_PROMETHEUS=1)', () => {
        throw new Error(`Prometheus is required (CANARIA_REQUIRE_PROMETHEUS=1) but unavailable: ${available.reason}`);
      });
    });
    return;
  }
  console.warn(`Prometheus suites skipped: ${available.reason} [suite: ${name}]`);
  describe.skip(name, fn);
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

function run(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${bin} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`.trim()));
      else resolve({ stdout, stderr });
    });
  });
}

// Children still running when the worker exits are killed (a crashed suite leaves no prometheus).
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

const CONFIG = `# canaria tests: scrape nothing, evaluate nothing.
global:
  scrape_interval: 1h
  evaluation_interval: 1h
scrape_configs: []
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Backfills `series` into a fresh TSDB and starts prometheus on 127.0.0.1 with it;
 * resolves when /-/ready answers 200. Throws with promtool's or prometheus' output on failure.
 */
export async function startPrometheus(series: readonly OpenMetricsSeries[], options: StartOptions = {}): Promise<RunningPrometheus> {
  const available = prometheusAvailable();
  if (!available.ok) throw new Error(`cannot start Prometheus: ${available.reason}`);
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'canaria-prom-'));
  const tsdb = join(dir, 'tsdb');
  const config = join(dir, 'prometheus.yml');
  try {
    const data = join(dir, 'data.om');
    await writeFile(data, toOpenMetrics(series));
    await writeFile(config, CONFIG);
    if (series.some((s) => s.samples.length > 0)) {
      await run(available.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', data, tsdb]);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const backfillMs = performance.now() - t0;

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = attempt === 0 && options.port ? options.port : await freePort();
    const t1 = performance.now();
    const args = [
      `--config.file=${config}`,
      `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Time retention is counted back from the newest block; 100y keeps any backfilled past.
      '--storage.tsdb.retention.time=100y',
      '--log.level=info',
    ];
    if (options.lookbackDelta) args.push(`--query.lookback-delta=${options.lookbackDelta}`);
    const child = spawn(available.prometheus, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const log: string[] = [];
    let loggedReady = false;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (text.includes('Server is ready to receive web requests')) loggedReady = true;
      log.push(...text.split('\n').filter(Boolean));
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    child.once('exit', (code, signal) => (exited = { code, signal }));
    child.once('error', (err) => (spawnError = err));
    const url = `http://127.0.0.1:${port}`;

    let ready = false;
    while (!exited && !spawnError && performance.now() - t1 < readyTimeoutMs) {
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        // A 200 from another process on the port would not be ours: ours logs that it is ready.
        if (res.status === 200 && !exited && loggedReady) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    if (ready) {
      const readyMs = performance.now() - t1;
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          if (!exited) {
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await gone;
            clearTimeout(timer);
          }
          await rm(dir, { recursive: true, force: true });
        })());
      return {
        url,
        port,
        dir,
        stop,
        timings: { backfillMs, readyMs, totalMs: performance.now() - t0 },
        logs: () => log.join('\n'),
      };
    }

    // Not ready: kill it if it still runs, then retry on a port clash or fail.
    if (!exited && !spawnError) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    }
    const text = log.join('\n');
    lastError = spawnError
      ? spawnError.message
      : exited
        ? `prometheus exited (code ${exited.code}, signal ${exited.signal})`
        : `prometheus not ready after ${readyTimeoutMs} ms`;
    lastError += text ? `\n${text.split('\n').slice(-20).join('\n')}` : '';
    if (!/address already in use/i.test(text)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`cannot start Prometheus: ${lastError}`);
}

/** GET url+path with query params; the parsed JSON body, or an error with the text. */
export async function promGet(url: string, path: string, params: Record<string, string | number> = {}): Promise<any> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${url}${path}${qs.size ? `?${qs}` : ''}`);
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`GET ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** `/api/v1/query_range` → data.result ([{metric, values: [[sec, "value"], …]}]); throws unless status is success. */
export async function queryRange(
  url: string,
  query: string,
  start: number,
  end: number,
  step: number,
): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const body = await promGet(url, '/api/v1/query_range', { query, start, end, step });
  if (body?.status !== 'success') throw new Error(`query_range ${query}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data.result;
}
