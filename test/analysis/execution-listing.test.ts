// Listing executions (GET /canary/executions) reads what it answers, not every execution: an
// application's index, newest first, on SQLite and on DynamoDB (dynalite).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore, type ExecutionRecord } from '../../lib/analysis/executions.ts';
import { ulid } from '../../lib/analysis/ids.ts';
import { startEmulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import type { RecordStore, Storage } from '../../lib/store/ports.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';

const stores: Array<[string, () => Promise<{ storage: Storage; stop(): Promise<void> }>]> = [
  ['SQLite', async () => {
    const s = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'canaria-list-')), 'canaria.db'));
    return { storage: s, stop: () => s.close() };
  }],
  ['DynamoDB (dynalite)', async () => {
    const e = await startEmulators();
    return { storage: createStorage(e), stop: () => e.stop() };
  }],
];

const doc = { config: { name: 'c', metrics: [] }, executionRequest: { scopes: {}, thresholds: { pass: 95, marginal: 75 } } } as never;
const retention = { days: 10, extendedDays: 100 };
const DAY = 24 * 3600;
const ids = (rs: ExecutionRecord[]) => rs.map((r) => r.id);

/** The storage, with the records each call of its record store read counted. */
function counting(storage: Storage) {
  const count = { read: 0 };
  const r = storage.records;
  const records: RecordStore = {
    put: (record, condition) => r.put(record, condition),
    get: async (key) => {
      const got = await r.get(key);
      if (got) count.read++;
      return got;
    },
    queryPartition: async (pk, range) => {
      const got = await r.queryPartition(pk, range);
      count.read += got.length;
      return got;
    },
    delete: (key, condition) => r.delete(key, condition),
  };
  return { storage: { ...storage, records, transaction: storage.transaction?.bind(storage) } as Storage, count };
}

describe.each(stores)('listNewest on %s', (_name, open) => {
  let storage: Storage;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ storage, stop } = await open()), 30_000);
  afterAll(() => stop?.());

  const t0 = Date.UTC(2026, 0, 1);
  const record = (i: number, application: string): ExecutionRecord => ({
    id: ulid(t0 + i * 1000),
    application,
    status: 'running',
    stage: 'setupContext',
    canaryConfigId: 'c',
    metricCount: 1,
    buildTimeMillis: t0 + i * 1000,
  });
  it('answers an application\'s newest first, by page and status, reading about what it answers', async () => {
    const { storage: counted, count } = counting(storage);
    const executions = new ExecutionStore(counted, retention);
    const all = Array.from({ length: 300 }, (_, i) => record(i, ['a', 'b', 'c'][i % 3]));
    for (const r of all) await executions.create(r, doc);
    const ofA = all.filter((r) => r.application === 'a').reverse();
    // Every fifth of a's ended: succeeded (standard retention) or terminal.
    for (const [n, r] of ofA.entries()) {
      if (n % 5 === 0) await executions.update(r.id, { status: 'succeeded', stage: 'done' }, { standardRetention: true });
      if (n % 5 === 1) await executions.update(r.id, { status: 'terminal' });
    }
    await executions.listNewest({ application: 'a', skip: 0, limit: 1 }); // the index is complete: marked once

    count.read = 0;
    expect(ids(await executions.listNewest({ application: 'a', skip: 0, limit: 20 }))).toEqual(ids(ofA.slice(0, 20)));
    expect(count.read).toBe(40); // 20 entries, 20 records
    expect(ids(await executions.listNewest({ application: 'a', skip: 40, limit: 20 }))).toEqual(ids(ofA.slice(40, 60)));
    expect(ids(await executions.listNewest({ application: 'a', skip: 90, limit: 20 }))).toEqual(ids(ofA.slice(90)));
    expect(await executions.listNewest({ application: 'zzz', skip: 0, limit: 20 })).toEqual([]);

    count.read = 0;
    const succeeded = await executions.listNewest({ application: 'a', statuses: new Set(['succeeded']), skip: 2, limit: 5 });
    expect(ids(succeeded)).toEqual(ids(ofA.filter((_, n) => n % 5 === 0).slice(2, 7)));
    expect(succeeded.every((r) => r.status === 'succeeded' && r.stage === 'done')).toBe(true);
    expect(count.read).toBeLessThan(35 + 7); // the entries up to the 7th succeeded, and 7 records
    const ended = await executions.listNewest({ application: 'a', statuses: new Set(['succeeded', 'terminal']), skip: 0, limit: 100 });
    expect(ids(ended)).toEqual(ids(ofA.filter((_, n) => n % 5 < 2)));

    // All applications: the records' own partition, newest first.
    count.read = 0;
    expect(ids(await executions.listNewest({ skip: 10, limit: 20 }))).toEqual(ids([...all].reverse().slice(10, 30)));
    expect(count.read).toBe(30);
    expect(ids(await executions.listNewest({ statuses: new Set(['terminal']), skip: 0, limit: 3 }))).toEqual(ids(ofA.filter((_, n) => n % 5 === 1).slice(0, 3)));
  });

  it('gives an index entry the record\'s expiry, standard once it passed', async () => {
    const executions = new ExecutionStore(storage, retention);
    const r = record(1000, 'expiry');
    await executions.create(r, doc);
    const entry = () => storage.records.get({ pk: 'canaryExecutionByApp#expiry', sk: r.id });
    const stored = () => storage.records.get({ pk: 'canaryExecution', sk: r.id });
    const built = Math.floor(r.buildTimeMillis / 1000);
    expect(await entry()).toEqual({ pk: 'canaryExecutionByApp#expiry', sk: r.id, status: 'running', expiresAt: built + 100 * DAY });
    await executions.update(r.id, { stage: 'fetch' });
    await executions.update(r.id, { status: 'succeeded', stage: 'done' }, { standardRetention: true });
    expect(await entry()).toEqual({ pk: 'canaryExecutionByApp#expiry', sk: r.id, status: 'succeeded', expiresAt: built + 10 * DAY });
    expect((await stored())!.expiresAt).toBe(built + 10 * DAY);
  });

  it('passes over an entry whose record is missing or another application\'s', async () => {
    const executions = new ExecutionStore(storage, retention);
    const kept = record(2000, 'partial');
    await executions.create(kept, doc);
    // A write that stopped after the entry (no transactions), and a name taken by another application.
    const lost = record(2001, 'partial');
    await storage.records.put({ pk: 'canaryExecutionByApp#partial', sk: lost.id, status: 'running' });
    const other = record(2002, 'elsewhere');
    await executions.create(other, doc);
    expect(await executions.create({ ...other, application: 'partial' }, doc)).toBe(false);
    expect(ids(await executions.listNewest({ application: 'partial', skip: 0, limit: 20 }))).toEqual([kept.id]);
  });
});

describe.each(stores)('a store of executions recorded before the application indexes, on %s', (_name, open) => {
  let storage: Storage;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ storage, stop } = await open()), 30_000);
  afterAll(() => stop?.());

  it('is indexed once, by the first listing of an application, and then lists as a new one', async () => {
    // Records as an earlier canaria wrote them: no index entries (more than one page of them).
    const old = Array.from({ length: 1030 }, (_, i) => ({ id: ulid(Date.UTC(2025, 5, 1) + i), application: i % 2 ? 'shop' : 'cart', status: i % 3 ? 'succeeded' : 'terminal' }));
    for (const r of old) await storage.records.put({ pk: 'canaryExecution', sk: r.id, application: r.application, status: r.status, stage: 'done', buildTimeMillis: 1, expiresAt: 123 });
    const executions = new ExecutionStore(storage, retention);
    const newer = { ...old[0], id: ulid(Date.UTC(2026, 0, 1)), application: 'shop', status: 'running' as const };
    await executions.create({ ...newer, stage: 'setupContext', canaryConfigId: 'c', metricCount: 1, buildTimeMillis: Date.UTC(2026, 0, 1) }, doc);

    const shop = await executions.listNewest({ application: 'shop', skip: 0, limit: 1000 });
    expect(ids(shop)).toEqual([newer.id, ...old.filter((r) => r.application === 'shop').reverse().map((r) => r.id)]);
    expect(await storage.records.get({ pk: 'canaryExecutionByApp#cart', sk: old[0].id })).toEqual({ pk: 'canaryExecutionByApp#cart', sk: old[0].id, status: 'terminal', expiresAt: 123 });
    expect(ids(await executions.listNewest({ application: 'cart', statuses: new Set(['terminal']), skip: 0, limit: 1000 }))).toEqual(
      old.filter((r) => r.application === 'cart' && r.status === 'terminal').reverse().map((r) => r.id),
    );

    // Another process: the mark says the indexes are complete; nothing is read again.
    const { storage: counted, count } = counting(storage);
    expect(ids(await new ExecutionStore(counted, retention).listNewest({ application: 'shop', skip: 0, limit: 2 }))).toEqual(ids(shop.slice(0, 2)));
    expect(count.read).toBe(1 + 2 + 2); // the mark, 2 entries, 2 records
  });
});
