// /fetch/{prometheus,cloudwatch}/query (Kayenta's fetch controllers), /metricSetList/{id}, and
// canaria's /v1/preview.
import * as z from 'zod';
import { previewConfig } from '../analysis/preview.ts';
import type { CanaryMetricConfig } from '../config/canary-config.ts';
import { cloudWatchQuerySchema, LIMITS, prometheusQuerySchema } from '../config/canary-config.ts';
import { instant } from '../config/execution-request.ts';
import { parseWith } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import { scopeWindow } from '../metrics/prometheus.ts';
import { MetricFetchError } from '../metrics/source.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import type { CanaryScope } from '../metrics/types.ts';
import type { ConfigStore } from '../store/config-store.ts';
import type { MetricSetListStore } from '../store/metric-set-lists.ts';
import { accountNamesParam, json, listParam, queryParams, readJsonBody } from './http.ts';
import { cloudWatchFetchBodySchema, previewBodySchema } from './metrics-schemas.ts';
import type { Handlers } from './router.ts';

export interface MetricsApiDeps {
  accounts: MetricAccounts;
  metricSetLists: MetricSetListStore;
  configs: ConfigStore;
}

/** Decimal digits only: `0x10`, `1e1`, ` 5` and `+5` are refused, naming the parameter. */
const seconds = z
  .string()
  .regex(/^[1-9][0-9]*$/, { error: 'must be a whole number of seconds above 0' })
  .transform(Number)
  .refine((n) => n <= LIMITS.step, { error: `must be at most ${LIMITS.step} seconds` });
const flag = z.enum(['true', 'false']).optional().transform((v) => v === 'true');
const text = z.string().optional();

const fetchCommon = {
  metricsAccountName: text,
  storageAccountName: text,
  metricSetName: z.string().min(1),
  scope: text,
  location: text,
  // As Kayenta's Instant.parse: an ISO-8601 instant (an empty value counts as absent).
  start: z.preprocess((v) => (v === '' ? undefined : v), instant.optional()),
  end: z.preprocess((v) => (v === '' ? undefined : v), instant.optional()),
  dryRun: flag,
};

const prometheusParams = z.looseObject({
  ...fetchCommon,
  metricName: z.string().min(1),
  project: text,
  resourceType: text,
  step: seconds,
  customFilter: text,
});

const cloudWatchParams = z.looseObject({ ...fetchCommon, step: seconds.default(60) });

/** A scope from query parameters; start/end may be absent for a dry run. */
function scopeOf(p: { scope?: string; location?: string; start?: string; end?: string }, step: number, extendedScopeParams?: Record<string, string>, dryRun = false): CanaryScope {
  const scope: CanaryScope = { scope: p.scope, location: p.location, start: p.start ?? '', end: p.end ?? '', step, extendedScopeParams };
  if (!dryRun) scopeWindow(scope); // "Start time is required." etc.
  return scope;
}

/**
 * A metric store that failed after its retries is a 502, one that did not finish within the
 * retries' deadline (20 s by default: before API Gateway's 30 s cut) a 504; render errors are
 * already 400s.
 */
function fetchError(err: unknown): never {
  if (err instanceof MetricFetchError) throw new ClientError(err.timedOut ? 504 : 502, err.message);
  throw err;
}

export function metricsHandlers(deps: MetricsApiDeps): Handlers {
  const run = async (metric: CanaryMetricConfig, accountName: string | undefined, scope: CanaryScope, dryRun: boolean) => {
    deps.accounts.check(accountName, [metric.query!.type]);
    const { source } = deps.accounts.resolve(accountName, metric.query!.type);
    const req = { metric, scope };
    try {
      if (dryRun) return json(200, { query: source.render(req) });
      const sets = await source.fetch(req);
      return json(200, { metricSetListId: await deps.metricSetLists.put(sets) });
    } catch (err) {
      return fetchError(err);
    }
  };

  return {
    fetchPrometheus: async (req) => {
      const p = queryParams(req, prometheusParams);
      const query = parseWith(prometheusQuerySchema, {
        type: 'prometheus',
        metricName: p.metricName,
        labelBindings: listParam(req, 'labelBindings'),
        groupByFields: listParam(req, 'groupByFields'),
        resourceType: p.resourceType || undefined,
        customInlineTemplate: p.customFilter || undefined,
      });
      const extended = p.project ? { project: p.project } : undefined;
      return run({ name: p.metricSetName, query }, p.metricsAccountName, scopeOf(p, p.step, extended, p.dryRun), p.dryRun);
    },

    fetchCloudWatch: async (req) => {
      const p = queryParams(req, cloudWatchParams);
      const body = readJsonBody(req, cloudWatchFetchBodySchema);
      const query = parseWith(cloudWatchQuerySchema, { type: 'cloudwatch', region: body.region, metricDataQueries: body.metricDataQueries });
      return run({ name: p.metricSetName, query }, p.metricsAccountName, scopeOf(p, p.step, body.extendedScopeParams), p.dryRun);
    },

    getMetricSetList: async (_req, { metricSetListId }) => json(200, await deps.metricSetLists.get(metricSetListId)),

    preview: async (req) => {
      const body = readJsonBody(req, previewBodySchema);
      const { config } = await deps.configs.find(body);
      const metricsAccountName = accountNamesParam(req, body.metricsAccountName);
      return json(200, await previewConfig(config, body.executionRequest.scopes, deps.accounts, { metricsAccountName, fetch: body.fetch }));
    },
  };
}
