// The Plan and PlanDirect states (functions/canary.asl.yml): a direct start validated and
// recorded, the execution's fetches planned. Reads configs and records, checks the accounts.
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { plan, type PlanInput } from '../../lib/analysis/tasks.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';

const storage = storageFromEnvironment();
const deps = { executions: new ExecutionStore(storage), configs: new ConfigStore(storage), accounts: deployedAccounts(), now: Date.now, telemetry: powertoolsTelemetry() };

export const handler = (input: PlanInput) => plan(input, deps);
