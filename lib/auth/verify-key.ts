// Checking an API key against its record: all the Lambda authorizer needs of the key store
// (lib/auth/api-keys.ts creates, lists and revokes). Kept free of zod and of the route table, so
// that the authorizer's bundle is this, the DynamoDB client and little else.
//
// A key is `cnr_<id>_<secret>`: the id (16 hex digits) finds its record {pk: 'apiKey', sk: <id>},
// which holds the SHA-256 of the whole key, its name and its scope.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RecordStore, StoredRecord } from '../store/ports.ts';
import { isScope, type Scope } from './scopes.ts';

export const KEY_PK = 'apiKey';

/** `cnr_` + 16 hex digits (the id) + `_` + 43 base64url characters (32 random bytes). */
export const KEY_PATTERN = /^cnr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A key that checked out. */
export interface VerifiedKey {
  id: string;
  name: string;
  scope: Scope;
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The record's name and scope, if it is a well-formed key record. */
export function keyOfRecord(r: StoredRecord): VerifiedKey | undefined {
  if (typeof r.name !== 'string' || !isScope(r.scope)) return undefined;
  return { id: r.sk, name: r.name, scope: r.scope };
}

/** The key's id, name and scope if `key` is a key that exists; undefined otherwise. */
export async function verifyApiKey(records: RecordStore, key: string): Promise<VerifiedKey | undefined> {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined; // not even the shape of a key: no lookup
  const record = await records.get({ pk: KEY_PK, sk: m[1] });
  if (!record || typeof record.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(record.sha256)) return undefined;
  if (!timingSafeEqual(sha256(key), Buffer.from(record.sha256, 'hex'))) return undefined;
  return keyOfRecord(record);
}
