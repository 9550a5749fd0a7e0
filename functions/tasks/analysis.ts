// The state machine's Lambda tasks (functions/canary.asl.yml): each passes its state input to
// the task in lib/analysis/tasks.ts. Thrown errors keep their name, which Retry/Catch match.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { fetchOne, judgeRemoteBody, judgeTask, mix, plan as planTask, record as recordTask, recordFailure as recordFailureTask, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';

const storage = storageFromEnvironment();
const deps: TaskDeps = {
  executions: new ExecutionStore(storage),
  configs: new ConfigStore(storage),
  accounts: deployedAccounts(),
  now: Date.now,
};

export const plan = (input: Parameters<typeof planTask>[0]) => planTask(input, deps);
export const fetch = (input: Parameters<typeof fetchOne>[0]) => fetchOne(input, deps);
export const mixMetrics = (input: Parameters<typeof mix>[0]) => mix(input, deps);
/** The Judge state's input, or a Kayenta RemoteJudge body (aws lambda invoke). */
export const judge = async (input: Parameters<typeof judgeTask>[0] | { metricSetPairList: unknown }) =>
  'metricSetPairList' in input ? judgeRemoteBody(input) : judgeTask(input, deps);
export const record = (input: Parameters<typeof recordTask>[0]) => recordTask(input, deps);
export const recordFailure = (input: Parameters<typeof recordFailureTask>[0]) => recordFailureTask(input, deps);
