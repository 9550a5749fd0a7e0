// The LookEnd state (functions/standalone.asl.yml): the look's outcome (its execution's record and
// judge result; under canaria-v1 its request and pairs, judged as a look of the run's sequence)
// recorded in the run, which ends or goes on.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { lookEnd, type LoopInput, type StandaloneDeps } from '../../lib/analysis/standalone-tasks.ts';
import { StandaloneStore } from '../../lib/analysis/standalone.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { unused } from './deps.ts';

const storage = storageFromEnvironment();
const deps: StandaloneDeps = {
  standalone: new StandaloneStore(storage),
  executions: new ExecutionStore(storage),
  accounts: unused('lookEnd', 'metric accounts'),
  now: Date.now,
};

export const handler = (input: LoopInput & { executionId: string }) => lookEnd(input, deps);
