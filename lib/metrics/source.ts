// The one interface every metric source implements. Sources are chosen by the account's type
// (lib/metrics/sources.ts), never by a URL in a request.
import type { CanaryMetricConfig } from '../config/canary-config.ts';
import type { CanaryScope, MetricSet } from './types.ts';

export interface FetchRequest {
  /** The canary config's metric: its name names the MetricSets, its query says what to ask. */
  metric: CanaryMetricConfig;
  /** The canary config's named templates (customFilterTemplate). */
  templates?: Record<string, string>;
  scope: CanaryScope;
  /**
   * Missing steps as NaN on the query's step grid, every series starting at the window's start
   * (canaria-v1 pairs points by timestamp). Without it, Kayenta's way: missing steps dropped and
   * the rest shifted up (NetflixACAJudge-v1.0 parity). Sources whose answers have no gaps ignore it.
   */
  fillGaps?: boolean;
  /** Which side of the analysis asks (for reports; a source need not look). */
  side?: 'control' | 'experiment';
}

export interface MetricSource {
  /**
   * The query exactly as it would be sent, without sending it (dryRun, preview). Render-time
   * problems (unknown variable, unparsable or injected query) throw BadRequestError.
   */
  render(req: FetchRequest): string;
  /** One MetricSet per returned series; an empty result follows the source's own rule. */
  fetch(req: FetchRequest, signal?: AbortSignal): Promise<MetricSet[]>;
}

/**
 * How long one attempt of a metric source (one query_range, one GetMetricData page, body read
 * included) may take before it counts as failed and is retried; sources take `timeoutMs`.
 */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** A fetch that failed after its retries; names the account and the query. */
export class MetricFetchError extends Error {
  readonly retryable: boolean;
  /** It ran out of time (the retry policy's deadline): the HTTP routes answer 504, not 502. */
  readonly timedOut: boolean;
  constructor(message: string, retryable = false, timedOut = false) {
    super(message);
    this.retryable = retryable;
    this.timedOut = timedOut;
  }
}

/**
 * What one metric store answer may hold. Beyond a limit the fetch fails (the analysis ends
 * `terminal` with a reason naming the metric, the count and the cap); the service never tries
 * to hold or judge it. Options of PrometheusSource and CloudWatchSource (`limits`), defaults below.
 */
export interface MetricLimits {
  /**
   * Series one metric may return on one side. Each series becomes a pair the judge scores on
   * its own, so a canary metric is meant to be aggregated (`avg by (version)`); thousands of
   * series mean a missing aggregation, not a finer analysis. Default 1,000: room for a
   * breakdown by endpoint or instance, and more than CloudWatch's 500 queries per call.
   */
  maxSeriesPerMetric: number;
  /**
   * Bytes of one answer. Prometheus: the response body, whose read stops there (Content-Length
   * beyond it is refused before reading). CloudWatch, whose SDK reads the answers itself: the
   * points asked for (series × periods) at 16 bytes each (a timestamp and a value), checked
   * before anything is sent. Default 16 MiB: 1,000 series of 500–700 points, 100 of 5,000–7,000, one
   * far beyond Prometheus' 11,000 points per query, while canary answers (tens of series,
   * ≤ 1,440 points) stay under 2 MB. JSON.parse of 16 MB holds the event loop 0.15–0.4 s and
   * its objects take ~55 MB; an answer at the cap then costs seconds of storing and judging
   * downstream, which a larger cap would lengthen (docs/metrics.md, "Limits and faults").
   */
  maxBytesPerAnswer: number;
  /**
   * Points of one analysis, every metric's series on both sides together, checked before they
   * are paired: the judge takes them in one piece (about 0.25 s per million points here), so
   * the per-answer caps times 500 metrics must not reach it. Default 3,000,000.
   */
  maxPointsPerAnalysis: number;
}

export const DEFAULT_LIMITS: Readonly<MetricLimits> = Object.freeze({ maxSeriesPerMetric: 1000, maxBytesPerAnswer: 16 * 1024 * 1024, maxPointsPerAnalysis: 3_000_000 });

/** The limits with defaults for what `partial` leaves out; a limit that is not a positive whole number is refused. */
export function metricLimits(partial: Partial<MetricLimits> = {}): MetricLimits {
  const limits = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as MetricLimits;
  for (const key of ['maxSeriesPerMetric', 'maxBytesPerAnswer', 'maxPointsPerAnalysis'] as const) {
    if (!Number.isSafeInteger(limits[key]) || limits[key] < 1) throw new Error(`limits.${key} must be a whole number of at least 1, got ${String(limits[key])}`);
  }
  return limits;
}

/** "16 MiB", "1.5 KiB", "900 bytes". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}

/** The reason of an answer with more series than the cap. */
export function tooManySeries(metric: string, count: number, cap: number): string {
  return `metric '${metric}' returned ${count} series, more than the cap of ${cap} (limits.maxSeriesPerMetric): narrow the query or aggregate it (e.g. avg or sum by the labels you compare)`;
}

/**
 * Gives the event loop a turn once work has held it for `sliceMs`: long loops call
 * `if (slice.due()) await slice.pause()` between items, so /health and other analyses are
 * answered while up to the caps' worth of data is converted or mixed.
 */
export class TimeSlice {
  private readonly sliceMs: number;
  private started = performance.now();
  constructor(sliceMs = 20) {
    this.sliceMs = sliceMs;
  }
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
