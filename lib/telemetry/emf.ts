// The CloudWatch metrics an event counts as (namespace `canaria`): written in Embedded Metric
// Format by powertools.ts, drawn by the stack's dashboard (serverless.yml, CanariaDashboard).
import type { AnalysisContext, AnalysisEvent } from './events.ts';

export const METRICS_NAMESPACE = 'canaria';

/** Every metric emfData makes (CanariaDashboard draws each). */
export const METRIC_NAMES = ['AnalysesStarted', 'AnalysesFinished', 'MetricClassifications', 'FetchLatency', 'FetchErrors', 'JudgeDuration'] as const;

export interface Datum {
  name: (typeof METRIC_NAMES)[number];
  unit: 'Count' | 'Milliseconds';
  /** Several values: one line holds them all (EMF keeps each for the statistics). */
  value: number | number[];
  /** Few distinct values each (verdicts, classes, source types, judges): never ids. */
  dimensions: Record<string, string>;
}

export function emfData(c: AnalysisContext, e: AnalysisEvent): Datum[] {
  switch (e.event) {
    case 'analysisStarted':
      return [{ name: 'AnalysesStarted', unit: 'Count', value: 1, dimensions: {} }];
    case 'analysisFinished':
      return [{ name: 'AnalysesFinished', unit: 'Count', value: 1, dimensions: { Verdict: e.status === 'succeeded' ? e.verdict : 'Terminal' } }];
    case 'fetchesTimed':
      return [{ name: 'FetchLatency', unit: 'Milliseconds', value: e.ms, dimensions: { Source: e.source } }];
    case 'metricFetchFailed':
      return [{ name: 'FetchErrors', unit: 'Count', value: 1, dimensions: { Source: e.source } }];
    case 'judged':
      return [
        { name: 'JudgeDuration', unit: 'Milliseconds', value: e.ms, dimensions: { Judge: c.judge } },
        ...Object.entries(e.classifications).map(([name, n]): Datum => ({ name: 'MetricClassifications', unit: 'Count', value: n, dimensions: { Classification: name } })),
      ];
    case 'metricFetched':
    case 'warning':
      return [];
  }
}
