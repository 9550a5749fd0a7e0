// The key store on both record stores it runs on (SQLite locally, DynamoDB on AWS via dynalite):
// keys stored hashed, shown once, names unique, revocation final, and the cache's bounds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyError, ApiKeyStore } from '../../lib/auth/api-keys.ts';
import { cachedVerifier } from '../../lib/auth/cache.ts';
import { dynamoRecords } from '../../lib/auth/dynamo-keys.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import type { RecordStore } from '../../lib/store/ports.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';

let emulators: Emulators;
const sqlite = openSqliteStorage(':memory:');
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await sqlite.close();
  await emulators?.stop();
});

describe.each([
  ['SQLite', () => sqlite.records],
  ['DynamoDB (dynalite)', () => dynamoRecords(emulators.table, { endpoint: emulators.dynamoEndpoint })],
] as Array<[string, () => RecordStore]>)('API keys on %s', (_name, records) => {
  it('stores only a SHA-256 of the key, shows it once, and verifies it', async () => {
    const store = new ApiKeyStore(records(), () => Date.parse('2026-01-02T03:04:05Z'));
    const { key, summary } = await store.create({ name: 'ci', scope: 'analyze' });
    expect(key).toMatch(/^cnr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(summary).toEqual({ id: key.slice(4, 20), name: 'ci', scope: 'analyze', createdAt: '2026-01-02T03:04:05.000Z', hint: `cnr_${key.slice(4, 20)}_…${key.slice(-4)}` });
    const stored = await records().get({ pk: 'apiKey', sk: summary.id });
    expect(JSON.stringify(stored)).not.toContain(key.slice(21));
    expect(stored!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.verify(key)).toEqual({ id: summary.id, name: 'ci', scope: 'analyze' });
    expect((await store.list()).find((k) => k.name === 'ci')).toEqual(summary);
    expect(JSON.stringify(await store.list())).not.toContain(key.slice(21, -4));
    await store.revoke('ci');
  });

  it('refuses what is not a key, and the right id with another secret', async () => {
    const store = new ApiKeyStore(records());
    const { key } = await store.create({ scope: 'read' });
    for (const wrong of ['', 'cnr_', key.slice(0, -1), `${key}x`, key.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')), key.toUpperCase(), ` ${key}`]) {
      expect(await store.verify(wrong), wrong).toBeUndefined();
    }
  });

  it('keeps names unique, and frees a name when its key is revoked', async () => {
    const store = new ApiKeyStore(records());
    const first = await store.create({ name: 'argo', scope: 'read' });
    await expect(store.create({ name: 'argo', scope: 'admin' })).rejects.toThrow(new ApiKeyError('a key named "argo" exists already (revoke it first, or choose another --name)'));
    expect((await store.revoke('argo'))?.name).toBe('argo');
    expect(await store.verify(first.key)).toBeUndefined();
    expect(await store.revoke('argo')).toBeUndefined();
    const second = await store.create({ name: 'argo', scope: 'admin' });
    expect(await store.verify(first.key)).toBeUndefined(); // the old key does not come back with the name
    expect((await store.verify(second.key))?.scope).toBe('admin');
    expect((await store.revoke(second.summary.id))?.name).toBe('argo'); // by id too
  });

  it('takes over a name whose key is gone (a create or revoke cut short)', async () => {
    const store = new ApiKeyStore(records());
    await records().put({ pk: 'apiKeyName', sk: 'orphan', keyId: 'ffffffffffffffff' });
    const { key } = await store.create({ name: 'orphan', scope: 'read' });
    expect((await store.verify(key))?.name).toBe('orphan');
    await store.revoke('orphan');
  });

  it('validates names and scopes, naming the field', async () => {
    const store = new ApiKeyStore(records());
    await expect(store.create({ scope: 'root' })).rejects.toThrow(/^scope: /);
    await expect(store.create({ name: '-x', scope: 'read' })).rejects.toThrow(/^name: must be 1 to 64 letters/);
    await expect(store.create({ name: 'a'.repeat(65), scope: 'read' })).rejects.toThrow(/^name: /);
  });
});

describe('cachedVerifier', () => {
  it('believes a key for ttlMs, caches no refusal, forgets the oldest past maxEntries', async () => {
    let now = 0;
    const asked: string[] = [];
    const verify = cachedVerifier(async (k: string) => (asked.push(k), k.startsWith('good') ? { k } : undefined), { ttlMs: 1000, now: () => now, maxEntries: 2 });
    await verify('good-1');
    await verify('good-1');
    await verify('bad');
    await verify('bad');
    expect(asked).toEqual(['good-1', 'bad', 'bad']);
    await verify('good-2');
    await verify('good-3'); // good-1 is dropped
    await verify('good-1');
    expect(asked.slice(3)).toEqual(['good-2', 'good-3', 'good-1']);
    now = 999;
    await verify('good-3');
    expect(asked.length).toBe(6);
    now = 1000;
    await verify('good-3');
    expect(asked.length).toBe(7);
  });

  it('with ttlMs 0 asks every time', async () => {
    let n = 0;
    const verify = cachedVerifier(async () => (n++, { ok: true }), { ttlMs: 0 });
    await verify('a');
    await verify('a');
    expect(n).toBe(2);
  });
});
