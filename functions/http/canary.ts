// POST /canary[/{canaryConfigId}], GET /canary/{id}, GET /canary/executions, GET /metricSetPairList/{id},
// GET /judges, POST /judge, POST /judges/judge, GET /credentials, GET /metricsServices, POST /v1/judgements,
// GET /canary/{id}/report and GET / (the report page and the console), and the standalone canary
// analysis routes (POST /standalone_canary_analysis[/{canaryConfigId}], GET …/{id}, GET …/{id}/report, PUT …/{id}/cancel)
import { StepFunctionsStandaloneStarter } from '../../lib/analysis/aws-standalone-starter.ts';
import { StepFunctionsStarter } from '../../lib/analysis/aws-starter.ts';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { SequenceStore } from '../../lib/analysis/sequences.ts';
import { StandaloneStore } from '../../lib/analysis/standalone.ts';
import { canaryHandlers } from '../../lib/api/canary-api.ts';
import { httpApiHandler, lambdaErrorLog } from '../../lib/api/lambda.ts';
import { kayentaSecretFromEnvironment } from '../../lib/auth/ssm-secret.ts';
import { reportHandlers } from '../../lib/api/report-api.ts';
import { createApp } from '../../lib/api/router.ts';
import { standaloneHandlers } from '../../lib/api/standalone-api.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';

const stateMachineArn = process.env.CANARIA_STATE_MACHINE_ARN;
if (!stateMachineArn) throw new Error('CANARIA_STATE_MACHINE_ARN must be set');
// The standalone routes start the standalone state machine: they are served only where its ARN
// is set. The canary function sets it; the judgements function (this handler, serving only
// POST /v1/judgements) does not, and its role grants nothing of standalone runs.
const standaloneStateMachineArn = process.env.CANARIA_STANDALONE_STATE_MACHINE_ARN || undefined;
const storage = storageFromEnvironment();
const configs = new ConfigStore(storage);
const executions = new ExecutionStore(storage);
const accounts = deployedAccounts();
const standalone = standaloneStateMachineArn ? new StandaloneStore(storage) : undefined;

export const handler = httpApiHandler(
  createApp({
    ...canaryHandlers({ configs, executions, accounts, starter: new StepFunctionsStarter(stateMachineArn), sequences: new SequenceStore(storage.records), now: Date.now }),
    ...reportHandlers({ executions, standalone, now: Date.now }),
    ...(standaloneStateMachineArn && standalone
      ? standaloneHandlers({ configs, executions, standalone, accounts, starter: new StepFunctionsStandaloneStarter(standaloneStateMachineArn), now: Date.now })
      : {}),
  }, lambdaErrorLog),
  { kayentaSecret: kayentaSecretFromEnvironment() },
);
