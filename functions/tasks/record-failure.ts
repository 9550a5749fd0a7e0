// The RecordFailure state (functions/canary.asl.yml): a failed execution recorded terminal with
// its reason (or, if the record store refuses, a failure note in S3).
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { recordFailure, type FailureInput, type TaskDeps } from '../../lib/analysis/tasks.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { unused } from './deps.ts';

const deps: TaskDeps = {
  executions: new ExecutionStore(storageFromEnvironment()),
  configs: unused('recordFailure', 'config store'),
  accounts: unused('recordFailure', 'metric accounts'),
  now: Date.now,
  telemetry: powertoolsTelemetry(),
};

export const handler = (input: FailureInput) => recordFailure(input, deps);
