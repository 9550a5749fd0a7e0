// The state machine's tasks (functions/canary.asl.yml). Each is a plain async function of its
// state input; Lambda handlers and the local runner call the same ones. Errors carry a `name`
// the ASL's Retry and Catch match on, and a message of at most ERROR_MESSAGE_CHARS: a caught
// error travels in the state, which has a size limit (prepare.ts). The Judge task is judge-task.ts.
import { randomUUID } from 'node:crypto';
import { executionRequestSchema } from '../config/execution-request.ts';
import { canaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { kayentaJson, kayentaJsonBound } from '../json.ts';
import { parseWith } from '../config/validation.ts';
import { CANARIA_V1_JUDGE } from '../judge/names.ts';
import { mixAllYielding } from '../metrics/mixer.ts';
import { ValidationError } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import { sleep } from '../metrics/retry.ts';
import { MetricFetchError } from '../metrics/source.ts';
import { redactSecrets } from '../metrics/known-secrets.ts';
import type { CanaryScope, MetricSet } from '../metrics/types.ts';
import type { AnalysisContext, AnalysisEvent } from '../telemetry/events.ts';
import { failure, setsName, type ExecutionDocument, type ExecutionException, type Stage } from './executions.ts';
import { FETCH_PHASE_SECONDS, fetchItemOf, planExecution, SIDES, sidesOf, type FetchOneInput, type Plan, type Side } from './prepare.ts';
import { createExecution, directExecutionId } from './start.ts';
import { judgeTask } from './judge-task.ts';
import { bounded, contextOf, tell, type TaskDeps } from './task-support.ts';

export { boundedError, type TaskDeps } from './task-support.ts';
export { judgeTask };

/** A metric store failure worth another try (the Map's Retry). */
export class TransientFetchError extends Error {
  override readonly name = 'TransientFetchError';
}
/** A failure no retry will fix. */
export class AnalysisError extends Error {
  override readonly name = 'AnalysisError';
}
/** A direct start refused before anything was recorded: the execution fails with it, nothing to record. */
export class AnalysisNotStarted extends Error {
  override readonly name = 'AnalysisNotStarted';
}
/** The analysis ran out of its time for fetching (FETCH_PHASE_SECONDS); recorded, not retried. */
export class AnalysisTimeout extends Error {
  override readonly name = 'AnalysisTimeout';
}

/**
 * What one FetchOne may take, all attempts and back-off of the metric source included, before it
 * gives up (retried by the Map as a TransientFetchError): under the fetch Lambda's 60 s timeout
 * and the FetchOne state's TimeoutSeconds, with room to read the request and store the sets.
 */
export const FETCH_TASK_BUDGET_MS = 50_000;

/** Direct starts (console, CLI) carry the request; API starts only the id. */
export interface PlanInput {
  input: {
    executionId?: unknown;
    canaryConfigId?: string;
    canaryConfig?: unknown;
    executionRequest?: unknown;
    application?: string;
    metricsAccountName?: string;
  };
  executionName: string;
  /** $$.Execution.Id and $$.Execution.StartTime (absent from inputs of older definitions). */
  executionArn?: string;
  startTime?: string;
}

/** Who a direct start's record was made by: its state machine execution. */
const startedBy = (executionArn: string | undefined, startTime: string | undefined) => `${executionArn ?? 'unknown'}@${startTime ?? 'unknown'}`;

/** A direct start: validated and recorded under an id made of the execution's name. */
async function startDirect({ input, executionName, executionArn, startTime }: PlanInput, deps: TaskDeps): Promise<string> {
  const by = startedBy(executionArn, startTime);
  let result: { id: string; created: boolean };
  try {
    const config = input.canaryConfig !== undefined ? parseWith(canaryConfigSchema, input.canaryConfig, ['canaryConfig']) : await deps.configs.get(String(input.canaryConfigId));
    const executionRequest = parseWith(executionRequestSchema, input.executionRequest, ['executionRequest']);
    result = await createExecution(
      {
        id: directExecutionId(executionName),
        config,
        executionRequest,
        canaryConfigId: input.canaryConfigId ?? 'ad-hoc',
        application: input.application ?? 'ad-hoc',
        metricsAccountName: input.metricsAccountName,
        startedBy: by,
      },
      deps,
    );
  } catch (err) {
    // A request canaria refuses: nothing was recorded.
    if (err instanceof ClientError || err instanceof ValidationError) throw new AnalysisNotStarted((err as Error).message);
    throw err;
  }
  // Taken: by this very execution (Plan retried after its first try recorded it), or another one.
  if (!result.created && (await deps.executions.find(result.id))?.startedBy !== by) {
    throw new AnalysisNotStarted(`canary execution '${result.id}' already exists; start with another name`);
  }
  return result.id;
}

export const plan = /* @__PURE__ */ bounded(async (planInput: PlanInput, deps: TaskDeps): Promise<Plan> => {
  const { input, startTime } = planInput;
  // The deadline counts from the execution's start, which TimeoutSeconds counts from too.
  const started = startTime !== undefined && !Number.isNaN(Date.parse(startTime)) ? Date.parse(startTime) : deps.now();
  const executionId = input.executionId === undefined ? await startDirect(planInput, deps) : input.executionId;
  if (typeof executionId !== 'string') throw new AnalysisError('executionId must be a string');
  const [doc, recorded] = await Promise.all([deps.executions.document(executionId), deps.executions.get(executionId)]);
  if (!(await deps.executions.update(executionId, { stage: 'fetch', startTimeMillis: deps.now() }))) {
    throw new AnalysisError(`canary execution '${executionId}' has already ended (${recorded.status}); start a new one`);
  }
  deps.telemetry?.emit(contextOf(executionId, doc, recorded.canaryConfigId), { event: 'analysisStarted', application: recorded.application, metrics: doc.config.metrics.length });
  return planExecution(executionId, doc.config, recorded.metricsAccountName, started + FETCH_PHASE_SECONDS * 1000);
});

/**
 * A side's result in the state: its sets themselves when within the plan's inlineBytes, else a
 * note that S3 has them; and how long the metric store took, in whole ms (Mix tells them all at once).
 */
export type SideResult = ({ sets: unknown[] } | { stored: true }) & { ms?: number };
/** A fetch's result: both sides of its metric, or one side (an item of a plan that named it). */
export type FetchResult = { control: SideResult; experiment: SideResult } | SideResult;

export const fetchOne = /* @__PURE__ */ bounded(async (input: FetchOneInput, deps: TaskDeps): Promise<FetchResult> => {
  const item = fetchItemOf(input);
  const started = deps.now();
  const untilDeadline = item.fetchDeadlineMillis === undefined ? Infinity : item.fetchDeadlineMillis - started;
  const document = deps.executions.document(item.executionId);
  document.catch(() => undefined);
  const what = async () => {
    // The metric's name, if the request can be read at once (it is cached once read).
    const name = await Promise.race([document.then((d) => `'${d.config.metrics[item.metric]?.name}'`, () => undefined), sleep(1000).then(() => undefined)]);
    return `fetching ${sidesOf(item)} data of metric ${name ?? `#${item.metric}`}`;
  };
  const late = async () =>
    new AnalysisTimeout(
      `${await what()} did not finish within the analysis' ${FETCH_PHASE_SECONDS} s for fetching: the metric store answered too slowly for this many metrics`,
    );
  if (untilDeadline <= 0) throw await late();

  // Everything below gives up at the deadline or after FETCH_TASK_BUDGET_MS, whichever is first,
  // whatever it is waiting for (the metric store, S3).
  const budgetMs = Math.min(FETCH_TASK_BUDGET_MS, untilDeadline);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budgetMs);
  // Stops both sides: at the budget, or once the task has ended (a side that failed leaves the
  // other no reason to go on querying the metric store while the Map's retry starts again).
  const sides = new AbortController();
  controller.signal.addEventListener('abort', () => sides.abort(), { once: true });
  const fetchSide = async (doc: ExecutionDocument, side: Side): Promise<SideResult> => {
    const { config, executionRequest } = doc;
    const metric = config.metrics[item.metric];
    const scopeName = metric.scopeName ?? 'default';
    const scope = executionRequest.scopes[scopeName][`${side}Scope`] as CanaryScope;
    const told = { source: metric.query!.type, metric: metric.name, side };
    const emit = (event: AnalysisEvent) => deps.telemetry?.emit(contextOf(item.executionId, doc), event);
    let sets: MetricSet[];
    const began = performance.now();
    try {
      const { source } = deps.accounts.resolve(item.metricsAccountName ?? undefined, metric.query!.type);
      // canaria-v1 pairs points by timestamp: gaps stay NaN (prepare settles `judge`).
      const fillGaps = executionRequest.judge === CANARIA_V1_JUDGE;
      sets = await source.fetch({ metric, templates: config.templates, scope, fillGaps, side }, sides.signal);
    } catch (err) {
      // Stopped because the other side failed: no failure of the metric store to tell.
      if (sides.signal.aborted && !controller.signal.aborted) throw err;
      const retryable = controller.signal.aborted || (err instanceof MetricFetchError && err.retryable);
      emit({ event: 'metricFetchFailed', ...told, ms: performance.now() - began, retryable, error: controller.signal.aborted ? 'gave up: out of time' : (err as Error).message });
      if (controller.signal.aborted) throw err; // the budget's error, below
      const message = redactSecrets(`fetching ${side} data of metric '${metric.name}': ${(err as Error).message}`);
      if (retryable) throw new TransientFetchError(message);
      throw new AnalysisError(message);
    }
    const ms = performance.now() - began;
    const values = sets.reduce((n, s) => n + s.values.length, 0);
    emit({ event: 'metricFetched', ...told, points: values, ms });
    // Each value takes at least two bytes of JSON ("1,"): sets surely too big for the state go
    // to S3 without being written out here first; sets surely small enough, without NaN, go into
    // it as they are. The budget is in UTF-8 bytes: tags and names may hold characters of several bytes.
    if (2 * values <= item.inlineBytes) {
      const bound = kayentaJsonBound(sets);
      if (bound.plain && bound.bytes <= item.inlineBytes) return { sets, ms: Math.round(ms) };
      // Written out to measure. Plain sets are already what the state carries; others, with "NaN" as Kayenta writes it.
      const json = bound.plain ? JSON.stringify(sets) : kayentaJson(sets);
      if (Buffer.byteLength(json, 'utf8') <= item.inlineBytes) return { sets: bound.plain ? sets : (JSON.parse(json) as unknown[]), ms: Math.round(ms) };
    }
    await deps.executions.putSets(item.executionId, item.metric, side, sets);
    return { stored: true, ms: Math.round(ms) };
  };
  const work = (async (): Promise<FetchResult> => {
    const doc = await document;
    if (item.side) return fetchSide(doc, item.side);
    // Both at once; the first failure fails the fetch (the Map's Retry fetches both again).
    const [control, experiment] = await Promise.all(SIDES.map((side) => fetchSide(doc, side)));
    return { control, experiment };
  })();
  work.catch(() => undefined); // it may fail after the budget has already ended the task
  const gaveUp = new Promise<never>((_, reject) =>
    controller.signal.addEventListener('abort', () => {
      if (budgetMs === untilDeadline) late().then(reject, reject);
      else what().then((w) => reject(new TransientFetchError(`${w} did not finish within ${FETCH_TASK_BUDGET_MS / 1000} s`)), reject);
    }),
  );
  try {
    return await Promise.race([work, gaveUp]);
  } catch (err) {
    // Stopped by the budget: its reason, not what the stopped fetch threw (it may throw first).
    if (controller.signal.aborted) return await gaveUp;
    throw err;
  } finally {
    clearTimeout(timer);
    sides.abort();
  }
});

/** Mix's input: the Map's results in the plan's order, a result per metric (or, from a plan of one side per item, per metric and side, control first). */
export interface MixInput {
  executionId: string;
  fetched: FetchResult[];
}

/** Each side's result, metric by metric, control first: `fetched[metric × 2 + side]`. */
const bySide = (fetched: readonly FetchResult[]): SideResult[] => fetched.flatMap((f) => ('control' in f ? [f.control, f.experiment] : [f]));

/** Mix's output: the pair list, and the metric set lists Fetch stored in S3 (setsName). */
export interface MixOutput {
  metricSetPairListId: string;
  storedSets: string[];
}

export const mix = /* @__PURE__ */ bounded(async (input: MixInput, deps: TaskDeps): Promise<MixOutput> => {
  const { executionId } = input;
  const fetched = bySide(input.fetched);
  const doc = await deps.executions.document(executionId);
  const { config } = doc;
  tellFetchTimes(deps, contextOf(executionId, doc), config, fetched);
  await deps.executions.update(executionId, { stage: 'mixMetrics' });
  const setsOf = (metric: number, side: number): Promise<unknown[]> => {
    const result = fetched[metric * SIDES.length + side];
    return 'sets' in result ? Promise.resolve(result.sets) : deps.executions.sets(executionId, metric, SIDES[side]);
  };
  const load = (_: string, side: number) =>
    Promise.all(config.metrics.map((__, i) => setsOf(i, side))).then((lists) => lists.flat() as MetricSet[]);
  const [control, experiment] = await Promise.all(SIDES.map(load));
  const points = [...control, ...experiment].reduce((n, set) => n + set.values.length, 0);
  const { maxPointsPerAnalysis } = deps.accounts.limits;
  if (points > maxPointsPerAnalysis) {
    throw new AnalysisError(
      `the analysis holds ${points} points (${config.metrics.length} metrics, both sides), more than the cap of ${maxPointsPerAnalysis} (limits.maxPointsPerAnalysis): aggregate the metrics, use a longer step or a shorter window`,
    );
  }
  let pairs;
  try {
    pairs = (await mixAllYielding(config.metrics.map((m) => m.name), control, experiment)).pairs;
  } catch (err) {
    throw new AnalysisError(`mixing metric sets: ${(err as Error).message}`);
  }
  const metricSetPairListId = randomUUID();
  await deps.executions.putPairList(metricSetPairListId, pairs);
  await deps.executions.update(executionId, { stage: 'judge', metricSetPairListId });
  const storedSets = fetched.flatMap((f, i) => ('stored' in f ? [setsName(Math.floor(i / SIDES.length), SIDES[i % SIDES.length])] : []));
  return { metricSetPairListId, storedSets };
});

/**
 * The fetches' durations, one event per source (results from before they had one are left out).
 * Told before Mix's work: a retried Mix tells them again.
 */
function tellFetchTimes(deps: TaskDeps, context: AnalysisContext, config: CanaryConfig, fetched: readonly SideResult[]): void {
  if (!deps.telemetry) return;
  const bySource = new Map<string, number[]>();
  fetched.forEach((f, i) => {
    const source = config.metrics[Math.floor(i / SIDES.length)]?.query?.type;
    if (source === undefined || typeof f.ms !== 'number') return;
    const times = bySource.get(source);
    if (times) times.push(f.ms);
    else bySource.set(source, [f.ms]);
  });
  for (const [source, ms] of bySource) deps.telemetry.emit(context, { event: 'fetchesTimed', source, ms });
}

export const record = /* @__PURE__ */ bounded(async (
  input: { executionId: string; metricSetPairListId: string; storedSets?: string[]; score: number; classification: string },
  deps: TaskDeps,
): Promise<void> => {
  // A passed analysis is kept Retention.days, any other extendedDays. Its objects are tagged
  // first; if tagging fails, they and the record are simply kept longer.
  let standardRetention = false;
  if (input.classification === 'Pass') {
    standardRetention = await deps.executions.tagStandard(input.executionId, input.metricSetPairListId, input.storedSets ?? []).then(
      () => true,
      async (err: Error) => {
        await tell(deps, input.executionId, { event: 'warning', message: `keeps the extended retention: tagging its objects failed: ${err.message}` });
        return false;
      },
    );
  }
  const ended = await deps.executions.update(input.executionId, {
    status: 'succeeded',
    stage: 'done',
    endTimeMillis: deps.now(),
    metricSetPairListId: input.metricSetPairListId,
    score: input.score,
    classification: input.classification,
  }, { standardRetention });
  if (ended) await tell(deps, input.executionId, { event: 'analysisFinished', status: 'succeeded', verdict: input.classification, score: input.score });
});

/** RecordFailure's input: the state where the failure was caught, and the execution's context. */
export interface FailureInput {
  input: {
    /** An API start's id (the Recorded state's output). */
    executionId?: unknown;
    /** A direct start whose Plan failed: the id is made of the execution's name. */
    direct?: boolean;
    plan?: { executionId: string };
    /** The Map's results (an array) until Mix replaces them with its own; `fetched` in the previous definition. */
    mix?: unknown;
    fetched?: unknown;
    judge?: unknown;
    error?: { Error?: string; Cause?: string };
  };
  executionName: string;
  executionArn?: string;
  startTime?: string;
}

/** Lambda puts {"errorType","errorMessage"} in Cause; the local runner the message itself. */
function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

/** Failures a later try may not meet (a slow or flaky metric store, a timeout). */
const RETRYABLE = new Set(['TransientFetchError', 'AnalysisTimeout', 'States.Timeout', 'Sandbox.Timedout']);

export const recordFailure = /* @__PURE__ */ bounded(async ({ input, executionName, executionArn, startTime }: FailureInput, deps: TaskDeps): Promise<void> => {
  const executionId = input.plan?.executionId ?? (input.direct ? directExecutionId(executionName) : typeof input.executionId === 'string' ? input.executionId : undefined);
  if (executionId === undefined) return;
  const record = await deps.executions.find(executionId);
  if (!record) return; // nothing was recorded
  // A direct start whose Plan failed: only a record this execution made is its to end.
  if (!input.plan && input.direct && record.startedBy !== startedBy(executionArn, startTime)) return;
  // The stage that failed: the first whose output the state is missing.
  let stage: Stage = 'done';
  if (!input.plan) stage = 'setupContext';
  else if (input.mix === undefined && input.fetched === undefined) stage = 'fetch';
  else if (input.mix === undefined || Array.isArray(input.mix)) stage = 'mixMetrics';
  else if (!input.judge) stage = 'judge';
  const error = input.error?.Error ?? 'Error';
  const message = causeMessage(input.error?.Cause) ?? (error === 'States.Timeout' ? `the ${stage} task did not finish within its TimeoutSeconds` : 'unknown error');
  const exception: ExecutionException = failure(stage, error, message, RETRYABLE.has(error), deps.now());
  let ended;
  try {
    ended = await deps.executions.update(executionId, { status: 'terminal', stage, endTimeMillis: deps.now(), exception });
  } catch (err) {
    // The record store refused: leave the reason where a late reader finds it (status.ts,
    // currentRecord), then fail so that the state machine tries again.
    await deps.executions.putFailureNote(executionId, { stage, exception }).catch(() => undefined);
    throw err;
  }
  if (ended) await tell(deps, executionId, { event: 'analysisFinished', status: 'terminal', stage, error: message }, record.canaryConfigId);
});

/** Every task by the ASL state name that runs it. */
export function taskHandlers(deps: TaskDeps) {
  return {
    Plan: (input: unknown) => plan(input as PlanInput, deps),
    PlanDirect: (input: unknown) => plan(input as PlanInput, deps),
    FetchOne: (input: unknown) => fetchOne(input as FetchOneInput, deps),
    Mix: (input: unknown) => mix(input as MixInput, deps),
    Judge: (input: unknown) => judgeTask(input as { executionId: string; metricSetPairListId: string }, deps),
    Record: (input: unknown) => record(input as Parameters<typeof record>[0], deps).then(() => null),
    RecordFailure: (input: unknown) => recordFailure(input as FailureInput, deps).then(() => null),
  };
}

