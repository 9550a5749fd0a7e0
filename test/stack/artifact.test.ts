// The packaged artifact works: the zips `npm run package` writes (test/stack/package.ts) are
// unzipped and their handlers — the bundles, not the sources — run, each function in a process
// of its own with the environment the template gives it (test/stack/lambdas.ts):
//
// - real API Gateway v2 HTTP events (payload 2.0), routed as the template's routes, integrations
//   and authorizer say (test/stack/http-api.ts): the authorizer's bundle checks the API key and
//   hands its context to the route's function;
// - one analysis end to end, started by the canary function's StartExecution, through the
//   template's own state machine definition (substitutions made) in the embedded runtime, each
//   Task's Lambda ARN run by the bundle of the function it names (test/stack/step-functions.ts);
// - one standalone run of the past, started the same way, through the template's Standard
//   definition, whose RunLook runs each look through the template's Express definition;
//
// against the local S3/DynamoDB emulators and a real Prometheus. The bundles reach them through
// what the AWS SDK honours in any environment: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_SFN (service endpoints), AWS_REQUEST_CHECKSUM_CALCULATION and
// AWS_RESPONSE_CHECKSUM_VALIDATION (s3rver does not compute S3's newer checksums), and the
// emulator's keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. No code path of the bundles is
// there for the test: CanariaBucket, CanariaTable and the state machines are given the values
// CloudFormation would give them, and CANARIA_ACCOUNTS names the test's Prometheus, as deploying
// with that accounts file would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKeyStore } from '../../lib/auth/api-keys.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { HttpApi } from './http-api.ts';
import { LambdaFunction, resolveEnvironment, unpackFunctions } from './lambdas.ts';
import { packagedStack, TEST_ACCOUNTS } from './package.ts';
import { stateMachineArn, stepFunctionsEndpoint, templateStateMachine, type StepFunctionsEndpoint, type TemplateStateMachine } from './step-functions.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 75, marginal: 50 };
const config = {
  name: 'artifact-latency',
  applications: ['shop'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: [
    {
      name: 'latency',
      query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.identical}{\${scope}})` },
      groups: ['latency'],
      analysisConfigurations: { canary: { direction: 'increase' } },
      scopeName: 'default',
    },
  ],
  classifier: { groupWeights: { latency: 100 } },
};

describeWithPrometheus('the packaged artifact', () => {
  let prom: RunningPrometheus;
  let emulators: Emulators;
  let sfn: StepFunctionsEndpoint;
  let work: string;
  let functions: Map<string, LambdaFunction>;
  let api: HttpApi;
  let machine: TemplateStateMachine;
  let standalone: TemplateStateMachine;
  const keys: Record<'admin' | 'read', string> = { admin: '', read: '' };

  beforeAll(async () => {
    const t0 = performance.now();
    const stack = packagedStack(TEST_ACCOUNTS);
    const t1 = performance.now();
    [prom, emulators, sfn] = await Promise.all([startPrometheus([...CANARY_DATASET]), startEmulators(), stepFunctionsEndpoint()]);
    const apiKeys = new ApiKeyStore(createStorage(emulators).records);
    keys.admin = (await apiKeys.create({ name: 'artifact-admin', scope: 'admin' })).key;
    keys.read = (await apiKeys.create({ name: 'artifact-read', scope: 'read' })).key;

    work = mkdtempSync(join(tmpdir(), 'canaria-artifact-'));
    const aws = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    };
    const refs = {
      CanariaBucket: emulators.bucket,
      CanariaTable: emulators.table,
      CanaryAnalysis: stateMachineArn('CanaryAnalysis'),
      StandaloneAnalysis: stateMachineArn('StandaloneAnalysis'),
    };
    const accounts = `accounts:\n  - {name: prom, type: prometheus, endpoint: '${prom.url}'}\n`;
    functions = new Map(
      unpackFunctions(stack, work).map((fn) => {
        const env = resolveEnvironment(fn, stack.template, refs);
        if ('CANARIA_ACCOUNTS' in env) env.CANARIA_ACCOUNTS = accounts;
        return [fn.id, new LambdaFunction(fn, { ...aws, ...env })];
      }),
    );
    // Every function's INIT (its bundle loaded with its environment) before any request.
    const t2 = performance.now();
    await Promise.all([...functions.values()].map((f) => f.start()));
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `artifact: package ${s(t1 - t0)} (reused while its inputs are unchanged), Prometheus and emulators ${s(t2 - t1)}, ${functions.size} functions started ${s(performance.now() - t2)} ` +
        `(INIT ${[...functions.values()].map((f) => `${f.fn.name} ${Math.round(f.initMs[0])} ms`).join(', ')})`,
    );
    api = new HttpApi(stack.template, functions);
    machine = templateStateMachine(stack.template, 'CanaryAnalysis', functions);
    standalone = templateStateMachine(stack.template, 'StandaloneAnalysis', functions, { nested: [machine] });
    sfn.serve(machine);
    sfn.serve(standalone);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...(functions?.values() ?? [])].map((f) => f.stop()));
    await Promise.all([sfn?.stop(), emulators?.stop(), prom?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The functions' own log, for a failure's message. */
  const logs = () => [...functions.values()].map((f) => `--- ${f.fn.name}\n${f.log()}`).join('\n');

  it('answers GET /health without a credential (the meta bundle)', async () => {
    const r = await api.request('GET', '/health');
    expect(r.status, r.body).toBe(200);
    expect(r.json).toEqual({ status: 'UP' });
  });

  it('creates a canary config with an admin key, through the authorizer bundle, and reads it back with a read key', async () => {
    const created = await api.request('POST', '/canaryConfig', { headers: { authorization: `Bearer ${keys.admin}` }, body: config });
    expect(created.status, created.body + logs()).toBe(200);
    const id = created.json.canaryConfigId;
    expect(id).toMatch(/^[A-Za-z0-9._~-]+$/);
    const read = await api.request('GET', `/canaryConfig/${id}`, { headers: { 'x-api-key': keys.read } });
    expect(read.status, read.body).toBe(200);
    expect(read.json).toMatchObject({ name: 'artifact-latency', applications: ['shop'], metrics: [{ name: 'latency' }] });
    const listed = await api.request('GET', '/canaryConfig?application=shop', { headers: { 'x-api-key': keys.read } });
    expect(listed.status, listed.body).toBe(200);
    expect(listed.json.map((c: { id: string }) => c.id)).toContain(id);
  });

  it('refuses with 4xx and a message: no credential, a too narrow key, a config with a bad field', async () => {
    const none = await api.request('POST', '/canaryConfig', { body: config });
    expect(none.status).toBe(401);
    expect(none.json.message).toMatch(/API key/);
    const narrow = await api.request('POST', '/canaryConfig', { headers: { 'x-api-key': keys.read }, body: config });
    expect(narrow.status).toBe(403);
    expect(narrow.json.message).toBe('The API key "artifact-read" has scope read; POST /canaryConfig needs admin.');
    const bad = await api.request('POST', '/canaryConfig', { headers: { 'x-api-key': keys.admin }, body: { ...config, metrics: [{ ...config.metrics[0], groups: 'latency' }] } });
    expect(bad.status, bad.body).toBe(400);
    expect(bad.json.message).toBe('metrics[0].groups: must be an array');
  });

  it('runs an analysis end to end: POST /canary starts the template state machine, whose tasks run from their bundles', async () => {
    const created = await api.request('POST', '/canaryConfig', { headers: { 'x-api-key': keys.admin }, body: { ...config, name: 'artifact-run' } });
    expect(created.status, created.body).toBe(200);
    const started = await api.request('POST', `/canary/${created.json.canaryConfigId}?metricsAccountName=prom`, {
      headers: { authorization: `Bearer ${keys.admin}` },
      body: { scopes, thresholds },
    });
    expect(started.status, started.body + logs()).toBe(200);
    const id: string = started.json.canaryExecutionId;
    const execution = sfn.executions.get(id);
    expect(execution, `StartExecution named ${id} (refused: ${sfn.refused.join(', ')})`).toBeDefined();
    const ended = await execution!;
    expect(ended.error, `${ended.error}\n${logs()}`).toBeUndefined();

    const status = await api.request('GET', `/canary/${id}`, { headers: { 'x-api-key': keys.read } });
    expect(status.status, status.body).toBe(200);
    expect(status.json).toMatchObject({ complete: true, status: 'succeeded', application: 'shop', metricsAccountName: 'prom' });
    expect(status.json.stageStatus).toEqual({ setupContext: 'succeeded', fetchControl0: 'succeeded', fetchExperiment0: 'succeeded', mixMetrics: 'succeeded', judge: 'succeeded' });
    expect(status.json.result.judgeResult.results[0]).toMatchObject({ name: 'latency', classification: 'Pass' });
    expect(status.json.result.judgeResult.score).toMatchObject({ score: 100, classification: 'Pass' });
    // Its report page from the canary bundle, with uPlot inside (a zip holds no node_modules).
    const report = await api.request('GET', `/canary/${id}/report`, { headers: { 'x-api-key': keys.read } });
    expect(report.status, report.body.slice(0, 300)).toBe(200);
    expect(report.body).toContain('<span id="verdict">Pass</span>');
    expect(report.body).toMatch(/<script>\/\* uPlot [\d.]+ \| MIT licence/);
    // Every task of the definition ran from its function's bundle, but RecordFailure.
    const ran = Object.fromEntries([...machine.tasks].map(([state, f]) => [state, f.invocations > 0]));
    expect(ran).toMatchObject({ Plan: true, FetchOne: true, Mix: true, Judge: true, Record: true, RecordFailure: false });
    // Its telemetry from the bundles: Mix's one FetchLatency line holds both fetches' durations.
    const emf = (name: string) => ([...functions.values()].find((f) => f.fn.name === name)?.log() ?? '').split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(emf('mixMetrics').filter((l) => 'FetchLatency' in l).map((l) => [l.Source, l.FetchLatency.length])).toEqual([['prometheus', 2]]);
    expect(emf('fetch').filter((l) => 'FetchLatency' in l)).toEqual([]);
    expect(emf('judge').map((l) => l.Judge).filter(Boolean)).toContain('NetflixACAJudge-v1.0');
  });

  it('answers POST /v1/judgements (the judgements bundle) with the verdict of the analysis it started and waited for', async () => {
    const r = await api.request('POST', '/v1/judgements', {
      headers: { authorization: `Bearer ${keys.admin}` },
      body: { application: 'shop', canaryConfig: { ...config, name: 'artifact-judgement' }, scopes, thresholds, metricsAccountName: 'prom', timeoutSeconds: 20 },
    });
    expect(r.status, r.body + logs()).toBe(200);
    expect(r.json.judgement).toMatchObject({ phase: 'Successful', complete: true, score: 100, classification: 'Pass' });
    expect(sfn.executions.has(r.json.judgement.executionId)).toBe(true);
    // Started synchronously (the verdict at the call's end), on the endpoint as given.
    expect(sfn.requests.filter((q) => q.body.name === r.json.judgement.executionId).map((q) => [q.target, q.host])).toEqual([
      ['AWSStepFunctions.StartSyncExecution', new URL(sfn.url).host],
    ]);
  });

  it('runs a standalone analysis of the past: the Standard definition waits for no window, and RunLook runs each look through the Express definition, all from the bundles', async () => {
    const created = await api.request('POST', '/canaryConfig', { headers: { 'x-api-key': keys.admin }, body: { ...config, name: 'artifact-standalone' } });
    expect(created.status, created.body).toBe(200);
    // Two hours of the past, judged every hour: two looks.
    const request = { thresholds, analysisIntervalMins: 60, scopes: [{ scopeName: 'default', controlScope: 'version="baseline"', experimentScope: 'version="canary"', startTimeIso: window.start, endTimeIso: window.end, step: STEP }] };
    const started = await api.request('POST', `/standalone_canary_analysis/${created.json.canaryConfigId}?metricsAccountName=prom&application=shop`, {
      headers: { authorization: `Bearer ${keys.admin}` },
      body: request,
    });
    expect(started.status, started.body + logs()).toBe(200);
    const id: string = started.json.canaryAnalysisExecutionId;
    const execution = sfn.executions.get(id);
    expect(execution, `StartExecution named ${id} (refused: ${sfn.refused.join(', ')})`).toBeDefined();
    const ended = await execution!;
    expect(ended.error, `${ended.error}\n${logs()}`).toBeUndefined();

    const status = await api.request('GET', `/standalone_canary_analysis/${id}`, { headers: { 'x-api-key': keys.read } });
    expect(status.status, status.body).toBe(200);
    expect(status.json).toMatchObject({ complete: true, executionStatus: 'SUCCEEDED', application: 'shop' });
    const result = status.json.canaryAnalysisExecutionResult;
    expect(result).toMatchObject({ didPassThresholds: true, canaryScores: [100, 100] });
    expect(result.canaryExecutionResults.map((r: { executionId: string }) => r.executionId)).toEqual([`${id}-1`, `${id}-2`]);
    expect(standalone.nestedRuns.get('RunLook')).toEqual([`${id}-1`, `${id}-2`]);
    // Each look is a canary execution of its own; the last one judges the whole two hours.
    const last = await api.request('GET', `/canary/${id}-2`, { headers: { 'x-api-key': keys.read } });
    expect(last.json).toMatchObject({ complete: true, status: 'succeeded', parentPipelineExecutionId: id });
    expect(last.json.canaryExecutionRequest.scopes.default.controlScope).toMatchObject({ start: window.start, end: window.end });
    const ran = Object.fromEntries([...standalone.tasks].map(([state, f]) => [state, f.invocations > 0]));
    expect(ran).toEqual({ LookNext: true, LookStart: true, LookEnd: true, StandaloneFailure: false });
  });

  const direct = { canaryConfig: config, executionRequest: { scopes, thresholds }, application: 'console', metricsAccountName: 'prom' };

  it('runs a direct start (the console, aws stepfunctions start-execution) through the same definition and bundles', async () => {
    await machine.run(direct, 'artifact-direct-1');
    const status = await api.request('GET', '/canary/artifact-direct-1', { headers: { 'x-api-key': keys.read } });
    expect(status.status, status.body).toBe(200);
    expect(status.json).toMatchObject({ complete: true, status: 'succeeded', application: 'console', canaryConfigId: 'ad-hoc' });
    expect(status.json.result.judgeResult.score.classification).toBe('Pass');
  });

  it("fails a direct start the plan bundle refuses with its error's name, as Step Functions reports a Lambda's error", async () => {
    // The execution fails in the NotStarted Fail state, whose Error and Cause are the caught ones.
    const failed = (await machine.run({ ...direct, executionRequest: { scopes } }, 'artifact-direct-2').then(
      () => undefined,
      (err: Error) => err.cause,
    )) as Error | undefined;
    expect(failed?.name).toBe('AnalysisNotStarted');
    expect(JSON.parse(failed!.message)).toMatchObject({ errorType: 'AnalysisNotStarted', errorMessage: 'executionRequest.thresholds: Execution request must contain thresholds' });
    expect((await api.request('GET', '/canary/artifact-direct-2', { headers: { 'x-api-key': keys.read } })).status).toBe(404);
  });
});
