// Kayenta's CanaryAnalysisExecutionStatusResponse (api-spec.md §1.6) of a standalone run: the
// stage list as Orca's pipeline would show it, and the aggregated result with every look's
// execution result. canaria adds `canaria` (the judge, and the sequence's answer under canaria-v1).
import { instantString } from '../metrics/types.ts';
import type { ExecutionStore } from './executions.ts';
import { planLooks, type StandaloneDocument, type StandaloneRecord, type StandaloneStore } from './standalone.ts';
import { CANARIA_V1_JUDGE, KAYENTA_JUDGE } from '../judge/names.ts';
import { isoDuration, times } from './status.ts';
import { NotFoundError } from '../errors.ts';

const UPPER = { running: 'RUNNING', succeeded: 'SUCCEEDED', terminal: 'TERMINAL', canceled: 'CANCELED' } as const;

const isoOnly = (prefix: string, ms: number | undefined) => (ms === undefined ? {} : { [`${prefix}Iso`]: instantString(ms) });

/** Orca's stages: the setup stage, a warm-up wait, per look its wait (real time only) and run, the result stage. */
function stageStatus(r: StandaloneRecord, doc: StandaloneDocument) {
  const plan = planLooks(doc.request);
  const ended = r.status !== 'running';
  const lookStatus = (i: number): string => {
    const look = r.looks[i - 1];
    if (look) return look.status === 'succeeded' && !(r.status === 'terminal' && i === r.looks.length) ? 'SUCCEEDED' : 'TERMINAL';
    if (r.current?.index === i) return ended ? UPPER[r.status] : 'RUNNING';
    return 'NOT_STARTED';
  };
  const waitStatus = (i: number): string => {
    if (r.looks.length >= i || r.current?.index === i) return 'SUCCEEDED';
    if (r.looks.length === i - 1 && r.status === 'running') return 'RUNNING';
    if (r.looks.length === i - 1 && r.status === 'canceled') return 'CANCELED';
    return 'NOT_STARTED';
  };
  const stages: Array<{ type: string; name: string; status: string; executionId?: string }> = [
    { type: 'setupAndExecuteCanariesStage', name: 'Sets up and executes the wait, run and monitor canary task chain.', status: UPPER[r.status] },
  ];
  if (!plan.retrospective && doc.request.beginAfterMins > 0) stages.push({ type: 'wait', name: 'Warmup Wait', status: r.looks.length > 0 || r.current ? 'SUCCEEDED' : waitStatus(1) });
  for (let i = 1; i <= r.plannedLooks; i++) {
    if (!plan.retrospective) stages.push({ type: 'wait', name: `Interval Wait #${i}`, status: waitStatus(i) });
    const executionId = r.looks[i - 1]?.executionId ?? (r.current?.index === i ? r.current.executionId : undefined);
    stages.push({ type: 'runCanary', name: `Run Canary #${i}`, status: lookStatus(i), ...(executionId ? { executionId } : {}) });
  }
  stages.push({ type: 'generateCanaryAnalysisResultStage', name: 'Aggregates and evaluates the canary executions and generates the final results.', status: ended ? 'SUCCEEDED' : 'NOT_STARTED' });
  return stages;
}

async function executionResults(r: StandaloneRecord, executions: ExecutionStore, standalone: StandaloneStore) {
  return Promise.all(
    r.looks.map(async (look) => {
      const judgeResult = look.status !== 'succeeded' ? undefined : r.sequential ? await standalone.lookResult(r.id, look.index) : await executions.result(look.executionId);
      const duration = look.judgementEndTimeMillis - look.judgementStartTimeMillis;
      return {
        executionId: look.executionId,
        executionStatus: look.status === 'succeeded' ? 'SUCCEEDED' : 'TERMINAL',
        exception: look.exception,
        result: judgeResult ? { judgeResult, canaryDuration: isoDuration(duration) } : undefined,
        ...times('judgementStartTime', look.judgementStartTimeMillis),
        ...times('judgementEndTime', look.judgementEndTimeMillis),
        warnings: look.warnings,
        metricSetPairListId: look.metricSetPairListId,
        ...times('buildTime', look.judgementStartTimeMillis),
        ...times('startTime', look.startTimeMillis),
        ...times('endTime', look.judgementEndTimeMillis),
        storageAccountName: r.storageAccountName,
        configurationAccountName: r.configurationAccountName,
        ...(look.decision ? { canaria: { look: look.index, decision: look.decision, reason: look.reason } } : {}),
      };
    }),
  );
}

/** Kayenta's answer for a run that does not exist (a 404). */
export const unknownRun = (id: string) => new NotFoundError(`Unable to find standalone canary analysis execution '${id}'.`);

/** The status of run `id`, as GET /standalone_canary_analysis/{id} serves it; unknownRun when there is none. */
export async function standaloneStatusOf(id: string, executions: ExecutionStore, standalone: StandaloneStore): Promise<Record<string, unknown>> {
  const record = await standalone.find(id);
  if (!record) throw unknownRun(id);
  return standaloneStatus(record, executions, standalone);
}

export async function standaloneStatus(r: StandaloneRecord, executions: ExecutionStore, standalone: StandaloneStore): Promise<Record<string, unknown>> {
  const doc = await standalone.document(r.id);
  const complete = r.status !== 'running';
  const scores = r.looks.filter((l) => l.score !== undefined).map((l) => l.score!);
  const lastDecision = r.looks.at(-1)?.decision;
  return {
    application: r.application,
    user: r.user,
    parentPipelineExecutionId: r.parentPipelineExecutionId,
    pipelineId: r.id,
    stageStatus: stageStatus(r, doc),
    complete,
    executionStatus: UPPER[r.status],
    status: r.status,
    exception: r.exception,
    canaryAnalysisExecutionResult: {
      didPassThresholds: r.didPassThresholds ?? false,
      hasWarnings: r.looks.some((l) => l.warnings.length > 0),
      canaryScoreMessage: r.canaryScoreMessage ?? (complete ? 'There were no successful canary judgements to aggregate' : `${r.looks.length} of ${r.plannedLooks} judgements done`),
      canaryScores: scores,
      canaryExecutionResults: await executionResults(r, executions, standalone),
      ...isoOnly('buildTime', r.buildTimeMillis),
      ...isoOnly('startTime', r.startTimeMillis),
      ...isoOnly('endTime', r.endTimeMillis),
    },
    canaryAnalysisExecutionRequest: doc.request,
    canaryConfig: doc.config,
    canaryConfigId: r.canaryConfigId,
    ...times('buildTime', r.buildTimeMillis),
    ...times('startTime', r.startTimeMillis),
    ...times('endTime', r.endTimeMillis),
    storageAccountName: r.storageAccountName,
    metricsAccountName: r.metricsAccountName,
    canaria: {
      judge: r.sequential ? CANARIA_V1_JUDGE : KAYENTA_JUDGE,
      plannedLooks: r.plannedLooks,
      looks: r.looks.length,
      // Where the looks' windows count from (lookWindow): the report page draws them.
      analysisStartIso: instantString(r.analysisStartMillis),
      ...(r.sequential ? { sequence: { decision: r.stoppedAtLook ? lastDecision : complete ? undefined : 'continue', stoppedAtLook: r.stoppedAtLook ?? null } } : {}),
    },
  };
}
