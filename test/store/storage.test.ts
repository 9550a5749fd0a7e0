// The storage ports' contract, on every adapter: SQLite (the embedded store, in memory and on
// disk) and the AWS adapters against their emulators (s3rver, dynalite).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import type { KeyRange, Storage } from '../../lib/store/ports.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';

const adapters: Array<[string, () => Promise<{ storage: Storage; stop(): Promise<void> }>]> = [
  ['sqlite in memory', async () => {
    const s = openSqliteStorage(':memory:');
    return { storage: s, stop: async () => s.close() };
  }],
  ['sqlite on disk', async () => {
    const s = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'canaria-db-')), 'canaria.db'));
    return { storage: s, stop: async () => s.close() };
  }],
  ['S3 and DynamoDB (s3rver, dynalite)', async () => {
    const e: Emulators = await startEmulators();
    return { storage: createStorage(e), stop: () => e.stop() };
  }],
];

describe.each(adapters)('%s', (_name, open) => {
  let storage: Storage;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ storage, stop } = await open()), 30_000);
  afterAll(() => stop());

  it('keeps JSON documents as Kayenta writes them (NaN as "NaN")', async () => {
    await storage.objects.putJson('a/b.json', { x: 1, y: NaN, z: [1, 'two'] });
    expect(await storage.objects.getJson('a/b.json')).toEqual({ x: 1, y: 'NaN', z: [1, 'two'] });
    await storage.objects.putJson('a/b.json', { x: 2 });
    expect(await storage.objects.getJson('a/b.json')).toEqual({ x: 2 });
    await storage.objects.delete('a/b.json');
    expect(await storage.objects.getJson('a/b.json')).toBeUndefined();
    await storage.objects.delete('a/b.json'); // deleting what is gone is fine
  });

  it('writes records only when their condition holds', async () => {
    const key = { pk: 'p', sk: 'k1' };
    expect(await storage.records.put({ ...key, v: 1 }, { kind: 'exists' })).toBe(false);
    expect(await storage.records.put({ ...key, v: 1 }, { kind: 'absent' })).toBe(true);
    expect(await storage.records.put({ ...key, v: 2 }, { kind: 'absent' })).toBe(false);
    expect(await storage.records.put({ ...key, v: 2 }, { kind: 'equals', attribute: 'v', value: 9 })).toBe(false);
    expect(await storage.records.put({ ...key, v: 2 }, { kind: 'equals', attribute: 'v', value: 1 })).toBe(true);
    expect(await storage.records.put({ ...key, v: 3 }, { kind: 'absentOrEquals', attribute: 'v', value: 2 })).toBe(true);
    expect(await storage.records.get(key)).toEqual({ ...key, v: 3 });
    expect(await storage.records.delete(key, { kind: 'equals', attribute: 'v', value: 1 })).toBe(false);
    expect(await storage.records.delete(key)).toBe(true);
    expect(await storage.records.delete(key)).toBe(false);
    expect(await storage.records.get(key)).toBeUndefined();
  });

  it('lists a partition in sort-key order, and only it', async () => {
    for (const sk of ['b', 'a', 'c', 'B', 'é']) await storage.records.put({ pk: 'list', sk, n: sk });
    await storage.records.put({ pk: 'other', sk: 'a' });
    expect((await storage.records.queryPartition('list')).map((r) => r.sk)).toEqual(['B', 'a', 'b', 'c', 'é']);
  });

  it('reads a bounded slice of a partition either way, from its end or past a sort key', async () => {
    for (const sk of ['b', 'a', 'c', 'B', 'é']) await storage.records.put({ pk: 'slice', sk, n: sk });
    await storage.records.put({ pk: 'slicf', sk: 'a' });
    const sks = async (range: KeyRange) => (await storage.records.queryPartition('slice', range)).map((r) => r.sk);
    expect(await sks({ limit: 2 })).toEqual(['B', 'a']);
    expect(await sks({ limit: 2, after: 'a' })).toEqual(['b', 'c']);
    expect(await sks({ limit: 9, after: 'b' })).toEqual(['c', 'é']);
    expect(await sks({ limit: 2, descending: true })).toEqual(['é', 'c']);
    expect(await sks({ limit: 2, descending: true, after: 'c' })).toEqual(['b', 'a']);
    expect(await sks({ limit: 9, descending: true, after: 'a' })).toEqual(['B']);
    expect(await sks({ limit: 9, descending: true, after: 'B' })).toEqual([]);
    expect(await sks({ limit: 1, after: 'az' })).toEqual(['b']); // a bound that is no record's key
    expect((await storage.records.queryPartition('slice', { limit: 1, descending: true }))[0]).toEqual({ pk: 'slice', sk: 'é', n: 'é' });
  });

  it('fills a slice past DynamoDB\'s 1 MB page', async () => {
    const big = 'x'.repeat(300_000);
    for (const sk of ['1', '2', '3', '4', '5']) await storage.records.put({ pk: 'big', sk, big });
    const got = await storage.records.queryPartition('big', { limit: 4, descending: true });
    expect(got.map((r) => r.sk)).toEqual(['5', '4', '3', '2']);
  });
});

describe('sqlite transactions', () => {
  it('apply all of their writes or none, and hold other writers back until they end', async () => {
    const s = openSqliteStorage(':memory:');
    const tx = s.transaction(async () => {
      await s.records.put({ pk: 't', sk: '1' });
      await new Promise((r) => setTimeout(r, 20));
      await s.objects.putJson('t/1', { ok: true });
      throw new Error('changed my mind');
    });
    const outside = s.records.put({ pk: 't', sk: 'outside' }); // queued behind the transaction
    await expect(tx).rejects.toThrow('changed my mind');
    expect(await outside).toBe(true);
    expect(await s.records.get({ pk: 't', sk: '1' })).toBeUndefined();
    expect(await s.objects.getJson('t/1')).toBeUndefined();
    expect(await s.records.get({ pk: 't', sk: 'outside' })).toEqual({ pk: 't', sk: 'outside' });
    await s.transaction(async () => {
      await s.records.put({ pk: 't', sk: '2' });
      await s.transaction(async () => s.objects.putJson('t/2', 2)); // nested: part of the outer one
    });
    expect(await s.objects.getJson('t/2')).toBe(2);
    await s.close();
  });

  it('refuses a file written by a newer schema', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'canaria-db-')), 'canaria.db');
    await openSqliteStorage(path).close();
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => openSqliteStorage(path)).toThrow(/written by a newer canaria \(schema 99; this one knows 1\)/);
  });
});
