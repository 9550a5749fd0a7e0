// Kayenta's standalone canary analysis (api-spec.md §1.6): start one over a lifetime, read its
// status with every look's result, cancel it. The runs themselves: lib/analysis/standalone*.ts.
import type { ExecutionStore } from '../analysis/executions.ts';
import { cancelStandalone, startStandalone, type StandaloneStarter } from '../analysis/standalone-tasks.ts';
import { standaloneStatusOf, unknownRun } from '../analysis/standalone-status.ts';
import type { StandaloneStore } from '../analysis/standalone.ts';
import { applicationSchema, nameText } from '../config/canary-config.ts';
import { standaloneAdhocSchema, standaloneRequestSchema } from '../config/standalone-request.ts';
import { parseWith } from '../config/validation.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { accountNamesParam, queryValue, json, readJsonBody, type ApiRequest } from './http.ts';
import type { Handlers } from './router.ts';

export interface StandaloneApiDeps {
  configs: ConfigStore;
  executions: ExecutionStore;
  standalone: StandaloneStore;
  accounts: MetricAccounts;
  starter: StandaloneStarter;
  now: () => number;
}


/** The query's names (Kayenta's @RequestParam), checked where they are stored. */
function params(req: ApiRequest) {
  const application = queryValue(req, 'application');
  const user = queryValue(req, 'user');
  const parent = queryValue(req, 'parentPipelineExecutionId');
  return {
    application: application === undefined ? 'ad-hoc' : parseWith(applicationSchema, application, ['application']),
    user: user === undefined ? 'anonymous' : parseWith(nameText, user, ['user']),
    parentPipelineExecutionId: parent === undefined ? undefined : parseWith(nameText, parent, ['parentPipelineExecutionId']),
    metricsAccountName: accountNamesParam(req),
    storageAccountName: queryValue(req, 'storageAccountName'),
    configurationAccountName: queryValue(req, 'configurationAccountName'),
  };
}

export function standaloneHandlers(deps: StandaloneApiDeps): Handlers {
  const status = (id: string) => standaloneStatusOf(id, deps.executions, deps.standalone);

  return {
    startStandalone: async (req, { canaryConfigId }) => {
      const request = readJsonBody(req, standaloneRequestSchema);
      const config = await deps.configs.get(canaryConfigId);
      const id = await startStandalone({ config, canaryConfigId, request, ...params(req) }, deps);
      return json(200, { canaryAnalysisExecutionId: id });
    },

    startAdhocStandalone: async (req) => {
      const body = readJsonBody(req, standaloneAdhocSchema);
      const id = await startStandalone({ config: body.canaryConfig, request: body.executionRequest, ...params(req) }, deps);
      return json(200, { canaryAnalysisExecutionId: id });
    },

    getStandalone: async (_req, { canaryAnalysisExecutionId }) => json(200, await status(canaryAnalysisExecutionId)),

    cancelStandalone: async (_req, { canaryAnalysisExecutionId }) => {
      if (!(await cancelStandalone(deps, canaryAnalysisExecutionId))) throw unknownRun(canaryAnalysisExecutionId);
      return json(200, await status(canaryAnalysisExecutionId));
    },
  };
}
