// The state machine's tasks (functions/canary.asl.yml). Each is a plain async function of its
// state input; Lambda handlers and the local runner call the same ones. Errors carry a `name`
// the ASL's Retry and Catch match on.
import { randomUUID } from 'node:crypto';
import { executionRequestSchema } from '../config/execution-request.ts';
import { canaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { judgeRequestSchema, metricSetPairSchema } from '../config/judge-request.ts';
import { kayentaJson } from '../json.ts';
import { parseWith } from '../config/validation.ts';
import { judge } from '../judge/judge.ts';
import { mixAllYielding } from '../metrics/mixer.ts';
import { MetricFetchError, TimeSlice } from '../metrics/source.ts';
import type { CanaryScope, MetricSet } from '../metrics/types.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { failure, type Stage } from './executions.ts';
import { EXECUTION_ID_PATTERN } from './ids.ts';
import { fetchItems, type FetchItem, SIDES } from './prepare.ts';
import { createExecution, type AnalysisDeps } from './start.ts';
import { explainResult } from './verdict.ts';

export interface TaskDeps extends AnalysisDeps {
  configs: ConfigStore;
}

/** A metric store failure worth another try (the Map's Retry). */
export class TransientFetchError extends Error {
  override readonly name = 'TransientFetchError';
}
/** A failure no retry will fix. */
export class AnalysisError extends Error {
  override readonly name = 'AnalysisError';
}

/** Direct starts (console, CLI) carry the request; API starts only the id. */
export interface PlanInput {
  input: {
    executionId?: string;
    canaryConfigId?: string;
    canaryConfig?: unknown;
    executionRequest?: unknown;
    application?: string;
    metricsAccountName?: string;
  };
  executionName: string;
}

export async function plan({ input, executionName }: PlanInput, deps: TaskDeps): Promise<{ executionId: string; fetches: FetchItem[] }> {
  let executionId = input.executionId;
  if (!executionId) {
    // Started directly: validate and record it under the state machine execution's name.
    try {
      const config = input.canaryConfig !== undefined ? parseWith(canaryConfigSchema, input.canaryConfig, ['canaryConfig']) : await deps.configs.get(String(input.canaryConfigId));
      const executionRequest = parseWith(executionRequestSchema, input.executionRequest, ['executionRequest']);
      const { id, created } = await createExecution(
        {
          // The state machine execution's name, when it can travel in a URL.
          id: EXECUTION_ID_PATTERN.test(executionName) ? executionName : undefined,
          config,
          executionRequest,
          canaryConfigId: input.canaryConfigId ?? 'ad-hoc',
          application: input.application ?? 'ad-hoc',
          metricsAccountName: input.metricsAccountName,
        },
        deps,
      );
      if (!created) throw new Error(`canary execution '${id}' already exists; start with another name`);
      executionId = id;
    } catch (err) {
      throw new AnalysisError((err as Error).message);
    }
  }
  const [doc, recorded] = await Promise.all([deps.executions.document(executionId), deps.executions.get(executionId)]);
  await deps.executions.update(executionId, { stage: 'fetch', startTimeMillis: deps.now() });
  return { executionId, fetches: fetchItems(executionId, doc.config, recorded.metricsAccountName) };
}

/** A fetch's result in the state: the sets themselves when small, else a note that S3 has them. */
export type FetchResult = { sets: unknown[] } | { stored: true };

export async function fetchOne(item: FetchItem, deps: TaskDeps): Promise<FetchResult> {
  const { config, executionRequest } = await deps.executions.document(item.executionId);
  const metric = config.metrics[item.metric];
  const scopeName = metric.scopeName ?? 'default';
  const scope = executionRequest.scopes[scopeName][`${item.side}Scope`] as CanaryScope;
  let sets: MetricSet[];
  try {
    const { source } = deps.accounts.resolve(item.metricsAccountName, metric.query!.type);
    sets = await source.fetch({ metric, templates: config.templates, scope });
  } catch (err) {
    const message = `fetching ${item.side} data of metric '${metric.name}': ${(err as Error).message}`;
    if (err instanceof MetricFetchError && err.retryable) throw new TransientFetchError(message);
    throw new AnalysisError(message);
  }
  // Each value takes at least two characters of JSON ("1,"): sets surely too big for the state
  // go to S3 without being written out here first.
  const values = sets.reduce((n, s) => n + s.values.length, 0);
  if (2 * values <= item.inlineBytes) {
    const json = kayentaJson(sets);
    if (json.length <= item.inlineBytes) return { sets: JSON.parse(json) as unknown[] };
  }
  await deps.executions.putSets(item.executionId, item.metric, item.side, sets);
  return { stored: true };
}

/** Mix's input: the Map's results, in fetchItems order (metric by metric, control first). */
export interface MixInput {
  executionId: string;
  fetched: FetchResult[];
}

export async function mix({ executionId, fetched }: MixInput, deps: TaskDeps): Promise<{ metricSetPairListId: string }> {
  const { config } = await deps.executions.document(executionId);
  await deps.executions.update(executionId, { stage: 'mixMetrics' });
  const setsOf = (metric: number, side: number): Promise<unknown[]> => {
    const result = fetched[metric * SIDES.length + side];
    return 'sets' in result ? Promise.resolve(result.sets) : deps.executions.sets(executionId, metric, SIDES[side]);
  };
  const load = (_: string, side: number) =>
    Promise.all(config.metrics.map((__, i) => setsOf(i, side))).then((lists) => lists.flat() as MetricSet[]);
  const [control, experiment] = await Promise.all(SIDES.map(load));
  let pairs;
  try {
    pairs = (await mixAllYielding(config.metrics.map((m) => m.name), control, experiment)).pairs;
  } catch (err) {
    throw new AnalysisError(`mixing metric sets: ${(err as Error).message}`);
  }
  const metricSetPairListId = randomUUID();
  await deps.executions.putPairList(metricSetPairListId, pairs);
  await deps.executions.update(executionId, { stage: 'judge', metricSetPairListId });
  return { metricSetPairListId };
}

export async function judgeTask(
  { executionId, metricSetPairListId }: { executionId: string; metricSetPairListId: string },
  deps: TaskDeps,
): Promise<{ score: number; classification: string }> {
  const { config, executionRequest } = await deps.executions.document(executionId);
  const stored = await deps.executions.pairList(metricSetPairListId);
  // Stored as Kayenta writes it ("NaN" strings): read back through the judge's input schema.
  // Pair by pair, giving the event loop a turn between them when it has held it long.
  const pairs = [];
  const slice = new TimeSlice();
  for (let i = 0; i < stored.length; i++) {
    pairs.push(parseWith(metricSetPairSchema, stored[i], ['metricSetPairList', i]));
    if (slice.due()) await slice.pause();
  }
  const judged = judge(config as CanaryConfig, pairs, executionRequest.thresholds);
  const result = explainResult(judged, pairs, executionRequest.thresholds, executionRequest.strict);
  await deps.executions.putResult(executionId, result);
  return { score: result.score.score, classification: result.score.classification };
}

export async function record(
  input: { executionId: string; metricSetPairListId: string; score: number; classification: string },
  deps: TaskDeps,
): Promise<void> {
  await deps.executions.update(input.executionId, {
    status: 'succeeded',
    stage: 'done',
    endTimeMillis: deps.now(),
    metricSetPairListId: input.metricSetPairListId,
    score: input.score,
    classification: input.classification,
  });
}

export interface FailureInput {
  input: {
    executionId?: string;
    plan?: { executionId: string };
    mix?: unknown;
    judge?: unknown;
    error?: { Error?: string; Cause?: string };
  };
  executionName: string;
}

/** Lambda puts {"errorType","errorMessage"} in Cause; the local runner the message itself. */
function causeMessage(cause: string | undefined): string {
  if (!cause) return 'unknown error';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

export async function recordFailure({ input, executionName }: FailureInput, deps: TaskDeps): Promise<void> {
  const executionId = input.plan?.executionId ?? input.executionId ?? executionName;
  const record = await deps.executions.find(executionId);
  if (!record) return; // nothing was recorded (a direct start whose request was invalid)
  // The stage that failed: the first whose output the state is missing.
  let stage: Stage = 'done';
  if (!input.plan) stage = 'setupContext';
  else if (!input.mix) stage = record.stage === 'mixMetrics' ? 'mixMetrics' : 'fetch';
  else if (!input.judge) stage = 'judge';
  const message = causeMessage(input.error?.Cause);
  const exception = failure(stage, input.error?.Error ?? 'Error', message, input.error?.Error === 'TransientFetchError', deps.now());
  await deps.executions.update(executionId, { status: 'terminal', stage, endTimeMillis: deps.now(), exception });
}

/** Every task by the ASL state name that runs it. */
export function taskHandlers(deps: TaskDeps) {
  return {
    Plan: (input: unknown) => plan(input as PlanInput, deps),
    FetchOne: (input: unknown) => fetchOne(input as FetchItem, deps),
    Mix: (input: unknown) => mix(input as MixInput, deps),
    Judge: (input: unknown) => judgeTask(input as { executionId: string; metricSetPairListId: string }, deps),
    Record: (input: unknown) => record(input as Parameters<typeof record>[0], deps).then(() => null),
    RecordFailure: (input: unknown) => recordFailure(input as FailureInput, deps).then(() => null),
  };
}

/**
 * The judge task also takes Kayenta's RemoteJudge body ({canaryConfig, metricSetPairList,
 * scoreThresholds}), so `aws lambda invoke` on it judges directly. NaN stays "NaN".
 */
export function judgeRemoteBody(body: unknown): unknown {
  const request = parseWith(judgeRequestSchema, body);
  return JSON.parse(kayentaJson(judge(request.canaryConfig, request.metricSetPairList, request.scoreThresholds)));
}
