// The standalone state machine's tasks (functions/standalone.asl.yml): LookNext says when the next
// look is due (or that the run ended), LookStart records that look's canary execution, the canary
// state machine runs it (a nested execution), LookEnd records its outcome and decides whether the
// run goes on; StandaloneFailure ends a run a task could not carry on. Plain async functions of
// the state input, as the canary tasks are.
import type { CanaryConfig } from '../config/canary-config.ts';
import type { StandaloneRequest } from '../config/standalone-request.ts';
import { BadRequestError, ClientError } from '../errors.ts';
import { CANARIA_V1_JUDGE } from '../judge/names.ts';
import { instantString } from '../metrics/types.ts';
import { failure, type ExecutionException } from './executions.ts';
import { ulid } from './ids.ts';
import { judgesSequentially, lookAt } from './looks.ts';
import { prepareExecution } from './prepare.ts';
import { currentRecord } from './status.ts';
import { aggregate, lookExecutionId, lookRequest, lookWindow, planLooks, type LookSummary, type StandaloneRecord, type StandaloneStore } from './standalone.ts';
import { createExecution, type AnalysisDeps } from './start.ts';
import { boundedError } from './tasks.ts';

export interface StandaloneDeps extends AnalysisDeps {
  standalone: StandaloneStore;
}

/** How often one look may be cut off by a restart of canaria serve before the run ends terminal. */
export const MAX_LOOK_ATTEMPTS = 3;
/** Kayenta's warning when a metric has fewer than 50 control points (MonitorCanaryTask). */
export const FEW_POINTS_WARNING = 'One of the metrics returned fewer than 50 data points, which can reduce confidence in the final canary score.';

export interface LoopInput {
  standaloneId: string;
}

/** The loop's state between tasks: small and fixed (the run's own state is in its record). */
export interface LoopState {
  standaloneId: string;
  done: boolean;
  /** LookNext: when the next look's window has ended (RFC 3339, the Wait state's TimestampPath). */
  waitUntil?: string;
  /** LookStart: the look's canary execution. */
  executionId?: string;
}

const done = (standaloneId: string): LoopState => ({ standaloneId, done: true });

async function running(deps: StandaloneDeps, id: string): Promise<StandaloneRecord | undefined> {
  const record = await deps.standalone.find(id);
  return record?.status === 'running' ? record : undefined;
}

/** Writes the change on `record`; false when another write came first (the caller reads again). */
async function change(deps: StandaloneDeps, record: StandaloneRecord, patch: Partial<StandaloneRecord>): Promise<boolean> {
  return deps.standalone.replace({ ...record, ...patch });
}

/**
 * Applies `patch` (of the record as read) to a run while it is running, reading again when
 * another write came first; returns the record as written, or as found when it was not running.
 */
async function changeRunning(deps: StandaloneDeps, id: string, patch: (record: StandaloneRecord) => Partial<StandaloneRecord>): Promise<StandaloneRecord | undefined> {
  for (let i = 0; i < 5; i++) {
    const record = await deps.standalone.find(id);
    if (record?.status !== 'running') return record;
    const changed = { ...record, ...patch(record) };
    if (await deps.standalone.replace(changed)) return { ...changed, version: record.version + 1 };
  }
  throw new Error(`standalone analysis ${id}: its record kept changing while it was being written`);
}

/** Ends the run terminal with `exception` (unless it ended meanwhile). */
async function endTerminal(deps: StandaloneDeps, id: string, exception: ExecutionException): Promise<void> {
  await changeRunning(deps, id, () => ({ status: 'terminal', endTimeMillis: deps.now(), exception, current: undefined }));
}

export async function lookNext(input: LoopInput, deps: StandaloneDeps): Promise<LoopState> {
  const record = await running(deps, input.standaloneId);
  if (!record) return done(input.standaloneId);
  if (record.startTimeMillis === undefined && !(await change(deps, record, { startTimeMillis: deps.now() }))) {
    throw new Error(`standalone analysis ${record.id}: its record changed while it was starting; retry`);
  }
  const { request } = await deps.standalone.document(record.id);
  const { end } = lookWindow(request, record.analysisStartMillis, record.looks.length + 1);
  return { standaloneId: record.id, done: false, waitUntil: instantString(Math.max(end, deps.now())) };
}

export async function lookStart(input: LoopInput, deps: StandaloneDeps): Promise<LoopState> {
  const record = await running(deps, input.standaloneId);
  if (!record) return done(input.standaloneId);
  const index = record.looks.length + 1;
  let attempt = 1;
  if (record.current?.index === index) {
    // A retried LookStart reuses its execution; one a restart cut off (ended terminal) gets another.
    const earlier = await deps.executions.find(record.current.executionId);
    attempt = earlier && earlier.status !== 'running' ? record.current.attempt + 1 : record.current.attempt;
  }
  if (attempt > MAX_LOOK_ATTEMPTS) {
    const reason = `look ${index} was cut off ${MAX_LOOK_ATTEMPTS} times (restarts of canaria serve); the run stops here`;
    await endTerminal(deps, record.id, failure('judge', 'Interrupted', reason, true, deps.now()));
    return done(record.id);
  }
  const executionId = lookExecutionId(record.id, index, attempt);
  if (!(await change(deps, record, { current: { index, executionId, attempt } }))) return lookStart(input, deps);
  const doc = await deps.standalone.document(record.id);
  try {
    await createExecution(
      {
        config: doc.config,
        canaryConfigId: record.canaryConfigId ?? 'ad-hoc',
        executionRequest: lookRequest(doc.request, record.analysisStartMillis, index),
        application: record.application,
        metricsAccountName: record.metricsAccountName,
        storageAccountName: record.storageAccountName,
        configurationAccountName: record.configurationAccountName,
        parentPipelineExecutionId: record.id,
        id: executionId,
      },
      deps,
    );
  } catch (err) {
    // What a look cannot start with (an account gone from the accounts file) no retry mends.
    if (!(err instanceof ClientError)) throw err;
    await endTerminal(deps, record.id, failure('setupContext', 'LookNotStarted', `look ${index} could not start: ${err.message}`, false, deps.now()));
    return done(record.id);
  }
  return { standaloneId: record.id, done: false, executionId };
}

/** Kayenta's warnings of a judged look: a metric with fewer than 50 control points. */
function lookWarnings(result: { results?: Array<{ controlMetadata?: { stats?: { count?: number } } }> } | undefined): string[] {
  const few = (result?.results ?? []).some((r) => (r.controlMetadata?.stats?.count ?? 50) < 50);
  return few ? [FEW_POINTS_WARNING] : [];
}

export async function lookEnd(input: LoopInput & { executionId: string }, deps: StandaloneDeps): Promise<LoopState> {
  const record = await running(deps, input.standaloneId);
  if (!record || record.current?.executionId !== input.executionId) return done(input.standaloneId);
  const { index } = record.current;
  const child = await currentRecord(deps.executions, input.executionId, deps.now());
  const base = {
    index,
    executionId: child.id,
    metricSetPairListId: child.metricSetPairListId,
    judgementStartTimeMillis: child.buildTimeMillis,
    startTimeMillis: child.startTimeMillis,
    judgementEndTimeMillis: child.endTimeMillis ?? deps.now(),
  };
  const thresholds = (await deps.standalone.document(record.id)).request.thresholds;
  const now = deps.now();
  let look: LookSummary;
  let patch: Partial<StandaloneRecord>;
  if (child.status !== 'succeeded') {
    const exception = child.exception ?? failure(child.stage, 'LookDidNotEnd', `look ${index}'s analysis ${child.id} is still recorded ${child.status}`, true, now);
    look = { ...base, status: 'terminal', warnings: [], exception };
    patch = { status: 'terminal', endTimeMillis: now, exception, didPassThresholds: false, canaryScoreMessage: `Look ${index} ended without a verdict: ${exception.details.error}` };
  } else if (record.sequential) {
    const outcome = await lookAt(deps.executions, child.id, await deps.standalone.sequence(record.id), record.plannedLooks);
    await deps.standalone.putLookResult(record.id, index, outcome.result);
    await deps.standalone.putSequence(record.id, outcome.state);
    const { stop, reason } = outcome.result.canaria;
    look = { ...base, status: 'succeeded', score: outcome.result.score.score, classification: outcome.result.score.classification, warnings: [], decision: stop, reason };
    const at = `look ${index} of ${record.plannedLooks}`;
    patch =
      stop === 'fail'
        ? { status: 'terminal', endTimeMillis: now, stoppedAtLook: index, didPassThresholds: false, canaryScoreMessage: `Stopped failed at ${at}: ${reason}` }
        : stop === 'pass'
          ? { status: 'succeeded', endTimeMillis: now, stoppedAtLook: index, didPassThresholds: true, canaryScoreMessage: `Stopped passed at ${at}: ${reason}` }
          : stop === 'inconclusive'
            ? { status: 'succeeded', endTimeMillis: now, stoppedAtLook: index, didPassThresholds: false, canaryScoreMessage: `Inconclusive at ${at} (Marginal): ${reason}` }
            : {};
  } else {
    const score = child.score ?? 0;
    look = { ...base, status: 'succeeded', score, classification: child.classification, warnings: lookWarnings(await deps.executions.result(child.id)) };
    const verdict = aggregate(score, thresholds);
    patch =
      score <= thresholds.marginal
        ? { status: 'terminal', endTimeMillis: now, didPassThresholds: false, canaryScoreMessage: verdict.message }
        : index >= record.plannedLooks
          ? { status: 'succeeded', endTimeMillis: now, didPassThresholds: verdict.didPassThresholds, canaryScoreMessage: verdict.message }
          : {};
  }
  const ended = patch.status !== undefined;
  if (!(await change(deps, record, { ...patch, looks: [...record.looks, look], current: undefined }))) return lookEnd(input, deps);
  return ended ? done(record.id) : { standaloneId: record.id, done: false };
}

/** Every failure the loop's Catch takes: the run ends terminal with the reason, never stays running. */
export async function standaloneFailure(input: LoopInput & { error?: { Error?: string; Cause?: string } }, deps: StandaloneDeps): Promise<void> {
  const cause = input.error?.Cause ?? 'no cause given';
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  const error = boundedError(new Error(message));
  await endTerminal(deps, input.standaloneId, failure('judge', input.error?.Error ?? 'StandaloneFailed', error.message, true, deps.now()));
}

/**
 * PUT …/cancel: a running run ends `canceled` at once; no look starts after it (a look already
 * running finishes as an execution of its own and is not recorded in the run). Returns the record.
 */
export async function cancelStandalone(deps: StandaloneDeps & { starter: StandaloneStarter }, id: string): Promise<StandaloneRecord | undefined> {
  const record = await changeRunning(deps, id, () => ({ status: 'canceled', endTimeMillis: deps.now(), current: undefined, exception: { details: { errors: ['Canary analysis execution was canceled.'] } } }));
  if (record?.status === 'canceled') await deps.starter.canceled?.(id);
  return record;
}

/** Starts the standalone state machine for a recorded run (Step Functions on AWS, in-process locally). */
export interface StandaloneStarter {
  start(standaloneId: string): Promise<void>;
  /**
   * Optional: a cancel was recorded; the run notices now rather than at its next task (locally its
   * wait ends; on AWS its execution is stopped). Never throws: the record already says canceled.
   */
  canceled?(standaloneId: string): Promise<void>;
}

export interface NewStandalone {
  config: CanaryConfig;
  canaryConfigId?: string;
  request: StandaloneRequest;
  application: string;
  user: string;
  parentPipelineExecutionId?: string;
  metricsAccountName?: string;
  storageAccountName?: string;
  configurationAccountName?: string;
}

/**
 * Checks a run as its first look will be checked (config, judge, scopes, accounts, queries: a 400
 * now rather than a terminal run later), records it and starts its state machine.
 */
export async function startStandalone(s: NewStandalone, deps: StandaloneDeps & { starter: StandaloneStarter }): Promise<string> {
  const now = deps.now();
  const sequential = judgesSequentially(s.config, s.request.judge);
  if (sequential && s.request.lookbackMins > 0) {
    throw new BadRequestError(`lookbackMins: the ${CANARIA_V1_JUDGE} judge's looks are one sequence over the growing window from the start; omit lookbackMins (or give 0)`);
  }
  const analysisStartMillis = s.request.scopes[0].startTimeIso !== undefined ? Date.parse(s.request.scopes[0].startTimeIso) : Math.floor(now / 1000) * 1000;
  const first = lookWindow(s.request, analysisStartMillis, 1);
  prepareExecution(s.config, lookRequest(s.request, analysisStartMillis, 1), deps.accounts, s.metricsAccountName, Math.max(now, first.end));
  const plan = planLooks(s.request);
  const id = ulid(now);
  const record: StandaloneRecord = {
    id,
    application: s.application,
    user: s.user,
    parentPipelineExecutionId: s.parentPipelineExecutionId,
    canaryConfigId: s.canaryConfigId,
    metricsAccountName: s.metricsAccountName,
    storageAccountName: s.storageAccountName,
    configurationAccountName: s.configurationAccountName,
    status: 'running',
    buildTimeMillis: now,
    analysisStartMillis,
    plannedLooks: plan.looks,
    sequential,
    looks: [],
    version: 0,
  };
  if (!(await deps.standalone.create(record, { config: s.config, request: s.request }))) throw new Error(`standalone analysis id ${id} is taken`);
  try {
    await deps.starter.start(id);
  } catch (err) {
    await endTerminal(deps, id, failure('setupContext', 'StartExecutionFailed', (err as Error).message, true, deps.now()));
    throw err;
  }
  return id;
}
