// Bounded retries with exponential backoff and full jitter, for transient metric-store failures,
// within an overall deadline: the attempts, their per-attempt timeouts and the waits between them
// end by `deadlineMs` however slowly the store answers (docs/executions.md, "Timeouts that nest").
import { MetricFetchError } from './source.ts';

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
  /**
   * All tries and waits end within this (DeadlineExceededError); none when absent. An attempt
   * still running then is left to its own per-attempt timeout, unanswered.
   */
  deadlineMs?: number;
  /** Called before each wait (progress reports); must not throw. */
  onRetry?: (info: RetryInfo) => void;
}

/**
 * Four tries, waits of up to 0.25, 0.5 and 1 s between them, all within 20 s: under the HTTP
 * functions' 28 s deadline and API Gateway's 30 s, and well under the fetch task's 50 s budget.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000, deadlineMs: 20_000 };

/** The longest all waits of a policy can take: the sum of each wait's cap (full jitter waits up to it). */
export function maxBackoffMs(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.attempts; attempt++) total += Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return total;
}

/** "20 s", "0.5 s". */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * The retries ran out of time: a store too slow to answer within the deadline. Retryable (a
 * later try may find it faster), so the state machine's fetch task may try again.
 */
export class DeadlineExceededError extends MetricFetchError {
  override readonly name = 'DeadlineExceededError';
  constructor(deadlineMs: number, attempts: number, last: unknown) {
    const lastReason = last === undefined ? 'the last one had no answer yet' : `the last failed: ${last instanceof Error ? last.message : String(last)}`;
    super(`did not finish within ${seconds(deadlineMs)} (${attempts} attempt${attempts === 1 ? '' : 's'}; ${lastReason})`, true, true);
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** `attempt`, or a DeadlineExceededError at `deadline` if it has not settled by then. */
async function beforeDeadline<T>(attempt: Promise<T>, deadline: number, deadlineMs: number, tries: number): Promise<T> {
  attempt.catch(() => undefined); // it may fail after the deadline has answered for it
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(deadlineMs, tries, undefined)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, the attempts run out, or the
 * policy's deadline passes (DeadlineExceededError; a wait that would end past it is not begun).
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  isRetryable: (err: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = policy.deadlineMs === undefined ? undefined : Date.now() + policy.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await (deadline === undefined ? fn(attempt) : beforeDeadline(fn(attempt), deadline, policy.deadlineMs!, attempt));
    } catch (err) {
      if (err instanceof DeadlineExceededError || attempt >= policy.attempts || !isRetryable(err) || signal?.aborted) throw err;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.random() * cap;
      if (deadline !== undefined && Date.now() + delayMs >= deadline) throw new DeadlineExceededError(policy.deadlineMs!, attempt, err);
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
