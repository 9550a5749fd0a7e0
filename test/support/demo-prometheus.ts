// `npm run demo:prometheus`: a Prometheus with the tests' canary dataset, for trying canaria by
// hand; test/readme.test.ts runs it as a process, on a free port, under the README's walkthroughs.
//
// It reuses the test harness (test/support/prometheus.ts): the data is backfilled with promtool
// into a fresh TSDB under the system temp dir, and Prometheus listens on 127.0.0.1:9090, the
// address examples/accounts.yaml names (`--port N` or CANARIA_DEMO_PORT for another one; it then
// writes an accounts file for that port beside the TSDB and prints its path). Ctrl-C or SIGTERM
// stops Prometheus and removes the temp dir. Nothing is written into the repository.
//
// The data has one sample a minute from about 71 minutes ago to about 59 minutes ahead, so a
// window ending now (canaria's default when a scope has no start/end: the 60 steps ending now,
// one hour at step 60) is full for the next hour; restart the demo to move the data along.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from './prometheus.ts';
import { canaryDataset, recentStart, WARMUP_SEC, WINDOW_SEC, type OpenMetricsSeries } from './prometheus-data.ts';

/** The port examples/accounts.yaml points at. */
export const DEMO_PORT = 9090;
/** How far past now the data goes: windows ending now stay full this long. */
export const AHEAD_SEC = 3600;

export interface DemoData {
  series: OpenMetricsSeries[];
  /** First and last sample (seconds). */
  first: number;
  last: number;
}

/** canaryDataset() placed so that its last sample is about AHEAD_SEC after `nowSec`. */
export function demoData(nowSec: number = Date.now() / 1000): DemoData {
  const start = recentStart(nowSec + AHEAD_SEC);
  return { series: canaryDataset(start), first: start - WARMUP_SEC, last: start + WINDOW_SEC };
}

export interface DemoPrometheus extends RunningPrometheus {
  data: DemoData;
}

/** Starts Prometheus with demoData() on `port` (a free one when absent: for tests). */
export async function startDemoPrometheus(options: { port?: number; nowSec?: number } = {}): Promise<DemoPrometheus> {
  const data = demoData(options.nowSec);
  const prometheus = await startPrometheus(data.series, { port: options.port });
  return Object.assign(prometheus, { data });
}

/** Each metric name with the values of each of its labels, e.g. `latency_worse{version="baseline"|"canary"}`. */
export function seriesSummary(series: readonly OpenMetricsSeries[]): string[] {
  const byName = new Map<string, { count: number; labels: Map<string, Set<string>> }>();
  for (const s of series) {
    const entry = byName.get(s.name) ?? { count: 0, labels: new Map() };
    entry.count++;
    for (const [k, v] of Object.entries(s.labels)) entry.labels.set(k, (entry.labels.get(k) ?? new Set()).add(v));
    byName.set(s.name, entry);
  }
  const width = Math.max(...[...byName.keys()].map((n) => n.length));
  return [...byName].map(([name, { count, labels }]) => {
    const ls = [...labels].map(([k, vs]) => `${k}=${[...vs].map((v) => JSON.stringify(v)).join('|')}`).join(', ');
    return `${name.padEnd(width)}  {${ls}}  ${count} series`;
  });
}

/** What the demo serves and how to use it. */
export function describeDemo(prometheus: DemoPrometheus, accountsFile: string): string {
  const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
  return [
    `Prometheus on ${prometheus.url} with canaria's demo data (one sample a minute, ${iso(prometheus.data.first)} to ${iso(prometheus.data.last)}):`,
    ...seriesSummary(prometheus.data.series).map((line) => `  ${line}`),
    '',
    'The two sides are labelled version="baseline" and version="canary": latency_identical has the',
    'same values on both, latency_worse is about 50 % higher on the canary, latency_marginal 4 %.',
    `Windows ending now have data until about ${iso(prometheus.data.last + 300)}; restart this to move the data along.`,
    '',
    'In another shell:',
    `  npx canaria serve --accounts ${accountsFile}`,
    `  npx canaria analyze --config examples/demo-canary-config.json --accounts ${accountsFile} --control 'version="baseline"' --experiment 'version="canary"'`,
    '',
    `Ctrl-C stops Prometheus and removes ${prometheus.dir}.`,
  ].join('\n');
}

/** Resolves when `port` on 127.0.0.1 can be listened on; rejects with the reason otherwise. */
function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

function parsePort(args: string[]): number {
  let text = process.env.CANARIA_DEMO_PORT || String(DEMO_PORT);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--port') text = args[++i] ?? '';
    else if (a.startsWith('--port=')) text = a.slice('--port='.length);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('Usage: npm run demo:prometheus [-- --port N]   (or CANARIA_DEMO_PORT=N; default 9090)\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${JSON.stringify(a)} (usage: npm run demo:prometheus -- --port N)`);
  }
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new Error(`the port must be a number from 1 to 65535, not ${JSON.stringify(text)}`);
  return port;
}

/** Starts the demo and returns; a number is an exit status for a failed start. */
async function main(args: string[]): Promise<number | undefined> {
  const fail = (message: string) => (process.stderr.write(`demo:prometheus: ${message}\n`), 1);
  let port: number;
  try {
    port = parsePort(args);
  } catch (err) {
    return fail((err as Error).message);
  }
  const available = prometheusAvailable();
  if (!available.ok) {
    return fail(
      `needs prometheus and promtool: ${available.reason}.\n` +
        'On Debian or Ubuntu: sudo apt-get install -y --no-install-recommends prometheus\n' +
        '(or set CANARIA_PROMETHEUS_BIN to a prometheus binary with promtool beside it)',
    );
  }
  try {
    await checkPortFree(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot listen on 127.0.0.1:${port} (${code ?? (err as Error).message}): is a Prometheus already running there? Use --port N for another port.`);
  }
  let prometheus: DemoPrometheus;
  try {
    prometheus = await startDemoPrometheus({ port });
  } catch (err) {
    return fail((err as Error).message);
  }
  let watch: NodeJS.Timeout | undefined;
  const stop = async (code: number) => {
    clearInterval(watch);
    await prometheus.stop();
    process.exit(code);
  };
  if (prometheus.port !== port) {
    process.stderr.write(`demo:prometheus: port ${port} was taken meanwhile; stopping\n`);
    await stop(1);
  }
  let accountsFile = 'examples/accounts.yaml';
  if (port !== DEMO_PORT) {
    accountsFile = join(prometheus.dir, 'accounts.yaml');
    await writeFile(accountsFile, `accounts:\n  - {name: prometheus, type: prometheus, endpoint: ${prometheus.url}}\n`);
  }
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping Prometheus\n');
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Prometheus gone (killed, crashed): say so and end rather than serve nothing.
  watch = setInterval(async () => {
    if (stopping) return;
    try {
      const res = await fetch(`${prometheus.url}/-/healthy`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // fall through
    }
    if (stopping) return;
    stopping = true;
    process.stderr.write(`demo:prometheus: Prometheus stopped answering; its last lines:\n${prometheus.logs().split('\n').slice(-10).join('\n')}\n`);
    await stop(1);
  }, 5_000);
  process.stdout.write(`${describeDemo(prometheus, accountsFile)}\n`);
  return undefined; // runs until a signal: the interval and Prometheus keep the process alive
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
