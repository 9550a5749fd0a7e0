// What a canary config would fetch for given scopes, before running it: the rendered query per
// metric and side, the series and point counts, and the pairing problems Kayenta users most
// often hit (too few points, tags that do not pair: kayenta#380, #553).
import type { CanaryConfig } from '../config/canary-config.ts';
import { resolveWindow, resolveWindows, type ScopePairs } from '../config/execution-request.ts';
import { mixAll, MixError } from '../metrics/mixer.ts';
import { ScopeInjectionError } from '../metrics/prometheus-query.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import { futureWindowProblems, queryTypes, sameDataProblem } from './prepare.ts';
import { MIN_POINTS } from './verdict.ts';
import type { CanaryScope, MetricSet } from '../metrics/types.ts';

type Side = 'control' | 'experiment';

export interface PointCount {
  points: number;
  /** NaN points (gaps filled by the source or the mixer). */
  nan: number;
}

export interface SidePreview {
  query?: string;
  series?: Array<{ tags: Record<string, string> } & PointCount>;
  error?: string;
}

export interface MetricPreview {
  name: string;
  scopeName: string;
  account?: string;
  control: SidePreview;
  experiment: SidePreview;
  pairs?: Array<{ tags: Record<string, string>; control: PointCount; experiment: PointCount }>;
  problems: string[];
}

export interface Preview {
  metrics: MetricPreview[];
  /** Every metric's problems, prefixed with the metric's name. */
  problems: string[];
}

const count = (values: number[]): PointCount => ({ points: values.length, nan: values.filter(Number.isNaN).length });
const showTags = (tags: Record<string, string>) =>
  Object.keys(tags).length ? `{${Object.entries(tags).map(([k, v]) => `${k}="${v}"`).join(', ')}}` : '{}';

async function previewMetric(
  metric: CanaryConfig['metrics'][number],
  config: CanaryConfig,
  scopes: ScopePairs,
  accounts: MetricAccounts,
  options: { metricsAccountName?: string; fetch: boolean },
  now: number,
): Promise<MetricPreview> {
  const scopeName = metric.scopeName ?? 'default';
  const out: MetricPreview = { name: metric.name, scopeName, control: {}, experiment: {}, problems: [] };
  const pair = Object.hasOwn(scopes, scopeName) ? scopes[scopeName] : undefined; // not Object.prototype's "toString"
  if (!pair) {
    out.problems.push(`uses scope '${scopeName}', which the request does not define (it has: ${Object.keys(scopes).join(', ') || 'none'})`);
    return out;
  }
  if (!metric.query) {
    out.problems.push('has no query');
    return out;
  }
  const resolved = accounts.resolve(options.metricsAccountName, metric.query.type); // checked up front
  out.account = resolved.account.name;
  const sides: Side[] = ['control', 'experiment'];
  const sets: Partial<Record<Side, MetricSet[]>> = {};
  const windowed = { control: resolveWindow(pair.controlScope, now), experiment: resolveWindow(pair.experimentScope, now) } as Record<Side, CanaryScope>;
  await Promise.all(
    sides.map(async (side) => {
      const scope = windowed[side];
      const req = { metric, templates: config.templates, scope };
      try {
        out[side].query = resolved.source.render(req);
        if (!options.fetch) return;
        sets[side] = await resolved.source.fetch(req);
        out[side].series = sets[side]!.map((s) => ({ tags: s.tags, ...count(s.values) }));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        out[side].error =
          err instanceof ScopeInjectionError ? `scopes.${scopeName}.${side}Scope.${message}` : message;
        out.problems.push(`${side}: ${out[side].error}`);
      }
    }),
  );
  if (out.control.query !== undefined && out.experiment.query !== undefined) {
    const same = sameDataProblem({ query: out.control.query, scope: windowed.control }, { query: out.experiment.query, scope: windowed.experiment });
    if (same) out.problems.push(same);
  }
  if (!sets.control || !sets.experiment) return out;
  try {
    const mixed = mixAll([metric.name], sets.control, sets.experiment);
    out.problems.push(...mixed.problems.map((p) => p.replace(`metric '${metric.name}': `, '')));
    out.pairs = mixed.pairs.map((p) => ({ tags: p.tags, control: count(p.values.control), experiment: count(p.values.experiment) }));
    for (const p of out.pairs) {
      for (const side of sides) {
        const real = p[side].points - p[side].nan;
        if (real === 0) out.problems.push(`${showTags(p.tags)}: no ${side} data`);
        else if (real < MIN_POINTS) {
          out.problems.push(`${showTags(p.tags)}: only ${real} ${side} point${real === 1 ? '' : 's'} (fewer than ${MIN_POINTS}); widen the window or shorten the step`);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof MixError)) throw err;
    out.problems.push(err.message);
  }
  return out;
}

export async function previewConfig(
  config: CanaryConfig,
  scopes: ScopePairs,
  accounts: MetricAccounts,
  options: { metricsAccountName?: string; fetch: boolean },
): Promise<Preview> {
  // Account problems make a start a 400, and the preview too; the rest is listed under problems.
  accounts.check(options.metricsAccountName, queryTypes(config));
  const now = Date.now();
  const metrics = await Promise.all(config.metrics.map((m) => previewMetric(m, config, scopes, accounts, options, now)));
  const windows = futureWindowProblems(resolveWindows(scopes, now), now);
  return { metrics, problems: [...windows, ...metrics.flatMap((m) => m.problems.map((p) => `${m.name}: ${p}`))] };
}
