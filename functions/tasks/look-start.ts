// The LookStart state (functions/standalone.asl.yml): records the look's canary execution (its
// record and request, checked against the accounts as a start through the API is), which RunLook
// then runs on the canary state machine.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { lookStart, type LoopInput, type StandaloneDeps } from '../../lib/analysis/standalone-tasks.ts';
import { StandaloneStore } from '../../lib/analysis/standalone.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';

const storage = storageFromEnvironment();
const deps: StandaloneDeps = { standalone: new StandaloneStore(storage), executions: new ExecutionStore(storage), accounts: deployedAccounts(), now: Date.now };

export const handler = (input: LoopInput) => lookStart(input, deps);
