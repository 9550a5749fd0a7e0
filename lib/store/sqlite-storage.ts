// The embedded store of `canaria serve` and `canaria analyze`: both ports on one SQLite database
// (Node's built-in node:sqlite), in WAL mode, with transactions. A write acknowledged to a
// caller has been committed, so it survives the process being killed; a transaction that was
// not committed leaves nothing behind.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { DatabaseSync as Database, StatementSync } from 'node:sqlite';
import { kayentaJson } from '../json.ts';
import type { Condition, ObjectStore, RecordKey, RecordStore, Storage, StoredRecord } from './ports.ts';

/** node:sqlite, without the one-time ExperimentalWarning it prints on Node 22 (noise on stderr). */
function loadSqlite(): typeof import('node:sqlite') {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).startsWith('SQLite is an experimental')) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

/** The schema; `user_version` says which one a file holds. */
const SCHEMA_VERSION = 1;
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS records (pk TEXT NOT NULL, sk TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (pk, sk)) STRICT;
`;

function holds(stored: StoredRecord | undefined, condition: Condition | undefined): boolean {
  switch (condition?.kind) {
    case undefined:
      return true;
    case 'absent':
      return stored === undefined;
    case 'exists':
      return stored !== undefined;
    case 'absentOrEquals':
      return stored === undefined || JSON.stringify(stored[condition.attribute]) === JSON.stringify(condition.value);
    case 'equals':
      return stored !== undefined && JSON.stringify(stored[condition.attribute]) === JSON.stringify(condition.value);
  }
}

export interface SqliteStorage extends Storage {
  /** The database file, or ':memory:'. */
  readonly path: string;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** True when it holds no object and no record. */
  isEmpty(): Promise<boolean>;
  /** Closes the database once every operation already asked for has run. */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the store at `path` (':memory:' for one that lives as long as the
 * process). One connection serves everything: each operation runs alone, and a transaction
 * holds every other operation back until it commits or rolls back.
 */
export function openSqliteStorage(path: string): SqliteStorage {
  const { DatabaseSync } = loadSqlite();
  const db: Database = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL'); // ':memory:' stays in memory: fine
  // NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`${path} was written by a newer canaria (schema ${version}; this one knows ${SCHEMA_VERSION})`);
  }
  db.exec(SCHEMA);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);

  const sql = {
    getObject: db.prepare('SELECT body FROM objects WHERE key = ?'),
    putObject: db.prepare('INSERT INTO objects (key, body) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET body = excluded.body'),
    deleteObject: db.prepare('DELETE FROM objects WHERE key = ?'),
    getRecord: db.prepare('SELECT body FROM records WHERE pk = ? AND sk = ?'),
    putRecord: db.prepare('INSERT INTO records (pk, sk, body) VALUES (?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET body = excluded.body'),
    deleteRecord: db.prepare('DELETE FROM records WHERE pk = ? AND sk = ?'),
    partition: db.prepare('SELECT body FROM records WHERE pk = ? ORDER BY sk'),
    // Slices: on the primary key's index, reading only the rows returned.
    first: db.prepare('SELECT body FROM records WHERE pk = ? ORDER BY sk LIMIT ?'),
    last: db.prepare('SELECT body FROM records WHERE pk = ? ORDER BY sk DESC LIMIT ?'),
    firstAfter: db.prepare('SELECT body FROM records WHERE pk = ? AND sk > ? ORDER BY sk LIMIT ?'),
    lastBefore: db.prepare('SELECT body FROM records WHERE pk = ? AND sk < ? ORDER BY sk DESC LIMIT ?'),
  } satisfies Record<string, StatementSync>;

  const inTransaction = new AsyncLocalStorage<true>();
  let tail: Promise<unknown> = Promise.resolve();
  /** Runs `fn` after everything queued before it; inside a transaction, at once (it is part of it). */
  const exclusive = <T>(fn: () => T | Promise<T>): Promise<T> => {
    if (inTransaction.getStore()) return Promise.resolve().then(fn);
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  /** Several statements as one: all or none. */
  const atomically = <T>(fn: () => T): T => {
    if (inTransaction.getStore()) return fn();
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (err) {
      rollback();
      throw err;
    }
  };
  /** After a failed statement or COMMIT (SQLite may have rolled back already). */
  const rollback = () => {
    if (db.isTransaction) db.exec('ROLLBACK');
  };
  const readRecord = (key: RecordKey): StoredRecord | undefined => {
    const row = sql.getRecord.get(key.pk, key.sk) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as StoredRecord) : undefined;
  };

  const objects: ObjectStore = {
    putJson: (key, value) => exclusive(() => void sql.putObject.run(key, kayentaJson(value))),
    getJson: <T>(key: string) =>
      exclusive(() => {
        const row = sql.getObject.get(key) as { body: string } | undefined;
        return row ? (JSON.parse(row.body) as T) : undefined;
      }),
    delete: (key) => exclusive(() => void sql.deleteObject.run(key)),
    tag: async () => {}, // nothing expires here
  };

  const records: RecordStore = {
    put: (record, condition) =>
      exclusive(() =>
        atomically(() => {
          if (!holds(readRecord(record), condition)) return false;
          sql.putRecord.run(record.pk, record.sk, JSON.stringify(record));
          return true;
        }),
      ),
    get: (key) => exclusive(() => readRecord(key)),
    queryPartition: (pk, range) =>
      exclusive(() => {
        const rows = !range
          ? sql.partition.all(pk)
          : range.after === undefined
            ? (range.descending ? sql.last : sql.first).all(pk, range.limit)
            : (range.descending ? sql.lastBefore : sql.firstAfter).all(pk, range.after, range.limit);
        return (rows as Array<{ body: string }>).map((r) => JSON.parse(r.body) as StoredRecord);
      }),
    delete: (key, condition = { kind: 'exists' }) =>
      exclusive(() =>
        atomically(() => {
          if (!holds(readRecord(key), condition)) return false;
          return Number(sql.deleteRecord.run(key.pk, key.sk).changes) > 0;
        }),
      ),
  };

  return {
    path,
    objects,
    records,
    transaction: <T>(fn: () => Promise<T>): Promise<T> => {
      if (inTransaction.getStore()) return fn(); // nested: part of the outer one
      return exclusive(() =>
        inTransaction.run(true, async () => {
          db.exec('BEGIN IMMEDIATE');
          try {
            const out = await fn();
            db.exec('COMMIT');
            return out;
          } catch (err) {
            rollback();
            throw err;
          } finally {
            // Node 22 tracks every promise while an AsyncLocalStorage is enabled: only during one.
            inTransaction.disable();
          }
        }),
      );
    },
    isEmpty: () => exclusive(() => db.prepare('SELECT (SELECT COUNT(*) FROM objects) + (SELECT COUNT(*) FROM records) AS n').get()!.n === 0),
    close: async () => {
      await tail;
      if (db.isOpen) db.close();
    },
  };
}
