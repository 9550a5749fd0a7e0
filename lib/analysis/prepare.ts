// Checks an analysis before it runs, so that what can be known up front is a 400, not a failed
// execution: a metric, a judge canaria has, scopes for every metric, a window that has ended, an
// account for every query, every query rendering (templates, injections), and control and
// experiment asking for different data.
import type { CanaryConfig } from '../config/canary-config.ts';
import { resolveWindows, type ExecutionRequest, type ScopePairs } from '../config/execution-request.ts';
import { BadRequestError } from '../errors.ts';
import { JUDGE_NAME } from '../judge/judge.ts';
import { ScopeInjectionError } from '../metrics/prometheus-query.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import { templateVariables } from '../metrics/template.ts';
import { instantString, type CanaryScope } from '../metrics/types.ts';

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

/** How far past now a window may end (clocks differ between Argo and canaria). */
export const FUTURE_TOLERANCE_MS = 60_000;

/** A scope's window as it goes into the comparison of the two sides. */
const windowOf = (s: CanaryScope) => `${s.start}/${s.end}/${s.step}`;

/**
 * Why the two sides of a metric would judge the same data, or undefined: an identical query
 * over an identical window compares a series with itself and always passes.
 */
export function sameDataProblem(control: { query: string; scope: CanaryScope }, experiment: { query: string; scope: CanaryScope }): string | undefined {
  if (control.query !== experiment.query || windowOf(control.scope) !== windowOf(experiment.scope)) return undefined;
  return `control and experiment render the same query over the same window (${control.query}), so the canary would be compared with itself and always pass; use \${scope} in its query and give the two scopes different values`;
}

/** Scopes whose window ends in the future: "scopes.default.controlScope.end: …". */
export function futureWindowProblems(scopes: ScopePairs, now: number): string[] {
  return Object.entries(scopes).flatMap(([name, pair]) =>
    (['controlScope', 'experimentScope'] as const)
      .filter((side) => Date.parse(pair[side].end!) > now + FUTURE_TOLERANCE_MS)
      .map((side) => `scopes.${name}.${side}.end: ${pair[side].end} is in the future (now is ${instantString(Math.floor(now / 1000) * 1000)}); a canary can only judge data that exists, so let the window end now or earlier`),
  );
}

/** The query types a config runs. */
export const queryTypes = (config: CanaryConfig) => new Set(config.metrics.flatMap((m) => (m.query ? [m.query.type] : [])));

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
  // Own keys only: a scope named "toString" is not Object.prototype's.
  const missing = [...new Set(config.metrics.map((m) => m.scopeName ?? 'default'))].filter((s) => !Object.hasOwn(scopes, s));
  if (missing.length > 0) {
    throw new BadRequestError(`Canary metrics require scopes which were not provided in the execution request: [${missing.join(', ')}]`);
  }
  const future = futureWindowProblems(scopes, now);
  if (future.length > 0) throw new BadRequestError(future[0], future);
  config.metrics.forEach((metric, i) => {
    if (!metric.query) throw new BadRequestError(`canaryConfig.metrics[${i}].query: is required`);
  });
  accounts.check(metricsAccountName, queryTypes(config));
  const same: string[] = [];
  config.metrics.forEach((metric) => {
    const { source } = accounts.resolve(metricsAccountName, metric.query!.type);
    const scopeName = metric.scopeName ?? 'default';
    const rendered = SIDES.map((side) => {
      const scope = scopes[scopeName][`${side}Scope`] as CanaryScope;
      try {
        return { query: source.render({ metric, templates: config.templates, scope }), scope };
      } catch (err) {
        if (err instanceof ScopeInjectionError) {
          throw new BadRequestError(`executionRequest.scopes.${scopeName}.${side}Scope.${err.message}`);
        }
        if (err instanceof BadRequestError) throw new BadRequestError(`metric '${metric.name}' (${side}): ${err.message}`);
        throw err;
      }
    });
    const problem = sameDataProblem(rendered[0], rendered[1]);
    if (problem) same.push(`metric '${metric.name}': ${problem}`);
  });
  if (same.length > 0) throw new BadRequestError(same[0], same);
  return { ...request, scopes };
}

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * Metrics whose query uses no template variable (no \${scope}, \${location}, …): they render the
 * same query for control and experiment, which compares anything only when the windows differ.
 */
export function scopeFreeMetricWarnings(config: CanaryConfig): string[] {
  return config.metrics.flatMap((metric, i) => {
    const q = metric.query;
    if (!q) return [];
    let texts: string[];
    if (q.type === 'prometheus') {
      const named = q.customFilterTemplate;
      const text = q.customInlineTemplate ?? (named && config.templates && Object.hasOwn(config.templates, named) ? config.templates[named] : undefined);
      if (text === undefined) return []; // resourceType queries put the scope in themselves
      texts = [text];
    } else {
      texts = strings(q); // every string of a CloudWatch query is templated
    }
    if (texts.some((t) => templateVariables(t).length > 0)) return [];
    return [
      `metrics[${i}].query: metric '${metric.name}' uses no scope variable such as \${scope}, so control and experiment get the same query; an analysis of it is refused unless the two windows differ`,
    ];
  });
}

export function fetchItems(executionId: string, config: CanaryConfig, metricsAccountName: string | undefined): FetchItem[] {
  const inlineBytes = Math.floor(INLINE_BUDGET_BYTES / (config.metrics.length * SIDES.length));
  return config.metrics.flatMap((_, metric) => SIDES.map((side) => ({ executionId, metric, side, metricsAccountName, inlineBytes })));
}
