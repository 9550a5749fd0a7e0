// The embedded store: one SQLite file in the data directory (canaria.db), or one in memory.
// A directory still holding the emulators' files of older releases is migrated first.
import { join } from 'node:path';
import { openSqliteStorage, type SqliteStorage } from '../store/sqlite-storage.ts';
import { lockDataDir } from './data-dir.ts';
import { migrateLegacyDataDir } from './legacy-data-dir.ts';

export interface EmbeddedStorage {
  storage: SqliteStorage;
  stop(): Promise<void>;
}

/** Opens the store of `dataDir` (locked for this process), or an in-memory one without it. */
export async function openEmbeddedStorage(options: { dataDir?: string; log?: (line: string) => void } = {}): Promise<EmbeddedStorage> {
  if (!options.dataDir) {
    const storage = openSqliteStorage(':memory:');
    return { storage, stop: () => storage.close() };
  }
  const unlock = await lockDataDir(options.dataDir);
  let storage: SqliteStorage | undefined;
  try {
    storage = openSqliteStorage(join(options.dataDir, 'canaria.db'));
    const migration = await migrateLegacyDataDir(options.dataDir, storage);
    if (migration) {
      const repaired = migration.repaired;
      const skipped = migration.unreadable.length ? `; ${migration.unreadable.length} unreadable object(s) skipped (${migration.unreadable.join(', ')})` : '';
      const dropped = repaired.length ? `; ${repaired.length} config(s) whose document was lost dropped (${repaired.join(', ')})` : '';
      options.log?.(`moved ${migration.records} record(s) and ${migration.objects} object(s) from the old storage into ${storage.path}${skipped}${dropped}; the old files are in ${migration.movedTo}`);
    }
  } catch (err) {
    await storage?.close();
    await unlock();
    throw err;
  }
  const opened = storage;
  return {
    storage: opened,
    async stop() {
      await opened.close();
      await unlock();
    },
  };
}
