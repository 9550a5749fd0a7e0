// API keys, kept in the RecordStore (the data directory's SQLite store locally, the DynamoDB
// table on AWS). A key is `cnr_<id>_<secret>`: the id (16 hex digits) finds its record, the
// secret (32 random bytes) makes it unguessable. Only the SHA-256 of the whole key is stored:
// a key is shown once, when it is created, and never again. A fast hash is enough for keys of
// 256 random bits (nothing to brute-force, unlike passwords). Revoking deletes the record.
//
// Records:  {pk: 'apiKey', sk: <id>, name, scope, createdAt, sha256, last4}
//           {pk: 'apiKeyName', sk: <name>, keyId}   (makes names unique; a conditional put claims one)
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { parseWith } from '../config/validation.ts';
import type { RecordStore, StoredRecord } from '../store/ports.ts';
import { SCOPES, type Scope } from './scopes.ts';
import { KEY_PK, keyOfRecord, sha256, verifyApiKey, type VerifiedKey } from './verify-key.ts';

export type { VerifiedKey } from './verify-key.ts';

const NAME_PK = 'apiKeyName';

export const scopeSchema = z.enum(SCOPES);

export const keyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit' });

export const newKeySchema = z.object({ name: keyNameSchema.optional(), scope: scopeSchema });

/** What `keys list` shows of a key: never the key itself. */
export interface ApiKeySummary {
  id: string;
  name: string;
  scope: Scope;
  /** ISO 8601. */
  createdAt: string;
  /** What a person can match against the key they hold: `cnr_<id>_…<last 4>`. */
  hint: string;
}

/** Refused: a name already taken, a key that does not exist. */
export class ApiKeyError extends Error {}

function summaryOf(r: StoredRecord): ApiKeySummary | undefined {
  const key = keyOfRecord(r);
  if (!key || typeof r.createdAt !== 'string') return undefined;
  return { ...key, createdAt: r.createdAt, hint: `cnr_${r.sk}_…${String(r.last4 ?? '')}` };
}

export class ApiKeyStore {
  private readonly records: RecordStore;
  private readonly now: () => number;

  constructor(records: RecordStore, now: () => number = Date.now) {
    this.records = records;
    this.now = now;
  }

  /** Creates a key: the key (shown only now) and its summary. A name in use is refused. */
  async create(input: { name?: string; scope: string }): Promise<{ key: string; summary: ApiKeySummary }> {
    const { name: given, scope } = parseWith(newKeySchema, input);
    const id = randomBytes(8).toString('hex');
    const key = `cnr_${id}_${randomBytes(32).toString('base64url')}`;
    const name = given ?? `key-${id.slice(0, 8)}`;
    await this.claimName(name, id);
    const record: StoredRecord = {
      pk: KEY_PK,
      sk: id,
      name,
      scope,
      createdAt: new Date(this.now()).toISOString(),
      sha256: sha256(key).toString('hex'),
      last4: key.slice(-4),
    };
    try {
      if (!(await this.records.put(record, { kind: 'absent' }))) throw new ApiKeyError(`key id ${id} exists already; try again`);
    } catch (err) {
      await this.records.delete({ pk: NAME_PK, sk: name }, { kind: 'equals', attribute: 'keyId', value: id }).catch(() => false);
      throw err;
    }
    return { key, summary: summaryOf(record)! };
  }

  /** The name is ours, or taken over from a claim whose key is gone (a create or revoke cut short). */
  private async claimName(name: string, id: string): Promise<void> {
    if (await this.records.put({ pk: NAME_PK, sk: name, keyId: id }, { kind: 'absent' })) return;
    const claim = await this.records.get({ pk: NAME_PK, sk: name });
    const holder = claim?.keyId;
    if (typeof holder === 'string' && (await this.records.get({ pk: KEY_PK, sk: holder }))) {
      throw new ApiKeyError(`a key named "${name}" exists already (revoke it first, or choose another --name)`);
    }
    const taken = await this.records.put(
      { pk: NAME_PK, sk: name, keyId: id },
      claim ? { kind: 'equals', attribute: 'keyId', value: holder } : { kind: 'absent' },
    );
    if (!taken) throw new ApiKeyError(`a key named "${name}" is being created at the same time; try again`);
  }

  /** Every key, by name; never the keys themselves. */
  async list(): Promise<ApiKeySummary[]> {
    const out = (await this.records.queryPartition(KEY_PK)).flatMap((r) => summaryOf(r) ?? []);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Revokes the key named `nameOrId` (or with that id): it stops working at once here, and on
   * AWS once the authorizer's cache forgets it (docs/auth.md). Undefined when there is none.
   */
  async revoke(nameOrId: string): Promise<ApiKeySummary | undefined> {
    let id: string | undefined;
    const claim = await this.records.get({ pk: NAME_PK, sk: nameOrId });
    if (typeof claim?.keyId === 'string') id = claim.keyId;
    else if (/^[0-9a-f]{16}$/.test(nameOrId)) id = nameOrId;
    if (!id) return undefined;
    const record = await this.records.get({ pk: KEY_PK, sk: id });
    // The key first: once it is gone the key works nowhere; the name claim is only bookkeeping.
    const deleted = record ? await this.records.delete({ pk: KEY_PK, sk: id }) : false;
    const name = typeof record?.name === 'string' ? record.name : nameOrId;
    await this.records.delete({ pk: NAME_PK, sk: name }, { kind: 'equals', attribute: 'keyId', value: id });
    return deleted && record ? summaryOf(record) : undefined;
  }

  /** The key's id, name and scope if `key` is a key that exists; undefined otherwise. */
  verify(key: string): Promise<VerifiedKey | undefined> {
    return verifyApiKey(this.records, key);
  }
}
