// Canary executions end to end through the HTTP API: the embedded service runs the real state
// machine definition in-process against a real Prometheus with backfilled baseline/canary series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, MISSING_METRIC, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 75, marginal: 50 };

const metric = (name: string, series: string, extra: Record<string, unknown> = {}) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase', ...extra } },
  scopeName: 'default',
});
const config = (name: string, metrics: unknown[]) => ({ name, applications: ['shop'], judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} }, metrics, classifier: { groupWeights: { latency: 100 } } });

describeWithPrometheus('canary executions end to end', () => {
  let prom: RunningPrometheus;
  let downUrl: string;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    downUrl = `http://127.0.0.1:${await freePort()}`;
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({
    accounts: [
      { name: 'prom', type: 'prometheus', endpoint: prom.url },
      { name: 'prom-down', type: 'prometheus', endpoint: downUrl },
    ],
    sourceOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 2000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  async function run(cfg: unknown, query = '?metricsAccountName=prom'): Promise<Reply> {
    const stored = await svc.call('POST', '/canaryConfig', { body: cfg });
    expect(stored.status, stored.text).toBe(200);
    const started = await svc.call('POST', `/canary/${stored.json.canaryConfigId}${query}`, { body: { scopes, thresholds } });
    expect(started.status, started.text).toBe(200);
    return poll(started.json.canaryExecutionId);
  }

  async function poll(id: string): Promise<Reply> {
    for (let i = 0; i < 200; i++) {
      const r = await svc.call('GET', `/canary/${id}`);
      expect(r.status).toBe(200);
      expect(typeof r.json.complete).toBe('boolean');
      if (r.json.complete) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`execution ${id} never completed`);
  }

  it('fails a canary that is clearly worse', async () => {
    const r = await run(config('worse', [metric('latency', LATENCY.worse)]));
    expect(r.json).toMatchObject({ complete: true, status: 'succeeded', application: 'shop', metricsAccountName: 'prom' });
    const judge = r.json.result.judgeResult;
    expect(judge.results[0]).toMatchObject({ name: 'latency', classification: 'High' });
    expect(judge.score).toEqual({ score: 0, classification: 'Fail', classificationReason: 'not passing: latency (High)' });
    expect(r.json.result.canaryDuration).toBe('PT2H');
    expect(r.json.stageStatus).toEqual({ setupContext: 'succeeded', fetchControl0: 'succeeded', fetchExperiment0: 'succeeded', mixMetrics: 'succeeded', judge: 'succeeded' });
  });

  it('passes an identical canary', async () => {
    const r = await run(config('identical', [metric('latency', LATENCY.identical)]));
    const judge = r.json.result.judgeResult;
    expect(judge.results[0]).toMatchObject({ classification: 'Pass', classificationReason: 'The Canary and Baseline data are identical' });
    expect(judge.score.score).toBe(100);
    expect(judge.score.classification).toBe('Pass');
  });

  it('lands a canary that is worse on one metric in three between the thresholds', async () => {
    const r = await run(config('marginal', [metric('a', LATENCY.identical), metric('b', LATENCY.identical), metric('c', LATENCY.worse)]));
    expect(r.json.result.judgeResult.score).toMatchObject({ score: 66.67, classification: 'Marginal' });
  });

  it('says Nodata for a missing series, as Kayenta would', async () => {
    const r = await run(config('missing', [metric('gone', MISSING_METRIC)]));
    const judge = r.json.result.judgeResult;
    expect(judge.results[0]).toMatchObject({ classification: 'Nodata', classificationReason: 'Missing data for gone' });
    expect(judge.score).toEqual({ score: 0, classification: 'Fail', classificationReason: 'Canary Failed: 50% or more metrics returned NODATA; 1 of 1 metrics had no data: gone' });
    expect(judge.dataGaps).toEqual([{ metric: 'gone', tags: {}, control: 0, experiment: 0 }]);
    const pairs = await svc.call('GET', `/metricSetPairList/${r.json.metricSetPairListId}`);
    expect(pairs.json[0].values.control.every((v: unknown) => v === 'NaN')).toBe(true);
  });

  it('ends terminal with the reason when Prometheus is down — never stuck running', async () => {
    const r = await run(config('down', [metric('latency', LATENCY.worse)]), '?metricsAccountName=prom-down');
    expect(r.json).toMatchObject({ complete: true, status: 'terminal' });
    expect(r.json.result).toBeUndefined();
    expect(r.json.exception).toMatchObject({ exceptionType: 'TransientFetchError', operation: 'fetch', shouldRetry: true });
    expect(r.json.exception.details.error).toMatch(/^fetching (control|experiment) data of metric 'latency': Prometheus account 'prom-down' failed .* ECONNREFUSED/);
    expect(r.json.stageStatus).toMatchObject({ setupContext: 'succeeded', fetchControl0: 'terminal', mixMetrics: 'not_started', judge: 'not_started' });
  });

  it('refuses a start that cannot work with a 400 before anything runs', async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: config('no-scope', [{ ...metric('latency', LATENCY.worse), scopeName: 'other' }]) });
    const r = await svc.call('POST', `/canary/${stored.json.canaryConfigId}`, { body: { scopes, thresholds } });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('Canary metrics require scopes which were not provided in the execution request: [other]');
    const noThresholds = await svc.call('POST', `/canary/${stored.json.canaryConfigId}`, { body: { scopes } });
    expect(noThresholds.json.message).toBe('thresholds: Execution request must contain thresholds');
    expect((await svc.call('POST', '/canary/no-such-config', { body: { scopes, thresholds } })).status).toBe(404);
    expect((await svc.call('GET', '/canary/01NOSUCHEXECUTION00000000000')).status).toBe(404);
  });

  it.each([
    ['no scopes', { thresholds }, 400, 'scopes: is required'],
    ['start without end', { scopes: { default: { ...scopes.default, controlScope: { ...scopes.default.controlScope, end: undefined } } }, thresholds }, 400, 'scopes.default.controlScope.start: give both start and end, or neither'],
    ['end before start', { scopes: { default: { ...scopes.default, controlScope: { ...scopes.default.controlScope, start: window.end, end: window.start } } }, thresholds }, 400, 'scopes.default.controlScope.end: end must be after start'],
    ['a step of zero', { scopes: { default: { ...scopes.default, experimentScope: { ...scopes.default.experimentScope, step: 0 } } }, thresholds }, 400, 'scopes.default.experimentScope.step: must be greater than 0'],
    ['pass below marginal', { scopes, thresholds: { pass: 10, marginal: 50 } }, 400, 'thresholds.pass: pass must be greater than or equal to marginal'],
    ['an injecting scope', { scopes: { default: { ...scopes.default, experimentScope: { ...window, scope: 'version="canary"}) or vector(1) #' } } }, thresholds }, 400, /^executionRequest\.scopes\.default\.experimentScope\.scope: the value may only add label matchers/],
  ])('refuses a start with %s', async (_what, body, status, message) => {
    const stored = await svc.call('POST', '/canaryConfig', { body: config(`bad-start-${Math.random().toString(36).slice(2)}`, [metric('latency', LATENCY.worse)]) });
    const r = await svc.call('POST', `/canary/${stored.json.canaryConfigId}?metricsAccountName=prom`, { body });
    expect(r.status, r.text).toBe(status);
    if (typeof message === 'string') expect(r.json.message).toBe(message);
    else expect(r.json.message).toMatch(message);
  });

  it('returns the same execution for a retried start with the same idempotency key', async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: config('idem', [metric('latency', LATENCY.identical)]) });
    const start = () => svc.call('POST', `/canary/${stored.json.canaryConfigId}`, { body: { scopes, thresholds }, headers: { 'idempotency-key': 'rollout-7-step-2' } });
    const [a, b] = [await start(), await start()];
    expect(a.json.canaryExecutionId).toBe(b.json.canaryExecutionId);
    expect((await poll(a.json.canaryExecutionId)).json.status).toBe('succeeded');
  });

  it('keeps idempotency keys of different applications apart, whatever their characters', async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: config('idem-apps', [metric('latency', LATENCY.identical)]) });
    const start = (application: string, key: string) =>
      svc.call('POST', `/canary/${stored.json.canaryConfigId}?application=${encodeURIComponent(application)}`, { body: { scopes, thresholds }, headers: { 'idempotency-key': key } });
    const a = await start('a/b', 'c');
    const b = await start('a', 'b/c');
    expect(a.status).toBe(200);
    expect(b.json.canaryExecutionId).not.toBe(a.json.canaryExecutionId);
    await poll(a.json.canaryExecutionId);
    await poll(b.json.canaryExecutionId);
  });

  it('runs an ad-hoc config and lists executions, newest first', async () => {
    const started = await svc.call('POST', '/canary?application=adhoc-app', { body: { canaryConfig: config('adhoc', [metric('latency', LATENCY.identical)]), executionRequest: { scopes, thresholds } } });
    expect(started.status, started.text).toBe(200);
    const done = await poll(started.json.canaryExecutionId);
    expect(done.json).toMatchObject({ canaryConfigId: 'ad-hoc', application: 'adhoc-app', status: 'succeeded' });
    const list = await svc.call('GET', '/canary/executions?application=adhoc-app&limit=5');
    expect(list.json.map((e: any) => e.pipelineId)).toEqual([started.json.canaryExecutionId]);
    const terminal = await svc.call('GET', '/canary/executions?statuses=terminal');
    expect(terminal.json.every((e: any) => e.status === 'terminal')).toBe(true);
  });

  describe('Kayenta surface around executions', () => {
    it('lists its judges, accounts and metrics services without secrets', async () => {
      expect((await svc.call('GET', '/judges')).json).toEqual([{ name: 'NetflixACAJudge-v1.0', visible: true }, { name: 'canaria-v1', visible: true }]);
      const credentials = (await svc.call('GET', '/credentials')).json;
      expect(credentials.map((c: any) => c.name)).toEqual(['prom', 'prom-down']);
      expect(JSON.stringify(credentials)).not.toContain('endpoint');
      expect((await svc.call('GET', '/metricsServices')).json[0]).toEqual({ name: 'prom', type: 'prometheus', locations: [], recommendedLocations: [] });
    });
  });
});
