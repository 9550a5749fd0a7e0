// The Judge state (functions/canary.asl.yml): the pair list judged, the explained result stored
// in S3. Only S3 (JudgeRole has no DynamoDB): no records, no metric accounts.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { judgeRemoteBody, judgeTask } from '../../lib/analysis/judge-task.ts';
import type { TaskDeps } from '../../lib/analysis/task-support.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { bucketStorage, unused } from './deps.ts';

const deps: TaskDeps = {
  executions: new ExecutionStore(bucketStorage('judge')),
  configs: unused('judge', 'config store'),
  accounts: unused('judge', 'metric accounts'),
  now: Date.now,
  telemetry: powertoolsTelemetry(),
};

/** The Judge state's input, or a Kayenta RemoteJudge body (aws lambda invoke). */
export const handler = async (input: Parameters<typeof judgeTask>[0] | { metricSetPairList: unknown }) =>
  'metricSetPairList' in input ? judgeRemoteBody(input) : judgeTask(input, deps);
