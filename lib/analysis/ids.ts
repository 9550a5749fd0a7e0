// Execution ids: ULIDs (26 Crockford base-32 characters, time-sortable, URL-safe), as Orca's are.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += ALPHABET[bytes[i] % 32];
  return time + rest;
}

/** Ids canaria accepts in paths: URL-safe, as Argo puts them in URLs unescaped. */
export const EXECUTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
