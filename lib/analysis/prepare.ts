// Checks an analysis before it runs, so that what can be known up front is a 400, not a failed
// execution: a metric, a judge canaria has, scopes for every metric, an account for every query,
// and every query rendering (templates, injections).
import type { CanaryConfig } from '../config/canary-config.ts';
import { resolveWindows, type ExecutionRequest } from '../config/execution-request.ts';
import { BadRequestError } from '../errors.ts';
import { JUDGE_NAME } from '../judge/judge.ts';
import { ScopeInjectionError } from '../metrics/prometheus-query.ts';
import type { MetricAccounts } from '../metrics/sources.ts';

export const SIDES = ['control', 'experiment'] as const;
export type Side = (typeof SIDES)[number];

export interface FetchItem {
  executionId: string;
  metric: number;
  side: Side;
  metricsAccountName?: string;
  /** Metric sets up to this many bytes of JSON travel back in the state; larger ones via S3. */
  inlineBytes: number;
}

/** What all fetch results together may occupy of a state (Step Functions caps one at 256 KB). */
export const INLINE_BUDGET_BYTES = 128 * 1024;

/** The request with every scope's window settled, checked against the config and accounts. */
export function prepareExecution(
  config: CanaryConfig,
  request: ExecutionRequest,
  accounts: MetricAccounts,
  metricsAccountName: string | undefined,
  now: number,
): ExecutionRequest {
  if (config.metrics.length === 0) throw new BadRequestError('The canary config must specify at least one metric.');
  if (config.judge?.name && config.judge.name !== JUDGE_NAME) {
    throw new BadRequestError(`canaryConfig.judge.name: canaria runs ${JUDGE_NAME} only, not "${config.judge.name}".`);
  }
  const scopes = resolveWindows(request.scopes, now);
  const missing = [...new Set(config.metrics.map((m) => m.scopeName ?? 'default'))].filter((s) => !scopes[s]);
  if (missing.length > 0) {
    throw new BadRequestError(`Canary metrics require scopes which were not provided in the execution request: [${missing.join(', ')}]`);
  }
  config.metrics.forEach((metric, i) => {
    if (!metric.query) throw new BadRequestError(`canaryConfig.metrics[${i}].query: is required`);
    const { source } = accounts.resolve(metricsAccountName, metric.query.type);
    const scopeName = metric.scopeName ?? 'default';
    for (const side of SIDES) {
      const scope = scopes[scopeName][`${side}Scope`] as Parameters<typeof source.render>[0]['scope'];
      try {
        source.render({ metric, templates: config.templates, scope });
      } catch (err) {
        if (err instanceof ScopeInjectionError) {
          throw new BadRequestError(`executionRequest.scopes.${scopeName}.${side}Scope.${err.message}`);
        }
        if (err instanceof BadRequestError) throw new BadRequestError(`metric '${metric.name}' (${side}): ${err.message}`);
        throw err;
      }
    }
  });
  return { ...request, scopes };
}

export function fetchItems(executionId: string, config: CanaryConfig, metricsAccountName: string | undefined): FetchItem[] {
  const inlineBytes = Math.floor(INLINE_BUDGET_BYTES / (config.metrics.length * SIDES.length));
  return config.metrics.flatMap((_, metric) => SIDES.map((side) => ({ executionId, metric, side, metricsAccountName, inlineBytes })));
}
