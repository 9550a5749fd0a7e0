// The secret of the /k/{secret}/ path prefix, under which the routes Argo's kayenta provider
// calls are served without a header (the provider cannot send one). Locally it is a record of
// the data directory's store (`canaria keys kayenta-secret` prints it, creating it if needed);
// on AWS an SSM SecureString parameter whose name the stack gives the functions.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RecordStore } from '../store/ports.ts';

const SECRET_KEY = { pk: 'canariaSetting', sk: 'kayentaPathSecret' };

/** A secret is 16 to 128 URL-safe characters (it is a path segment, sent unescaped by Argo). */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** A new secret: 32 random bytes, base64url (43 characters). */
export function newKayentaSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `given` is `secret`, in time that depends on neither (both are hashed first). */
export function secretMatches(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Where the secret comes from; undefined means there is none and /k/… is not served. */
export type SecretSource = () => Promise<string | undefined>;

/** The secret kept in a local store, or undefined. */
export async function readStoredSecret(records: RecordStore): Promise<string | undefined> {
  const value = (await records.get(SECRET_KEY))?.value;
  return typeof value === 'string' && SECRET_PATTERN.test(value) ? value : undefined;
}

/** The stored secret, created first if there is none (or replaced, with `rotate`). */
export async function ensureStoredSecret(records: RecordStore, rotate = false): Promise<string> {
  if (!rotate) {
    const existing = await readStoredSecret(records);
    if (existing) return existing;
  }
  const value = newKayentaSecret();
  await records.put({ ...SECRET_KEY, value });
  return value;
}
