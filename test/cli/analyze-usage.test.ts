// `canaria analyze` without a real Prometheus: usage errors that say what is wrong, the
// request it builds (--strict, --account), and retries on stderr against a flaky fake.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ANALYZE_EXIT_CODES, ANALYZE_HELP } from '../../lib/cli/analyze-command.ts';
import { CloudWatchFake } from '../support/cloudwatch-fake.ts';
import { canaria, iso, ROOT } from './run-canaria.ts';

const START = 1705312800;
const END = START + 3600;
const STEP = 60;

/**
 * A Prometheus query_range endpoint that answers 503 to the first `failures` requests of each
 * query, then the same 61 points for every query (so the verdict is Pass), and no data for a
 * query that names `missing`.
 */
class FlakyPrometheus {
  failures = 0;
  readonly seen = new Map<string, number>();
  url = '';
  #server?: Server;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = url.searchParams.get('query') ?? '';
      const n = (this.seen.get(query) ?? 0) + 1;
      this.seen.set(query, n);
      res.setHeader('content-type', 'application/json');
      if (n <= this.failures) {
        res.statusCode = 503;
        res.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'unavailable' }));
        return;
      }
      const seconds = (t: string | null) => (/^\d+(\.\d+)?$/.test(t ?? '') ? Number(t) : Date.parse(t ?? '') / 1000);
      if (query.includes('missing')) {
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
        return;
      }
      const start = seconds(url.searchParams.get('start'));
      const end = seconds(url.searchParams.get('end'));
      const values: Array<[number, string]> = [];
      for (let t = start, i = 0; t <= end; t += STEP, i++) values.push([t, String(100 + (i % 7))]);
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
    });
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => (this.#server ? this.#server.close(resolve) : resolve(undefined)));
  }
}

const promMetric = (name: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${name}{\${scope}})` },
  groups: ['g'],
  scopeName: 'default',
});
const cwMetric = (name: string) => ({
  name,
  query: { type: 'cloudwatch', metricDataQueries: [{ id: 'm', metricStat: { stat: 'Average', metric: { namespace: 'App', metricName: name, dimensions: [{ name: 'Version', value: '${scope}' }] } } }] },
  groups: ['g'],
  scopeName: 'default',
});

describe('canaria analyze: usage and what it shows', () => {
  const prom = new FlakyPrometheus();
  const cloudwatch = new CloudWatchFake();
  let dir: string;
  const file = (name: string) => join(dir, name);
  const AWS_ENV = { AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_SESSION_TOKEN: '', AWS_EC2_METADATA_DISABLED: 'true' };

  beforeAll(async () => {
    await Promise.all([prom.start(), cloudwatch.start()]);
    dir = mkdtempSync(join(tmpdir(), 'canaria-analyze-usage-'));
    writeFileSync(
      file('accounts.yaml'),
      `accounts:\n  - {name: flaky, type: prometheus, endpoint: ${prom.url}}\n  - {name: cw, type: cloudwatch, region: eu-west-1, endpoint: ${cloudwatch.url}}\n`,
    );
    const config = (metrics: unknown[]) => JSON.stringify({ name: 'cli', metrics, classifier: { groupWeights: { g: 100 } } });
    writeFileSync(file('prometheus.json'), config([promMetric('latency')]));
    writeFileSync(file('cloudwatch.json'), config([cwMetric('Latency')]));
    writeFileSync(file('gap.json'), config([promMetric('latency'), promMetric('errors'), promMetric('missing')]));
    writeFileSync(file('mixed.json'), config([promMetric('latency'), cwMetric('Latency')]));
    writeFileSync(file('request.json'), JSON.stringify({
      scopes: { default: { controlScope: { scope: 'version="baseline"', start: iso(START), end: iso(END), step: STEP }, experimentScope: { scope: 'version="canary"', start: iso(START), end: iso(END), step: STEP } } },
      thresholds: { pass: 95, marginal: 75 },
    }));
  });
  afterAll(async () => Promise.all([prom.stop(), cloudwatch.stop()]));
  beforeEach(() => {
    prom.failures = 0;
    prom.seen.clear();
    cloudwatch.reset();
  });

  const window = ['--start', iso(START), '--end', iso(END)];
  const analyze = (config: string, ...more: string[]) => canaria(['analyze', '-c', file(config), '-a', file('accounts.yaml'), ...more], { env: AWS_ENV });
  const scopes = ['--control', 'version="baseline"', '--experiment', 'version="canary"', ...window];

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await canaria([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`canaria ${version}\n`);
      expect(r.stderr).toBe('');
    }
    expect((await canaria(['--help'])).stdout).toContain('--version');
  });

  it('documents the exit status of each verdict', () => {
    for (const [what, code] of Object.entries(ANALYZE_EXIT_CODES)) {
      const label = { error: 'the analysis could not run', usage: 'bad usage' }[what] ?? what;
      expect(ANALYZE_HELP).toMatch(new RegExp(`^ {2}${code} {2}${label}`, 'm'));
    }
  });

  it.concurrent.each([
    ['no --experiment', ['--control', 'version="baseline"'], /^canaria analyze: --experiment SCOPE is required \(or give the whole request with --request FILE\)$/],
    ['no --control', ['--experiment', 'version="canary"'], /^canaria analyze: --control SCOPE is required/],
    ['no scopes', [], /^canaria analyze: --control SCOPE and --experiment SCOPE are required/],
    ['a step that is no number', [...scopes, '--step', 'soon'], /^canaria analyze: --step must be a whole number of seconds greater than 0, not "soon"$/],
    ['a pass that is no number', [...scopes, '--pass', 'high'], /^canaria analyze: --pass must be a number, not "high"$/],
    ['an empty marginal', [...scopes, '--marginal', ''], /^canaria analyze: --marginal must be a number, not ""$/],
    ['an unknown output', [...scopes, '--output', 'yaml'], /^canaria analyze: --output must be json or text, not "yaml"$/],
    ['--status with --output text', [...scopes, '--status', '--output', 'text'], /^canaria analyze: --status prints the status JSON; it cannot be combined with --output text$/],
  ])('usage error: %s', async (_, args, message) => {
    const r = await analyze('prometheus.json', ...args);
    expect(r.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toMatch(message);
  });

  it('refuses an unquoted label value when every metric is a Prometheus query, with the fix', async () => {
    const r = await analyze('prometheus.json', '--control', 'version=baseline', '--experiment', 'version="canary"', ...window);
    expect(r.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(r.stderr.trimEnd()).toBe(`canaria analyze: --control version=baseline: label values need quotes: --control 'version="baseline"'`);
    expect(prom.seen.size).toBe(0);
  });

  it('only warns about it when a metric is not a Prometheus query (a CloudWatch scope is a plain string)', async () => {
    // CloudWatch keeps one-minute data for 15 days: the default window (the 60 steps ending now).
    const r = await analyze('cloudwatch.json', '--control', 'version=baseline', '--experiment', 'version=canary');
    expect(r.stderr).toContain(`canaria analyze: warning: --control version=baseline: label values need quotes: --control 'version="baseline"'`);
    expect(r.stderr).toContain(`canaria analyze: warning: --experiment version=canary: label values need quotes`);
    expect(r.code, r.stderr).not.toBe(ANALYZE_EXIT_CODES.usage);
    const dims = cloudwatch.calls.flatMap((c) => c.MetricDataQueries.map((q: any) => q.MetricStat.Metric.Dimensions[0].Value));
    expect(dims).toContain('version=baseline');
  });

  it('repeats the hint under the error when a Prometheus query of a mixed config refuses the scope', async () => {
    const r = await analyze('mixed.json', '--control', 'version=baseline', '--experiment', 'version="canary"');
    expect(r.code).toBe(ANALYZE_EXIT_CODES.usage);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^canaria analyze: warning: --control version=baseline: label values need quotes/);
    expect(lines.at(-2)).toMatch(/^canaria analyze: .*version=baseline/);
    expect(lines.at(-1)).toBe(`canaria analyze: --control version=baseline: label values need quotes: --control 'version="baseline"'`);
  });

  it('shows both retry layers on stderr: the source\'s and the state machine\'s', async () => {
    // 5 failures per query: the source's 4 tries fail, the state machine retries FetchOne, whose
    // first try fails and second succeeds.
    prom.failures = 5;
    const asl = parseYaml(readFileSync(join(ROOT, 'functions/canary.asl.yml'), 'utf8'));
    const retrier = asl.States.Fetch.ItemProcessor.States.FetchOne.Retry.find((r: any) => r.ErrorEquals.includes('TransientFetchError'));
    const tries = retrier.MaxAttempts + 1;
    const r = await analyze('prometheus.json', ...scopes);
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    for (const side of ['control', 'experiment']) {
      for (const n of [2, 3, 4]) {
        expect(r.stderr).toMatch(new RegExp(`^canaria analyze: Prometheus account 'flaky' failed for ${side} data of 'latency' \\(HTTP 503: unavailable\\); retry ${n} of 4 in \\d+\\.\\d s$`, 'm'));
      }
    }
    expect(r.stderr).not.toContain('retry 5 of 4');
    expect(r.stderr).toContain(`canaria analyze: fetching control and experiment data of 'latency' (retry 2 of ${tries})`);
    expect([...prom.seen.values()]).toEqual([6, 6]);
  });

  it('--strict puts strict: true into the request it builds', async () => {
    const r = await analyze('prometheus.json', ...scopes, '--strict', '--status');
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    expect(JSON.parse(r.stdout).canaryExecutionRequest.strict).toBe(true);
  });

  it('--strict: missing data turns a Pass into Inconclusive, exit 5', async () => {
    const lenient = await analyze('gap.json', ...scopes);
    expect(JSON.parse(lenient.stdout).score.classification).toBe('Pass');
    expect(lenient.code, lenient.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    const strict = await analyze('gap.json', ...scopes, '--strict', '--output', 'text');
    expect(strict.code, strict.stderr).toBe(ANALYZE_EXIT_CODES.Inconclusive);
    const lines = strict.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Inconclusive: score [\d.]+ \(pass 95, marginal 75\)$/);
    expect(lines[1]).toMatch(/^1 of 3 metrics had no data: missing; strict: metrics without enough data make the verdict Inconclusive \(score 100 capped at 75\)$/);
    expect(lines[lines.indexOf('metrics (3):') + 1]).toMatch(/^ {2}missing +Nodata +/);
  });

  it('--strict sets strict on the request of --request FILE; scope options are then ignored, with a warning', async () => {
    const r = await analyze('prometheus.json', '--request', file('request.json'), '--strict', '--status', '--pass', '10');
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    const status = JSON.parse(r.stdout);
    expect(status.canaryExecutionRequest).toMatchObject({ strict: true, thresholds: { pass: 95, marginal: 75 } });
    expect(r.stderr).toContain('canaria analyze: warning: --pass ignored: --request gives the scopes and thresholds');
  });

  it('takes the account as --account too, and several joined with commas (one per query type)', async () => {
    const one = await analyze('prometheus.json', ...scopes, '--account', 'flaky', '--status');
    expect(one.code, one.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    expect(JSON.parse(one.stdout).metricsAccountName).toBe('flaky');
    // One account per query type: the core gets "flaky,cw" and takes each for its own type.
    cloudwatch.series = (_, ctx) => ({ points: Array.from({ length: (ctx.end - ctx.start) / STEP }, (__, i) => [ctx.start + i * STEP, 10 + (i % 5)] as [number, number]) });
    const two = await analyze('mixed.json', '--control', 'version="baseline"', '--experiment', 'version="canary"', '--account', 'flaky', '-m', 'cw', '--status');
    expect(two.code, two.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    const status = JSON.parse(two.stdout);
    expect(status.metricsAccountName).toBe('flaky,cw');
    expect(status.result.judgeResult.results.map((m: any) => m.classification)).toEqual(['Pass', 'Pass']);
    expect(cloudwatch.calls.length).toBeGreaterThan(0);
    const comma = await analyze('mixed.json', '--control', 'version="baseline"', '--experiment', 'version="canary"', '--account', 'flaky,cw', '--status');
    expect(JSON.parse(comma.stdout).metricsAccountName).toBe('flaky,cw');
    const listed = await analyze('prometheus.json', ...scopes, '--metrics-account', 'nope,other');
    expect(listed.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(listed.stderr).toMatch(/^canaria analyze: Unable to resolve account nope\b/);
  });
});
