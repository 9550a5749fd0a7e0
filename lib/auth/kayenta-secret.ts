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

/**
 * The secret in an SSM parameter (a SecureString, decrypted), re-read after `ttlMs` so that a
 * rotation reaches every function within that time. A parameter that cannot be read is an
 * error (the request gets a 500 and the log names the parameter), never "no secret".
 */
export function ssmSecretSource(
  parameterName: string,
  options: { ttlMs?: number; now?: () => number; region?: string; /** Another SSM endpoint (tests). */ endpoint?: string } = {},
): SecretSource {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; until: number } | undefined;
  let ssm: Promise<{ read: () => Promise<string | undefined> }> | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    const asked = now();
    // Loaded on the first request under /k/, not at the top: no other request needs the SSM client.
    ssm ??= import('@aws-sdk/client-ssm').then(({ SSMClient, GetParameterCommand }) => {
      const client = new SSMClient({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      });
      return { read: async () => (await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }))).Parameter?.Value };
    });
    let value: string | undefined;
    try {
      value = await (await ssm).read();
    } catch (err) {
      throw new Error(`cannot read the kayenta path secret from SSM parameter ${parameterName}: ${(err as Error).name}: ${(err as Error).message}`);
    }
    if (value === undefined || !SECRET_PATTERN.test(value)) {
      throw new Error(`SSM parameter ${parameterName} must hold 16 to 128 URL-safe characters (A-Z a-z 0-9 _ -)`);
    }
    cached = { value, until: asked + ttlMs };
    return value;
  };
}
