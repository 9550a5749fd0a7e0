// The Record state (functions/canary.asl.yml): the verdict recorded, a passed analysis's objects
// tagged for the shorter retention.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { record, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { unused } from './deps.ts';

const deps: TaskDeps = {
  executions: new ExecutionStore(storageFromEnvironment()),
  configs: unused('record', 'config store'),
  accounts: unused('record', 'metric accounts'),
  now: Date.now,
  telemetry: powertoolsTelemetry(),
};

export const handler = (input: Parameters<typeof record>[0]) => record(input, deps);
