// The accounts file: its limits reach the metric sources, and bad values name the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccounts } from '../../lib/config/accounts.ts';
import { ValidationError } from '../../lib/config/validation.ts';
import { deployedAccounts, MetricAccounts } from '../../lib/metrics/sources.ts';
import { CANARY_DATASET, LATENCY } from '../support/prometheus-data.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { useLocalService } from '../support/service.ts';

const yaml = (limits: string, url = 'http://127.0.0.1:9') => `accounts:\n  - {name: prom, type: prometheus, endpoint: ${url}}\n${limits}`;

describe('accounts file limits', () => {
  it('are optional, and refused when not whole numbers of at least 1', () => {
    expect(parseAccounts(yaml(''), 'f').limits).toBeUndefined();
    expect(parseAccounts(yaml('limits: {maxSeriesPerMetric: 5, maxBytesPerAnswer: 1048576}\n'), 'f').limits).toEqual({ maxSeriesPerMetric: 5, maxBytesPerAnswer: 1048576 });
    const bad = () => parseAccounts(yaml('limits: {maxSeriesPerMetric: 0, maxBytes: 3}\n'), 'f');
    expect(bad).toThrow(ValidationError);
    try {
      bad();
    } catch (err) {
      expect((err as ValidationError).issues).toEqual(['f: limits.maxSeriesPerMetric: must be a whole number of at least 1', 'f: limits: unknown field(s) "maxBytes"']);
    }
  });
});

describeWithPrometheus('accounts file limits on a fetch', () => {
  it('caps the series of one answer, for the service and for a deployed function alike', async () => {
    const prom = await startPrometheus([...CANARY_DATASET]);
    try {
      const text = yaml('limits: {maxSeriesPerMetric: 1}\n', prom.url);
      const file = parseAccounts(text, 'f');
      const scope = { scope: '', start: '2024-01-15T10:00:00Z', end: '2024-01-15T11:00:00Z', step: 60 };
      const metric = { name: 'latency', query: { type: 'prometheus' as const, customInlineTemplate: 'PromQL:latency_identical' } };
      for (const accounts of [new MetricAccounts(file.accounts, { limits: file.limits }), deployedAccounts({ CANARIA_ACCOUNTS: text })]) {
        const { source } = accounts.resolve(undefined, 'prometheus');
        await expect(source.fetch({ metric, scope })).rejects.toThrow(/returned 2 series, more than the cap of 1 \(limits\.maxSeriesPerMetric\)/);
      }
    } finally {
      await prom.stop();
    }
  }, 60_000);
});

describeWithPrometheus('accounts file limits on an analysis', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }], sourceOptions: { limits: { maxPointsPerAnalysis: 400 } } }));

  it('caps the points of one analysis, every metric and both sides together', async () => {
    const metric = (name: string) => ({ name, query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.identical}{\${scope}})` }, groups: ['g'], scopeName: 'default' });
    const side = (v: string) => ({ scope: `version="${v}"`, start: '2024-01-15T10:00:00Z', end: '2024-01-15T12:00:00Z', step: 60 });
    const body = (metrics: unknown[]) => ({ canaryConfig: { name: 'cap', metrics }, executionRequest: { scopes: { default: { controlScope: side('baseline'), experimentScope: side('canary') } }, thresholds: { pass: 90, marginal: 60 } } });
    const run = async (metrics: unknown[]) => {
      const started = await svc.call('POST', '/canary', { body: body(metrics) });
      for (;;) {
        const r = await svc.call('GET', `/canary/${started.json.canaryExecutionId}`);
        if (r.json.complete) return r.json;
        await new Promise((res) => setTimeout(res, 30));
      }
    };
    expect((await run([metric('a')])).status).toBe('succeeded'); // 2 × 121 points
    const capped = await run([metric('a'), metric('b')]); // 4 × 121
    expect(capped.status).toBe('terminal');
    expect(capped.exception.details.error).toBe('the analysis holds 484 points (2 metrics, both sides), more than the cap of 400 (limits.maxPointsPerAnalysis): aggregate the metrics, use a longer step or a shorter window');
  }, 60_000);
});
