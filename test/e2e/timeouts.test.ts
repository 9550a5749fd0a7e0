// Timeouts that nest: a metric fetch's attempts and back-off fit in its Lambda's timeout, which
// fits, with the Map's retries, in the state machine's; what follows the fetch deadline fits in
// what is left; the HTTP functions answer before API Gateway's 30 s cut. The arithmetic is read
// from the ASL, serverless.yml and the code's constants, and must match the table in
// docs/executions.md. Then the behaviour: a store that never answers gets a 504 or 502 with a
// message in time, an analysis out of fetching time is recorded as such, a failure the record
// store refused is not reported as a timeout, and a secret that cannot be read is a
// configuration error, tried once.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExecutionStore, MAX_EXECUTION_MILLIS } from '../../lib/analysis/executions.ts';
import { SequenceStore } from '../../lib/analysis/sequences.ts';
import { FETCH_PHASE_SECONDS, fetchItemOf, type FetchOneInput } from '../../lib/analysis/prepare.ts';
import { createExecution } from '../../lib/analysis/start.ts';
import { executionStatus } from '../../lib/analysis/status.ts';
import { FETCH_TASK_BUDGET_MS, taskHandlers, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { AFTER_WAIT_MS, canaryHandlers, HTTP_DEADLINE_MS } from '../../lib/api/canary-api.ts';
import type { ApiRequest } from '../../lib/api/http.ts';
import type { Account } from '../../lib/config/accounts.ts';
import { executionRequestSchema } from '../../lib/config/execution-request.ts';
import { parseWith } from '../../lib/config/validation.ts';
import { loadDefinition } from '../../lib/local/state-machine.ts';
import { DEFAULT_RETRY, maxBackoffMs } from '../../lib/metrics/retry.ts';
import { SECRET_TIMEOUT_MS } from '../../lib/metrics/secrets.ts';
import { ATTEMPT_TIMEOUT_MS } from '../../lib/metrics/source.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage, type SqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const root = new URL('../../', import.meta.url);
/** API Gateway's integration timeout (HTTP APIs): a fixed 30 s. */
const API_GATEWAY_SECONDS = 30;
/** Express executions' longest run. */
const EXPRESS_MAX_SECONDS = 300;
/** Errors after which a task was run to its end, so that a retry of it costs a whole attempt. */
const FULL_RUN_ERRORS = ['States.ALL', 'States.TaskFailed', 'States.Timeout', 'TransientFetchError'];

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number };
type TaskState = { Type: 'Task'; Resource: string; TimeoutSeconds?: number; Retry?: Retrier[] };

const asl = loadDefinition() as { TimeoutSeconds: number; States: Record<string, any> };
const states: Record<string, TaskState> = { ...asl.States, ...asl.States.Fetch.ItemProcessor.States };
const serverless = parseYaml(readFileSync(new URL('serverless.yml', root), 'utf8'), { logLevel: 'error' }) as {
  provider: { timeout: number };
  functions: Record<string, { timeout?: number; events?: unknown[] }>;
};
/** A function's timeout in seconds (its own, else the provider's). */
const lambdaTimeout = (fn: string) => serverless.functions[fn]?.timeout ?? serverless.provider.timeout;
/** canaria-<name> in the placeholder ARN loadDefinition() writes for ${<Name>FunctionArn}. */
const FUNCTION_OF: Record<string, string> = { Plan: 'plan', PlanDirect: 'plan', FetchOne: 'fetch', Mix: 'mixMetrics', Judge: 'judge', Record: 'record', RecordFailure: 'recordFailure' };

/** The waits of a retrier's retries, in seconds (ASL defaults: 1 s, 3 attempts, rate 2). */
function intervals(r: Retrier): number[] {
  return Array.from({ length: r.MaxAttempts ?? 3 }, (_, k) => Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k, r.MaxDelaySeconds ?? Infinity));
}

/**
 * A task state at its worst, in seconds: each try bounded by the smaller of the state's
 * TimeoutSeconds and its Lambda's timeout; tries after errors that ran the function to its end
 * count whole, tries after Lambda service errors (answered without running it) only their waits.
 */
function taskWorst(name: string): { timeout: number; tries: number; waits: number; total: number } {
  const state = states[name];
  expect(state.TimeoutSeconds, `${name} has a TimeoutSeconds`).toBeGreaterThan(0);
  const timeout = Math.min(state.TimeoutSeconds!, lambdaTimeout(FUNCTION_OF[name]));
  const retriers = state.Retry ?? [];
  const tries = 1 + retriers.filter((r) => r.ErrorEquals.some((e) => FULL_RUN_ERRORS.includes(e))).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
  const waits = retriers.flatMap(intervals).reduce((a, b) => a + b, 0);
  return { timeout, tries, waits, total: tries * timeout + waits };
}

/** The table of docs/executions.md, "Timeouts that nest": the bound of each row, in seconds. */
function nesting() {
  const fetch = {
    attempt: ATTEMPT_TIMEOUT_MS / 1000,
    tries: DEFAULT_RETRY.attempts,
    backoff: maxBackoffMs(DEFAULT_RETRY) / 1000,
    secret: SECRET_TIMEOUT_MS / 1000,
    deadline: DEFAULT_RETRY.deadlineMs! / 1000,
  };
  const sourceFetch = Math.min(fetch.deadline, fetch.tries * fetch.attempt + fetch.backoff + fetch.secret);
  const fetchOne = taskWorst('FetchOne');
  const [plan, mix, judge, record, recordFailure] = ['Plan', 'Mix', 'Judge', 'Record', 'RecordFailure'].map(taskWorst);
  const afterFetching = mix.total + judge.total + record.total + recordFailure.total;
  return {
    fetch,
    fetchOne,
    rows: {
      'one attempt': fetch.attempt,
      'one fetch by a metric source': sourceFetch,
      'FetchOne task': FETCH_TASK_BUDGET_MS / 1000,
      'fetch Lambda': lambdaTimeout('fetch'),
      "FetchOne with the Map's retries": fetchOne.total,
      Plan: plan.total,
      'fetch deadline': FETCH_PHASE_SECONDS,
      Mix: mix.total,
      Judge: judge.total,
      Record: record.total,
      RecordFailure: recordFailure.total,
      'after the fetch deadline': 1 + afterFetching,
      'the execution': FETCH_PHASE_SECONDS + 1 + afterFetching,
      'TimeoutSeconds': asl.TimeoutSeconds,
      'records closed late': MAX_EXECUTION_MILLIS / 1000,
      'HTTP: fetch routes, preview': sourceFetch,
      'HTTP: /v1/judgements wait': (HTTP_DEADLINE_MS - AFTER_WAIT_MS) / 1000,
      'HTTP: answer deadline': HTTP_DEADLINE_MS / 1000,
      'HTTP Lambda': Math.min(...['metrics', 'canary', 'judgements'].filter((f) => serverless.functions[f]).map(lambdaTimeout)),
    } as Record<string, number>,
  };
}

describe('timeouts that nest', () => {
  const { fetch, fetchOne, rows } = nesting();

  it('a metric fetch: its tries and back-off end within the retries’ deadline, which fits in the fetch task’s budget, under its Lambda’s timeout', () => {
    expect(fetch.attempt).toBeLessThanOrEqual(fetch.deadline); // at least one whole try
    expect(rows['one fetch by a metric source']).toBeLessThan(rows['FetchOne task']);
    expect(rows['FetchOne task']).toBeLessThan(fetchOne.timeout); // FetchOne's TimeoutSeconds and the fetch Lambda's timeout
    expect(fetchOne.timeout).toBe(lambdaTimeout('fetch'));
  });

  it("a fetch with the Map's retries fits in the state machine's TimeoutSeconds", () => {
    expect(rows["FetchOne with the Map's retries"]).toBeLessThanOrEqual(asl.TimeoutSeconds);
  });

  it('Plan ends before the fetch deadline, and what may follow the deadline ends before TimeoutSeconds', () => {
    expect(rows.Plan).toBeLessThan(rows['fetch deadline']);
    expect(rows['the execution']).toBeLessThanOrEqual(asl.TimeoutSeconds);
  });

  it('Express allows the whole of TimeoutSeconds, and records are closed late only after that', () => {
    expect(asl.TimeoutSeconds).toBeLessThanOrEqual(EXPRESS_MAX_SECONDS);
    expect(rows['records closed late']).toBeGreaterThan(EXPRESS_MAX_SECONDS);
  });

  it('the HTTP functions answer before their Lambda’s timeout, which comes before API Gateway’s 30 s', () => {
    expect(rows['HTTP: fetch routes, preview']).toBeLessThan(rows['HTTP: answer deadline']);
    expect(rows['HTTP: /v1/judgements wait']).toBeLessThan(rows['HTTP: answer deadline']);
    expect(rows['HTTP: answer deadline']).toBeLessThan(rows['HTTP Lambda']);
    expect(rows['HTTP Lambda']).toBeLessThan(API_GATEWAY_SECONDS);
  });

  it('docs/executions.md shows these numbers', () => {
    const doc = readFileSync(new URL('docs/executions.md', root), 'utf8');
    const start = doc.indexOf('## Timeouts that nest');
    const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
    const table = new Map(
      section
        .split('\n')
        .filter((line) => line.startsWith('| ') && !line.startsWith('| bound') && !line.startsWith('|---'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1], Number(/([\d.]+) s\b/.exec(cells[cells.length - 2])?.[1])] as const),
    );
    expect(Object.fromEntries(table)).toEqual(rows);
  });
});

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const executionRequest = {
  scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
  thresholds: { pass: 75, marginal: 50 },
};
const FILTER = `PromQL:avg(${LATENCY.identical}{\${scope}})`;
const config = (name = 'timeouts') => ({
  name,
  applications: ['shop'],
  metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.identical}{\${scope}})` }, groups: ['g'] }],
});

/** A Prometheus that takes every connection and never answers. */
async function silentPrometheus(): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {
    requests++; // and no answer, ever
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function poll(call: (method: string, path: string) => Promise<Reply>, id: string): Promise<Reply> {
  for (let i = 0; i < 300; i++) {
    const r = await call('GET', `/canary/${id}`);
    if (r.json.complete) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`${id} stuck running`);
}

describe('a metric store that never answers, against the embedded service with a 0.5 s deadline', () => {
  let silent: Awaited<ReturnType<typeof silentPrometheus>>;
  beforeAll(async () => {
    silent = await silentPrometheus();
  });
  afterAll(async () => silent?.stop());
  // Short settings: each try would wait 10 s; the retries' deadline ends them all at 0.5 s.
  const svc = useLocalService(() => ({
    accounts: [{ name: 'prom', type: 'prometheus', endpoint: silent.url }],
    sourceOptions: { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2, deadlineMs: 500 }, timeoutMs: 10_000 },
    stateMachine: { retryIntervalMs: 1 },
  }));

  it('a fetch route answers 504 with a message, in time', async () => {
    const t0 = performance.now();
    const q = new URLSearchParams({ metricSetName: 'latency', metricName: 'latency', customFilter: FILTER, scope: 'version="canary"', ...window, step: String(STEP) });
    const r = await svc.call('POST', `/fetch/prometheus/query?${q}`);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.status, r.text).toBe(504);
    expect(r.json.message).toMatch(/^Prometheus account 'prom' failed for metric 'latency' after 1 attempt: did not finish within 0\.5 s \(1 attempt; the last one had no answer yet\) \(query: /);
    expect(seconds).toBeLessThan(2);
  });

  it('the preview answers in time, naming the fetches that did not finish', async () => {
    const t0 = performance.now();
    const r = await svc.call('POST', '/v1/preview', { body: { canaryConfig: config(), executionRequest, fetch: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^latency: control: .*did not finish within 0\.5 s/)]));
    expect((performance.now() - t0) / 1000).toBeLessThan(2);
  });

  it('/v1/judgements answers 502 with the reason once the analysis has ended terminal', async () => {
    const r = await svc.call('POST', '/v1/judgements', { body: { canaryConfig: config(), ...executionRequest, application: 'shop', timeoutSeconds: 10 } });
    expect(r.status, r.text).toBe(502);
    expect(r.json.judgement).toMatchObject({ phase: 'Error', complete: true });
    expect(r.json.judgement.reason).toMatch(/did not finish within 0\.5 s/);
    const status = await poll(svc.call, r.json.judgement.executionId);
    // A store too slow is worth another try later: the state machine retried it too.
    expect(status.json.exception).toMatchObject({ exceptionType: 'TransientFetchError', operation: 'fetch', shouldRetry: true });
  });
});

describe('/v1/judgements at its own deadline', () => {
  let storage: SqliteStorage;
  beforeAll(() => {
    storage = openSqliteStorage(':memory:');
  });
  afterAll(async () => storage?.close());

  it('answers 504 with a message when what it waits on does not answer (here StartExecution)', async () => {
    const executions = new ExecutionStore(storage);
    const handlers = canaryHandlers({
      configs: new ConfigStore(storage),
      executions,
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:9' }]),
      starter: { start: () => new Promise<void>(() => {}) }, // the Step Functions API hanging
      sequences: new SequenceStore(storage.records),
      now: Date.now,
      deadlineMs: 300,
    });
    const body = { canaryConfig: config(), ...executionRequest, application: 'shop', timeoutSeconds: 10 };
    const req: ApiRequest = { method: 'POST', path: '/v1/judgements', query: {}, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
    const t0 = performance.now();
    const r = await handlers.judgement!(req, {});
    expect((performance.now() - t0) / 1000).toBeLessThan(1);
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body!)).toEqual({ message: 'POST /v1/judgements did not finish within 0.3 s' });
  });
});

describeWithPrometheus('the state machine records its own timeouts', () => {
  let prom: RunningPrometheus;
  let silent: Awaited<ReturnType<typeof silentPrometheus>>;
  let storage: SqliteStorage;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    silent = await silentPrometheus();
    storage = openSqliteStorage(':memory:');
  }, 60_000);
  afterAll(async () => {
    await storage?.close();
    await silent?.stop();
    await prom?.stop();
  });

  function deps(accounts: Account[], overrides: Partial<TaskDeps> = {}): TaskDeps {
    // Sources without a deadline of their own: only the analysis' clock ends the waits below.
    return {
      executions: new ExecutionStore(storage),
      configs: new ConfigStore(storage),
      accounts: new MetricAccounts(accounts, { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 60_000 }),
      now: Date.now,
      ...overrides,
    };
  }

  /** The real definition and tasks, to the end (no background run: its outcome is returned). */
  async function run(d: TaskDeps, id: string): Promise<{ failed: boolean }> {
    const { created } = await createExecution({ id, config: config() as never, canaryConfigId: 'c', executionRequest: parseWith(executionRequestSchema, executionRequest), application: 'shop' }, d);
    expect(created).toBe(true);
    const handlers = taskHandlers(d);
    const machine = new StateMachine(loadDefinition() as never, { validationOptions: { checkArn: false } });
    const execution = machine.run({ executionId: id } as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, 1])) },
      context: { Execution: { Name: id, Id: `local:${id}` } } as never,
    });
    return execution.result.then(
      () => ({ failed: false }),
      () => ({ failed: true }),
    );
  }

  it('a fetch still waiting at the fetch deadline ends the analysis terminal as AnalysisTimeout, recorded by the state machine', async () => {
    // The analysis' clock 0.3 s short of its fetch deadline when the fetches begin.
    const shift = FETCH_PHASE_SECONDS * 1000 - 300;
    const d = deps([{ name: 'prom', type: 'prometheus', endpoint: silent.url }]);
    const t0 = performance.now();
    const outcome = await run({ ...d, now: () => Date.now() + shift }, 'out-of-time');
    expect(outcome.failed).toBe(true);
    expect((performance.now() - t0) / 1000).toBeLessThan(3);
    const status = await executionStatus(d.executions, 'out-of-time');
    expect(status).toMatchObject({ complete: true, status: 'terminal', exception: { exceptionType: 'AnalysisTimeout', operation: 'fetch', shouldRetry: true } });
    expect((status.exception as { details: { error: string } }).details.error).toMatch(
      new RegExp(`^fetching control and experiment data of metric 'latency' did not finish within the analysis' ${FETCH_PHASE_SECONDS} s for fetching`),
    );
  });

  it('a failure the record store refused is reported with its cause when the record is closed late, not as States.Timeout', async () => {
    const d = deps([{ name: 'prom', type: 'prometheus', endpoint: prom.url }]);
    // S3 refuses the judge result (Judge fails), and the table refuses to end the record (RecordFailure fails).
    const executions = new ExecutionStore(storage);
    executions.putResult = async () => {
      throw Object.assign(new Error('S3 is unavailable'), { name: 'ServiceUnavailable' });
    };
    const update = executions.update.bind(executions);
    executions.update = async (id, change) => {
      if (change.status === 'terminal') throw Object.assign(new Error('DynamoDB is throttling'), { name: 'ProvisionedThroughputExceededException' });
      return update(id, change);
    };
    const outcome = await run({ ...d, executions }, 'unrecorded');
    expect(outcome.failed).toBe(true);
    expect(await d.executions.get('unrecorded')).toMatchObject({ status: 'running' });
    const later = Date.now() + MAX_EXECUTION_MILLIS + 1000;
    const status = await executionStatus(d.executions, 'unrecorded', later);
    expect(status).toMatchObject({
      complete: true,
      status: 'terminal',
      exception: { exceptionType: 'ServiceUnavailable', operation: 'judge', details: { error: 'S3 is unavailable' } },
    });
  });

  it('one lost without a word (no failure note) is closed as States.Timeout, saying no failure was recorded', async () => {
    const d = deps([{ name: 'prom', type: 'prometheus', endpoint: prom.url }]);
    await createExecution({ id: 'lost', config: config() as never, canaryConfigId: 'c', executionRequest: parseWith(executionRequestSchema, executionRequest), application: 'shop' }, d);
    const status = await executionStatus(d.executions, 'lost', Date.now() + MAX_EXECUTION_MILLIS + 1000);
    expect(status).toMatchObject({ status: 'terminal', exception: { exceptionType: 'States.Timeout', operation: 'setupContext' } });
    expect((status.exception as { details: { error: string } }).details.error).toContain('recorded no failure');
  });
});

describe('a secret that cannot be read', () => {
  const VAR = 'CANARIA_TEST_UNSET_PROM_PASSWORD';
  let silent: Awaited<ReturnType<typeof silentPrometheus>>;
  const fetchTasks: number[] = [];
  beforeAll(async () => {
    delete process.env[VAR];
    silent = await silentPrometheus();
  });
  afterAll(async () => silent?.stop());
  const svc = useLocalService(() => ({
    accounts: [{ name: 'prom', type: 'prometheus', endpoint: silent.url, auth: { type: 'basic', username: 'reader', password: { env: VAR } } }],
    stateMachine: { retryIntervalMs: 1, onTask: (state, input) => state === 'FetchOne' && fetchTasks.push(fetchItemOf(input as FetchOneInput).metric) },
  }));

  it('ends the analysis terminal at once, naming the account and the secret: one try, no TransientFetchError', async () => {
    const started = await svc.call('POST', '/canary', { body: { canaryConfig: config(), executionRequest } });
    expect(started.status, started.text).toBe(200);
    const r = await poll(svc.call, started.json.canaryExecutionId);
    expect(r.json).toMatchObject({ status: 'terminal', exception: { exceptionType: 'AnalysisError', operation: 'fetch', shouldRetry: false } });
    expect(r.json.exception.details.error).toMatch(new RegExp(`^fetching (control|experiment) data of metric 'latency': account 'prom': environment variable ${VAR} is not set$`));
    // The metric's fetch task ran once (no retry by the Map, none by the source), and nothing was sent.
    expect(fetchTasks).toEqual([0]);
    expect(silent.requests()).toBe(0);
  });

  it('a fetch route answers 502 with the same reason, at once', async () => {
    const t0 = performance.now();
    const q = new URLSearchParams({ metricSetName: 'latency', metricName: 'latency', customFilter: FILTER, scope: 'version="canary"', ...window, step: String(STEP) });
    const r = await svc.call('POST', `/fetch/prometheus/query?${q}`);
    expect(r.status, r.text).toBe(502);
    expect(r.json.message).toBe(`account 'prom': environment variable ${VAR} is not set`);
    expect((performance.now() - t0) / 1000).toBeLessThan(1);
  });
});

/** A Prometheus that refuses the baseline's queries (400) and never answers the canary's; `canaryClosed` resolves when the client gives one up. */
async function oneSidedPrometheus(): Promise<{ url: string; canaryClosed: Promise<void>; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let closed!: () => void;
  const canaryClosed = new Promise<void>((resolve) => (closed = resolve));
  const server: Server = createServer((req, res) => {
    if (decodeURIComponent(req.url ?? '').includes('version="baseline"')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"status":"error","error":"refused by the test"}');
    } else {
      req.socket.once('close', () => closed()); // and no answer
    }
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    canaryClosed,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a fetch whose one side fails', () => {
  it('gives up the other side’s query at once, rather than leaving it to run beside the Map’s retry', async () => {
    const prom = await oneSidedPrometheus();
    const storage = openSqliteStorage(':memory:');
    try {
      const d: TaskDeps = {
        executions: new ExecutionStore(storage),
        configs: new ConfigStore(storage),
        accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: prom.url }], { timeoutMs: 60_000 }),
        now: Date.now,
      };
      await createExecution({ id: 'one-sided', config: config() as never, canaryConfigId: 'c', executionRequest: parseWith(executionRequestSchema, executionRequest), application: 'shop' }, d);
      const tasks = taskHandlers(d);
      const plan = (await tasks.Plan({ input: { executionId: 'one-sided' }, executionName: 'one-sided' })) as { fetchWith: unknown; fetches: unknown[] };
      await expect(tasks.FetchOne({ fetchWith: plan.fetchWith, ref: plan.fetches[0] })).rejects.toMatchObject({ name: 'AnalysisError', message: expect.stringContaining('refused by the test') });
      // The canary's query, still unanswered, is closed by the client well before its 60 s timeout.
      const gaveUp = await Promise.race([prom.canaryClosed.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000))]);
      expect(gaveUp).toBe(true);
    } finally {
      await storage.close();
      await prom.stop();
    }
  });
});
