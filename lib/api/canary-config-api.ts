// /canaryConfig: Kayenta's CanaryConfigController semantics (api-spec.md §1.3).
import { scopeFreeMetricWarnings } from '../analysis/prepare.ts';
import { storableCanaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { BadRequestError } from '../errors.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { json, listParam, noContent, readJsonBody } from './http.ts';
import type { Handlers } from './router.ts';

// Ids from paths arrive checked against the route table's id schema (router.ts).

/** What is storable but likely wrong, as an extra field Kayenta clients ignore. */
function warnings(config: CanaryConfig): { warnings?: string[] } {
  const found = scopeFreeMetricWarnings(config);
  return found.length > 0 ? { warnings: found } : {};
}

export function canaryConfigHandlers(store: ConfigStore): Handlers {
  return {
    listCanaryConfigs: async (req) => json(200, await store.list(listParam(req, 'application'))),

    createCanaryConfig: async (req) => {
      const config = readJsonBody(req, storableCanaryConfigSchema);
      return json(200, { canaryConfigId: await store.create(config), ...warnings(config) });
    },

    getCanaryConfig: async (_req, { canaryConfigId }) => json(200, await store.get(canaryConfigId)),

    replaceCanaryConfig: async (req, { canaryConfigId }) => {
      const config = readJsonBody(req, storableCanaryConfigSchema);
      if (config.id !== undefined && config.id !== canaryConfigId) {
        throw new BadRequestError(`id: '${config.id}' does not match the id in the path, '${canaryConfigId}'.`);
      }
      await store.replace(canaryConfigId, config);
      return json(200, { canaryConfigId, ...warnings(config) });
    },

    deleteCanaryConfig: async (_req, { canaryConfigId }) => {
      await store.delete(canaryConfigId);
      return noContent();
    },
  };
}
