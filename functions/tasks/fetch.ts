// The FetchOne state (functions/canary.asl.yml): one metric of one side from its metric store;
// the sets go back in the state or to S3. No execution records (FetchRole has no DynamoDB).
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { fetchOne, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { bucketStorage, unused } from './deps.ts';

const deps: TaskDeps = {
  executions: new ExecutionStore(bucketStorage('fetch')),
  configs: unused('fetch', 'config store'),
  accounts: deployedAccounts(),
  now: Date.now,
  telemetry: powertoolsTelemetry(),
};

export const handler = (input: Parameters<typeof fetchOne>[0]) => fetchOne(input, deps);
