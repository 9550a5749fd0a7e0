// What a new user meets in the first hour, end to end against a real Prometheus (and the
// CloudWatch fake): queries that ignore the scope, verdicts that name what they hide, windows
// in the future, bad list filters, account messages, and one analysis over two sources.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudWatchFake, type Point } from '../support/cloudwatch-fake.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, MISSING_METRIC, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 90, marginal: 60 };

const promMetric = (name: string, query: string) => ({ name, query: { type: 'prometheus', customInlineTemplate: `PromQL:${query}` }, groups: ['g'], scopeName: 'default' });
const latency = (name: string, series: string) => promMetric(name, `avg(${series}{\${scope}})`);
const albErrors = {
  name: 'alb_5xx',
  query: {
    type: 'cloudwatch',
    region: 'eu-west-1',
    metricDataQueries: [{ id: 'e', metricStat: { stat: 'Sum', metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: [{ name: 'TargetGroup', value: '${scope}' }] } } }],
  },
  groups: ['g'],
  scopeName: 'alb',
};
// CloudWatch keeps 1-minute data for 15 days: the ALB scope judges the last two hours.
const recentEnd = Math.floor(Date.now() / 60_000) * 60 - 60;
const recent = { start: iso(recentEnd - 7200), end: iso(recentEnd), step: STEP };
const albScopes = { alb: { controlScope: { ...recent, scope: 'tg-baseline' }, experimentScope: { ...recent, scope: 'tg-canary' } } };
const config = (name: string, metrics: unknown[]) => ({ name, applications: ['first-hour'], metrics, classifier: { groupWeights: { g: 100 } } });

describeWithPrometheus('the first hour', () => {
  let prom: RunningPrometheus;
  const cloudwatch = new CloudWatchFake();
  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret');
    prom = await startPrometheus([...CANARY_DATASET]);
    await cloudwatch.start();
    // The same error counts for both target groups: a passing metric.
    cloudwatch.series = (_q, ctx) => ({ points: Array.from({ length: (ctx.end - ctx.start) / STEP }, (_, k): Point => [ctx.start + k * STEP, k % 5]) });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await cloudwatch.stop();
    vi.unstubAllEnvs();
  });
  const svc = useLocalService(() => ({
    accounts: [
      { name: 'prom', type: 'prometheus', endpoint: prom.url },
      { name: 'prom-2', type: 'prometheus', endpoint: prom.url },
      { name: 'cw', type: 'cloudwatch', region: 'eu-west-1', endpoint: cloudwatch.url },
    ],
    sourceOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 2000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  async function store(name: string, metrics: unknown[]): Promise<string> {
    const r = await svc.call('POST', '/canaryConfig', { body: config(name, metrics) });
    expect(r.status, r.text).toBe(200);
    return r.json.canaryConfigId;
  }

  async function poll(id: string): Promise<Reply> {
    for (let i = 0; i < 300; i++) {
      const r = await svc.call('GET', `/canary/${id}`);
      if (r.json.complete) return r;
      await new Promise((res) => setTimeout(res, 30));
    }
    throw new Error(`execution ${id} never completed`);
  }

  async function run(id: string, body: unknown, query = ''): Promise<Reply> {
    const started = await svc.call('POST', `/canary/${id}${query}`, { body });
    expect(started.status, started.text).toBe(200);
    return poll(started.json.canaryExecutionId);
  }

  describe('a query that does not use the scope', () => {
    const scopeless = promMetric('latency', `avg(${LATENCY.worse})`);

    it('is stored with a warning naming the metric', async () => {
      const r = await svc.call('POST', '/canaryConfig', { body: config('scopeless', [latency('ok', LATENCY.identical), scopeless]) });
      expect(r.status).toBe(200);
      expect(r.json.warnings).toEqual([
        "metrics[1].query: metric 'latency' uses no scope variable such as ${scope}, so control and experiment get the same query; an analysis of it is refused unless the two windows differ",
      ]);
      const clean = await svc.call('POST', '/canaryConfig', { body: config('scoped', [latency('ok', LATENCY.identical)]) });
      expect(clean.json).toEqual({ canaryConfigId: expect.any(String) });
      // Kayenta tooling's escaped form, in a CloudWatch dimension: the scope is used.
      const escaped = JSON.parse(JSON.stringify(albErrors).replace('${scope}', '$\\\\{scope}'));
      expect(escaped.query.metricDataQueries[0].metricStat.metric.dimensions[0].value).toBe('$\\{scope}');
      const cw = await svc.call('POST', '/canaryConfig', { body: config('escaped', [escaped]) });
      expect(cw.json).toEqual({ canaryConfigId: expect.any(String) });
    });

    it('cannot start: a 400 naming the metric instead of a silent Pass', async () => {
      const id = await store('scopeless-start', [scopeless]);
      const r = await svc.call('POST', `/canary/${id}`, { body: { scopes, thresholds } });
      expect(r.status).toBe(400);
      expect(r.json.message).toBe(
        `metric 'latency': control and experiment render the same query over the same window (avg(${LATENCY.worse})), so the canary would be compared with itself and always pass; use \${scope} in its query and give the two scopes different values`,
      );
    });

    it('also refuses two scopes with the same value, and accepts the same query over different windows', async () => {
      const id = await store('same-scopes', [latency('latency', LATENCY.worse)]);
      const same = { default: { controlScope: scopes.default.controlScope, experimentScope: scopes.default.controlScope } };
      expect((await svc.call('POST', `/canary/${id}`, { body: { scopes: same, thresholds } })).status).toBe(400);
      const half = (START + END) / 2;
      const beforeAfter = {
        default: {
          controlScope: { scope: 'version="baseline"', start: iso(START), end: iso(half), step: STEP },
          experimentScope: { scope: 'version="baseline"', start: iso(half), end: iso(END), step: STEP },
        },
      };
      const r = await run(id, { scopes: beforeAfter, thresholds });
      expect(r.json.status).toBe('succeeded');
    });

    it('is listed under problems by the preview', async () => {
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfig: config('p', [scopeless]), executionRequest: { scopes } } });
      expect(r.status).toBe(200);
      expect(r.json.problems).toContainEqual(expect.stringMatching(/^latency: control and experiment render the same query over the same window/));
      expect(r.json.metrics[0].problems[0]).toMatch(/^control and experiment render the same query/);
    });
  });

  describe('verdicts that say what they hide', () => {
    const three = [latency('a', LATENCY.identical), latency('b', LATENCY.identical), latency('latency_p99', MISSING_METRIC)];

    it('names a metric without data in a passing verdict', async () => {
      const id = await store('nodata-named', three);
      const r = await run(id, { scopes, thresholds });
      const score = r.json.result.judgeResult.score;
      expect(score).toEqual({ score: 100, classification: 'Pass', classificationReason: '1 of 3 metrics had no data: latency_p99' });
      expect(r.json.result.judgeResult.dataGaps).toEqual([{ metric: 'latency_p99', tags: {}, control: 0, experiment: 0 }]);
    });

    it('strict turns missing data into Inconclusive, for the status, Argo\'s score and the web provider', async () => {
      const id = await store('nodata-strict', three);
      const r = await run(id, { scopes, thresholds, strict: true });
      expect(r.json.result.judgeResult.score).toEqual({
        score: 60,
        uncappedScore: 100,
        classification: 'Inconclusive',
        classificationReason: '1 of 3 metrics had no data: latency_p99; strict: metrics without enough data make the verdict Inconclusive (score 100 capped at 60)',
      });
      const web = await svc.call('POST', '/v1/judgements', { body: { application: 'first-hour', canaryConfigName: 'nodata-strict', scopes, thresholds, strict: true, timeoutSeconds: 20 } });
      expect(web.status, web.text).toBe(200);
      expect(web.json.judgement).toMatchObject({ phase: 'Inconclusive', score: 60, classification: 'Inconclusive' });
      expect(web.json.judgement.reason).toContain('1 of 3 metrics had no data: latency_p99');
    });

    it('names metrics with fewer than 50 points on a side, and tells the web provider', async () => {
      const short = { default: { controlScope: { ...scopes.default.controlScope, end: iso(START + 20 * STEP) }, experimentScope: { ...scopes.default.experimentScope, end: iso(START + 20 * STEP) } } };
      await store('thin', [latency('latency', LATENCY.identical)]);
      const web = await svc.call('POST', '/v1/judgements', { body: { application: 'first-hour', canaryConfigName: 'thin', scopes: short, thresholds, timeoutSeconds: 20 } });
      expect(web.json.judgement).toMatchObject({ phase: 'Successful', score: 100 });
      expect(web.json.judgement.reason).toBe('1 of 1 metrics had fewer than 50 points on a side: latency (control 21, experiment 21)');
    });

    it('names the failing metrics when a canary fails on score alone', async () => {
      const id = await store('fails-on-score', [latency('a', LATENCY.identical), latency('slow', LATENCY.worse), latency('slower', LATENCY.worse)]);
      const r = await run(id, { scopes, thresholds });
      expect(r.json.result.judgeResult.score).toMatchObject({ score: 33.33, classification: 'Fail', classificationReason: 'not passing: slow (High), slower (High)' });
    });
  });

  describe('requests that are 400s, not empty answers', () => {
    it('refuses a window that ends in the future', async () => {
      const id = await store('future', [latency('latency', LATENCY.identical)]);
      const end = new Date(Date.now() + 3600_000).toISOString();
      const future = { default: { ...scopes.default, experimentScope: { ...scopes.default.experimentScope, end } } };
      const r = await svc.call('POST', `/canary/${id}`, { body: { scopes: future, thresholds } });
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(new RegExp(`^scopes\\.default\\.experimentScope\\.end: ${end.replace(/[.]/g, '\\.')} is in the future \\(now is `));
    });

    it('refuses an unknown status filter', async () => {
      const r = await svc.call('GET', '/canary/executions?statuses=bogus,running');
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(/^statuses: unknown status "bogus"; use not_started, running, .*terminal/);
      expect((await svc.call('GET', '/canary/executions?statuses=SUCCEEDED')).status).toBe(200);
    });
  });

  describe('accounts', () => {
    it('an unknown account is the same 400 from /canary and /v1/preview, listing the configured ones', async () => {
      const id = await store('acct', [latency('latency', LATENCY.identical)]);
      const expected = 'Unable to resolve account nope. Configured accounts: prom (prometheus), prom-2 (prometheus), cw (cloudwatch).';
      const start = await svc.call('POST', `/canary/${id}?metricsAccountName=nope`, { body: { scopes, thresholds } });
      const preview = await svc.call('POST', '/v1/preview?metricsAccountName=nope', { body: { canaryConfigId: id, executionRequest: { scopes } } });
      expect([start.status, start.json.message]).toEqual([400, expected]);
      expect([preview.status, preview.json.message]).toEqual([400, expected]);
    });

    it('preview takes canaryConfigName and application, as /v1/judgements does', async () => {
      await store('by-name', [latency('latency', LATENCY.identical)]);
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfigName: 'by-name', application: 'first-hour', executionRequest: { scopes } } });
      expect(r.status, r.text).toBe(200);
      expect(r.json.metrics[0]).toMatchObject({ name: 'latency', account: 'prom', problems: [] });
      const noApp = await svc.call('POST', '/v1/preview', { body: { canaryConfigName: 'by-name', executionRequest: { scopes } } });
      expect([noApp.status, noApp.json.message]).toEqual([400, 'application: is required with canaryConfigName (names are unique per application)']);
      const missing = await svc.call('POST', '/v1/preview', { body: { canaryConfigName: 'nope', application: 'first-hour', executionRequest: { scopes } } });
      expect([missing.status, missing.json.message]).toEqual([404, "No canary config named 'nope' in application 'first-hour'."]);
    });

    it('a name that can run none of the queries is a 400, as in Kayenta', async () => {
      const id = await store('wrong-type', [latency('latency', LATENCY.identical)]);
      const r = await svc.call('POST', `/canary/${id}?metricsAccountName=cw`, { body: { scopes, thresholds } });
      expect([r.status, r.json.message]).toEqual([400, 'Account cw is a cloudwatch account; it cannot run a prometheus query.']);
      const two = await svc.call('POST', `/canary/${id}?metricsAccountName=prom,prom-2`, { body: { scopes, thresholds } });
      expect([two.status, two.json.message]).toEqual([400, 'metricsAccountName names more than one prometheus account (prom, prom-2); name at most one per type.']);
    });
  });

  describe('one analysis, two sources', () => {
    const mixed = () => [latency('latency', LATENCY.identical), albErrors];
    const both = { scopes: { ...scopes, ...albScopes }, thresholds };

    it.each([
      ['one account per type, comma-separated', '?metricsAccountName=prom-2,cw', { latency: 'prom-2', alb_5xx: 'cw' }],
      ['one account per type, repeated', '?metricsAccountName=cw&metricsAccountName=prom', { latency: 'prom', alb_5xx: 'cw' }],
      ['a single name: its type, and the first account of the other', '?metricsAccountName=prom-2', { latency: 'prom-2', alb_5xx: 'cw' }],
      ['no name: the first account of each type', '', { latency: 'prom', alb_5xx: 'cw' }],
    ])('mixes Prometheus and CloudWatch metrics with %s', async (_what, query, accounts) => {
      const id = await store(`mixed-${Math.random().toString(36).slice(2)}`, mixed());
      const calls = cloudwatch.calls.length;
      const r = await run(id, both, query);
      expect(r.json.status, JSON.stringify(r.json.exception)).toBe('succeeded');
      const results = r.json.result.judgeResult.results;
      expect(results.map((m: any) => [m.name, m.classification])).toEqual([
        ['latency', 'Pass'],
        ['alb_5xx', 'Pass'],
      ]);
      expect(cloudwatch.calls.length - calls).toBe(2);
      const preview = await svc.call('POST', `/v1/preview${query}`, { body: { canaryConfigId: id, executionRequest: both, fetch: false } });
      expect(Object.fromEntries(preview.json.metrics.map((m: any) => [m.name, m.account]))).toEqual(accounts);
    });

    it('takes the accounts as a list in /v1/judgements', async () => {
      await store('mixed-web', mixed());
      const web = await svc.call('POST', '/v1/judgements', { body: { application: 'first-hour', canaryConfigName: 'mixed-web', ...both, metricsAccountName: ['prom', 'cw'], timeoutSeconds: 20 } });
      expect(web.json.judgement, web.text).toMatchObject({ phase: 'Successful', score: 100 });
    });
  });
});
