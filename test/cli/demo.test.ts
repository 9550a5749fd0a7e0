// `npm run demo` (scripts/demo.ts) as a user runs it: the npm script as a process, with
// Prometheus (the whole loop, stopped with Ctrl-C: SIGINT to its process group) and with PATH
// stripped of prometheus/promtool (the recorded pairs and HTML reports). Also the generator's
// series: the bad canary's 5xx share and tail, and autocorrelated noise.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { demoSeries, PROFILE, WARMUP_MIN } from '../../scripts/demo.ts';
import { describeWithPrometheus } from '../support/prometheus.ts';
import type { OpenMetricsSeries } from '../support/prometheus-data.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Demo {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with stdout once it matches (rejects on exit or after timeoutMs). */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run demo -- ARGS` in its own process group (as a shell runs a foreground job). */
function runDemo(args: string[], env: NodeJS.ProcessEnv = process.env): Demo {
  const proc = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const done = (f: () => void) => {
        waiters.delete(check);
        clearTimeout(timer);
        f();
      };
      const check = () => {
        if (pattern.test(out)) done(() => resolve(out));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} after ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`))), timeoutMs);
      waiters.add(check);
      void exited.then(({ code, signal }) => done(() => (pattern.test(out) ? resolve(out) : reject(new Error(`demo exited (${code ?? signal}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`)))));
      check();
    });
  return { proc, stdout: () => out, stderr: () => err, waitFor, exited };
}

const started: Demo[] = [];
// A demo still running after a failed test: SIGTERM (it cleans up), SIGKILL if that does not end it.
afterAll(async () => {
  for (const d of started) {
    if (d.proc.exitCode !== null || d.proc.signalCode !== null) continue;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-d.proc.pid!, s);
      } catch {
        // gone
      }
    };
    signal('SIGTERM');
    const ended = await Promise.race([d.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
    if (!ended) signal('SIGKILL');
  }
}, 20_000);

/** The verdict line of a scenario: classification, score, judge. */
function verdict(stdout: string, title: string): { classification: string; score: number; judge: string } {
  const m = new RegExp(`^verdict ${title} \\(.*\\): (\\w+), score ([\\d.]+) \\(judge ([\\w.-]+)`, 'm').exec(stdout);
  expect(m, `no verdict line for ${title} in:\n${stdout}`).not.toBeNull();
  return { classification: m![1], score: Number(m![2]), judge: m![3] };
}

function reportOf(stdout: string, title: string): string {
  const m = new RegExp(`^report ${title}: (\\S+)$`, 'm').exec(stdout);
  expect(m, `no report line for ${title} in:\n${stdout}`).not.toBeNull();
  return m![1];
}

/** Whether something answers HTTP at url. */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

describeWithPrometheus('npm run demo with Prometheus', () => {
  it('runs both analyses (bad canary Fail, healthy canary Pass), serves their reports until SIGINT, then leaves nothing behind', async () => {
    // A port held by someone else: the demo must say so and take another.
    const holder: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const taken = (holder.address() as { port: number }).port;
    let demo: Demo;
    try {
      demo = runDemo(['--port', String(taken), '--prometheus-port', '0']);
      started.push(demo);
      await demo.waitFor(/^Ctrl-C .*$/m, 35_000);
    } finally {
      holder.close();
    }
    const out = demo.stdout();
    expect(out).toContain(`canaria: port ${taken} is taken, using `);
    const bad = verdict(out, 'bad canary');
    const healthy = verdict(out, 'healthy canary');
    expect(bad).toMatchObject({ classification: 'Fail', judge: 'canaria-v1' });
    expect(bad.score).toBeLessThan(75);
    expect(healthy).toMatchObject({ classification: 'Pass', judge: 'canaria-v1', score: 100 });

    const prometheusUrl = /^Prometheus on (http:\/\/127\.0\.0\.1:\d+): .* data in (\S+)$/m.exec(out);
    const serviceUrl = /^canaria on (http:\/\/127\.0\.0\.1:\d+) /m.exec(out);
    expect(prometheusUrl, out).not.toBeNull();
    expect(serviceUrl, out).not.toBeNull();
    expect(new URL(serviceUrl![1]).port).not.toBe(String(taken));
    const dataDir = prometheusUrl![2];
    expect(existsSync(dataDir)).toBe(true);

    for (const [title, expected] of [
      ['bad canary', 'Fail'],
      ['healthy canary', 'Pass'],
    ] as const) {
      const url = reportOf(out, title);
      expect(url.startsWith(`${serviceUrl![1]}/canary/`) && url.endsWith('/report'), url).toBe(true);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toMatch(/^<!doctype html>/i);
      expect(page).toContain(`<span id="verdict">${expected}</span>`);
      expect(page).toContain('<dd id="judge">canaria-v1</dd>');
    }

    // Ctrl-C: SIGINT to the foreground process group.
    process.kill(-demo.proc.pid!, 'SIGINT');
    const exit = await Promise.race([demo.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(exit, `stdout:\n${demo.stdout()}\nstderr:\n${demo.stderr()}`).not.toBe('timeout');
    expect(demo.stdout()).toContain('SIGINT: stopping canaria and Prometheus');
    expect(await answers(`${prometheusUrl![1]}/-/ready`)).toBe(false);
    expect(await answers(`${serviceUrl![1]}/health`)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});

describe('npm run demo without Prometheus', () => {
  it('says how to install it, judges the recorded pairs and writes both reports, exit 0', async () => {
    // PATH with only npm, node and sh (npm runs scripts with sh): no prometheus, no promtool.
    const bin = mkdtempSync(join(tmpdir(), 'canaria-demo-path-'));
    const out = mkdtempSync(join(tmpdir(), 'canaria-demo-out-'));
    try {
      const onPath = (name: string) => {
        const found = (process.env.PATH ?? '')
          .split(delimiter)
          .map((d) => join(d, name))
          .find((p) => existsSync(p));
        expect(found, `${name} on PATH`).toBeDefined();
        return realpathSync(found!);
      };
      symlinkSync(onPath('npm'), join(bin, 'npm'));
      symlinkSync(onPath('sh'), join(bin, 'sh'));
      symlinkSync(process.execPath, join(bin, 'node'));
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
      delete env.CANARIA_PROMETHEUS_BIN;
      delete env.CANARIA_PROMTOOL_BIN;
      const demo = runDemo(['--out', out], env);
      started.push(demo);
      const exit = await demo.exited;
      const stdout = demo.stdout();
      expect(exit, `stdout:\n${stdout}\nstderr:\n${demo.stderr()}`).toEqual({ code: 0, signal: null });
      expect(stdout).toContain('Prometheus is not installed (prometheus/promtool not found on PATH');
      expect(stdout).toContain('  sudo apt-get install -y --no-install-recommends prometheus\n');
      expect(verdict(stdout, 'bad canary')).toMatchObject({ classification: 'Fail', judge: 'canaria-v1' });
      expect(verdict(stdout, 'healthy canary')).toMatchObject({ classification: 'Pass', judge: 'canaria-v1', score: 100 });
      for (const [title, file, expected] of [
        ['bad canary', 'bad-canary.html', 'Fail'],
        ['healthy canary', 'healthy-canary.html', 'Pass'],
      ] as const) {
        expect(reportOf(stdout, title)).toBe(join(out, file));
        const page = readFileSync(join(out, file), 'utf8');
        expect(page).toMatch(/^<!doctype html>/i);
        expect(page).toContain(`<span id="verdict">${expected}</span>`);
        expect(page).toContain('errors_5xx');
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }, 40_000);
});

describe("the demo's series", () => {
  const end = 1_796_083_500; // a multiple of 60
  const series = demoSeries(end);
  const of = (name: string, labels: Record<string, string>): OpenMetricsSeries[] =>
    series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  /** Per-minute increases of a counter over the window (after the warm-up). */
  const increases = (s: OpenMetricsSeries) => s.samples.slice(WARMUP_MIN).map(([, v], i) => v - s.samples[WARMUP_MIN + i - 1][1]);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const errorShare = (version: string) => {
    const bad = total(increases(of('demo_http_requests_total', { version, code: '500' })[0]));
    const ok = total(increases(of('demo_http_requests_total', { version, code: '200' })[0]));
    return bad / (bad + ok);
  };
  /** Share of requests slower than `le` seconds. */
  const slowerThan = (version: string, le: string) => {
    const within = total(increases(of('demo_http_request_duration_seconds_bucket', { version, le })[0]));
    const all = total(increases(of('demo_http_request_duration_seconds_bucket', { version, le: '+Inf' })[0]));
    return 1 - within / all;
  };
  const lag1 = (xs: number[]) => {
    const m = total(xs) / xs.length;
    let num = 0;
    let den = 0;
    xs.forEach((x, i) => {
      den += (x - m) ** 2;
      if (i > 0) num += (x - m) * (xs[i - 1] - m);
    });
    return num / den;
  };

  it('are seeded, end at the given minute and have the three sides', () => {
    expect(demoSeries(end)).toEqual(series);
    expect(new Set(series.map((s) => s.labels.version))).toEqual(new Set(['baseline', 'canary-bad', 'canary-healthy']));
    for (const s of series) expect(s.samples.at(-1)![0]).toBe(end);
    expect(() => demoSeries(end + 1)).toThrow(/multiple of 60/);
  });

  it('give the bad canary ≥ 3× the 5xx share and a slower p99 tail; the healthy canary neither', () => {
    const base = errorShare('baseline');
    expect(base).toBeGreaterThan(0.8 * PROFILE.errorShare.baseline);
    expect(errorShare('canary-bad') / base).toBeGreaterThanOrEqual(3);
    expect(errorShare('canary-healthy') / base).toBeLessThan(1.2);
    expect(errorShare('canary-healthy') / base).toBeGreaterThan(0.8);
    // le=0.25 is about the baseline's p99
    expect(slowerThan('baseline', '0.25')).toBeGreaterThan(0.003);
    expect(slowerThan('baseline', '0.25')).toBeLessThan(0.02);
    expect(slowerThan('canary-bad', '0.25') / slowerThan('baseline', '0.25')).toBeGreaterThan(3);
    expect(slowerThan('canary-healthy', '0.25') / slowerThan('baseline', '0.25')).toBeLessThan(1.3);
  });

  it('are noisy and autocorrelated like scrapes: requests per minute and CPU', () => {
    const requests = increases(of('demo_http_requests_total', { version: 'baseline', code: '200' })[0]);
    expect(lag1(requests)).toBeGreaterThan(0.5);
    const cpu = of('demo_cpu_usage_cores', { version: 'canary-healthy' });
    expect(cpu).toHaveLength(PROFILE.instances);
    const values = cpu[0].samples.map(([, v]) => v);
    expect(lag1(values)).toBeGreaterThan(0.5);
    expect(new Set(values).size).toBeGreaterThan(values.length * 0.9);
    expect(cpu[0].type).toBe('gauge');
    expect(of('demo_http_requests_total', { version: 'baseline' })[0].type).toBe('counter');
  });
});
