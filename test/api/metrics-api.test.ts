// The metric routes over HTTP against the embedded service, with a real Prometheus and the
// CloudWatch protocol fake as its accounts: Kayenta's fetch endpoints and canaria's preview.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudWatchFake, type Point } from '../support/cloudwatch-fake.ts';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, HTTP_REQUESTS, LATENCY, MISSING_METRIC, POINTS, START, STEP } from '../support/prometheus-data.ts';
import { fixture, useLocalService } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const seedScopes = { default: { controlScope: { ...window, scope: HTTP_REQUESTS.scopes.control }, experimentScope: { ...window, scope: HTTP_REQUESTS.scopes.experiment } } };
const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

describeWithPrometheus('metric routes', () => {
  let prom: RunningPrometheus;
  let downUrl: string;
  const cloudwatch = new CloudWatchFake();
  beforeAll(async () => {
    downUrl = `http://127.0.0.1:${await freePort()}`;
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret');
    prom = await startPrometheus([...CANARY_DATASET]);
    await cloudwatch.start();
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await cloudwatch.stop();
    vi.unstubAllEnvs();
  });
  const svc = useLocalService(() => ({
    accounts: [
      { name: 'prom', type: 'prometheus', endpoint: prom.url },
      { name: 'cw', type: 'cloudwatch', region: 'eu-west-1', endpoint: cloudwatch.url },
      { name: 'prom-down', type: 'prometheus', endpoint: downUrl },
    ],
    sourceOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 2000 },
  }));

  describe('POST /fetch/prometheus/query', () => {
    const seedFilter = fixture('seed-canary-config.json').metrics[0].query.customInlineTemplate;

    it("renders Kayenta's dry-run example exactly", async () => {
      const r = await svc.call('POST', `/fetch/prometheus/query${q({ metricSetName: 'err', metricName: 'unused', step: '60', dryRun: 'true', scope: 'version="canary"', customFilter: seedFilter })}`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ query: 'sum(rate(http_requests_total{job="my-app", code=~"[45]..",version="canary"}[5m]))' });
    });

    it('fetches, stores the metric set list and serves it back', async () => {
      const r = await svc.call('POST', `/fetch/prometheus/query${q({ metricSetName: 'err', metricName: 'unused', scope: HTTP_REQUESTS.scopes.experiment, customFilter: seedFilter, ...window, step: String(STEP) })}`);
      expect(r.status, r.text).toBe(200);
      const list = await svc.call('GET', `/metricSetList/${r.json.metricSetListId}`);
      expect(list.status).toBe(200);
      expect(list.json).toHaveLength(1);
      expect(list.json[0]).toMatchObject({ name: 'err', tags: {}, startTimeMillis: START * 1000, stepMillis: STEP * 1000 });
      expect(list.json[0].values).toHaveLength(POINTS);
    });

    it('composes the query from metricName, labelBindings and groupByFields', async () => {
      const r = await svc.call(
        'POST',
        `/fetch/prometheus/query?metricSetName=cpu&metricName=node_cpu&labelBindings=${encodeURIComponent('mode=~"user|system"')}&labelBindings=${encodeURIComponent('job="node"')}&groupByFields=mode&resourceType=aws_ec2_instance&scope=myapp-v001&location=us-west-2&step=60&dryRun=true`,
      );
      expect(r.json).toEqual({ query: 'avg(node_cpu{mode=~"user|system",job="node",asg_groupName="myapp-v001",zone=~"us-west-2.{1}"}) by (mode)' });
    });

    it.each([
      ['no metricSetName', { metricName: 'm', step: '60', dryRun: 'true' }, 400, 'metricSetName: is required'],
      ['no step', { metricSetName: 'x', metricName: 'm', dryRun: 'true' }, 400, 'step: is required'],
      ['a step that is not a number', { metricSetName: 'x', metricName: 'm', step: '1m', dryRun: 'true' }, 400, 'step: must be a whole number of seconds above 0'],
      ['no start for a real fetch', { metricSetName: 'x', metricName: 'm', step: '60', customFilter: 'PromQL:up' }, 400, 'Start time is required.'],
      ['an unknown account', { metricsAccountName: 'nope', metricSetName: 'x', metricName: 'm', step: '60', dryRun: 'true' }, 400, 'Unable to resolve account nope. Configured accounts: prom (prometheus), cw (cloudwatch), prom-down (prometheus).'],
      ['a CloudWatch account', { metricsAccountName: 'cw', metricSetName: 'x', metricName: 'm', step: '60', dryRun: 'true' }, 400, 'Account cw is a cloudwatch account; it cannot run a prometheus query.'],
      ['an unknown template variable', { metricSetName: 'x', metricName: 'm', step: '60', dryRun: 'true', customFilter: 'PromQL:up{${nope}}' }, 400, /^Problem evaluating custom filter template: PromQL:up\{\$\{nope\}\}/],
      ['an injecting scope', { metricSetName: 'x', metricName: 'm', step: '60', dryRun: 'true', customFilter: seedFilter, scope: 'version="canary"}[5m])) or vector(1) #' }, 400, /^scope: the value may only add label matchers/],
      ['Prometheus down', { metricsAccountName: 'prom-down', metricSetName: 'x', metricName: 'm', customFilter: 'PromQL:up', ...window, step: '60' }, 502, /^Prometheus account 'prom-down' failed for metric 'x' after 2 attempts: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(query: up\)$/],
    ])('answers %s with its status and a clear message', async (_what, params, status, message) => {
      const r = await svc.call('POST', `/fetch/prometheus/query${q(params as Record<string, string>)}`);
      expect(r.status, r.text).toBe(status);
      if (typeof message === 'string') expect(r.json.message).toBe(message);
      else expect(r.json.message).toMatch(message);
    });

    it('404s an unknown metric set list', async () => {
      expect((await svc.call('GET', '/metricSetList/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    });
  });

  describe('POST /fetch/cloudwatch/query', () => {
    const minute = 60;
    const start = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600; // an hour-aligned hour, recent
    const body = {
      region: '${location}',
      metricDataQueries: [{ id: 'cpu', metricStat: { stat: 'Average', metric: { namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: [{ name: 'AutoScalingGroupName', value: '${scope}' }] } } }],
    };
    const params = { metricSetName: 'cpu', scope: 'asg-v002', location: 'eu-west-1', start: iso(start), end: iso(start + 3600), step: '60' };

    it('renders the GetMetricData input on a dry run', async () => {
      const r = await svc.call('POST', `/fetch/cloudwatch/query${q({ ...params, dryRun: 'true' })}`, { body });
      expect(r.status, r.text).toBe(200);
      const input = JSON.parse(r.json.query);
      expect(input.MetricDataQueries[0].MetricStat.Metric.Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: 'asg-v002' }]);
      expect(input.ScanBy).toBe('TimestampAscending');
      expect(cloudwatch.calls).toHaveLength(0);
    });

    it('fetches through the SDK from the fake onto a fixed grid', async () => {
      cloudwatch.series = (query) => (query.Id === 'cpu' ? { points: Array.from({ length: 60 }, (_, k): Point => [start + k * minute, k]).filter(([, v]) => v !== 7) } : undefined);
      const r = await svc.call('POST', `/fetch/cloudwatch/query${q(params)}`, { body });
      expect(r.status, r.text).toBe(200);
      const [set] = (await svc.call('GET', `/metricSetList/${r.json.metricSetListId}`)).json;
      expect(set.values).toHaveLength(60);
      expect(set.values[7]).toBe('NaN');
      expect(set.values[8]).toBe(8);
      expect(set.attributes.region).toBe('eu-west-1');
    });

    it('refuses a body without queries', async () => {
      const r = await svc.call('POST', `/fetch/cloudwatch/query${q({ ...params, dryRun: 'true' })}`, { body: {} });
      expect(r.status).toBe(400);
      expect(r.json.message).toBe('metricDataQueries: is required');
    });
  });

  describe('POST /v1/preview', () => {
    it('shows the seed config as Prometheus will answer it: queries, 121 points a side, no problems', async () => {
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfig: fixture('seed-canary-config.json'), executionRequest: { scopes: seedScopes } } });
      expect(r.status, r.text).toBe(200);
      const [m] = r.json.metrics;
      expect(m).toMatchObject({ name: 'request_error', scopeName: 'default', account: 'prom' });
      expect(m.control.query).toBe(HTTP_REQUESTS.seedQuery(HTTP_REQUESTS.scopes.control));
      expect(m.experiment.series).toEqual([{ tags: {}, points: POINTS, nan: 0 }]);
      expect(m.pairs).toEqual([{ tags: {}, control: { points: POINTS, nan: 0 }, experiment: { points: POINTS, nan: 0 } }]);
      expect(r.json.problems).toEqual([]);
    });

    it('previews a stored config by id, rendering only when asked', async () => {
      const id = (await svc.call('POST', '/canaryConfig', { body: fixture('seed-canary-config.json') })).json.canaryConfigId;
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfigId: id, executionRequest: { scopes: seedScopes }, fetch: false } });
      expect(r.json.metrics[0].control).toEqual({ query: HTTP_REQUESTS.seedQuery(HTTP_REQUESTS.scopes.control) });
      expect(r.json.metrics[0].pairs).toBeUndefined();
    });

    it('reports the setup mistakes users hit: labels that do not pair, too few points, no data, a missing scope', async () => {
      const config = {
        name: 'mistakes',
        applications: ['x'],
        metrics: [
          // by (version): baseline and canary series carry different labels, so they never pair.
          { name: 'unpaired', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg by (version) (${LATENCY.worse}{\${scope}})` }, scopeName: 'default' },
          { name: 'missing', query: { type: 'prometheus', customInlineTemplate: `PromQL:sum(${MISSING_METRIC}{\${scope}})` }, scopeName: 'default' },
          { name: 'elsewhere', query: { type: 'prometheus', customInlineTemplate: 'PromQL:up{${scope}}' }, scopeName: 'other' },
        ],
      };
      const short = { start: iso(START), end: iso(START + 20 * 60), step: STEP };
      const scopes = { default: { controlScope: { ...short, scope: 'version="baseline"' }, experimentScope: { ...short, scope: 'version="canary"' } } };
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfig: config, executionRequest: { scopes } } });
      expect(r.status, r.text).toBe(200);
      const [unpaired, missing, elsewhere] = r.json.metrics;
      expect(unpaired.pairs.map((p: any) => p.tags)).toEqual([{ version: 'baseline' }, { version: 'canary' }]);
      expect(unpaired.problems).toContain('no experiment series with tags {version="baseline"}: the experiment side is NaN; the control series has no experiment counterpart');
      expect(unpaired.problems).toContain('{version="baseline"}: no experiment data');
      expect(unpaired.problems).toContain('{version="baseline"}: only 21 control points (fewer than 50); widen the window or shorten the step');
      expect(missing.problems).toEqual(['{}: no control data', '{}: no experiment data']);
      expect(elsewhere.problems).toEqual(["uses scope 'other', which the request does not define (it has: default)"]);
      expect(r.json.problems).toContain("elsewhere: uses scope 'other', which the request does not define (it has: default)");
    });

    it('names the scope field of an injection, and keeps previewing the rest', async () => {
      const scopes = { default: { ...seedScopes.default, experimentScope: { ...window, scope: 'version="canary"}[5m])) or vector(1) #' } } };
      const r = await svc.call('POST', '/v1/preview', { body: { canaryConfig: fixture('seed-canary-config.json'), executionRequest: { scopes } } });
      expect(r.status).toBe(200);
      expect(r.json.metrics[0].experiment.error).toMatch(/^scopes\.default\.experimentScope\.scope: the value may only add label matchers/);
      expect(r.json.metrics[0].control.series).toHaveLength(1);
    });

    it('refuses a request without exactly one config', async () => {
      const r = await svc.call('POST', '/v1/preview', { body: { executionRequest: { scopes: seedScopes } } });
      expect(r.status).toBe(400);
      expect(r.json.message).toBe('canaryConfigName: give exactly one of canaryConfigName (with application), canaryConfigId or canaryConfig');
    });
  });
});
