// The repeated-look sequence store (lib/analysis/sequences.ts) on both record stores: the embedded
// SQLite and DynamoDB (dynalite): one record per (application, analysisKey), every write
// conditional on the revision read, an expiry like a failed execution's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequenceStore, stopped, type NewSequence } from '../../lib/analysis/sequences.ts';
import { startEmulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import type { Storage } from '../../lib/store/ports.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';

const adapters: Array<[string, () => Promise<{ storage: Storage; stop(): Promise<void> }>]> = [
  ['sqlite', async () => {
    const s = openSqliteStorage(':memory:');
    return { storage: s, stop: async () => s.close() };
  }],
  ['DynamoDB (dynalite)', async () => {
    const e = await startEmulators();
    return { storage: createStorage(e), stop: () => e.stop() };
  }],
];

const NOW = Date.UTC(2026, 0, 1);
const first: NewSequence = {
  application: 'shop',
  analysisKey: 'shop-rollout/7f9c8d6b5',
  lifetimeMinutes: 60,
  windowStarts: { default: { control: '2026-01-01T00:00:00Z', experiment: '2026-01-01T00:00:00Z' } },
  startMillis: NOW,
  pending: { executionId: 'look-1', windowEndMillis: NOW + 300_000 },
};

describe.each(adapters)('SequenceStore on %s', (_name, open) => {
  let storage: Storage;
  let stop: () => Promise<void>;
  let store: SequenceStore;
  beforeAll(async () => {
    ({ storage, stop } = await open());
    store = new SequenceStore(storage.records, { days: 90, extendedDays: 365 });
  }, 30_000);
  afterAll(() => stop());

  it('creates a sequence once per application and key, and reads it back', async () => {
    expect(await store.get('shop', first.analysisKey)).toBeUndefined();
    expect(await store.create(first, NOW)).toBe(true);
    expect(await store.create({ ...first, pending: { executionId: 'other', windowEndMillis: NOW } }, NOW)).toBe(false);
    expect(await store.create({ ...first, application: 'cart' }, NOW)).toBe(true); // another application's
    const read = await store.get('shop', first.analysisKey);
    expect(read).toEqual({ ...first, revision: 0, looks: 0, state: null, answer: null, createdMillis: NOW, updatedMillis: NOW });
    expect(stopped(read!)).toBe(false);
    const raw = await storage.records.get({ pk: 'canarySequence', sk: JSON.stringify(['shop', first.analysisKey]) });
    expect(raw?.expiresAt).toBe(NOW / 1000 + 365 * 86_400);
  });

  it('writes only from the revision it read: of two writers that read the same record, one wins', async () => {
    const read = (await store.get('shop', first.analysisKey))!;
    const state = { version: 1, judge: 'canaria-v1', looks: 1, stoppedAtLook: 1, decision: 'fail', metrics: { errors: { looks: 1, tests: {}, decision: 'fail' } } } as const;
    const answer = { phase: 'Failed', score: 0, sequence: { look: 1 } };
    expect(await store.update(read, { looks: 1, state, pending: null, answer }, NOW + 1000)).toBe(true);
    expect(await store.update(read, { looks: 1, state, pending: null, answer }, NOW + 2000)).toBe(false);
    const after = (await store.get('shop', first.analysisKey))!;
    expect(after).toMatchObject({ revision: 1, looks: 1, state, pending: null, answer, createdMillis: NOW, updatedMillis: NOW + 1000 });
    expect(stopped(after)).toBe(true);
  });
});
