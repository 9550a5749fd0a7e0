// Kayenta's CanaryExecutionStatusResponse (api-spec.md §1.5) from an execution's record,
// request document and judge result.
import { instantString } from '../metrics/types.ts';
import type { ExplainedResult } from './verdict.ts';
import { failure, MAX_EXECUTION_MILLIS, STAGES, type ExecutionDocument, type ExecutionRecord, type ExecutionStore, type Stage } from './executions.ts';

/** Java's Duration.toString for whole seconds: PT10M, PT1H30M, PT45S. */
export function isoDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  return out === 'PT' ? 'PT0S' : out;
}

function stageStatus(r: ExecutionRecord): Record<string, string> {
  const at = STAGES.indexOf(r.stage);
  const status = (stage: Stage): string => {
    const i = STAGES.indexOf(stage);
    if (r.status === 'succeeded' || i < at) return 'succeeded';
    if (i > at) return 'not_started';
    return r.status === 'terminal' ? 'terminal' : 'running';
  };
  const out: Record<string, string> = { setupContext: status('setupContext') };
  for (let i = 0; i < r.metricCount; i++) out[`fetchControl${i}`] = status('fetch');
  for (let i = 0; i < r.metricCount; i++) out[`fetchExperiment${i}`] = status('fetch');
  out.mixMetrics = status('mixMetrics');
  out.judge = status('judge');
  return out;
}

/** PT… when every scope spans the same time, as Kayenta reports it. */
function canaryDuration(doc: ExecutionDocument): string | undefined {
  const spans = new Set(
    Object.values(doc.executionRequest.scopes).flatMap((p) =>
      [p.controlScope, p.experimentScope].map((s) => Date.parse(s.end!) - Date.parse(s.start!)),
    ),
  );
  return spans.size === 1 ? isoDuration([...spans][0]) : undefined;
}

/** `{prefix}Millis` and `{prefix}Iso` of an instant, or nothing. */
export const times = (prefix: string, ms: number | undefined) =>
  ms === undefined ? {} : { [`${prefix}Millis`]: ms, [`${prefix}Iso`]: instantString(ms) };

export function statusResponse(r: ExecutionRecord, doc: ExecutionDocument, result: ExplainedResult | undefined): Record<string, unknown> {
  const complete = r.status !== 'running';
  return {
    application: r.application,
    parentPipelineExecutionId: r.parentPipelineExecutionId,
    pipelineId: r.id,
    stageStatus: stageStatus(r),
    complete,
    status: r.status,
    exception: r.exception,
    result: r.status === 'succeeded' && result ? { judgeResult: result, canaryDuration: canaryDuration(doc) } : undefined,
    config: doc.config,
    canaryConfigId: r.canaryConfigId,
    canaryExecutionRequest: doc.executionRequest,
    metricSetPairListId: r.metricSetPairListId,
    ...times('buildTime', r.buildTimeMillis),
    ...times('startTime', r.startTimeMillis),
    ...times('endTime', r.endTimeMillis),
    storageAccountName: r.storageAccountName,
    metricsAccountName: r.metricsAccountName,
    configurationAccountName: r.configurationAccountName,
  };
}

/**
 * An execution's record, ended terminal if its state machine cannot still be running (Express
 * executions end within 5 minutes) and recorded no end. The state machine records every failure
 * itself, timeouts included (Task TimeoutSeconds, the fetch deadline: docs/executions.md), so a
 * record found running here means RecordFailure could not write it: if it left a failure note
 * (the record store refused it), the record ends with that failure; without one, nothing recorded
 * why, and it ends as States.Timeout: the execution's own 280 s limit, the one failure no task
 * sees (or a failure that neither the record store nor S3 took, or whose RecordFailure could not
 * run at all).
 */
export async function currentRecord(executions: ExecutionStore, id: string, now: number = Date.now()): Promise<ExecutionRecord> {
  const record = await executions.get(id);
  if (record.status !== 'running' || now - record.buildTimeMillis <= MAX_EXECUTION_MILLIS) return record;
  const note = await executions.failureNote(id);
  const change = note
    ? { status: 'terminal' as const, stage: note.stage, endTimeMillis: note.exception.timestamp, exception: note.exception }
    : {
        status: 'terminal' as const,
        endTimeMillis: now,
        exception: failure(
          record.stage,
          'States.Timeout',
          `the analysis did not finish within ${MAX_EXECUTION_MILLIS / 1000} s (stopped in ${record.stage}) and recorded no failure: its state machine reached its time limit (or could not record why it stopped anywhere; its log has the cause)`,
          true,
          now,
        ),
      };
  await executions.update(id, change);
  return executions.get(id);
}

export async function executionStatus(executions: ExecutionStore, id: string, now: number = Date.now()): Promise<Record<string, unknown>> {
  const record = await currentRecord(executions, id, now);
  const [doc, result] = await Promise.all([executions.document(id), record.status === 'succeeded' ? executions.result(id) : undefined]);
  return statusResponse(record, doc, result);
}
