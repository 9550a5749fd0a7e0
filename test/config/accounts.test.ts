// The accounts file: its limits reach the metric sources, and bad values name the field.
import { describe, expect, it } from 'vitest';
import { parseAccounts } from '../../lib/config/accounts.ts';
import { ValidationError } from '../../lib/config/validation.ts';
import { deployedAccounts, MetricAccounts } from '../../lib/metrics/sources.ts';
import { CANARY_DATASET } from '../support/prometheus-data.ts';
import { describeWithPrometheus, startPrometheus } from '../support/prometheus.ts';

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
