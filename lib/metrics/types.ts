// Metric data shapes shared by every source, the mixer and the judge input (Kayenta's MetricSet,
// CanaryScope and MetricSetPair; metric-sources-spec.md §1.2, §1.8, §2).

/** One side's scope of one analysis, as in a Kayenta CanaryExecutionRequest. */
export interface CanaryScope {
  /** Server group, or (in PromQL templates) a label-matcher fragment such as version="canary". */
  scope?: string;
  location?: string;
  /** ISO-8601 instants. */
  start: string;
  end: string;
  /** Seconds between points. */
  step: number;
  extendedScopeParams?: Record<string, string>;
}

/** One series of one metric on one side. */
export interface MetricSet {
  name: string;
  tags: Record<string, string>;
  startTimeMillis: number;
  startTimeIso: string;
  endTimeMillis: number;
  endTimeIso: string;
  stepMillis: number;
  values: number[];
  attributes: Record<string, string>;
}

export interface MetricSetPairScope {
  startTimeIso: string;
  startTimeMillis: number;
  stepMillis: number;
}

export interface MixedMetricSetPair {
  name: string;
  id: string;
  tags: Record<string, string>;
  values: { control: number[]; experiment: number[] };
  scopes: { control: MetricSetPairScope; experiment: MetricSetPairScope };
  attributes: { control?: Record<string, string>; experiment?: Record<string, string> };
}

/** Java's Instant.toString: ISO-8601 UTC, fraction only when non-zero (in groups of 3). */
export function instantString(millis: number): string {
  return new Date(millis).toISOString().replace('.000Z', 'Z');
}
