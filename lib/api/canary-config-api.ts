// /canaryConfig: Kayenta's CanaryConfigController semantics (api-spec.md §1.3).
import { scopeFreeMetricWarnings } from '../analysis/scope-warnings.ts';
import { storableCanaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { BadRequestError } from '../errors.ts';
import { checkConfig as checkCanariaV1Config } from '../judge/canaria-v1/config.ts';
import { CANARIA_V1_JUDGE, isJudgeName, JUDGE_NAMES } from '../judge/names.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { json, listParam, noContent, readJsonBody } from './http.ts';
import type { Handlers } from './router.ts';

// Ids from paths arrive checked against the route table's id schema (router.ts).

/** Judge names canaria does not run: storable (the config may be Kayenta's too), refused when run. */
function judgeWarnings(config: CanaryConfig): string[] {
  const names: Array<[string, unknown]> = [];
  if (config.judge?.name) names.push(['judge.name', config.judge.name]);
  const shadows = config.judge?.judgeConfigurations?.shadowJudges;
  if (Array.isArray(shadows)) shadows.forEach((n, i) => names.push([`judge.judgeConfigurations.shadowJudges[${i}]`, n]));
  return names
    .filter(([, n]) => typeof n !== 'string' || !isJudgeName(n))
    .map(([field, n]) => `${field}: canaria runs ${JUDGE_NAMES.join(' and ')}, not ${JSON.stringify(n)}; an analysis of this config must choose one with judge=`);
}

/** A config canaria-v1 is to judge (its judge or a shadow) that it cannot: a 400 naming the field. */
function checkForCanariaV1(config: CanaryConfig): void {
  const shadows = config.judge?.judgeConfigurations?.shadowJudges;
  if (config.judge?.name !== CANARIA_V1_JUDGE && !(Array.isArray(shadows) && shadows.includes(CANARIA_V1_JUDGE))) return;
  const problems = checkCanariaV1Config(config).map((p) => `${p.field}: ${p.message}`);
  if (problems.length > 0) throw new BadRequestError(problems[0], problems);
}

/** What is storable but likely wrong, as an extra field Kayenta clients ignore. */
function warnings(config: CanaryConfig): { warnings?: string[] } {
  const found = [...scopeFreeMetricWarnings(config), ...judgeWarnings(config)];
  return found.length > 0 ? { warnings: found } : {};
}

export function canaryConfigHandlers(store: ConfigStore): Handlers {
  return {
    listCanaryConfigs: async (req) => json(200, await store.list(listParam(req, 'application'))),

    createCanaryConfig: async (req) => {
      const config = readJsonBody(req, storableCanaryConfigSchema);
      checkForCanariaV1(config);
      return json(200, { canaryConfigId: await store.create(config), ...warnings(config) });
    },

    getCanaryConfig: async (_req, { canaryConfigId }) => json(200, await store.get(canaryConfigId)),

    replaceCanaryConfig: async (req, { canaryConfigId }) => {
      const config = readJsonBody(req, storableCanaryConfigSchema);
      if (config.id !== undefined && config.id !== canaryConfigId) {
        throw new BadRequestError(`id: '${config.id}' does not match the id in the path, '${canaryConfigId}'.`);
      }
      checkForCanariaV1(config);
      await store.replace(canaryConfigId, config);
      return json(200, { canaryConfigId, ...warnings(config) });
    },

    deleteCanaryConfig: async (_req, { canaryConfigId }) => {
      await store.delete(canaryConfigId);
      return noContent();
    },
  };
}
