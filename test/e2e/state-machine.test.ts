// The state machine started directly, as `aws stepfunctions start-execution` or the console
// would: a self-contained input instead of an execution the API recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { planExecution } from '../../lib/analysis/prepare.ts';
import { executionStatus } from '../../lib/analysis/status.ts';
import { taskHandlers, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { LocalStateMachine } from '../../lib/local/state-machine.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

describeWithPrometheus('state machine started directly', () => {
  let prom: RunningPrometheus;
  let emulators: Emulators;
  let machine: LocalStateMachine;
  let executions: ExecutionStore;
  let deps: TaskDeps;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    emulators = await startEmulators();
    const storage = createStorage(emulators);
    executions = new ExecutionStore(storage);
    deps = {
      executions,
      configs: new ConfigStore(storage),
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: prom.url }]),
      now: Date.now,
    };
    machine = new LocalStateMachine(deps);
  }, 60_000);
  afterAll(async () => {
    await emulators?.stop();
    await prom?.stop();
  });

  const window = { start: iso(START), end: iso(END), step: STEP };
  const input = {
    canaryConfig: { name: 'direct', metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.identical}{\${scope}})` }, groups: ['g'] }] },
    executionRequest: {
      scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
      thresholds: { pass: 95, marginal: 75 },
    },
    application: 'console',
  };

  it('records and runs an analysis under the execution name', async () => {
    await machine.run(input, 'console-run-1');
    const record = await executions.get('console-run-1');
    expect(record).toMatchObject({ status: 'succeeded', application: 'console', canaryConfigId: 'ad-hoc', score: 100, classification: 'Pass' });
  });

  it('fetches both sides of a metric in one FetchOne, and one side for the items of the previous definitions', async () => {
    await machine.run(input, 'console-run-3');
    const doc = await executions.document('console-run-3');
    const plan = planExecution('console-run-3', doc.config, undefined, Date.now() + 60_000);
    const { FetchOne } = taskHandlers(deps);
    type Sets = { sets: Array<{ values: unknown[]; attributes: { query: string } }> };
    const now = (await FetchOne({ fetchWith: plan.fetchWith, ref: plan.fetches[0] })) as { control: Sets; experiment: Sets };
    expect(now.experiment.sets[0].attributes.query).toBe(`avg(${LATENCY.identical}{version="canary"})`);
    expect(now.control.sets[0].attributes.query).toBe(`avg(${LATENCY.identical}{version="baseline"})`);
    expect(now.experiment.sets[0].values.length).toBeGreaterThan(100);
    // The previous definitions' items named a side (and the first gave the plan's fields flat): that side alone.
    for (const side of ['control', 'experiment'] as const) {
      const previous = { executionId: plan.executionId, metricsAccountName: plan.metricsAccountName, inlineBytes: plan.inlineBytes, fetchDeadlineMillis: plan.fetchDeadlineMillis, metric: 0, side };
      const [flat, named] = (await Promise.all([FetchOne(previous), FetchOne({ fetchWith: plan.fetchWith, ref: { metric: 0, side } })])) as Sets[];
      expect(flat.sets).toEqual(now[side].sets);
      expect(named.sets).toEqual(now[side].sets);
    }
  });

  it('FetchOne returns JSON data: a Lambda\'s JSON round trip changes nothing, gaps written "NaN" as Kayenta writes them', async () => {
    const gappy = {
      ...input,
      canaryConfig: { name: 'gappy', metrics: [{ name: 'queue', query: { type: 'prometheus', customInlineTemplate: 'PromQL:avg(queue_depth{${scope}})' }, groups: ['g'] }] },
      // canaria-v1 keeps missing steps on the grid as NaN.
      executionRequest: { ...input.executionRequest, judge: 'canaria-v1' },
    };
    await machine.run(gappy, 'console-run-4');
    const doc = await executions.document('console-run-4');
    const plan = planExecution('console-run-4', doc.config, undefined, Date.now() + 60_000);
    const { FetchOne } = taskHandlers(deps);
    type Sets = { sets: Array<{ values: unknown[] }> };
    const results = (await Promise.all(plan.fetches.map((ref) => FetchOne({ fetchWith: plan.fetchWith, ref })))) as Array<{ control: Sets; experiment: Sets }>;
    const values = results.flatMap((r) => [r.control, r.experiment].flatMap((side) => side.sets.flatMap((s) => s.values)));
    expect(values).toContain('NaN');
    expect(values.filter((v) => typeof v === 'number').length).toBeGreaterThan(100);
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
    // Sets without gaps (console-run-1's latency) too.
    const finite = (await FetchOne({ fetchWith: { ...plan.fetchWith, executionId: 'console-run-1' }, ref: plan.fetches[0] })) as { control: Sets; experiment: Sets };
    expect(finite.control.sets[0].values.length).toBeGreaterThan(100);
    expect(JSON.parse(JSON.stringify(finite))).toEqual(finite);
  });

  it('fails the state machine, recording nothing, for an invalid direct input', async () => {
    await expect(machine.run({ ...input, executionRequest: { scopes: input.executionRequest.scopes } }, 'console-run-2')).rejects.toThrow();
    expect(await executions.find('console-run-2')).toBeUndefined();
  });
});

describe('execution records', () => {
  let emulators: Emulators;
  let executions: ExecutionStore;
  beforeAll(async () => {
    emulators = await startEmulators();
    executions = new ExecutionStore(createStorage(emulators));
  });
  afterAll(async () => emulators?.stop());

  const doc = { config: { metrics: [] }, executionRequest: { scopes: {}, thresholds: { pass: 1, marginal: 0 } } };
  const record = (id: string, buildTimeMillis: number) => ({ id, application: 'a', status: 'running' as const, stage: 'fetch' as const, canaryConfigId: 'c', metricCount: 1, buildTimeMillis });

  it('ends an execution whose state machine must have timed out', async () => {
    const now = Date.now();
    await executions.create(record('lost', now - 400_000), doc);
    const status = await executionStatus(executions, 'lost', now);
    expect(status).toMatchObject({ complete: true, status: 'terminal', exception: { exceptionType: 'States.Timeout', operation: 'fetch', shouldRetry: true } });
    await executions.create(record('young', now - 10_000), doc);
    expect(await executionStatus(executions, 'young', now)).toMatchObject({ complete: false, status: 'running' });
  });

  it('never overwrites an execution that exists', async () => {
    const now = Date.now();
    expect(await executions.create(record('taken', now), doc)).toBe(true);
    const other = { ...doc, executionRequest: { ...doc.executionRequest, thresholds: { pass: 50, marginal: 10 } } };
    expect(await executions.create(record('taken', now), other)).toBe(false);
    expect((await executions.document('taken')).executionRequest.thresholds).toEqual({ pass: 1, marginal: 0 });
  });
});
