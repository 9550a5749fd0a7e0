// The LookNext state (functions/standalone.asl.yml): when a standalone run's next look is due, or
// that the run has ended. Reads and writes the run's record and reads its request document.
import { lookNext, type LoopInput, type StandaloneDeps } from '../../lib/analysis/standalone-tasks.ts';
import { StandaloneStore } from '../../lib/analysis/standalone.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { unused } from './deps.ts';

const deps: StandaloneDeps = {
  standalone: new StandaloneStore(storageFromEnvironment()),
  executions: unused('lookNext', 'execution store'),
  accounts: unused('lookNext', 'metric accounts'),
  now: Date.now,
};

export const handler = (input: LoopInput) => lookNext(input, deps);
