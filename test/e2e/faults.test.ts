// Faults inside the analysis: a fetch task that throws, a judge that fails. Each execution must
// end terminal with its reason — nothing stays running after the state machine has ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const request = {
  scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
  thresholds: { pass: 75, marginal: 50 },
};
const config = {
  name: 'faults',
  applications: ['shop'],
  metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.worse}{\${scope}})` }, groups: ['g'], scopeName: 'default' }],
};

describeWithPrometheus('analysis faults', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());

  function faultyService(overrides: Record<string, (input: unknown) => Promise<unknown>>) {
    return useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }], stateMachine: { overrides, retryIntervalMs: 1 } }));
  }

  async function runOn(svc: ReturnType<typeof useLocalService>): Promise<Reply> {
    const started = await svc.call('POST', '/canary', { body: { canaryConfig: config, executionRequest: request } });
    expect(started.status, started.text).toBe(200);
    for (let i = 0; i < 200; i++) {
      const r = await svc.call('GET', `/canary/${started.json.canaryExecutionId}`);
      if (r.json.complete) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('stuck running');
  }

  describe('a fetch task that throws', () => {
    let calls = 0;
    const svc = faultyService({
      FetchOne: async () => {
        calls++;
        throw new Error('fetch Lambda crashed: out of memory');
      },
    });
    it('ends terminal, naming the fetch stage and the error', async () => {
      const r = await runOn(svc);
      expect(r.json).toMatchObject({ complete: true, status: 'terminal' });
      expect(r.json.result).toBeUndefined();
      expect(r.json.exception).toMatchObject({ exceptionType: 'Error', operation: 'fetch', shouldRetry: false, details: { error: 'fetch Lambda crashed: out of memory' } });
      expect(calls).toBeGreaterThanOrEqual(1);
    });
  });

  describe('a judge that fails', () => {
    const svc = faultyService({
      Judge: async () => {
        throw Object.assign(new Error('judge failed: all observations are tied'), { name: 'AnalysisError' });
      },
    });
    it('ends terminal after mixing, with the pair list kept for a look', async () => {
      const r = await runOn(svc);
      expect(r.json).toMatchObject({ complete: true, status: 'terminal', exception: { exceptionType: 'AnalysisError', operation: 'judge' } });
      expect(r.json.stageStatus).toMatchObject({ fetchControl0: 'succeeded', mixMetrics: 'succeeded', judge: 'terminal' });
      expect((await svc.call('GET', `/metricSetPairList/${r.json.metricSetPairListId}`)).status).toBe(200);
    });
  });
});

describe('judge Lambda invoked with a RemoteJudge body', () => {
  it('judges it directly', async () => {
    process.env.CANARIA_BUCKET ??= 'unused-bucket';
    process.env.CANARIA_TABLE ??= 'unused-table';
    const { judge } = await import('../../functions/tasks/analysis.ts');
    const { readFileSync } = await import('node:fs');
    const body = JSON.parse(readFileSync(new URL('../../examples/judge-request.json', import.meta.url), 'utf8'));
    const result = (await judge(body)) as { score: { score: number; classification: string } };
    expect(result.score).toEqual({ score: 40, classification: 'Fail', classificationReason: '' });
  });
});
