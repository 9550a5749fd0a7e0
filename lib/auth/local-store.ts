// The store of a data directory, for `canaria keys` while `canaria serve` may be running on it.
//
// serve locks its data directory (canaria.pid) so that two services never run on one store. The
// keys command deliberately does not take that lock: it opens canaria.db as a second SQLite
// connection, which the store's WAL mode and busy timeout make safe (each write is a short
// transaction; readers never block the writer), and a key created or revoked is seen by the
// running serve at its next request. The one case where it must go through the lock is a data
// directory of an older release that has not been moved into canaria.db yet: the migration
// needs an empty store, so the keys command runs it first (and is refused while a serve runs,
// which would have migrated it already).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openEmbeddedStorage } from '../local/embedded-storage.ts';
import { hasLegacyData } from '../local/legacy-data-dir.ts';
import type { RecordStore } from '../store/ports.ts';
import { openSqliteStorage } from '../store/sqlite-storage.ts';

export interface OpenedRecords {
  records: RecordStore;
  close(): Promise<void>;
}

export class NoDataDirError extends Error {}

/** The records of `dataDir`'s store; `create` makes the directory and store if missing. */
export async function openDataDirRecords(dataDir: string, options: { create?: boolean; log?: (line: string) => void } = {}): Promise<OpenedRecords> {
  if (!existsSync(join(dataDir, 'canaria.db')) && !hasLegacyData(dataDir)) {
    if (!options.create) throw new NoDataDirError(`${dataDir} holds no canaria store (canaria.db): nothing to list or revoke`);
    await mkdir(dataDir, { recursive: true });
  }
  if (hasLegacyData(dataDir)) {
    const embedded = await openEmbeddedStorage({ dataDir, log: options.log });
    return { records: embedded.storage.records, close: embedded.stop };
  }
  const storage = openSqliteStorage(join(dataDir, 'canaria.db'));
  return { records: storage.records, close: () => storage.close() };
}
