// An in-process cache in front of a key check (the Lambda authorizer's): a key that checked out
// is believed for `ttlMs` without another lookup, and looked up again after that, so a revoked
// key stops working at most `ttlMs` after it was revoked. Refusals are not cached: a key created
// a moment ago works at once. Only SHA-256 digests of keys are kept, never the keys.
import { createHash } from 'node:crypto';

export interface VerifierCacheOptions {
  ttlMs: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  /** At most this many keys are remembered; the oldest entry is dropped past it. */
  maxEntries?: number;
}

export const DEFAULT_CACHE_ENTRIES = 1000;

export function cachedVerifier<T>(verify: (key: string) => Promise<T | undefined>, options: VerifierCacheOptions): (key: string) => Promise<T | undefined> {
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  const entries = new Map<string, { value: T; expires: number }>();
  return async (key) => {
    const digest = createHash('sha256').update(key, 'utf8').digest('base64');
    const hit = entries.get(digest);
    if (hit && now() < hit.expires) return hit.value;
    entries.delete(digest);
    // Stamped before the lookup: the store's answer is no older than this, so a key revoked at
    // time R is believed until at most R + ttlMs, however long the lookup took.
    const asked = now();
    const value = await verify(key);
    if (value !== undefined && options.ttlMs > 0) {
      entries.set(digest, { value, expires: asked + options.ttlMs });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    }
    return value;
  };
}
