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

/** A fetch that failed after its retries; names the account and the query. */
export class MetricFetchError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable = false) {
    super(message);
    this.retryable = retryable;
  }
}
