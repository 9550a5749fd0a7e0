// POST /v1/judgements waits for the end of an analysis without polling when the starter runs it in
// this process (ExecutionStarter.waitForEnd, as the local state machine does); it still answers
// Running with the execution id when timeoutSeconds passes first, and polls a starter that cannot
// wait (Step Functions). The poll interval is set to a minute here, so only the wait can answer fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { SequenceStore } from '../../lib/analysis/sequences.ts';
import type { ExecutionStarter } from '../../lib/analysis/start.ts';
import { canaryHandlers } from '../../lib/api/canary-api.ts';
import type { ApiRequest } from '../../lib/api/http.ts';
import { LocalStateMachine } from '../../lib/local/state-machine.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage, type SqliteStorage } from '../../lib/store/sqlite-storage.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const end = Date.now() - 60_000;
const window = { start: iso(end - 3_600_000), end: iso(end), step: 60 };
const body = (timeoutSeconds: number) => ({
  canaryConfig: {
    name: 'wait',
    applications: ['shop'],
    metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: 'PromQL:avg(latency{${scope}})' }, groups: ['g'] }],
  },
  scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
  thresholds: { pass: 75, marginal: 50 },
  application: 'shop',
  timeoutSeconds,
});
const request = (b: unknown): ApiRequest => ({
  method: 'POST',
  path: '/v1/judgements',
  query: {},
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(b)),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/v1/judgements waits on the run, not on a poll', () => {
  let storage: SqliteStorage;
  let executions: ExecutionStore;
  beforeAll(() => {
    storage = openSqliteStorage(':memory:');
    executions = new ExecutionStore(storage);
  });
  afterAll(async () => storage?.close());

  /** A starter that "runs" an analysis in this process: it ends `afterMs` later with score 100. */
  function inProcessStarter(afterMs: number, canWait = true): ExecutionStarter & { waits: number } {
    const runs = new Map<string, Promise<void>>();
    const starter = {
      waits: 0,
      async start(id: string) {
        runs.set(
          id,
          sleep(afterMs).then(async () => {
            await executions.update(id, { status: 'succeeded', stage: 'judge', score: 100, classification: 'Pass', endTimeMillis: Date.now() } as never);
          }),
        );
      },
      async waitForEnd(id: string, timeoutMs: number) {
        starter.waits++;
        const run = runs.get(id);
        if (!run) return false;
        return Promise.race([run.then(() => true), sleep(timeoutMs).then(() => false)]);
      },
    };
    if (!canWait) return { waits: 0, start: starter.start };
    return starter;
  }

  const handlers = (starter: ExecutionStarter, pollMs: number) =>
    canaryHandlers({
      configs: new ConfigStore(storage),
      executions,
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:9' }]),
      starter,
      sequences: new SequenceStore(storage.records),
      now: Date.now,
      pollMs,
    });

  it('answers as soon as the run ends, with the poll interval at a minute', async () => {
    const starter = inProcessStarter(50);
    const t0 = performance.now();
    const r = await handlers(starter, 60_000).judgement!(request(body(10)), {});
    const ms = performance.now() - t0;
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body!).judgement).toMatchObject({ phase: 'Successful', complete: true, score: 100, classification: 'Pass' });
    expect(starter.waits).toBe(1);
    expect(ms).toBeLessThan(2_000);
  });

  it('answers Running with the execution id when timeoutSeconds passes first', async () => {
    const starter = inProcessStarter(5_000);
    const t0 = performance.now();
    const r = await handlers(starter, 60_000).judgement!(request(body(0.3)), {});
    const ms = performance.now() - t0;
    expect(r.status, r.body).toBe(200);
    const judgement = JSON.parse(r.body!).judgement;
    expect(judgement).toMatchObject({ phase: 'Running', complete: false, score: null });
    expect(judgement.executionId).toMatch(/^[0-9A-Z]{26}$/);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2_000);
  });

  it('a starter that cannot wait (Step Functions) is polled', async () => {
    const starter = inProcessStarter(50, false);
    expect(starter.waitForEnd).toBeUndefined();
    const r = await handlers(starter, 20).judgement!(request(body(10)), {});
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body!).judgement).toMatchObject({ phase: 'Successful', complete: true, score: 100 });
  });

  it('the local state machine has nothing to wait for on an execution it does not run', async () => {
    const machine = new LocalStateMachine({ executions, accounts: new MetricAccounts([]), configs: new ConfigStore(storage), now: Date.now });
    const t0 = performance.now();
    expect(await machine.waitForEnd('01ARZ3NDEKTSV4RRFFQ69G5FAV', 10_000)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
