// POST /v1/judgements on AWS: StepFunctionsStarter (the real @aws-sdk/client-sfn client) against
// the test Step Functions endpoint on 127.0.0.1 (test/stack/step-functions.ts), whose "analysis"
// ends its record `runMs` after its start. The verdict comes with the end of a StartSyncExecution,
// never from a poll (the poll interval is a minute here); at timeoutSeconds the call is abandoned
// and the answer is Running with the execution id, while the execution goes on.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StepFunctionsStarter, SYNC_START_MIN_MS } from '../../lib/analysis/aws-starter.ts';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { SequenceStore } from '../../lib/analysis/sequences.ts';
import { canaryHandlers } from '../../lib/api/canary-api.ts';
import type { ApiRequest } from '../../lib/api/http.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage, type SqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { stateMachineArn, stepFunctionsEndpoint, type StepFunctionsEndpoint } from '../stack/step-functions.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const end = Date.now() - 60_000;
const window = { start: iso(end - 3_600_000), end: iso(end), step: 60 };
const request = (timeoutSeconds: number): ApiRequest => ({
  method: 'POST',
  path: '/v1/judgements',
  query: {},
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(
    JSON.stringify({
      canaryConfig: {
        name: 'sync',
        applications: ['shop'],
        metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: 'PromQL:avg(latency{${scope}})' }, groups: ['g'] }],
      },
      scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
      thresholds: { pass: 75, marginal: 50 },
      application: 'shop',
      timeoutSeconds,
    }),
  ),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ARN = stateMachineArn('CanaryAnalysis');

describe('StepFunctionsStarter: the verdict of POST /v1/judgements from StartSyncExecution', () => {
  let storage: SqliteStorage;
  let executions: ExecutionStore;
  let sfn: StepFunctionsEndpoint;
  let starter: StepFunctionsStarter;
  /** How long the next analysis runs, and whether it fails (without recording why). */
  let runMs = 0;
  let fails = false;

  beforeAll(async () => {
    storage = openSqliteStorage(':memory:');
    executions = new ExecutionStore(storage);
    sfn = await stepFunctionsEndpoint();
    sfn.serve({
      arn: ARN,
      async run(input, name) {
        const { executionId } = input as { executionId: string };
        expect(name).toBe(executionId);
        await sleep(runMs);
        if (fails) throw Object.assign(new Error('the record store refused'), { name: 'States.Runtime' });
        await executions.update(executionId, { status: 'succeeded', stage: 'judge', score: 100, classification: 'Pass', endTimeMillis: Date.now() } as never);
        return { executionId };
      },
    });
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_ENDPOINT_URL_SFN', sfn.url);
    starter = new StepFunctionsStarter(ARN);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await sfn?.stop();
    storage?.close();
  });

  const judgement = (timeoutSeconds: number) =>
    canaryHandlers({
      configs: new ConfigStore(storage),
      executions,
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:9' }]),
      starter,
      sequences: new SequenceStore(storage.records),
      now: Date.now,
      pollMs: 60_000,
    }).judgement!(request(timeoutSeconds), {});

  it('answers as soon as the analysis ends: one StartSyncExecution to the endpoint as given (no sync- host prefix), no poll', async () => {
    runMs = 300;
    const t0 = performance.now();
    const r = await judgement(10);
    const ms = performance.now() - t0;
    expect(r.status, r.body).toBe(200);
    const answer = JSON.parse(r.body!).judgement;
    expect(answer).toMatchObject({ phase: 'Successful', complete: true, score: 100, classification: 'Pass' });
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(5_000);
    const id: string = answer.executionId;
    const calls = sfn.requests.filter((q) => q.body.name === id);
    expect(calls).toEqual([{ target: 'AWSStepFunctions.StartSyncExecution', host: new URL(sfn.url).host, body: { stateMachineArn: ARN, name: id, input: JSON.stringify({ executionId: id }) } }]);
    expect(sfn.abandoned).not.toContain(id);
  });

  it('answers Running with the execution id at timeoutSeconds, abandoning the call; the execution goes on and records its end', async () => {
    runMs = 4_000;
    const t0 = performance.now();
    const r = await judgement(1.5);
    const ms = performance.now() - t0;
    expect(r.status, r.body).toBe(200);
    const answer = JSON.parse(r.body!).judgement;
    expect(answer).toMatchObject({ phase: 'Running', complete: false, score: null });
    const id: string = answer.executionId;
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(3_500);
    expect(sfn.requests.filter((q) => q.body.name === id).map((q) => q.target)).toEqual(['AWSStepFunctions.StartSyncExecution']);
    await vi.waitFor(() => expect(sfn.abandoned).toContain(id), { timeout: 2_000 });
    expect(await sfn.executions.get(id)).toEqual({ output: { executionId: id } });
    expect((await executions.get(id)).status).toBe('succeeded');
  });

  it(`a wait under ${SYNC_START_MIN_MS} ms starts with StartExecution (it could be cut before it reached Step Functions)`, async () => {
    runMs = 0;
    const r = await judgement(0.5);
    const id: string = JSON.parse(r.body!).judgement.executionId;
    expect(sfn.requests.filter((q) => q.body.name === id).map((q) => q.target)).toEqual(['AWSStepFunctions.StartExecution']);
    await sfn.executions.get(id);
  });

  it('an execution that ended failed is an end, not an error: the record says the rest', async () => {
    runMs = 50;
    fails = true;
    try {
      const t0 = performance.now();
      await starter.startAndWait('01ARZ3NDEKTSV4RRFFQ69G5FAV', 10_000);
      expect(performance.now() - t0).toBeLessThan(5_000);
    } finally {
      fails = false;
    }
    expect(await sfn.executions.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toMatchObject({ error: { name: 'States.Runtime' } });
  });

  it('a start Step Functions refuses is thrown (the caller records it StartExecutionFailed)', async () => {
    const other = new StepFunctionsStarter(stateMachineArn('NoSuchMachine'));
    await expect(other.startAndWait('01ARZ3NDEKTSV4RRFFQ69G5FAW', 10_000)).rejects.toThrow(/State Machine Does Not Exist/);
  });
});
