// Bounded retries with exponential backoff and full jitter, for transient metric-store failures.

/** What a retry hook hears before each wait: the try that comes next and why. */
export interface RetryInfo {
  /** The try about to be made after the wait: 2 for the first retry, up to `of`. */
  attempt: number;
  /** Tries in all (the policy's `attempts`). */
  of: number;
  /** Why the previous try failed. */
  error: unknown;
  /** How long it waits before that try. */
  delayMs: number;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called before each wait (progress reports); must not throw. */
  onRetry?: (info: RetryInfo) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000 };

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** Runs `fn` until it succeeds, fails with a non-retryable error, or the attempts run out. */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  isRetryable: (err: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryable(err) || signal?.aborted) throw err;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.random() * cap;
      if (policy.onRetry) {
        try {
          policy.onRetry({ attempt: attempt + 1, of: policy.attempts, error: err, delayMs });
        } catch {
          // a report that fails must not change the fetch
        }
      }
      await sleep(delayMs, signal);
    }
  }
}
