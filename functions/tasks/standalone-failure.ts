// The StandaloneFailure state (functions/standalone.asl.yml): a run whose task failed past its
// retries recorded terminal with the reason. The run's record only.
import { standaloneFailure, type LoopInput, type StandaloneDeps } from '../../lib/analysis/standalone-tasks.ts';
import { StandaloneStore } from '../../lib/analysis/standalone.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { unused } from './deps.ts';

const deps: StandaloneDeps = {
  standalone: new StandaloneStore(storageFromEnvironment()),
  executions: unused('standaloneFailure', 'execution store'),
  accounts: unused('standaloneFailure', 'metric accounts'),
  now: Date.now,
};

export const handler = (input: LoopInput & { error?: { Error?: string; Cause?: string } }) => standaloneFailure(input, deps);
