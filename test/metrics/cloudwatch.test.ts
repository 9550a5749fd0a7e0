// The CloudWatch source (metric-sources-spec.md §5) with the real SDK client over HTTP against the
// protocol fake: templating, period rules, alignment, the grid, paging, statuses, retries, roles.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { canaryMetricConfigSchema, type CanaryMetricConfig } from '../../lib/config/canary-config.ts';
import { BadRequestError } from '../../lib/errors.ts';
import { CloudWatchSource, type CloudWatchAccount, type CloudWatchSourceOptions } from '../../lib/metrics/cloudwatch.ts';
import { MetricFetchError } from '../../lib/metrics/source.ts';
import type { CanaryScope } from '../../lib/metrics/types.ts';
import { CloudWatchFake, metricKey, type Point } from '../support/cloudwatch-fake.ts';

const fake = new CloudWatchFake();
let account: CloudWatchAccount;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  account = { name: 'cw', type: 'cloudwatch', region: 'eu-west-1', endpoint: await fake.start() };
});
afterAll(async () => {
  await fake.stop();
  vi.unstubAllEnvs();
});
beforeEach(() => fake.reset());

const NOW = Date.parse('2025-01-01T12:00:00Z');
const T0 = Date.parse('2025-01-01T10:00:00Z') / 1000;
const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

const source = (options: CloudWatchSourceOptions = {}, acct: CloudWatchAccount = account) =>
  new CloudWatchSource(acct, { retry: FAST_RETRY, now: () => NOW, ...options });

const metric = (name: string, query: unknown): CanaryMetricConfig => canaryMetricConfigSchema.parse({ name, query });

const scope = (over: Partial<CanaryScope> = {}): CanaryScope => ({
  scope: 'asg-v001',
  location: 'eu-west-1',
  start: '2025-01-01T10:00:00Z',
  end: '2025-01-01T10:10:00Z',
  step: 60,
  ...over,
});

/** A MetricStat query on AWS/EC2 CPUUtilization, the EC2 analogue of §5.3. */
const cpuQuery = (over: Record<string, unknown> = {}) => ({
  id: 'cpu',
  metricStat: { stat: 'Average', metric: { namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: [{ name: 'AutoScalingGroupName', value: '${scope}' }] } },
  ...over,
});
const cpu = (over: Record<string, unknown> = {}) => metric('cpu', { type: 'cloudwatch', metricDataQueries: [cpuQuery(over)] });
const cpuIn = (region: string) => metric('cpu', { type: 'cloudwatch', region, metricDataQueries: [cpuQuery()] });

const grid = (n: number, f: (k: number) => number | undefined, step = 60): Point[] =>
  Array.from({ length: n }, (_, k): [number, number | undefined] => [T0 + step * k, f(k)]).filter((p): p is Point => p[1] !== undefined);

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MetricFetchError);
  return err as MetricFetchError;
};

describe('the spec worked example (§5.3): ALB 5xx rate per target group', () => {
  const LB = 'app/checkout/50dc6c495c0c9188';
  const BASELINE = 'targetgroup/checkout-baseline/0123456789abcdef';
  const CANARY = 'targetgroup/checkout-canary/fedcba9876543210';
  const http5xxRate = metric('http_5xx_rate', {
    type: 'cloudwatch',
    region: '${location}',
    metricDataQueries: [
      { id: 'errors', returnData: false, metricStat: { stat: 'Sum', metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: [{ name: 'LoadBalancer', value: '${loadBalancer}' }, { name: 'TargetGroup', value: '${scope}' }] } } },
      { id: 'requests', returnData: false, metricStat: { stat: 'Sum', metric: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: [{ name: 'LoadBalancer', value: '${loadBalancer}' }, { name: 'TargetGroup', value: '${scope}' }] } } },
      { id: 'rate', expression: 'FILL(errors, 0) / requests', label: '5xx rate' },
    ],
  });
  const side = (targetGroup: string) =>
    scope({ scope: targetGroup, location: 'eu-west-1', extendedScopeParams: { loadBalancer: LB }, start: '2025-01-01T10:00:30Z', end: '2025-01-01T11:00:00Z' });
  const wire = (targetGroup: string) => {
    const dims = [{ Name: 'LoadBalancer', Value: LB }, { Name: 'TargetGroup', Value: targetGroup }];
    return {
      MetricDataQueries: [
        { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: dims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'requests', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: dims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'rate', Expression: 'FILL(errors, 0) / requests', Label: '5xx rate' },
      ],
      StartTime: T0,
      EndTime: T0 + 3600,
      ScanBy: 'TimestampAscending',
    };
  };

  const serveData = () => {
    const key = (metricName: string, targetGroup: string) =>
      metricKey({ Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: [{ Name: 'LoadBalancer', Value: LB }, { Name: 'TargetGroup', Value: targetGroup }] });
    const data = new Map<string, Point[]>([
      [key('HTTPCode_Target_5XX_Count', BASELINE), grid(60, (k) => (k % 10 === 0 ? 2 : undefined))],
      [key('RequestCount', BASELINE), grid(60, () => 100)],
      [key('HTTPCode_Target_5XX_Count', CANARY), grid(60, (k) => (k % 5 === 0 ? 5 : undefined))],
      [key('RequestCount', CANARY), grid(60, (k) => (k === 59 ? undefined : 100))],
    ]);
    fake.series = (q, ctx) => {
      if (q.MetricStat) return { points: data.get(metricKey(q.MetricStat.Metric)) ?? [] };
      expect(q.Expression).toBe('FILL(errors, 0) / requests');
      const errors = new Map(ctx.points('errors'));
      return { points: ctx.points('requests').map(([t, requests]): Point => [t, (errors.get(t) ?? 0) / requests]) };
    };
  };

  it('sends the aligned, expanded call and gives one 60-point MetricSet per side with tags {}', async () => {
    serveData();
    const cw = source();
    const [control] = await cw.fetch({ metric: http5xxRate, scope: side(BASELINE) });
    const [experiment, ...more] = await cw.fetch({ metric: http5xxRate, scope: side(CANARY) });
    expect(more).toEqual([]);

    expect(fake.calls).toEqual([wire(BASELINE), wire(CANARY)]);
    for (const r of fake.requests) expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKE\/\d{8}\/eu-west-1\/monitoring\/aws4_request,/);

    expect(control).toEqual({
      name: 'http_5xx_rate',
      tags: {},
      startTimeMillis: T0 * 1000,
      startTimeIso: '2025-01-01T10:00:00Z',
      endTimeMillis: (T0 + 3600) * 1000,
      endTimeIso: '2025-01-01T11:00:00Z',
      stepMillis: 60_000,
      values: Array.from({ length: 60 }, (_, k) => (k % 10 === 0 ? 0.02 : 0)),
      attributes: { query: JSON.stringify({ ...wire(BASELINE), StartTime: '2025-01-01T10:00:00Z', EndTime: '2025-01-01T11:00:00Z' }), region: 'eu-west-1', statusCode: 'Complete' },
    });
    expect(experiment.tags).toEqual({});
    expect(experiment.values).toEqual(Array.from({ length: 60 }, (_, k) => (k === 59 ? NaN : k % 5 === 0 ? 0.05 : 0)));
  });

  it('renders the dryRun query as stable JSON, without calling AWS; the sides differ only in TargetGroup', () => {
    const control = source().render({ metric: http5xxRate, scope: side(BASELINE) });
    expect(control).toBe(JSON.stringify({ ...wire(BASELINE), StartTime: '2025-01-01T10:00:00Z', EndTime: '2025-01-01T11:00:00Z' }));
    expect(source().render({ metric: http5xxRate, scope: side(BASELINE) })).toBe(control);
    expect(source().render({ metric: structuredClone(http5xxRate), scope: side(BASELINE) })).toBe(control);
    expect(source().render({ metric: http5xxRate, scope: side(CANARY) })).toBe(control.replaceAll(BASELINE, CANARY));
    expect(fake.requests).toEqual([]);
  });
});

describe('templating (every string leaf but label, §5.2)', () => {
  it('expands ${location}, ${scope}, extendedScopeParams, defaults, $${ and $\\{ leaf by leaf; label stays verbatim', async () => {
    const m = metric('cpu', {
      type: 'cloudwatch',
      region: '${location}',
      metricDataQueries: [
        {
          id: 'cpu',
          label: 'cpu of ${scope} [max: ${MAX}]',
          metricStat: {
            stat: '${stat}',
            period: '${period}',
            unit: '${unit:-Percent}',
            metric: {
              namespace: 'AWS/EC2',
              metricName: 'CPUUtilization',
              dimensions: [
                { name: 'AutoScalingGroupName', value: '${scope}' },
                { name: 'Quoted', value: '"${quote}"' },
                { name: 'Literal', value: '$${scope}' },
                { name: 'Escaped', value: '$\\{scope}-x' },
              ],
            },
          },
        },
      ],
    });
    const s = scope({ scope: 'checkout-v042', location: 'us-east-1', extendedScopeParams: { stat: 'Average', period: '300', quote: 'a"b}' } });
    fake.series = () => ({ points: [[T0, 42]] });
    const [set] = await source().fetch({ metric: m, scope: s });

    expect(fake.calls[0].MetricDataQueries).toEqual([
      {
        Id: 'cpu',
        Label: 'cpu of ${scope} [max: ${MAX}]',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/EC2',
            MetricName: 'CPUUtilization',
            Dimensions: [
              { Name: 'AutoScalingGroupName', Value: 'checkout-v042' },
              { Name: 'Quoted', Value: '"a"b}"' },
              { Name: 'Literal', Value: '${scope}' },
              { Name: 'Escaped', Value: 'checkout-v042-x' },
            ],
          },
          Period: 300,
          Stat: 'Average',
          Unit: 'Percent',
        },
      },
    ]);
    expect(fake.requests[0].headers.authorization).toContain('/us-east-1/monitoring/aws4_request');
    expect(set.attributes.region).toBe('us-east-1');
    expect(set.stepMillis).toBe(300_000);
    expect(set.values).toEqual([42, NaN]);
  });

  it('lets extendedScopeParams override scope and location, and falls back to the account region', async () => {
    const overridden = scope({ location: 'us-east-1', extendedScopeParams: { scope: 'from-params', location: 'ap-southeast-2' } });
    const [set] = await source().fetch({ metric: cpuIn('${location}'), scope: overridden });
    expect(set.attributes.region).toBe('ap-southeast-2');
    expect(fake.calls[0].MetricDataQueries[0].MetricStat.Metric.Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: 'from-params' }]);

    const [fallback] = await source().fetch({ metric: cpuIn('${region:-}'), scope: scope({ location: 'us-east-1' }) });
    expect(fallback.attributes.region).toBe('eu-west-1');
  });

  it.each([
    ['a dimension value', cpu(), scope({ scope: undefined }), "Problem evaluating template at metricDataQueries[0].metricStat.metric.dimensions[0].value: ${scope} (Cannot resolve variable 'scope' (enableSubstitutionInVariables=false).)"],
    ['the region', cpuIn('${location}'), scope({ location: '' }), "Problem evaluating template at region: ${location} (Cannot resolve variable 'location' (enableSubstitutionInVariables=false).)"],
    ['an expression', metric('x', { type: 'cloudwatch', metricDataQueries: [{ id: 'x', expression: 'SEARCH($\\{nope})' }] }), scope(), "Problem evaluating template at metricDataQueries[0].expression: SEARCH(${nope}) (Cannot resolve variable 'nope' (enableSubstitutionInVariables=false).)"],
  ])('rejects an unknown variable in %s with a 400 naming the field', (_, m, s, message) => {
    const render = () => source().render({ metric: m, scope: s });
    expect(render).toThrow(BadRequestError);
    expect(render).toThrow(message);
  });
});

describe('period rules and the window (§5.3, §5.5)', () => {
  const hoursAgo = (h: number) => new Date(NOW - h * 3600_000).toISOString();
  it.each([
    ['a non-numeric period string', cpu({ period: 'abc' }), scope(), 'metricDataQueries[0].period must be a whole number of seconds, got "abc"'],
    ['a templated period that is no integer', cpu({ metricStat: { ...cpuQuery().metricStat, period: '${p}' } }), scope({ extendedScopeParams: { p: '5m' } }), 'metricDataQueries[0].metricStat.period must be a whole number of seconds, got "5m"'],
    ['period 0', cpu({ period: 0 }), scope(), 'Period 0 s (metricDataQueries[0].period) must be a whole number of seconds, at least 1'],
    ['period 45', cpu({ period: 45 }), scope(), 'Period 45 s (metricDataQueries[0].period) must be 1, 5, 10, 20, 30 or a multiple of 60'],
    ['step 90', cpu(), scope({ step: 90 }), "Period 90 s (the scope's step) must be 1, 5, 10, 20, 30 or a multiple of 60"],
    ['30 s for data from 4 h ago', cpu(), scope({ step: 30, start: hoursAgo(4), end: hoursAgo(3) }), "Period 30 s (the scope's step) must be a multiple of 60 s for data starting more than 3 hours ago"],
    ['60 s for data from 16 days ago', cpu(), scope({ start: hoursAgo(16 * 24), end: hoursAgo(15 * 24) }), "Period 60 s (the scope's step) must be a multiple of 300 s for data starting more than 15 days ago"],
    ['300 s for data from 64 days ago', cpu({ period: '300' }), scope({ start: hoursAgo(64 * 24), end: hoursAgo(63 * 24) }), 'Period 300 s (metricDataQueries[0].period) must be a multiple of 3600 s for data starting more than 63 days ago'],
    [
      'returned queries with different periods',
      metric('two', { type: 'cloudwatch', metricDataQueries: [cpuQuery(), { id: 'mem', expression: 'cpu * 2', period: 300 }] }),
      scope(),
      'All queries that return data need the same period: metricDataQueries[0] has 60 s, metricDataQueries[1] has 300 s',
    ],
    ['no returned query', cpu({ returnData: false }), scope(), 'At least one of metricDataQueries must return data'],
    ['a window under one period once aligned', cpu(), scope({ start: '2025-01-01T10:00:30Z', end: '2025-01-01T10:00:59Z' }), 'holds no whole period of 60 s'],
    ['a region that is no region name', cpuIn('${location}'), scope({ location: 'evil.example.com/' }), 'region must be an AWS region name such as eu-west-1, got "evil.example.com/"'],
  ])('rejects %s before calling AWS', async (_, m, s, message) => {
    expect(() => source().render({ metric: m, scope: s })).toThrow(message);
    await expect(source().fetch({ metric: m, scope: s })).rejects.toBeInstanceOf(BadRequestError);
    expect(fake.calls).toEqual([]);
  });

  it('accepts high-resolution periods for recent data and any period on queries that return nothing', () => {
    const recent = scope({ step: 10, start: hoursAgo(1), end: hoursAgo(0.5) });
    expect(() => source().render({ metric: cpu(), scope: recent })).not.toThrow();
    const hidden = metric('rate', {
      type: 'cloudwatch',
      metricDataQueries: [
        { id: 'raw', returnData: false, metricStat: { stat: 'Sum', period: 300, metric: { namespace: 'app', metricName: 'errors' } } },
        { id: 'rate', expression: 'raw / 300' },
      ],
    });
    expect(JSON.parse(source().render({ metric: hidden, scope: scope() })).MetricDataQueries[0].MetricStat.Period).toBe(300);
  });

  it('aligns StartTime and EndTime down to the period and sizes the grid from them', async () => {
    fake.series = () => ({ points: grid(12, (k) => k, 300) });
    const [set] = await source().fetch({ metric: cpu({ period: 300 }), scope: scope({ start: '2025-01-01T10:00:30Z', end: '2025-01-01T10:59:59Z' }) });
    expect(fake.calls[0]).toMatchObject({ StartTime: T0, EndTime: T0 + 3300 });
    expect(fake.calls[0].MetricDataQueries[0]).toMatchObject({ Period: 300, MetricStat: { Period: 300 } });
    expect(set).toMatchObject({ startTimeIso: '2025-01-01T10:00:00Z', endTimeIso: '2025-01-01T10:55:00Z', endTimeMillis: (T0 + 3300) * 1000, stepMillis: 300_000 });
    expect(set.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('converting results (§5.3)', () => {
  it('puts NaN in gaps and drops points off the grid', async () => {
    fake.series = () => ({ points: [[T0, 1], [T0 + 60, 2], [T0 + 90, 99], [T0 + 180, 4], [T0 + 420, 8]] });
    const [set] = await source().fetch({ metric: cpu(), scope: scope() });
    expect(set.values).toEqual([1, 2, NaN, 4, NaN, NaN, NaN, 8, NaN, NaN]);
  });

  it('gives an all-NaN set of the grid length when there is no data', async () => {
    const [set] = await source().fetch({ metric: cpu(), scope: scope() });
    expect(set.values).toEqual(new Array(10).fill(NaN));
    expect(set.attributes.statusCode).toBe('Complete');
  });

  it('follows NextToken across pages and merges each query', async () => {
    fake.pageSize = 25;
    const two = metric('cpu', { type: 'cloudwatch', metricDataQueries: [cpuQuery(), { id: 'double', expression: 'cpu * 2' }] });
    fake.series = (q, ctx) => ({ points: q.MetricStat ? grid(60, (k) => k) : ctx.points('cpu').map(([t, v]): Point => [t, 2 * v]) });
    const sets = await source().fetch({ metric: two, scope: scope({ end: '2025-01-01T11:00:00Z' }) });

    expect(fake.calls.map((c) => c.NextToken)).toEqual([undefined, 'fake-token-25', 'fake-token-50', 'fake-token-75', 'fake-token-100']);
    expect(fake.calls.every((c) => c.ScanBy === 'TimestampAscending')).toBe(true);
    expect(sets.map((s) => s.tags)).toEqual([{ id: 'cpu' }, { id: 'double' }]);
    expect(sets[0].values).toEqual(Array.from({ length: 60 }, (_, k) => k));
    expect(sets[1].values).toEqual(Array.from({ length: 60 }, (_, k) => 2 * k));
    expect(sets[0].attributes).toEqual({ query: sets[1].attributes.query, region: 'eu-west-1', statusCode: 'Complete' });
  });

  it('keeps PartialData that remains at the end, marked partial, with the messages', async () => {
    fake.series = () => ({ points: [[T0, 1]], statusCode: 'PartialData', messages: [{ Code: 'MaxQueryTimeRangeExceed', Value: 'Only part of the range was read' }] });
    const [set] = await source().fetch({ metric: cpu(), scope: scope() });
    expect(set.values[0]).toBe(1);
    expect(set.attributes).toMatchObject({ statusCode: 'PartialData', partial: 'true', messages: 'MaxQueryTimeRangeExceed: Only part of the range was read' });
  });

  it('fails when one Id comes back as several series', async () => {
    fake.series = () => [{ points: [[T0, 1]], label: 'a' }, { points: [[T0, 2]], label: 'b' }];
    const err = await failure(source().fetch({ metric: cpu(), scope: scope() }));
    expect(err.message).toContain('CloudWatch source needs exactly one series per returned query');
    expect(fake.calls).toHaveLength(1);
  });

  it('fails when a returned query gets no result at all', async () => {
    fake.series = () => [];
    const err = await failure(source().fetch({ metric: cpu(), scope: scope() }));
    expect(err.message).toBe("CloudWatch account 'cw' failed for metric 'cpu': no result for query 'cpu'");
  });
});

describe('limits on one answer', () => {
  const three = metric('cpu', { type: 'cloudwatch', metricDataQueries: [cpuQuery(), { id: 'double', expression: 'cpu * 2' }, { id: 'triple', expression: 'cpu * 3' }] });

  it('refuses more returned queries than limits.maxSeriesPerMetric before calling CloudWatch', async () => {
    const err = await failure(source({ limits: { maxSeriesPerMetric: 2 } }).fetch({ metric: three, scope: scope() }));
    expect(err.message).toBe(
      "CloudWatch account 'cw' failed for metric 'cpu': it asks for 3 series (queries that return data), more than the cap of 2 (limits.maxSeriesPerMetric): return fewer queries or combine them in an expression",
    );
    expect(err.retryable).toBe(false);
    expect(fake.calls).toEqual([]);
    expect(await source({ limits: { maxSeriesPerMetric: 3 } }).fetch({ metric: three, scope: scope() })).toHaveLength(3);
  });

  it('refuses an answer whose points would pass limits.maxBytesPerAnswer before calling CloudWatch', async () => {
    // 3 series × 10 periods × 16 bytes = 480 bytes.
    const err = await failure(source({ limits: { maxBytesPerAnswer: 479 } }).fetch({ metric: three, scope: scope() }));
    expect(err.message).toBe(
      "CloudWatch account 'cw' failed for metric 'cpu': the answer would hold 30 points (3 series × 10 periods of 60 s), at least 480 bytes, more than the cap of 479 bytes (limits.maxBytesPerAnswer): use a longer period or a shorter window",
    );
    expect(fake.calls).toEqual([]);
    expect(await source({ limits: { maxBytesPerAnswer: 480 } }).fetch({ metric: three, scope: scope() })).toHaveLength(3);
  });

  it('refuses limits that are not positive whole numbers', () => {
    expect(() => source({ limits: { maxSeriesPerMetric: 0 } })).toThrow('limits.maxSeriesPerMetric must be a whole number of at least 1, got 0');
  });
});

describe('failures and retries', () => {
  it.each([
    ['Throttling', ['Throttling', 'Throttling'] as const, 3],
    ['HTTP 500', ['InternalServiceError'] as const, 2],
  ])('retries %s, then succeeds', async (_, failures, calls) => {
    fake.failNext(...failures);
    fake.series = () => ({ points: [[T0, 7]] });
    const [set] = await source().fetch({ metric: cpu(), scope: scope() });
    expect(set.values[0]).toBe(7);
    expect(fake.calls).toHaveLength(calls);
  });

  it('retries an InternalError result', async () => {
    let calls = 0;
    fake.series = () => (calls++ === 0 ? { points: [], statusCode: 'InternalError' } : { points: [[T0, 3]] });
    const [set] = await source().fetch({ metric: cpu(), scope: scope() });
    expect(set.values[0]).toBe(3);
    expect(fake.calls).toHaveLength(2);
  });

  it('gives up after the attempts, naming the account and the metric', async () => {
    fake.failNext('Throttling', 'Throttling', 'Throttling', 'Throttling');
    const err = await failure(source().fetch({ metric: cpu(), scope: scope() }));
    expect(err.message).toBe("CloudWatch account 'cw' failed for metric 'cpu' after 4 attempts: Throttling (HTTP 400): Rate exceeded");
    expect(err.retryable).toBe(true);
    expect(fake.calls).toHaveLength(4);
  });

  it.each([
    ['an AccessDenied error', () => fake.failNext('AccessDenied'), /after 1 attempt: AccessDenied \(HTTP 403\): User: .* is not authorized to perform: cloudwatch:GetMetricData$/],
    ['an InvalidParameterValue error', () => fake.failNext('InvalidParameterValue'), /after 1 attempt: InvalidParameterValueException \(HTTP 400\): InvalidParameterValue$/],
    ['a Forbidden result', () => (fake.series = () => ({ points: [], statusCode: 'Forbidden', messages: [{ Code: 'Forbidden', Value: 'no access to account 111' }] })), /after 1 attempt: query 'cpu' returned StatusCode Forbidden \(Forbidden: no access to account 111\)$/],
  ])('does not retry %s', async (_, arrange, reason) => {
    arrange();
    const err = await failure(source().fetch({ metric: cpu(), scope: scope() }));
    expect(err.message).toMatch(/^CloudWatch account 'cw' failed for metric 'cpu' /);
    expect(err.message).toMatch(reason);
    expect(err.retryable).toBe(false);
    expect(fake.calls).toHaveLength(1);
  });

  it('times out a slow call and retries it', async () => {
    fake.failNext({ delayMs: 300 });
    fake.series = () => ({ points: [[T0, 5]] });
    const [set] = await source({ timeoutMs: 50 }).fetch({ metric: cpu(), scope: scope() });
    expect(set.values[0]).toBe(5);
    expect(fake.calls).toHaveLength(2);
  });

  it('fails after every attempt timed out', async () => {
    fake.failNext(...Array.from({ length: 4 }, () => ({ delayMs: 300 })));
    const err = await failure(source({ timeoutMs: 50 }).fetch({ metric: cpu(), scope: scope() }));
    expect(err.message).toBe("CloudWatch account 'cw' failed for metric 'cpu' after 4 attempts: GetMetricData timed out after 50 ms");
    expect(fake.calls).toHaveLength(4);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    fake.failNext({ delayMs: 300 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const err = await source().fetch({ metric: cpu(), scope: scope() }, abort.signal).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(MetricFetchError);
    expect(fake.calls).toHaveLength(1);
  });
});

describe('clients and credentials (§5.4)', () => {
  it('assumes the account role through STS, with the external id, once per client', async () => {
    const cw = source({}, { ...account, roleArn: 'arn:aws:iam::123456789012:role/canaria-read', externalId: 'ext-42' });
    await cw.fetch({ metric: cpu(), scope: scope() });
    await cw.fetch({ metric: cpu(), scope: scope() });
    const assumed = fake.requests.filter((r) => r.operation === 'AssumeRole');
    expect(assumed.map((r) => r.body)).toEqual([
      { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: 'arn:aws:iam::123456789012:role/canaria-read', RoleSessionName: 'canaria', ExternalId: 'ext-42' },
    ]);
    expect(assumed[0].headers.authorization).toContain('Credential=AKIDFAKE/');
    for (const r of fake.requests.filter((r) => r.operation === 'GetMetricData')) {
      expect(r.headers.authorization).toContain('Credential=ASIAFAKE1/');
      expect(r.headers['x-amz-security-token']).toBe('fake-session-1');
    }
  });

  it('builds one client per region', async () => {
    const regions: string[] = [];
    const clientFor = (region: string) => {
      regions.push(region);
      return new CloudWatchClient({ region, endpoint: fake.url, maxAttempts: 1 });
    };
    const cw = source({ clientFor });
    const inRegion = cpuIn('${location}');
    for (const location of ['eu-west-1', 'us-east-1', 'eu-west-1']) await cw.fetch({ metric: inRegion, scope: scope({ location }) });
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(fake.requests.map((r) => /\/([a-z0-9-]+)\/monitoring\//.exec(r.headers.authorization!)![1])).toEqual(['eu-west-1', 'us-east-1', 'eu-west-1']);
  });
});
