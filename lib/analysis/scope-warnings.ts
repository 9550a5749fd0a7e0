// What a stored config may hold but an analysis of it would refuse: a metric whose query uses no
// scope variable. Apart from lib/analysis/prepare.ts (which refuses the analysis), so that the
// config function's bundle needs neither the judges nor the PromQL parser.
import type { CanaryConfig } from '../config/canary-config.ts';
import { templateVariables } from '../metrics/template.ts';

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
