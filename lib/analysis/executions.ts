// Canary executions: a small record per execution in the record store (status, stage, summary)
// and the large parts in the object store (the request with the config snapshot, metric sets,
// the judge result). Status changes are conditional, so a retried task never undoes an end.
import type { CanaryConfig } from '../config/canary-config.ts';
import type { ExecutionRequest } from '../config/execution-request.ts';
import { NotFoundError } from '../errors.ts';
import type { ExplainedResult } from './verdict.ts';
import type { MetricSet } from '../metrics/types.ts';
import { atomically, type ObjectStore, type RecordStore, type Storage, type StoredRecord } from '../store/ports.ts';
import { EXECUTION_ID_PATTERN } from './ids.ts';

export const STAGES = ['setupContext', 'fetch', 'mixMetrics', 'judge', 'done'] as const;
export type Stage = (typeof STAGES)[number];
export type ExecutionStatus = 'running' | 'succeeded' | 'terminal';

/** Orca's exception context, as Kayenta reports the first failing stage's. */
export interface ExecutionException {
  timestamp: number;
  exceptionType: string;
  operation: string;
  details: { error: string; errors: string[] };
  shouldRetry: boolean;
}

export interface ExecutionRecord {
  id: string;
  application: string;
  status: ExecutionStatus;
  stage: Stage;
  canaryConfigId: string;
  metricCount: number;
  metricsAccountName?: string;
  storageAccountName?: string;
  configurationAccountName?: string;
  parentPipelineExecutionId?: string;
  buildTimeMillis: number;
  startTimeMillis?: number;
  endTimeMillis?: number;
  metricSetPairListId?: string;
  score?: number;
  classification?: string;
  exception?: ExecutionException;
  idempotencyKey?: string;
  /** A direct start's state machine execution (its ARN and start time): a retried Plan or RecordFailure knows its own record by it. */
  startedBy?: string;
}

/**
 * What RecordFailure meant to record when the record store refused it (S3, beside the request):
 * a record still running past MAX_EXECUTION_MILLIS is ended with it instead of as a timeout.
 */
export interface FailureNote {
  stage: Stage;
  exception: ExecutionException;
}

/** What the analysis runs on, kept as submitted (the config is a snapshot). */
export interface ExecutionDocument {
  config: CanaryConfig;
  executionRequest: ExecutionRequest;
  /** The record's canaryConfigId, for the tasks that read no records (absent from documents written before it was kept). */
  canaryConfigId?: string;
}

/** Orca-shaped exception of a failed stage. */
export function failure(operation: Stage, exceptionType: string, message: string, shouldRetry = false, timestamp = Date.now()): ExecutionException {
  return { timestamp, exceptionType, operation, details: { error: message, errors: [message] }, shouldRetry };
}

/**
 * Express executions end within 5 minutes (canaria's TimeoutSeconds: 280 s); a record still
 * running well after that has lost its state machine (lib/analysis/status.ts, currentRecord).
 */
export const MAX_EXECUTION_MILLIS = 330_000;

const PK = 'canaryExecution';
const IDEMPOTENCY_PK = 'canaryExecutionIdempotency';
/**
 * An application's index: one entry per execution (sk its id, as the record's) with its status
 * and expiry, so that a listing of one application is a query of that application's partition,
 * newest first, reading as many entries as it answers. One partition per application, not per
 * application and day: a DynamoDB partition takes 1,000 writes a second and one application at
 * 100,000 executions an hour makes about 60 (an entry written at the start and at the end), and
 * the table has no local index (so no 10 GB cap on a partition); day partitions would make a
 * listing of an application that ran last month query every day since. The records' own
 * partition (every execution, in id order) serves a listing of all applications the same way.
 */
const byApplication = (application: string) => `canaryExecutionByApp#${application}`;
/** Its record says the application indexes are complete (#indexed). */
const INDEX_PK = 'canaryExecutionIndex';
/** Index entries read per query. */
const INDEX_PAGE = 100;
/** Records read per query when indexing those of an earlier canaria. */
const BACKFILL_PAGE = 1000;
const DAY_SECONDS = 24 * 3600;

/**
 * Days an analysis is kept (docs/deploy.md, Data and retention): a passed one `days`, any other
 * (failed, marginal, ended without a verdict) `extendedDays`. Records expire by DynamoDB TTL
 * (`expiresAt`), objects by S3 lifecycle rules on the `canaria-retention` tag.
 */
export interface Retention {
  days: number;
  extendedDays: number;
}

const DEFAULT_RETENTION: Retention = { days: 90, extendedDays: 365 };
/** The tag S3's shorter lifecycle rule matches. */
const STANDARD_RETENTION_TAG = { 'canaria-retention': 'standard' };

/** CANARIA_RETENTION_DAYS and CANARIA_EXTENDED_RETENTION_DAYS (the stack's parameters), else the defaults. */
export function retentionFromEnvironment(env: Record<string, string | undefined> = process.env): Retention {
  const days = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined || text === '') return fallback;
    if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new Error(`${name} must be a whole number of days (1 or more), not '${text}'`);
    return Number(text);
  };
  return {
    days: days('CANARIA_RETENTION_DAYS', env.CANARIA_RETENTION_DAYS, DEFAULT_RETENTION.days),
    extendedDays: days('CANARIA_EXTENDED_RETENTION_DAYS', env.CANARIA_EXTENDED_RETENTION_DAYS, DEFAULT_RETENTION.extendedDays),
  };
}

const requestKey = (id: string) => `executions/${id}/request.json`;
/** A stored metric set list's name within its execution (Mix lists them for Record). */
export const setsName = (metric: number, side: string) => `${metric}-${side}`;
const setsKey = (id: string, metric: number, side: string) => `executions/${id}/sets/${setsName(metric, side)}.json`;
/** Objects tagged at once by tagStandard, and its time (well inside Record's 10 s). */
const TAG_CONCURRENCY = 16;
const TAG_BUDGET_MILLIS = 4_000;
const resultKey = (id: string) => `executions/${id}/judge-result.json`;
const failureKey = (id: string) => `executions/${id}/failure.json`;
const pairListKey = (id: string) => `metric_set_pair_list/${id}.json`;

function toRecord(r: StoredRecord): ExecutionRecord {
  const { pk: _pk, sk, expiresAt: _e, ...rest } = r;
  return { ...(rest as unknown as Omit<ExecutionRecord, 'id'>), id: sk };
}

/** A stored execution record's entry in its application's index: it expires with the record. */
function indexEntry(r: StoredRecord): StoredRecord {
  return { pk: byApplication(r.application as string), sk: r.sk, status: r.status, ...(r.expiresAt !== undefined && { expiresAt: r.expiresAt }) };
}

/** What listNewest answers. */
export interface ListQuery {
  /** Only this application's. */
  application?: string;
  /** Only executions in one of these statuses (none: every one). */
  statuses?: ReadonlySet<string>;
  /** How many of the newest to pass over (paging). */
  skip: number;
  limit: number;
}

export class ExecutionStore {
  private readonly objects: ObjectStore;
  private readonly records: RecordStore;
  /** Request documents never change once written: each is read once per process. */
  private readonly documents = new Map<string, Promise<ExecutionDocument>>();
  #indexing?: Promise<void>;

  /** `fn`'s writes as one transaction where the storage has them (SQLite), else as they come. */
  readonly atomically: <T>(fn: () => Promise<T>) => Promise<T>;

  private readonly retention: Retention;

  constructor(storage: Storage, retention: Retention = retentionFromEnvironment()) {
    this.objects = storage.objects;
    this.records = storage.records;
    this.atomically = atomically(storage);
    this.retention = retention;
  }

  private expiresAt(fromMillis: number, days: number): number {
    return Math.floor(fromMillis / 1000) + days * DAY_SECONDS;
  }

  /**
   * Claims the id with the record, then writes the document (one transaction where the storage
   * has them); false (nothing written) if the id is taken.
   */
  async create(record: ExecutionRecord, doc: ExecutionDocument): Promise<boolean> {
    const created = await this.atomically(() => this.#create(record, doc));
    if (created) this.remember(record.id, Promise.resolve(doc)); // once committed
    return created;
  }

  async #create(record: ExecutionRecord, doc: ExecutionDocument): Promise<boolean> {
    const { id, ...rest } = record;
    // Kept long until Record knows it passed (update's standardRetention).
    const expiresAt = this.expiresAt(record.buildTimeMillis, this.retention.extendedDays);
    // The index entry first: without transactions, one whose record was not written is passed
    // over by listNewest; `absent`, so that a retried start never rewinds an ended one's status.
    await this.records.put(indexEntry({ pk: PK, sk: id, ...rest, expiresAt }), { kind: 'absent' });
    const claimed = await this.records.put({ pk: PK, sk: id, ...rest, expiresAt }, { kind: 'absent' });
    if (!claimed) return false;
    try {
      await this.objects.putJson(requestKey(id), doc);
    } catch (err) {
      // Without transactions the record stays: it is ended (with one, nothing stays).
      await this.update(id, { status: 'terminal', endTimeMillis: record.buildTimeMillis, exception: failure('setupContext', 'StorageError', (err as Error).message) });
      throw err;
    }
    return true;
  }

  /** The execution an idempotency key already started, or claims the key for `id`. */
  async claimIdempotencyKey(key: string, id: string, now: number): Promise<string | undefined> {
    const claimed = await this.records.put(
      { pk: IDEMPOTENCY_PK, sk: key, executionId: id, expiresAt: this.expiresAt(now, this.retention.days) },
      { kind: 'absent' },
    );
    if (claimed) return undefined;
    return (await this.records.get({ pk: IDEMPOTENCY_PK, sk: key }))?.executionId as string | undefined;
  }

  async find(id: string): Promise<ExecutionRecord | undefined> {
    if (!EXECUTION_ID_PATTERN.test(id)) return undefined;
    const r = await this.records.get({ pk: PK, sk: id });
    return r && toRecord(r);
  }

  async get(id: string): Promise<ExecutionRecord> {
    const r = await this.find(id);
    if (!r) throw new NotFoundError(`Canary execution '${id}' was not found.`);
    return r;
  }

  /**
   * The newest executions first (in id order, as recorded: a status is not brought up to date),
   * after passing over `skip` of them: reads about as many index entries and records as it
   * passes over and answers, plus those of other statuses in between when filtering by status.
   */
  async listNewest(query: ListQuery): Promise<ExecutionRecord[]> {
    const { application, statuses, limit } = query;
    const wanted = (status: unknown) => !statuses?.size || statuses.has(status as string);
    if (application !== undefined) await this.#indexed();
    const out: ExecutionRecord[] = [];
    let skip = query.skip;
    let after: string | undefined;
    for (;;) {
      const pageSize = Math.min(INDEX_PAGE, skip + limit - out.length);
      const range = { limit: pageSize, descending: true, after };
      const page = application === undefined ? await this.records.queryPartition(PK, range) : await this.records.queryPartition(byApplication(application), range);
      const rows = page.filter((r) => wanted(r.status));
      const found =
        application === undefined
          ? rows.map(toRecord)
          : // An entry whose record is gone (expired first, or never written) or is another's is passed over.
            (await Promise.all(rows.map((r) => this.find(r.sk)))).filter((r): r is ExecutionRecord => r !== undefined && r.application === application && wanted(r.status));
      for (const record of found) {
        if (skip > 0) skip--;
        else if (out.push(record) === limit) return out;
      }
      if (page.length < pageSize) return out;
      after = page[page.length - 1].sk;
    }
  }

  /**
   * Once per store: index entries for the executions recorded before canaria kept the
   * application indexes (a data directory of an earlier version), then the record saying so.
   */
  #indexed(): Promise<void> {
    this.#indexing ??= (async () => {
      if (await this.records.get({ pk: INDEX_PK, sk: 'byApplication' })) return;
      await this.atomically(async () => {
        let page: StoredRecord[] = [];
        do {
          page = await this.records.queryPartition(PK, { limit: BACKFILL_PAGE, after: page.at(-1)?.sk });
          for (const r of page) await this.records.put(indexEntry(r), { kind: 'absent' });
        } while (page.length === BACKFILL_PAGE);
        await this.records.put({ pk: INDEX_PK, sk: 'byApplication', complete: true });
      });
    })().catch((err) => {
      this.#indexing = undefined; // tried again by the next listing
      throw err;
    });
    return this.#indexing;
  }

  /** The executions still recorded running. */
  async listRunning(): Promise<ExecutionRecord[]> {
    return (await this.records.queryPartition(PK)).map(toRecord).filter((r) => r.status === 'running');
  }

  /**
   * Applies `change` while the execution is running; returns false once it has ended. With
   * `standardRetention`, the record expires `Retention.days` after its build time instead of
   * `extendedDays`.
   */
  async update(id: string, change: Partial<ExecutionRecord>, options: { standardRetention?: boolean } = {}): Promise<boolean> {
    const current = await this.records.get({ pk: PK, sk: id });
    if (!current) throw new NotFoundError(`Canary execution '${id}' was not found.`);
    if (current.status !== 'running') return false;
    const expiry = options.standardRetention ? { expiresAt: this.expiresAt(current.buildTimeMillis as number, this.retention.days) } : {};
    const next = { ...current, ...change, ...expiry };
    return this.atomically(async () => {
      if (!(await this.records.put({ ...next, pk: PK, sk: id }, { kind: 'equals', attribute: 'status', value: 'running' }))) return false;
      // After the record: only the one change that ended it writes the entry. Without
      // transactions a failure in between leaves the entry's status behind, so that a listing by
      // status leaves the execution out (listNewest checks the record's) until it expires.
      if (next.status !== current.status || next.expiresAt !== current.expiresAt) await this.records.put(indexEntry(next));
      return true;
    });
  }

  /**
   * Tags an analysis's objects (request, the metric sets Fetch stored, the pair list, the judge
   * result) canaria-retention=standard, a few at a time. Throws the first failure, or when
   * `budgetMillis` runs out: then some objects keep the longer retention.
   */
  async tagStandard(id: string, metricSetPairListId: string, storedSets: readonly string[], budgetMillis = TAG_BUDGET_MILLIS): Promise<void> {
    const tag = STANDARD_RETENTION_TAG;
    const sets = storedSets.filter((name) => /^[0-9]{1,6}-(control|experiment)$/.test(name));
    const jobs = [
      () => this.objects.tag(requestKey(id), tag),
      // setsKey's path, written out: the least-privilege test reads key patterns from the call.
      ...sets.map((name) => () => this.objects.tag(`executions/${id}/sets/${name}.json`, tag)),
      () => this.objects.tag(pairListKey(metricSetPairListId), tag),
      () => this.objects.tag(resultKey(id), tag),
    ];
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (next < jobs.length && !stopped) await jobs[next++]();
    };
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`tagging ${jobs.length} objects took longer than ${budgetMillis} ms`)), budgetMillis);
    });
    try {
      await Promise.race([Promise.all(Array.from({ length: Math.min(TAG_CONCURRENCY, jobs.length) }, worker)), outOfTime]);
    } finally {
      stopped = true; // the workers start no more
      clearTimeout(timer);
    }
  }

  document(id: string): Promise<ExecutionDocument> {
    let doc = this.documents.get(id);
    if (!doc) {
      doc = this.objects.getJson<ExecutionDocument>(requestKey(id)).then((d) => {
        if (!d) throw new NotFoundError(`Canary execution '${id}' has no request document.`);
        return d;
      });
      doc.catch(() => this.documents.delete(id));
      this.remember(id, doc);
    }
    return doc;
  }

  private remember(id: string, doc: Promise<ExecutionDocument>): void {
    if (this.documents.size >= 200) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(id, doc);
  }

  putSets(id: string, metric: number, side: string, sets: MetricSet[]): Promise<void> {
    return this.objects.putJson(setsKey(id, metric, side), sets);
  }

  async sets(id: string, metric: number, side: string): Promise<unknown[]> {
    const sets = await this.objects.getJson<unknown[]>(setsKey(id, metric, side));
    if (!sets) throw new Error(`metric sets for metric ${metric}, ${side} of execution ${id} are missing`);
    return sets;
  }

  putPairList(pairListId: string, pairs: unknown[]): Promise<void> {
    return this.objects.putJson(pairListKey(pairListId), pairs);
  }

  async pairList(pairListId: string): Promise<unknown[]> {
    const list = /^[A-Za-z0-9-]{1,64}$/.test(pairListId) ? await this.objects.getJson<unknown[]>(pairListKey(pairListId)) : undefined;
    if (!list) throw new NotFoundError(`Metric set pair list '${pairListId}' was not found.`);
    return list;
  }

  putResult(id: string, result: ExplainedResult): Promise<void> {
    return this.objects.putJson(resultKey(id), result);
  }

  result(id: string): Promise<ExplainedResult | undefined> {
    return this.objects.getJson<ExplainedResult>(resultKey(id));
  }

  putFailureNote(id: string, note: FailureNote): Promise<void> {
    return this.objects.putJson(failureKey(id), note);
  }

  failureNote(id: string): Promise<FailureNote | undefined> {
    return this.objects.getJson<FailureNote>(failureKey(id));
  }
}
