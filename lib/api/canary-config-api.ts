// /canaryConfig: Kayenta's CanaryConfigController semantics (api-spec.md §1.3).
import { scopeFreeMetricWarnings } from '../analysis/prepare.ts';
import { CONFIG_ID_PATTERN, storableCanaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { json, listParam, noContent, readJsonBody } from './http.ts';
import type { Handlers } from './router.ts';

function knownId(id: string): string {
  if (!CONFIG_ID_PATTERN.test(id)) throw new NotFoundError(`Canary config '${id}' was not found.`);
  return id;
}

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

    getCanaryConfig: async (_req, { canaryConfigId }) => json(200, await store.get(knownId(canaryConfigId))),

    replaceCanaryConfig: async (req, { canaryConfigId }) => {
      const config = readJsonBody(req, storableCanaryConfigSchema);
      if (!CONFIG_ID_PATTERN.test(canaryConfigId)) throw new BadRequestError(`Canary config '${canaryConfigId}' does not exist.`);
      if (config.id !== undefined && config.id !== canaryConfigId) {
        throw new BadRequestError(`id: '${config.id}' does not match the id in the path, '${canaryConfigId}'.`);
      }
      await store.replace(canaryConfigId, config);
      return json(200, { canaryConfigId, ...warnings(config) });
    },

    deleteCanaryConfig: async (_req, { canaryConfigId }) => {
      await store.delete(knownId(canaryConfigId));
      return noContent();
    },
  };
}
