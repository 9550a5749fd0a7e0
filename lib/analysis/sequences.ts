// Repeated-look sequences of POST /v1/judgements with an analysisKey: one small record per
// (application, analysisKey) in the record store (docs/argo/README.md, "Repeated looks"). Every
// write is conditional on the record's revision, so two calls that raced on the same read cannot
// both change it: one wins, the other reads again.
import type { RecordStore } from '../store/ports.ts';
import { retentionFromEnvironment, type Retention } from './executions.ts';
import type { SequenceState } from './looks.ts';

const SEQUENCE_PK = 'canarySequence';
const DAY_SECONDS = 24 * 3600;
/** One record per application and key (the pair as JSON: no separator to escape). */
const sequenceKey = (application: string, analysisKey: string) => JSON.stringify([application, analysisKey]);

/** Where a scope's control and experiment windows start, for every look of the sequence. */
export type WindowStarts = Record<string, { control: string; experiment: string }>;

/** The look whose analysis has started and not yet been applied. */
export interface PendingLook {
  executionId: string;
  /** The end of its window (epoch ms): whether it is the planned last look. */
  windowEndMillis: number;
}

export interface Sequence {
  application: string;
  analysisKey: string;
  /** Every write adds one; writes are conditional on it. */
  revision: number;
  /** Looks applied (the judge's state counts the same). */
  looks: number;
  /** The planned lifetime, as the first look gave it. */
  lifetimeMinutes: number;
  /** The first look's window starts, kept for every later look (the growing window). */
  windowStarts: WindowStarts;
  /** The sequence's start (epoch ms): the earliest experiment window start. */
  startMillis: number;
  /** canaria-v1's state after the last applied look; null before the first. */
  state: SequenceState | null;
  pending: PendingLook | null;
  /** The answer of the last applied look (repeated as is once the sequence stopped). */
  answer: Record<string, unknown> | null;
  createdMillis: number;
  updatedMillis: number;
}

export type NewSequence = Omit<Sequence, 'revision' | 'looks' | 'state' | 'answer' | 'createdMillis' | 'updatedMillis'>;

/** True once the sequence stopped (fail, pass or inconclusive): later looks repeat its answer. */
export const stopped = (s: Sequence): boolean => s.state !== null && s.state.stoppedAtLook !== null;

export class SequenceStore {
  private readonly records: RecordStore;
  private readonly retention: Retention;

  constructor(records: RecordStore, retention: Retention = retentionFromEnvironment()) {
    this.records = records;
    this.retention = retention;
  }

  async get(application: string, analysisKey: string): Promise<Sequence | undefined> {
    const r = await this.records.get({ pk: SEQUENCE_PK, sk: sequenceKey(application, analysisKey) });
    if (!r) return undefined;
    return {
      application: r.application as string,
      analysisKey: r.analysisKey as string,
      revision: r.revision as number,
      looks: r.looks as number,
      lifetimeMinutes: r.lifetimeMinutes as number,
      windowStarts: JSON.parse(r.windowStarts as string) as WindowStarts,
      startMillis: r.startMillis as number,
      state: r.state ? (JSON.parse(r.state as string) as SequenceState) : null,
      pending: r.pending ? (JSON.parse(r.pending as string) as PendingLook) : null,
      answer: r.answer ? (JSON.parse(r.answer as string) as Record<string, unknown>) : null,
      createdMillis: r.createdMillis as number,
      updatedMillis: r.updatedMillis as number,
    };
  }

  /** Records a sequence's first look (its analysis started); false if another call created it first. */
  async create(s: NewSequence, now: number): Promise<boolean> {
    const sequence: Sequence = { ...s, revision: 0, looks: 0, state: null, answer: null, createdMillis: now, updatedMillis: now };
    return this.records.put({ pk: SEQUENCE_PK, sk: sequenceKey(s.application, s.analysisKey), ...this.attributes(sequence, now) }, { kind: 'absent' });
  }

  /** Writes `next` (revision one more) if the stored record is still at `from`'s revision; false otherwise (nothing written). */
  async update(from: Sequence, next: Partial<Pick<Sequence, 'looks' | 'state' | 'pending' | 'answer'>>, now: number): Promise<boolean> {
    const sequence: Sequence = { ...from, ...next, revision: from.revision + 1, updatedMillis: now };
    return this.records.put(
      { pk: SEQUENCE_PK, sk: sequenceKey(from.application, from.analysisKey), ...this.attributes(sequence, now) },
      { kind: 'equals', attribute: 'revision', value: from.revision },
    );
  }

  /**
   * The stored form: the judge's state, the pending look and the answer as JSON text (no
   * attribute-type questions on DynamoDB); it expires the extended retention after its last write.
   */
  private attributes(s: Sequence, now: number): Record<string, unknown> {
    return {
      application: s.application,
      analysisKey: s.analysisKey,
      revision: s.revision,
      looks: s.looks,
      lifetimeMinutes: s.lifetimeMinutes,
      windowStarts: JSON.stringify(s.windowStarts),
      startMillis: s.startMillis,
      state: s.state === null ? null : JSON.stringify(s.state),
      pending: s.pending === null ? null : JSON.stringify(s.pending),
      answer: s.answer === null ? null : JSON.stringify(s.answer),
      createdMillis: s.createdMillis,
      updatedMillis: s.updatedMillis,
      expiresAt: Math.floor(now / 1000) + this.retention.extendedDays * DAY_SECONDS,
    };
  }
}
