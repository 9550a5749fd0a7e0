// Standalone canary analyses end to end (Kayenta's /standalone_canary_analysis): the embedded
// service runs functions/standalone.asl.yml, one canary analysis per look through the canary
// state machine, against a real Prometheus holding test/support/canaria-v1-data.ts. Lifetimes
// run on a clock the runtime owns (one minute of it is 100 ms here), over the dataset's past.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '../../lib/local/service.ts';
import type { Clock } from '../../lib/local/standalone-machine.ts';
import { sleep } from '../../lib/metrics/retry.ts';
import { CANARIA_V1_DATASET, REQUESTS } from '../support/canaria-v1-data.ts';
import { httpCall, type Reply } from '../support/http.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { START } from '../support/prometheus-data.ts';

/** How much faster than real time the runtime's waits pass. */
const SPEED = 3000;
/**
 * The runtime's clock for these tests: real time from `set`'s instant, plus every wait, which
 * takes 1/SPEED of its length in real time and then moves the clock to its end.
 */
class TestClock implements Clock {
  private base = 0;
  private t0 = Date.now();
  set(ms: number) {
    this.base = ms;
    this.t0 = Date.now();
  }
  now = () => Math.floor(this.base + Date.now() - this.t0);
  sleep = async (ms: number, signal: AbortSignal) => {
    const target = this.now() + ms;
    await sleep(ms / SPEED, signal);
    if (target > this.now()) this.set(target);
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const thresholds = { pass: 95, marginal: 75 };
const requests = (job: string, errorsOnly = false) => `sum(increase(${REQUESTS.name}{job="${job}",${errorsOnly ? 'code=~"5..",' : ''}\${scope}}[60s]))`;
/** 5xx per minute and its muted denominator; canaria-v1 reads them as an errors metric. */
let configs = 0;
const errorsConfig = (job: string, judge: string) => ({
  name: `${job}-${judge.replace(/\W/g, '_')}-${++configs}`,
  applications: ['shop'],
  judge: { name: judge, judgeConfigurations: {} },
  metrics: [
    {
      name: 'errors',
      query: { type: 'prometheus', customInlineTemplate: `PromQL:${requests(job, true)}` },
      groups: ['g'],
      analysisConfigurations: { canary: { direction: 'increase' }, canaria: { kind: 'errors', denominator: 'requests' } },
      scopeName: 'default',
    },
    {
      name: 'requests',
      query: { type: 'prometheus', customInlineTemplate: `PromQL:${requests(job)}` },
      groups: ['g'],
      analysisConfigurations: { canary: { muted: true } },
      scopeName: 'default',
    },
  ],
  classifier: { groupWeights: { g: 100 } },
});
const scope = (times: Record<string, string> = {}) => ({ scopeName: 'default', controlScope: 'version="baseline"', experimentScope: 'version="canary"', step: 60, ...times });

describeWithPrometheus('standalone canary analysis against a real Prometheus', () => {
  let prom: RunningPrometheus;
  /** In front of Prometheus: `down` answers 503 (an outage in the middle of a lifetime). */
  let proxy: Server;
  let proxyUrl: string;
  let down = false;
  let dataDir: string;
  let service: LocalService;

  const clock = new TestClock();
  const options = () => ({
    port: 0,
    dataDir,
    clock,
    accounts: [{ name: 'prom', type: 'prometheus' as const, endpoint: proxyUrl }],
    sourceOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 5000 },
    stateMachine: { retryIntervalMs: 5 },
  });

  beforeAll(async () => {
    prom = await startPrometheus([...CANARIA_V1_DATASET]);
    proxy = createServer((req, res) => {
      if (down) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('prometheus is down for maintenance');
        return;
      }
      const target = new URL(req.url!, prom.url);
      const forward = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'canaria-standalone-'));
    service = await startLocalService(options());
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => proxy?.close(resolve));
    await prom?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown): Promise<Reply> => httpCall(service.url, method, path, body === undefined ? {} : { body });

  async function store(cfg: unknown): Promise<string> {
    const r = await call('POST', '/canaryConfig', cfg);
    expect(r.status, r.text).toBe(200);
    return r.json.canaryConfigId;
  }

  /** Starts a run with the clock at the dataset's start. */
  async function start(configId: string, request: Record<string, unknown>): Promise<string> {
    clock.set(START * 1000);
    const r = await call('POST', `/standalone_canary_analysis/${configId}?metricsAccountName=prom&application=shop&user=ana`, { thresholds, ...request });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ canaryAnalysisExecutionId: expect.any(String) });
    return r.json.canaryAnalysisExecutionId;
  }

  async function until(id: string, done: (status: any) => boolean, what: string): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const r = await call('GET', `/standalone_canary_analysis/${id}`);
      expect(r.status, r.text).toBe(200);
      if (done(r.json)) return r.json;
      await sleep(25);
    }
    throw new Error(`standalone analysis ${id}: never ${what}`);
  }
  const complete = (id: string) => until(id, (s) => s.complete, 'complete');

  /** A past two hours of data, judged every 20 minutes: six looks, no waiting. */
  const past = { scopes: [scope({ startTimeIso: iso(START * 1000), endTimeIso: iso((START + 7200) * 1000) })], analysisIntervalMins: 20 };

  it('judges a bad canary at the first look and ends TERMINAL, as Kayenta does below marginal', async () => {
    const id = await start(await store(errorsConfig('errors-worse', 'NetflixACAJudge-v1.0')), past);
    const s = await complete(id);
    expect(s).toMatchObject({ executionStatus: 'TERMINAL', status: 'terminal', application: 'shop', user: 'ana', pipelineId: id });
    const result = s.canaryAnalysisExecutionResult;
    expect(result.canaryScores).toHaveLength(1);
    expect(result.canaryScores[0]).toBeLessThanOrEqual(thresholds.marginal);
    expect(result).toMatchObject({ didPassThresholds: false, canaryScoreMessage: expect.stringMatching(/^Final canary score \d+(\.\d+)? is not above the marginal score threshold\.$/) });
    // the look is an execution of its own, with the first 20 minutes as its window
    const look = result.canaryExecutionResults[0];
    expect(look).toMatchObject({ executionId: `${id}-1`, executionStatus: 'SUCCEEDED', result: { judgeResult: { judgeName: 'NetflixACAJudge-v1.0' }, canaryDuration: expect.any(String) } });
    const child = await call('GET', `/canary/${look.executionId}`);
    expect(child.json).toMatchObject({ parentPipelineExecutionId: id, application: 'shop' });
    expect(child.json.canaryExecutionRequest.scopes.default.experimentScope).toMatchObject({ start: iso(START * 1000), end: iso((START + 1200) * 1000) });
    // Orca's stages: the looks after the failing one never ran
    const runs = s.stageStatus.filter((st: any) => st.type === 'runCanary');
    expect(runs.map((st: any) => st.status)).toEqual(['TERMINAL', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(s.stageStatus.at(-1)).toMatchObject({ type: 'generateCanaryAnalysisResultStage', status: 'SUCCEEDED' });
  }, 60_000);

  it('judges a healthy canary at every interval and passes on the last score', async () => {
    const id = await start(await store(errorsConfig('errors-same', 'NetflixACAJudge-v1.0')), past);
    const s = await complete(id);
    const result = s.canaryAnalysisExecutionResult;
    expect(s.executionStatus, JSON.stringify(result.canaryScores)).toBe('SUCCEEDED');
    expect(result.canaryScores).toHaveLength(6);
    expect(result.canaryExecutionResults.map((r: any) => r.executionId)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${id}-${i}`));
    expect(result).toMatchObject({ didPassThresholds: true, canaryScoreMessage: expect.stringMatching(/met or exceeded the pass score threshold\.$/) });
    // a growing window: the last look judges all two hours
    const last = await call('GET', `/canary/${id}-6`);
    expect(last.json.canaryExecutionRequest.scopes.default.controlScope).toMatchObject({ start: iso(START * 1000), end: iso((START + 7200) * 1000) });
  }, 60_000);

  it('under canaria-v1 the looks are one sequence: a bad canary stops failed early, in real time', async () => {
    const id = await start(await store(errorsConfig('errors-worse', 'canaria-v1')), { scopes: [scope()], lifetimeDurationMins: 120, analysisIntervalMins: 10 });
    const s = await complete(id);
    const result = s.canaryAnalysisExecutionResult;
    expect(s.executionStatus, JSON.stringify([s.canaria, result.canaryScoreMessage])).toBe('TERMINAL');
    expect(s.canaria).toMatchObject({ judge: 'canaria-v1', plannedLooks: 12, sequence: { decision: 'fail' } });
    const stopped = s.canaria.sequence.stoppedAtLook;
    expect(stopped).toBeLessThanOrEqual(4);
    expect(result.canaryExecutionResults).toHaveLength(stopped);
    expect(result.canaryScoreMessage).toMatch(new RegExp(`^Stopped failed at look ${stopped} of 12: `));
    const look = result.canaryExecutionResults.at(-1);
    expect(look.canaria).toMatchObject({ look: stopped, decision: 'fail' });
    expect(look.result.judgeResult.canaria).toMatchObject({ stop: 'fail', lookIndex: stopped });
  }, 60_000);

  it('under canaria-v1 a healthy canary never stops failed', async () => {
    const id = await start(await store(errorsConfig('errors-same', 'canaria-v1')), { scopes: [scope()], lifetimeDurationMins: 120, analysisIntervalMins: 20 });
    const s = await complete(id);
    expect(s.executionStatus).toBe('SUCCEEDED');
    const decision = s.canaria.sequence.decision;
    expect(['pass', 'inconclusive']).toContain(decision);
    const looks = s.canaryAnalysisExecutionResult.canaryExecutionResults;
    expect(looks.slice(0, -1).every((l: any) => l.canaria.decision === 'continue')).toBe(true);
    if (decision === 'inconclusive') expect(s.canaryAnalysisExecutionResult).toMatchObject({ didPassThresholds: false, canaryScoreMessage: expect.stringMatching(/^Inconclusive at look 6 of 6 \(Marginal\)/) });
    else expect(s.canaryAnalysisExecutionResult.didPassThresholds).toBe(true);
  }, 60_000);

  it('cancel ends the run CANCELED and no look starts after it', async () => {
    const id = await start(await store(errorsConfig('errors-same', 'NetflixACAJudge-v1.0')), { scopes: [scope()], lifetimeDurationMins: 600, analysisIntervalMins: 60 });
    await until(id, (s) => s.canaryAnalysisExecutionResult.canaryExecutionResults.length >= 1, 'judged its first look');
    const canceled = await call('PUT', `/standalone_canary_analysis/${id}/cancel`);
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.json).toMatchObject({ complete: true, executionStatus: 'CANCELED', exception: { details: { errors: ['Canary analysis execution was canceled.'] } } });
    const looks = canceled.json.canaryAnalysisExecutionResult.canaryExecutionResults.length;
    await sleep((90 * 60_000) / SPEED); // past the next look's time: a look started after the cancel would exist by now
    const later = await call('GET', `/standalone_canary_analysis/${id}`);
    expect(later.json.executionStatus).toBe('CANCELED');
    expect(later.json.canaryAnalysisExecutionResult.canaryExecutionResults).toHaveLength(looks);
    const next = await call('GET', `/canary/${id}-${looks + 1}`);
    expect(next.status).toBe(404);
    // an ended run is left as it is
    const again = await call('PUT', `/standalone_canary_analysis/${id}/cancel`);
    expect(again.json.endTimeMillis).toBe(canceled.json.endTimeMillis);
  }, 60_000);

  it('a Prometheus outage in the middle ends the run TERMINAL with the reason', async () => {
    const id = await start(await store(errorsConfig('errors-same', 'NetflixACAJudge-v1.0')), { scopes: [scope()], lifetimeDurationMins: 60, analysisIntervalMins: 10 });
    await until(id, (s) => s.canaryAnalysisExecutionResult.canaryExecutionResults.length >= 1, 'judged its first look');
    down = true;
    try {
      const s = await complete(id);
      expect(s.executionStatus).toBe('TERMINAL');
      const failed = s.canaryAnalysisExecutionResult.canaryExecutionResults.at(-1);
      expect(failed.executionStatus).toBe('TERMINAL');
      expect(JSON.stringify(s.exception)).toMatch(/503/);
      expect(s.canaryAnalysisExecutionResult.canaryScoreMessage).toMatch(/^Look \d ended without a verdict: /);
    } finally {
      down = false;
    }
  }, 60_000);

  it('a restart in the middle of a lifetime loses nothing: the run resumes and ends', async () => {
    const id = await start(await store(errorsConfig('errors-same', 'NetflixACAJudge-v1.0')), { scopes: [scope()], lifetimeDurationMins: 60, analysisIntervalMins: 10 });
    const before = await until(id, (s) => s.canaryAnalysisExecutionResult.canaryExecutionResults.length >= 2, 'judged two looks');
    await service.stop();
    service = await startLocalService(options());
    const s = await complete(id);
    expect(s.executionStatus).toBe('SUCCEEDED');
    const looks = s.canaryAnalysisExecutionResult.canaryExecutionResults;
    expect(looks).toHaveLength(6);
    expect(looks.slice(0, 2).map((l: any) => l.executionId)).toEqual(before.canaryAnalysisExecutionResult.canaryExecutionResults.slice(0, 2).map((l: any) => l.executionId));
    expect(new Set(looks.map((l: any) => l.executionId.split('-')[1])).size).toBe(6);
  }, 60_000);
});

describe('standalone canary analysis requests', () => {
  let service: LocalService;
  beforeAll(async () => {
    service = await startLocalService({ port: 0, accounts: [{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:9' }] });
  });
  afterAll(async () => service?.stop());
  const call = (method: string, path: string, body?: unknown) => httpCall(service.url, method, path, body === undefined ? {} : { body });
  const config = errorsConfig('x', 'NetflixACAJudge-v1.0');

  it.each([
    ['no lifetime and no end time', { scopes: [scope()] }, /^executionRequest.lifetimeDurationMins: give lifetimeDurationMins, or scopes\[0\]\.endTimeIso/],
    ['an interval longer than the lifetime', { scopes: [scope()], lifetimeDurationMins: 30, analysisIntervalMins: 60 }, /^executionRequest.analysisIntervalMins: 60 min is longer than the lifetime \(30 min\)/],
    ['a lookback longer than the lifetime', { scopes: [scope()], lifetimeDurationMins: 30, lookbackMins: 45 }, /^executionRequest.lookbackMins: 45 min is longer than the lifetime \(30 min\)/],
    ['no scopes', { scopes: [], lifetimeDurationMins: 30 }, /^executionRequest.scopes: must contain at least one scope/],
    ['an end without a start', { scopes: [scope({ endTimeIso: '2024-01-01T00:00:00Z' })] }, /^executionRequest.scopes\[0\].startTimeIso: give startTimeIso with endTimeIso/],
    ['too many looks', { scopes: [scope()], lifetimeDurationMins: 43200, analysisIntervalMins: 1 }, /^executionRequest.analysisIntervalMins: 43200 judgements/],
    ['no thresholds', { scopes: [scope()], lifetimeDurationMins: 30, thresholds: undefined }, /^executionRequest.thresholds: /],
  ])('%s is a 400 naming the field', async (_what, request, message) => {
    const r = await call('POST', '/standalone_canary_analysis', { canaryConfig: config, executionRequest: { thresholds, ...request } });
    expect(r.status, r.text).toBe(400);
    expect(r.json.message).toMatch(message);
  });

  it('canaria-v1 with a sliding window is a 400: its looks are one sequence over the growing window', async () => {
    const r = await call('POST', '/standalone_canary_analysis', { canaryConfig: errorsConfig('x', 'canaria-v1'), executionRequest: { thresholds, scopes: [scope()], lifetimeDurationMins: 60, lookbackMins: 10 } });
    expect(r.status, r.text).toBe(400);
    expect(r.json.message).toMatch(/^lookbackMins: /);
  });

  it('an unknown config, run or account is named', async () => {
    const unknownConfig = await call('POST', '/standalone_canary_analysis/nope', { thresholds, scopes: [scope()], lifetimeDurationMins: 30 });
    expect(unknownConfig.status).toBe(404);
    const unknownRun = await call('GET', '/standalone_canary_analysis/01ABC');
    expect(unknownRun.status).toBe(404);
    expect(unknownRun.json.message).toMatch(/01ABC/);
    expect((await call('PUT', '/standalone_canary_analysis/01ABC/cancel')).status).toBe(404);
    const account = await call('POST', '/standalone_canary_analysis?metricsAccountName=elsewhere', { canaryConfig: config, executionRequest: { thresholds, scopes: [scope()], lifetimeDurationMins: 30 } });
    expect(account.status, account.text).toBe(400);
    expect(account.json.message).toMatch(/elsewhere/);
  });
});
