// POST /canary[/{canaryConfigId}], GET /canary/{id}, GET /canary/executions, GET /metricSetPairList/{id},
// GET /judges, POST /judge, POST /judges/judge, GET /credentials, GET /metricsServices, POST /v1/judgements,
// GET /canary/{id}/report and GET / (the report page and the console)
import { StepFunctionsStarter } from '../../lib/analysis/aws-starter.ts';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { canaryHandlers } from '../../lib/api/canary-api.ts';
import { httpApiHandler } from '../../lib/api/lambda.ts';
import { kayentaSecretFromEnvironment } from '../../lib/auth/ssm-secret.ts';
import { reportHandlers } from '../../lib/api/report-api.ts';
import { createApp } from '../../lib/api/router.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';

const stateMachineArn = process.env.CANARIA_STATE_MACHINE_ARN;
if (!stateMachineArn) throw new Error('CANARIA_STATE_MACHINE_ARN must be set');
const storage = storageFromEnvironment();
const executions = new ExecutionStore(storage);
export const handler = httpApiHandler(
  createApp({
    ...canaryHandlers({
      configs: new ConfigStore(storage),
      executions,
      accounts: deployedAccounts(),
      starter: new StepFunctionsStarter(stateMachineArn),
      now: Date.now,
    }),
    ...reportHandlers({ executions, now: Date.now }),
  }),
  { kayentaSecret: kayentaSecretFromEnvironment() },
);
