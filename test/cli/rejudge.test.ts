// `canaria rejudge` as a user runs it: the real bin against a running `canaria serve --auth`
// (its own process, data directory and accounts file) that ran one analysis against the
// Prometheus harness.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dataDirWithKeys } from '../auth/support.ts';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { httpCall } from '../support/http.ts';
import { startServe, type Served } from '../support/serve-bin.ts';
import { canaria, iso } from './run-canaria.ts';

const window = { start: iso(START), end: iso(END), step: STEP };
const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});
const config = {
  name: 'rejudge-cli',
  applications: ['shop'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [metric('identical', LATENCY.identical), metric('worse', LATENCY.worse)],
  classifier: { groupWeights: { latency: 100 } },
};

describeWithPrometheus('canaria rejudge', () => {
  let prom: RunningPrometheus;
  let served: Served;
  let setup: Awaited<ReturnType<typeof dataDirWithKeys>>;
  let executionId: string;
  let stored: any;

  beforeAll(async () => {
    [prom, setup] = await Promise.all([startPrometheus([...CANARY_DATASET]), dataDirWithKeys()]);
    const accounts = join(setup.dataDir, 'accounts.json');
    writeFileSync(accounts, JSON.stringify({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));
    served = await startServe(['--data-dir', setup.dataDir, '--accounts', accounts, '--auth', '--quiet']);
    const admin = { 'x-api-key': setup.keys.admin };
    const call = (method: string, path: string, body?: unknown) => httpCall(served.url, method, path, { body, headers: admin });
    const created = await call('POST', '/canaryConfig', config);
    const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
    const started = await call('POST', `/canary/${created.json.canaryConfigId}`, { scopes, thresholds: { pass: 75, marginal: 50 } });
    expect(started.status, started.text).toBe(200);
    executionId = started.json.canaryExecutionId;
    for (let i = 0; i < 200 && !stored?.complete; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 50));
      stored = (await call('GET', `/canary/${executionId}`)).json;
    }
    expect(stored.status).toBe('succeeded');
  }, 30_000);

  afterAll(async () => {
    served?.proc.kill();
    await prom?.stop();
    if (setup) rmSync(setup.dataDir, { recursive: true, force: true });
  });

  const rejudge = (...args: string[]) => canaria(['rejudge', ...args, '--url', served.url]);

  it('prints the CanaryJudgeResult the execution stored, and another judge\'s with --judge', async () => {
    const same = await rejudge(executionId, '--api-key', setup.keys.analyze);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual(stored.result.judgeResult);
    expect(same.stdout.trimEnd().split('\n')).toHaveLength(1);

    const v1 = await rejudge(executionId, '--judge', 'canaria-v1', '--pass', '90', '--marginal', '10', '--pretty', '--api-key', setup.keys.analyze);
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stdout).toMatch(/^\{\n {2}"judgeName": "canaria-v1",/);
    const result = JSON.parse(v1.stdout);
    expect(result.results.find((m: any) => m.name === 'worse').resultMetadata.canaria.decision).toBe('fail');
  });

  it('exits 2 with one line saying why when the service refuses the request', async () => {
    const cases: Array<[string[], string]> = [
      [[executionId, '--judge', 'nope', '--api-key', setup.keys.analyze], "canaria rejudge: judge: Unable to resolve canary judge 'nope'. canaria runs: NetflixACAJudge-v1.0, canaria-v1.\n"],
      [['01NOSUCHEXECUTION000000000', '--api-key', setup.keys.analyze], "canaria rejudge: Canary execution '01NOSUCHEXECUTION000000000' was not found.\n"],
      [[executionId, '--api-key', setup.keys.read], 'canaria rejudge: The API key "read" has scope read; POST /judges/judge needs analyze.\n'],
      [[executionId], 'canaria rejudge: POST /judges/judge needs a credential of scope analyze or wider'],
      [[executionId, '--pass', 'high'], 'canaria rejudge: --pass must be a number, e.g. 95, not "high"\n'],
      // Not an id: ".." would make the URL /canary/.. and fetch the console.
      [['..'], 'canaria rejudge: EXECUTION_ID must be an execution id such as 01JABCDEFGHJKMNPQRSTVWXYZ0, not ".."\n'],
    ];
    const runs = await Promise.all(cases.map(([args]) => rejudge(...args)));
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr.slice(0, cases[i][1].length)).toBe(cases[i][1]);
    });
    expect(runs[3].stderr).toMatch(/\(give --api-key KEY\)\n$/);
  });

  it('exits 1 naming the URL when no canaria answers there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await canaria(['rejudge', executionId, '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`canaria rejudge: cannot reach canaria at ${url}: ECONNREFUSED (is canaria serve running there? --url URL names another)\n`);
  });
});
