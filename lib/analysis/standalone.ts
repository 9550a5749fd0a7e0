// Standalone canary analyses (Kayenta's /standalone_canary_analysis, api-spec.md §1.6): one
// canary analysis per interval of a lifetime, each an ordinary execution (its own record, its own
// report), aggregated as Kayenta's GenerateCanaryAnalysisResultTask does; under canaria-v1 the
// looks are one always-valid sequence instead (lib/analysis/looks.ts). The run's record holds a
// summary of every look; the request and config, the sequence state and each look's sequential
// result are objects beside it.
import type { CanaryConfig } from '../config/canary-config.ts';
import type { ExecutionRequest } from '../config/execution-request.ts';
import { intervalMinutes, lifetimeMinutes, type StandaloneRequest } from '../config/standalone-request.ts';
import type { CanaryLookResult, SequenceDecision, SequenceState } from '../judge/canaria-v1/index.ts';
import { instantString } from '../metrics/types.ts';
import type { ObjectStore, RecordStore, Storage, StoredRecord } from '../store/ports.ts';
import { retentionFromEnvironment, type ExecutionException } from './executions.ts';

export type StandaloneStatus = 'running' | 'succeeded' | 'terminal' | 'canceled';

/** One judged interval. */
export interface LookSummary {
  index: number;
  executionId: string;
  /** The look's execution: succeeded (judged) or terminal (no verdict). */
  status: 'succeeded' | 'terminal';
  score?: number;
  classification?: string;
  metricSetPairListId?: string;
  /** The look's execution: recorded (build), started, ended. */
  judgementStartTimeMillis: number;
  startTimeMillis?: number;
  judgementEndTimeMillis: number;
  warnings: string[];
  exception?: ExecutionException;
  /** canaria-v1: the sequence's answer at this look. */
  decision?: SequenceDecision;
  reason?: string;
}

export interface StandaloneRecord {
  id: string;
  application: string;
  user: string;
  parentPipelineExecutionId?: string;
  canaryConfigId?: string;
  metricsAccountName?: string;
  storageAccountName?: string;
  configurationAccountName?: string;
  status: StandaloneStatus;
  buildTimeMillis: number;
  startTimeMillis?: number;
  endTimeMillis?: number;
  /** Where the first scope's window starts (startTimeIso, else when the run was created). */
  analysisStartMillis: number;
  plannedLooks: number;
  /** canaria-v1: the looks are one always-valid sequence. */
  sequential: boolean;
  looks: LookSummary[];
  /** The look started and not yet ended (its attempt counts restarts that cut it off). */
  current?: { index: number; executionId: string; attempt: number };
  exception?: ExecutionException | { details: { errors: string[] } };
  didPassThresholds?: boolean;
  canaryScoreMessage?: string;
  stoppedAtLook?: number;
  /** Bumped by every write: a write based on an older read is refused (lookEnd against a cancel). */
  version: number;
}

export interface StandaloneDocument {
  config: CanaryConfig;
  request: StandaloneRequest;
}

const PK = 'standaloneAnalysis';
const DAY_SECONDS = 24 * 3600;
const documentKey = (id: string) => `standalone/${id}/request.json`;
const sequenceKey = (id: string) => `standalone/${id}/sequence.json`;
const lookResultKey = (id: string, index: number) => `standalone/${id}/looks/${index}.json`;

/** The execution id of a look: `{run id}-{index}`, `-{attempt}` after a restart cut the first off. */
export const lookExecutionId = (id: string, index: number, attempt: number) => (attempt <= 1 ? `${id}-${index}` : `${id}-${index}-${attempt}`);

function toRecord(r: StoredRecord): StandaloneRecord {
  const { pk: _pk, sk, expiresAt: _e, ...rest } = r;
  return { ...(rest as unknown as Omit<StandaloneRecord, 'id'>), id: sk };
}

export class StandaloneStore {
  private readonly objects: ObjectStore;
  private readonly records: RecordStore;
  private readonly keepDays: number;
  /** Documents never change once written: each is read once per process. */
  private readonly documents = new Map<string, Promise<StandaloneDocument>>();

  constructor(storage: Storage, keepDays = retentionFromEnvironment().extendedDays) {
    this.objects = storage.objects;
    this.records = storage.records;
    this.keepDays = keepDays;
  }

  private stored(record: StandaloneRecord): StoredRecord {
    const { id, ...rest } = record;
    const expiresAt = Math.floor(record.buildTimeMillis / 1000) + this.keepDays * DAY_SECONDS;
    return JSON.parse(JSON.stringify({ pk: PK, sk: id, ...rest, expiresAt })) as StoredRecord;
  }

  /** The document first, then the record that makes the run exist; false if the id is taken. */
  async create(record: StandaloneRecord, doc: StandaloneDocument): Promise<boolean> {
    await this.objects.putJson(documentKey(record.id), doc);
    const created = await this.records.put(this.stored(record), { kind: 'absent' });
    if (created) this.documents.set(record.id, Promise.resolve(doc));
    return created;
  }

  async find(id: string): Promise<StandaloneRecord | undefined> {
    const r = await this.records.get({ pk: PK, sk: id });
    return r ? toRecord(r) : undefined;
  }

  document(id: string): Promise<StandaloneDocument> {
    let doc = this.documents.get(id);
    if (!doc) {
      doc = this.objects.getJson<StandaloneDocument>(documentKey(id)).then((d) => {
        if (!d) throw new Error(`standalone analysis ${id} has no request document`);
        return d;
      });
      // a failed read is tried again next time
      doc.catch(() => this.documents.delete(id));
      this.documents.set(id, doc);
    }
    return doc;
  }

  /**
   * Writes `record` (version bumped) only when the stored one is still the version it was read
   * at: false when another writer (a cancel, a retried task) came first; read again then.
   */
  async replace(record: StandaloneRecord): Promise<boolean> {
    return this.records.put(this.stored({ ...record, version: record.version + 1 }), { kind: 'equals', attribute: 'version', value: record.version });
  }

  async listRunning(): Promise<StandaloneRecord[]> {
    return (await this.records.queryPartition(PK)).map(toRecord).filter((r) => r.status === 'running');
  }

  async sequence(id: string): Promise<SequenceState | undefined> {
    return this.objects.getJson<SequenceState>(sequenceKey(id));
  }

  async putSequence(id: string, state: SequenceState): Promise<void> {
    await this.objects.putJson(sequenceKey(id), state);
  }

  async lookResult(id: string, index: number): Promise<CanaryLookResult | undefined> {
    return this.objects.getJson<CanaryLookResult>(lookResultKey(id, index));
  }

  async putLookResult(id: string, index: number, result: CanaryLookResult): Promise<void> {
    await this.objects.putJson(lookResultKey(id, index), result);
  }
}

/** When the looks fall: Kayenta's SetupAndExecuteCanariesStage arithmetic. */
export interface LookPlan {
  /** Looks in the lifetime: floor(lifetime / interval). */
  looks: number;
  intervalMillis: number;
  /** An analysis of the past (the first scope has an endTimeIso): no warm-up wait. */
  retrospective: boolean;
}

export function planLooks(request: StandaloneRequest): LookPlan {
  const lifetime = lifetimeMinutes(request)!;
  const interval = intervalMinutes(request, lifetime);
  return { looks: Math.max(1, Math.floor(lifetime / interval)), intervalMillis: interval * 60_000, retrospective: request.scopes[0].endTimeIso !== undefined };
}

/**
 * Look `index`'s window (1-based): from the start (after beginAfterMins, unless retrospective) to
 * `index` intervals later; with lookbackMins, only its last lookbackMins (a sliding window).
 */
export function lookWindow(request: StandaloneRequest, analysisStartMillis: number, index: number): { start: number; end: number } {
  const plan = planLooks(request);
  const warmup = plan.retrospective ? 0 : request.beginAfterMins * 60_000;
  const end = analysisStartMillis + warmup + index * plan.intervalMillis;
  const start = request.lookbackMins > 0 ? end - request.lookbackMins * 60_000 : analysisStartMillis + warmup;
  return { start, end };
}

/**
 * The execution request of look `index`: every scope of the list with the look's window
 * (the control's shifted back by its controlOffsetInMinutes), the run's thresholds and judge.
 */
export function lookRequest(request: StandaloneRequest, analysisStartMillis: number, index: number): ExecutionRequest {
  const { start, end } = lookWindow(request, analysisStartMillis, index);
  const scopes: ExecutionRequest['scopes'] = {};
  for (const s of request.scopes) {
    const offset = s.controlOffsetInMinutes * 60_000;
    const side = (scope: string, location: string | undefined, shift: number) => ({
      scope,
      location,
      start: instantString(start - shift),
      end: instantString(end - shift),
      step: s.step,
      extendedScopeParams: s.extendedScopeParams,
    });
    scopes[s.scopeName] = { controlScope: side(s.controlScope, s.controlLocation, offset), experimentScope: side(s.experimentScope, s.experimentLocation, 0) };
  }
  return { scopes, thresholds: request.thresholds, ...(request.strict === undefined ? {} : { strict: request.strict }), ...(request.judge === undefined ? {} : { judge: request.judge }) };
}

/** A score as Java prints a Double in Kayenta's messages (100.0, 87.5). */
const javaDouble = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/** Kayenta's getAggregatedJudgment on the last look's score. */
export function aggregate(finalScore: number, thresholds: { pass: number; marginal: number }): { didPassThresholds: boolean; message: string } {
  const score = javaDouble(finalScore);
  if (finalScore <= thresholds.marginal) return { didPassThresholds: false, message: `Final canary score ${score} is not above the marginal score threshold.` };
  if (finalScore < thresholds.pass) return { didPassThresholds: false, message: `Final canary score ${score} is below the pass score threshold.` };
  return { didPassThresholds: true, message: `Final canary score ${score} met or exceeded the pass score threshold.` };
}
