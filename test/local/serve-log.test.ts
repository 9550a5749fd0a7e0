// `canaria serve` logs on stderr: a line per request, and an analysis' events (started, judged,
// fetches failed, finished); --quiet keeps the request lines off. stdout carries only the ready line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { exit, useProcesses } from './serve-process.ts';

const { serve } = useProcesses();

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const executionRequest = {
  scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
  thresholds: { pass: 75, marginal: 50 },
};
const canaryConfig = {
  name: 'logged',
  applications: ['shop'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [
    {
      name: 'latency',
      query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.identical}{\${scope}})` },
      groups: ['latency'],
      analysisConfigurations: { canary: { direction: 'increase' } },
      scopeName: 'default',
    },
  ],
  classifier: { groupWeights: { latency: 100 } },
};

/** A fresh data directory and an accounts file naming `accounts` (name → endpoint). */
function setup(accounts: Record<string, string> = {}): { dataDir: string; accountsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'canaria-serve-log-'));
  const accountsFile = join(dir, 'accounts.yaml');
  const lines = Object.entries(accounts).map(([name, endpoint]) => `  - {name: ${name}, type: prometheus, endpoint: ${endpoint}}`);
  writeFileSync(accountsFile, `accounts:\n${lines.join('\n')}\n`);
  return { dataDir: join(dir, 'data'), accountsFile };
}

/** Starts an ad hoc analysis of `canaryConfig` on `account`; resolves with its id. */
async function startAnalysis(url: string, account: string): Promise<string> {
  const r = await fetch(`${url}/canary?metricsAccountName=${account}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ canaryConfig, executionRequest }),
  });
  expect(r.status, await r.clone().text()).toBe(200);
  return ((await r.json()) as { canaryExecutionId: string }).canaryExecutionId;
}

const withoutMs = (stderr: string) => stderr.replace(/ \d+ ms\b/g, ' N ms').split('\n').filter(Boolean);

describe('canaria serve logging', () => {
  it('logs a line per request on stderr: method, path without query, status, ms; no headers or bodies', async () => {
    const { dataDir } = setup();
    const s = await serve(['--data-dir', dataDir]);
    const post = (path: string, body: string) =>
      fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer secret-header' }, body });
    expect((await fetch(`${s.url}/health?scope=secret-query`)).status).toBe(200);
    expect((await fetch(`${s.url}/no/such/route`)).status).toBe(404);
    expect((await post('/canaryConfig', '{"name": "secret-body"')).status).toBe(400);
    expect((await fetch(`${s.url}/health`, { method: 'DELETE' })).status).toBe(405);
    expect((await post('/canaryConfig?x=secret-query', 'x'.repeat(1024 * 1024 + 1))).status).toBe(413);
    await s.waitForStderr(/413 \d+ ms\n/);

    expect(withoutMs(s.stderr())).toEqual([
      'canaria: GET /health 200 N ms',
      'canaria: GET /no/such/route 404 N ms',
      'canaria: POST /canaryConfig 400 N ms',
      'canaria: DELETE /health 405 N ms',
      'canaria: POST /canaryConfig 413 N ms',
    ]);
    expect(s.stderr()).not.toMatch(/secret/);
    expect(s.stdout()).toBe(`canaria listening on ${s.url}\n`);
    s.proc.kill('SIGINT');
    expect(await exit(s.proc)).toBe(0);
  });

  describe('with --quiet', () => {
    // A metric store that refuses every query (400 bad_data: not retried, so the analysis ends at once).
    let refusing: Server;
    let refusingUrl: string;
    beforeAll(async () => {
      refusing = createServer((_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'refused by the test' }));
      });
      await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
      refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => refusing.close(() => r())));

    it('logs no requests, but a terminal analysis with its stage and reason', async () => {
      const { dataDir, accountsFile } = setup({ refusing: refusingUrl });
      const s = await serve(['--data-dir', dataDir, '--accounts', accountsFile, '--quiet']);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await fetch(`${s.url}/no/such/route`)).status).toBe(404);
      const id = await startAnalysis(s.url, 'refusing');
      await s.waitForStderr(new RegExp(`analysis ${id} terminal`));
      s.proc.kill('SIGINT');
      expect(await exit(s.proc)).toBe(0);
      const lines = s.stderr().split('\n').filter(Boolean);
      expect(lines.slice(0, 2)).toEqual([
        `canaria: 1 metric account(s) from ${accountsFile}`,
        expect.stringMatching(new RegExp(`^canaria: analysis ${id} started: config ad-hoc of ad-hoc, 1 metric, judge NetflixACAJudge-v1.0$`)),
      ]);
      // Then the end, and both sides' failed fetches (the second may be told after the end).
      const rest = lines.slice(2);
      const failedFetch = new RegExp(`^canaria: analysis ${id} fetching 'latency' \\((control|experiment)\\) from prometheus failed after \\d+ ms: .*refused by the test`);
      const terminal = new RegExp(`^canaria: analysis ${id} terminal in fetch: fetching (control|experiment) data of metric 'latency': .*refused by the test`);
      expect(rest.filter((l) => terminal.test(l))).toHaveLength(1);
      expect([1, 2]).toContain(rest.filter((l) => failedFetch.test(l)).length);
      expect(rest.every((l) => terminal.test(l) || failedFetch.test(l)), rest.join('\n')).toBe(true);
    });
  });
});

describeWithPrometheus('canaria serve logging against Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());

  it('logs a succeeded analysis with its verdict and score', async () => {
    const { dataDir, accountsFile } = setup({ prom: prom.url });
    const s = await serve(['--data-dir', dataDir, '--accounts', accountsFile]);
    const id = await startAnalysis(s.url, 'prom');
    await s.waitForStderr(new RegExp(`analysis ${id} succeeded`));
    expect(withoutMs(s.stderr()).slice(1)).toEqual([
      'canaria: POST /canary 200 N ms',
      expect.stringMatching(new RegExp(`^canaria: analysis ${id} started: config ad-hoc of ad-hoc, 1 metric, judge NetflixACAJudge-v1.0$`)),
      `canaria: analysis ${id} judged by NetflixACAJudge-v1.0 in N ms: Pass, score 100 (1 Pass)`,
      `canaria: analysis ${id} succeeded: Pass, score 100`,
    ]);
    s.proc.kill('SIGINT');
    expect(await exit(s.proc)).toBe(0);
  });
});
