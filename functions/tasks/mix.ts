// The Mix state (functions/canary.asl.yml): the fetched sets paired per metric into the pair
// list (S3), the record moved on; the accounts' limits cap the analysis's points.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { mix, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { unused } from './deps.ts';

const deps: TaskDeps = {
  executions: new ExecutionStore(storageFromEnvironment()),
  configs: unused('mixMetrics', 'config store'),
  accounts: deployedAccounts(),
  now: Date.now,
  // Mix tells the fetches' durations (FetchLatency).
  telemetry: powertoolsTelemetry(),
};

export const handler = (input: Parameters<typeof mix>[0]) => mix(input, deps);
