// Storage ports. Adapters: S3 (objects) and DynamoDB (records) on AWS, SQLite (both) embedded;
// the domain stores are written against these ports only.

/** Large JSON documents: configs, metric series, judge results. */
export interface ObjectStore {
  putJson(key: string, value: unknown): Promise<void>;
  getJson<T = unknown>(key: string): Promise<T | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Sets an existing object's tags (S3 lifecycle rules match them: docs/deploy.md, Data and
   * retention). An adapter where nothing expires keeps none.
   */
  tag(key: string, tags: Record<string, string>): Promise<void>;
}

export type RecordKey = { pk: string; sk: string };
export type StoredRecord = RecordKey & Record<string, unknown>;

/** A bounded slice of a partition, read in sort-key order. */
export interface KeyRange {
  /** At most this many records (1 or more). */
  limit: number;
  /** Read from the largest sort key down. */
  descending?: boolean;
  /** Start past this sort key (excluded), in the direction read: where the previous slice ended. */
  after?: string;
}

/** A write or delete that only happens when the stored record is in the stated condition. */
export type Condition =
  | { kind: 'absent' }
  | { kind: 'exists' }
  | { kind: 'absentOrEquals'; attribute: string; value: unknown }
  | { kind: 'equals'; attribute: string; value: unknown };

/** Both stores of one deployment. */
export interface Storage {
  objects: ObjectStore;
  records: RecordStore;
  /**
   * Runs `fn` (whose writes go through these stores) as one transaction where the adapter has
   * them (SQLite: all of its writes or none, even if the process dies). Without it, writes
   * happen one by one, and callers order them so that a partial write is harmless.
   */
  transaction?<T>(fn: () => Promise<T>): Promise<T>;
}

/** `fn` as one transaction where `storage` has them, else as is. */
export function atomically(storage: Storage): <T>(fn: () => Promise<T>) => Promise<T> {
  return storage.transaction ? (fn) => storage.transaction!(fn) : (fn) => fn();
}

/** Small records with conditional writes: summaries, indexes, execution state. */
export interface RecordStore {
  /** Returns false (and writes nothing) when the condition does not hold. */
  put(record: StoredRecord, condition?: Condition): Promise<boolean>;
  get(key: RecordKey): Promise<StoredRecord | undefined>;
  /**
   * The records of a partition in sort-key order: every one, or with `range` at most
   * `range.limit` of them (one query on the key's order, not a read of the whole partition).
   */
  queryPartition(pk: string, range?: KeyRange): Promise<StoredRecord[]>;
  /** Returns false when the condition does not hold or nothing was there. */
  delete(key: RecordKey, condition?: Condition): Promise<boolean>;
}
