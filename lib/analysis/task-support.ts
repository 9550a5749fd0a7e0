// What every task of the state machine shares (tasks.ts, judge-task.ts): its dependencies, errors
// bounded for the state, and the events it emits. Light on imports: the judge task's bundle
// builds on this and not on tasks.ts.
import { primaryJudge } from '../judge/judges.ts';
import type { ConfigStore } from '../store/config-store.ts';
import type { AnalysisContext, AnalysisEvent, Telemetry } from '../telemetry/events.ts';
import type { ExecutionDocument } from './executions.ts';
import type { AnalysisDeps } from './start.ts';

/** Characters of a task error's message (longer ones are cut): it travels in the state as the Cause of a Catch. */
export const ERROR_MESSAGE_CHARS = 1000;

export interface TaskDeps extends AnalysisDeps {
  configs: ConfigStore;
  /** Where the tasks' events go (lib/telemetry); none when absent. */
  telemetry?: Telemetry;
}

/** Who an analysis' events are about; `canaryConfigId` from the record where the task has it. */
export function contextOf(executionId: string, doc: ExecutionDocument | undefined, canaryConfigId = doc?.canaryConfigId): AnalysisContext {
  let judge = 'unknown';
  try {
    if (doc) judge = primaryJudge(doc.config, doc.executionRequest.judge);
  } catch {
    // an unknown judge: the analysis fails on it, and says so
  }
  return { executionId, canaryConfigId, judge };
}

/** Emits `event` about the analysis `executionId`, reading its document for the context (cached per process). */
export async function tell(deps: TaskDeps, executionId: string, event: AnalysisEvent, canaryConfigId?: string): Promise<void> {
  const { telemetry } = deps;
  if (!telemetry) return;
  const doc = await deps.executions.document(executionId).catch(() => undefined);
  telemetry.emit(contextOf(executionId, doc, canaryConfigId), event);
}

/**
 * The error as it may travel in the state: the message without control characters and cut to
 * ERROR_MESSAGE_CHARS, the stack trace to 10 frames of 200 characters (Lambda puts both in the
 * Cause of a Catch). The name, which Retry and Catch match, is kept.
 */
export function boundedError(err: unknown): Error {
  const original = err instanceof Error ? err : new Error(String(err));
  let message = String(original.message).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (message.length > ERROR_MESSAGE_CHARS) message = `${message.slice(0, ERROR_MESSAGE_CHARS)}… (cut from ${original.message.length} characters)`;
  const frames = (original.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (message === original.message && frames.length <= 10 && frames.every((f) => f.length <= 200)) return original;
  const bounded = new Error(message);
  bounded.name = original.name;
  bounded.stack = [`${original.name}: ${message}`, ...frames.slice(0, 10).map((f) => f.slice(0, 200))].join('\n');
  return bounded;
}

/** `task` whose failures are bounded errors. Wrapping has no side effect: the tasks are marked @__PURE__, so each Lambda bundle keeps only the task it runs. */
export function bounded<A extends unknown[], R>(task: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) =>
    task(...args).catch((err: unknown) => {
      throw boundedError(err);
    });
}
