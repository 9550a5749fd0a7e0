// Canary executions as Kayenta serves them (api-spec.md §1.4–1.9), Kayenta's RemoteJudge and
// POST /judges/judge (with canaria's replay of a past execution), and the synchronous verdict for
// Argo's web provider (§3.5 pattern A).
import * as z from 'zod';
import { MAX_EXECUTION_MILLIS, type ExecutionRecord, type ExecutionStore } from '../analysis/executions.ts';
import { judgeExecution, readStoredPairs } from '../analysis/judging.ts';
import { lookAt, requireSequentialJudge } from '../analysis/looks.ts';
import { stopped, type PendingLook, type Sequence, type SequenceStore, type WindowStarts } from '../analysis/sequences.ts';
import { startAndWaitExecution, startExecution, type ExecutionStarter } from '../analysis/start.ts';
import { executionStatus } from '../analysis/status.ts';
import { applicationSchema, idSchema, type CanaryConfig } from '../config/canary-config.ts';
import { judgeOverrideSchema, resolveWindows, type ScopePairs } from '../config/execution-request.ts';
import { judgeRequestSchema } from '../config/judge-request.ts';
import { parseWith } from '../config/validation.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { chooseJudges, JUDGE_NAMES, judgeSuppliedPairs, runJudge } from '../judge/judges.ts';
import type { MetricSetPair } from '../judge/types.ts';
import { sleep } from '../metrics/retry.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { accountNamesParam, queryValue, decimalSchema, json, listParam, readJsonBody, type ApiRequest } from './http.ts';
import { adhocCanaryBodySchema, DEFAULT_LIFETIME_MINUTES, judgementBodySchema, startCanaryBodySchema } from './canary-schemas.ts';
import type { Handlers } from './router.ts';

export interface CanaryApiDeps {
  configs: ConfigStore;
  executions: ExecutionStore;
  accounts: MetricAccounts;
  starter: ExecutionStarter;
  /** The repeated-look sequences of /v1/judgements with an analysisKey. */
  sequences: SequenceStore;
  now: () => number;
  /** How often /v1/judgements looks at the execution while it waits. */
  pollMs?: number;
  /** When /v1/judgements answers 504 if it has not answered yet (default HTTP_DEADLINE_MS). */
  deadlineMs?: number;
}

/**
 * The most an HTTP handler that waits takes before it answers on its own: under the functions'
 * 29 s Lambda timeout and API Gateway's 30 s cut, which would otherwise answer for it without a
 * word of why (docs/executions.md, "Timeouts that nest").
 */
export const HTTP_DEADLINE_MS = 28_000;
/** What /v1/judgements keeps of its deadline for reading the record and the result after its wait. */
export const AFTER_WAIT_MS = 2_000;

/** `work`'s answer, or `late()`'s once `ms` have passed without one. */
async function withinDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  work.catch(() => undefined); // answered for already if it fails after the deadline
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kayenta's ExecutionStatus values, as the list filter accepts them (lower case). */
const EXECUTION_STATUSES = ['not_started', 'running', 'paused', 'suspended', 'succeeded', 'failed_continue', 'terminal', 'canceled', 'redirect', 'stopped', 'skipped', 'buffered'];


/** The request's judge: the judge= parameter, else the body's `judge` (either overrides canaryConfig.judge.name). */
const withJudge = <T extends { judge?: string }>(req: ApiRequest, request: T): T => {
  const judge = queryValue(req, 'judge') ?? request.judge;
  return judge === undefined ? request : { ...request, judge };
};

/** An idempotency key: it keys a record together with the application, so short and plain. */
const idempotencyKeySchema = z.string().regex(/^[\x20-\x7e]{1,255}$/, { error: 'must be 1 to 255 printable ASCII characters' });

/** The Idempotency-Key header, or the idempotencyKey parameter, checked. */
function idempotencyKey(req: ApiRequest, fromQuery = true): string | undefined {
  const header = req.headers['idempotency-key'] || undefined;
  if (header !== undefined) return parseWith(idempotencyKeySchema, header, ['Idempotency-Key']);
  const param = fromQuery ? queryValue(req, 'idempotencyKey') : undefined;
  return param === undefined ? undefined : parseWith(idempotencyKeySchema, param, ['idempotencyKey']);
}

/** The application a start names in its query, checked (it is stored and keys idempotency). */
function applicationParam(req: ApiRequest): string | undefined {
  const application = queryValue(req, 'application');
  return application === undefined ? undefined : parseWith(applicationSchema, application, ['application']);
}

function accountParams(req: ApiRequest) {
  return {
    metricsAccountName: accountNamesParam(req),
    storageAccountName: queryValue(req, 'storageAccountName'),
    configurationAccountName: queryValue(req, 'configurationAccountName'),
    parentPipelineExecutionId: queryValue(req, 'parentPipelineExecutionId'),
    idempotencyKey: idempotencyKey(req),
  };
}

/** GET /canary/executions paging: decimal digits only (Spring binds `limit=0x10` to nothing either). */
const pageParams = z.object({
  limit: decimalSchema(1, 100).optional(),
  page: decimalSchema(1, 1_000_000).optional(),
});

/** A score threshold in a query string: a decimal number (as Spring binds a Double), finite. */
const thresholdParam = z
  .string()
  .regex(/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/, { error: 'must be a number, e.g. 95' })
  .transform(Number)
  .refine(Number.isFinite, { error: 'must be a finite number' });

/** POST /judges/judge's query parameters (the account names are accepted and ignored). */
const rejudgeParams = z.object({
  canaryExecutionId: idSchema.optional(),
  canaryConfigId: idSchema.optional(),
  metricSetPairListId: idSchema.optional(),
  passThreshold: thresholdParam.optional(),
  marginalThreshold: thresholdParam.optional(),
  judge: judgeOverrideSchema.optional(),
});

/** A 400 naming metricSetPairListId when a pair names a metric the config does not have (the judges would throw). */
function checkPairNames(pairs: readonly MetricSetPair[], config: CanaryConfig, pairListId: string, configWhat: string): void {
  const names = new Set(config.metrics.map((m) => m.name));
  const unknown = [...new Set(pairs.filter((p) => !names.has(p.name)).map((p) => p.name))];
  if (unknown.length === 0) return;
  throw new BadRequestError(
    `metricSetPairListId: metric set pair list '${pairListId}' has pairs of ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which ${configWhat} has no metric of`,
  );
}

/** Argo's kayenta provider decides from the score truncated to an integer (api-spec.md §2.3). */
export function argoPhase(score: number, thresholds: { pass: number; marginal: number }): 'Successful' | 'Inconclusive' | 'Failed' {
  const s = Math.trunc(score);
  if (s >= thresholds.pass) return 'Successful';
  if (s >= thresholds.marginal) return 'Inconclusive';
  return 'Failed';
}

/** Thresholds from the query (or an execution): pass must not be below marginal. */
function checkedThresholds(pass: number, marginal: number) {
  if (pass < marginal) throw new BadRequestError(`passThreshold: must be greater than or equal to marginalThreshold (${pass} < ${marginal})`);
  return { pass, marginal };
}

export function canaryHandlers(deps: CanaryApiDeps): Handlers {
  const start = (e: Parameters<typeof startExecution>[0]) => startExecution(e, deps);

  return {
    startCanary: async (req, { canaryConfigId }) => {
      const executionRequest = withJudge(req, readJsonBody(req, startCanaryBodySchema));
      const params = { application: applicationParam(req), ...accountParams(req) };
      const config = await deps.configs.get(canaryConfigId);
      const application = params.application ?? config.applications?.[0] ?? 'ad-hoc';
      const id = await start({ config, canaryConfigId, executionRequest, ...params, application });
      return json(200, { canaryExecutionId: id });
    },

    startAdhocCanary: async (req) => {
      const body = readJsonBody(req, adhocCanaryBodySchema);
      const params = { application: applicationParam(req), ...accountParams(req) };
      const application = params.application ?? 'ad-hoc';
      const id = await start({ config: body.canaryConfig, canaryConfigId: 'ad-hoc', executionRequest: withJudge(req, body.executionRequest), ...params, application });
      return json(200, { canaryExecutionId: id });
    },

    getCanaryExecution: async (_req, { canaryExecutionId }) => json(200, await executionStatus(deps.executions, canaryExecutionId, deps.now())),

    listCanaryExecutions: async (req) => {
      const paging = parseWith(pageParams, { limit: queryValue(req, 'limit'), page: queryValue(req, 'page') });
      const limit = paging.limit ?? 20;
      const page = paging.page ?? 1;
      const application = queryValue(req, 'application');
      const statuses = new Set(listParam(req, 'statuses').map((s) => s.toLowerCase()));
      const unknown = [...statuses].filter((s) => !EXECUTION_STATUSES.includes(s));
      if (unknown.length > 0) {
        throw new BadRequestError(`statuses: unknown status ${unknown.map((s) => `"${s}"`).join(', ')}; use ${EXECUTION_STATUSES.join(', ')}`);
      }
      // No execution has an application the schema refuses: no query for its partition (its key could be too long for DynamoDB).
      if (application && !applicationSchema.safeParse(application).success) return json(200, []);
      const records = await deps.executions.listNewest({ application: application || undefined, statuses, skip: (page - 1) * limit, limit });
      return json(200, await Promise.all(records.map((r) => executionStatus(deps.executions, r.id, deps.now()))));
    },

    getMetricSetPairList: async (_req, { metricSetPairListId }) => json(200, await deps.executions.pairList(metricSetPairListId)),

    listJudges: async () => json(200, JUDGE_NAMES.map((name) => ({ name, visible: true }))),

    remoteJudge: async (req) => {
      const body = readJsonBody(req, judgeRequestSchema);
      return json(200, judgeSuppliedPairs(body.canaryConfig, body.metricSetPairList, body.scoreThresholds, queryValue(req, 'judge')));
    },

    rejudge: async (req) => {
      const q = parseWith(rejudgeParams, Object.fromEntries(Object.keys(rejudgeParams.shape).map((name) => [name, queryValue(req, name)])));
      if (q.canaryExecutionId !== undefined) {
        const extra = (['canaryConfigId', 'metricSetPairListId'] as const).find((name) => q[name] !== undefined);
        if (extra) throw new BadRequestError(`${extra}: give either canaryExecutionId, or canaryConfigId and metricSetPairListId, not both`);
        return json(200, await rejudgeExecution(q.canaryExecutionId, q));
      }
      // Kayenta's form: every parameter is required (as Spring's @RequestParam).
      const missing = (['canaryConfigId', 'metricSetPairListId', 'passThreshold', 'marginalThreshold'] as const).filter((name) => q[name] === undefined);
      if (missing.length > 0) {
        const messages = missing.map((name) => `${name}: is required${name.endsWith('Id') ? ' (or give canaryExecutionId to judge a past execution again)' : ''}`);
        throw new BadRequestError(messages[0], messages);
      }
      const thresholds = checkedThresholds(q.passThreshold!, q.marginalThreshold!);
      const config = await deps.configs.get(q.canaryConfigId!);
      const pairs = await readStoredPairs(await deps.executions.pairList(q.metricSetPairListId!));
      checkPairNames(pairs, config, q.metricSetPairListId!, `canary config '${q.canaryConfigId}'`);
      const { primary } = chooseJudges(config, q.judge);
      return json(200, runJudge(primary, config, pairs, thresholds));
    },

    listCredentials: async () =>
      json(200, deps.accounts.accounts.map((a) => ({ name: a.name, type: a.type, supportedTypes: ['METRICS_STORE'], locations: a.locations ?? [], recommendedLocations: a.recommendedLocations ?? [] }))),

    listMetricsServices: async () =>
      json(200, deps.accounts.accounts.map((a) => ({ name: a.name, type: a.type, locations: a.locations ?? [], recommendedLocations: a.recommendedLocations ?? [] }))),

    judgement: async (req) => {
      const deadlineMs = deps.deadlineMs ?? HTTP_DEADLINE_MS;
      let executionId: string | undefined;
      let answered = false;
      const work = judgeNow(req, (id) => (executionId = id), () => answered);
      const answer = await withinDeadline(work, deadlineMs, () =>
        json(504, {
          message: `POST /v1/judgements did not finish within ${deadlineMs / 1000} s${executionId ? `; analysis ${executionId} may still be running: GET /canary/${executionId} will have the verdict` : ''}`,
          ...(executionId ? { executionId } : {}),
        }),
      );
      answered = true;
      return answer;
    },
  };

  /**
   * An execution judged again from what it stored, as its judge stage judged it (judgeExecution:
   * the explanation, strict, shadow judges), with the query's judge and thresholds instead of its own.
   */
  async function rejudgeExecution(id: string, q: { judge?: string; passThreshold?: number; marginalThreshold?: number }) {
    const record = await deps.executions.get(id);
    if (!record.metricSetPairListId) {
      const why = record.status === 'running' ? `it is still in stage ${record.stage}` : `it ended ${record.status} in stage ${record.stage} before its metrics were paired`;
      throw new NotFoundError(`Canary execution '${id}' has no metric set pair list to judge: ${why}.`);
    }
    const { config, executionRequest } = await deps.executions.document(id);
    const thresholds = checkedThresholds(q.passThreshold ?? executionRequest.thresholds.pass, q.marginalThreshold ?? executionRequest.thresholds.marginal);
    const pairs = await readStoredPairs(await deps.executions.pairList(record.metricSetPairListId));
    checkPairNames(pairs, config, record.metricSetPairListId, `the config of execution '${id}'`);
    return judgeExecution(config, pairs, { thresholds, strict: executionRequest.strict, judge: q.judge ?? executionRequest.judge });
  }

  /** /v1/judgements: starts the analysis (telling `started` its id) and waits for its end within timeoutSeconds and the deadline. */
  async function judgeNow(req: ApiRequest, started: (id: string) => void, abandoned: () => boolean) {
    const deadlineMs = deps.deadlineMs ?? HTTP_DEADLINE_MS;
    const received = deps.now();
    const body = readJsonBody(req, judgementBodySchema);
    const key = idempotencyKey(req, false);
    const { config, id: canaryConfigId } = await deps.configs.find(body);
    const judge = queryValue(req, 'judge') ?? body.judge;
    if (body.analysisKey !== undefined) {
      requireSequentialJudge(config, judge, 'analysisKey');
      // Every look is a new analysis: a key would give each look the first one's.
      if (key !== undefined) throw new BadRequestError('Idempotency-Key: not with analysisKey (each look is a new analysis; the sequence applies each look once)');
    }
    // The wait ends in time for the reads after it: within timeoutSeconds and the deadline.
    const waitMs = Math.min(body.timeoutSeconds * 1000, deadlineMs - AFTER_WAIT_MS);
    const call: JudgementCall = { body, until: received + waitMs, waitMs, abandoned };
    // With waitUntil, a starter that can (Step Functions: StartSyncExecution) returns at the end.
    const startAnalysis = async (scopes: ScopePairs, waitUntil?: number) => {
      const e = {
        config,
        canaryConfigId,
        application: body.application,
        executionRequest: withJudge(req, { scopes, thresholds: body.thresholds, strict: body.strict, judge: body.judge }),
        metricsAccountName: accountNamesParam(req, body.metricsAccountName),
        idempotencyKey: key,
      };
      const id = await (waitUntil === undefined ? startExecution(e, deps) : startAndWaitExecution(e, deps, waitUntil));
      started(id);
      return id;
    };
    // Scopes without a window judge the last lookbackSeconds (else the default window).
    const lookbackMs = body.lookbackSeconds ? body.lookbackSeconds * 1000 : undefined;
    if (body.analysisKey !== undefined) return judgeLookNow(call, body.analysisKey, resolveWindows(body.scopes, received, lookbackMs), startAnalysis);
    const executionId = await startAnalysis(lookbackMs ? resolveWindows(body.scopes, received, lookbackMs) : body.scopes, call.until);
    const record = await waitForEnd(executionId, call);
    const { pass, marginal } = body.thresholds;
    if (record.status === 'terminal') return terminalAnswer(record, body.thresholds);
    if (record.status === 'running') {
      return json(200, { judgement: { phase: 'Running', complete: false, score: null, classification: null, pass, marginal, executionId, reason: `still running after ${seconds(waitMs)} s; GET /canary/${executionId} will have the verdict` } });
    }
    const score = record.score!;
    const result = await deps.executions.result(executionId);
    return json(200, {
      judgement: {
        phase: argoPhase(score, body.thresholds),
        complete: true,
        score,
        classification: record.classification,
        pass,
        marginal,
        executionId,
        reason: result?.score.classificationReason || `score ${score} (pass ${pass}, marginal ${marginal})`,
      },
    });
  }

  /** The execution's record once it ended, or still running at the call's `until` (or once the call was answered). */
  async function waitForEnd(executionId: string, call: JudgementCall): Promise<ExecutionRecord> {
    let record = await deps.executions.get(executionId);
    // Where the run is in this process (the local state machine), wait for its end: no polling.
    // A start that waited (Step Functions' StartSyncExecution) has ended or used the wait up. Else
    // (a look on Step Functions, a run started earlier by another process), poll the record.
    if (record.status === 'running' && deps.starter.waitForEnd && (await deps.starter.waitForEnd(executionId, call.until - deps.now()))) {
      record = await deps.executions.get(executionId);
    }
    while (record.status === 'running' && !call.abandoned() && deps.now() + (deps.pollMs ?? 250) < call.until) {
      await sleep(deps.pollMs ?? 250);
      record = await deps.executions.get(executionId);
    }
    return record;
  }

  /** A terminal analysis: not a canary verdict (Argo counts a non-2xx as an Error and measures again). */
  function terminalAnswer(record: ExecutionRecord, { pass, marginal }: { pass: number; marginal: number }) {
    const reason = record.exception?.details.error ?? 'the analysis failed';
    const judgement = { phase: 'Error', complete: true, score: null, classification: null, pass, marginal, executionId: record.id, reason };
    return json(502, { message: `Canary analysis ${record.id} failed: ${reason}`, judgement });
  }

  /**
   * One look of the repeated-look sequence `analysisKey` (docs/argo/README.md, "Repeated looks"):
   * a look whose analysis is pending (started by an earlier call, or by this one) is waited for
   * and applied once (the sequence's writes are conditional on its revision: of two calls that
   * apply the same look, one writes and the other reads the result); then, unless the sequence
   * stopped or this call already judged a look, a new analysis of the growing window from the
   * first look's start to this call's end starts and is waited for. Once stopped, the answer of
   * the stopping look is repeated.
   */
  async function judgeLookNow(call: JudgementCall, analysisKey: string, resolved: ScopePairs, startAnalysis: (scopes: ScopePairs) => Promise<string>) {
    const { body } = call;
    const sequences = deps.sequences;
    let mine: string | undefined; // the analysis this call started
    let answerFrom: string | undefined; // a look this call waited for: its answer is this call's
    for (let attempt = 0; attempt < SEQUENCE_ATTEMPTS; attempt++) {
      const seq = await sequences.get(body.application, analysisKey);
      if (seq && stopped(seq)) return json(200, { judgement: seq.answer });
      if (seq?.pending) {
        const pending = seq.pending;
        let record = await deps.executions.find(pending.executionId);
        // A run far past the longest an analysis takes lost its state machine: never a look.
        if (record?.status === 'running' && deps.now() - record.buildTimeMillis > MAX_EXECUTION_MILLIS) record = undefined;
        if (record?.status === 'running') {
          record = await waitForEnd(pending.executionId, call);
          answerFrom = pending.executionId;
        }
        if (record?.status === 'running') return json(200, { judgement: runningJudgement(seq, pending.executionId, call) });
        if (record?.status === 'succeeded') {
          const applied = await applyLook(seq, pending, body.thresholds);
          if (!applied) continue; // another call applied it (or started the next look): read again
          if (stopped(applied) || answerFrom === pending.executionId || mine !== undefined) return json(200, { judgement: applied.answer });
          continue; // applied a look an earlier call left: this call takes its own
        }
        // Ended terminal (or gone, or lost): not a look. The sequence stays as it was, without it.
        if (!(await sequences.update(seq, { pending: null }, deps.now()))) continue;
        if (pending.executionId === mine && record) return terminalAnswer(record, body.thresholds);
        continue;
      }
      if (mine !== undefined) {
        // This call's look was applied (or dropped) by another call meanwhile.
        if (seq?.answer && seq.answer.executionId === mine) return json(200, { judgement: seq.answer });
        const record = await deps.executions.get(mine);
        if (record.status === 'terminal') return terminalAnswer(record, body.thresholds);
        if (seq?.answer) return json(200, { judgement: seq.answer });
        throw new Error(`sequence ${JSON.stringify(analysisKey)}: look ${mine} was neither applied nor pending`);
      }
      const scopes = seq ? growingWindow(resolved, seq.windowStarts, analysisKey) : resolved;
      const windowEndMillis = Math.max(...Object.values(scopes).map((p) => Date.parse(p.experimentScope.end!)));
      mine = await startAnalysis(scopes);
      const pending = { executionId: mine, windowEndMillis };
      const claimed = seq
        ? await sequences.update(seq, { pending }, deps.now())
        : await sequences.create(
            {
              application: body.application,
              analysisKey,
              lifetimeMinutes: body.lifetimeMinutes ?? DEFAULT_LIFETIME_MINUTES,
              windowStarts: Object.fromEntries(Object.entries(scopes).map(([name, p]) => [name, { control: p.controlScope.start!, experiment: p.experimentScope.start! }])),
              startMillis: Math.min(...Object.values(scopes).map((p) => Date.parse(p.experimentScope.start!))),
              pending,
            },
            deps.now(),
          );
      // Not claimed: another call started a look first; this call's analysis is not one (it
      // stays an ordinary execution) and the loop waits for that call's look instead.
      if (claimed) answerFrom = mine;
    }
    throw new Error(`sequence ${JSON.stringify(analysisKey)}: too many concurrent writes, try again`);
  }

  /** Applies the pending look (its analysis succeeded) to `seq`: the sequence after it, or undefined if another call wrote first. */
  async function applyLook(seq: Sequence, pending: PendingLook, { pass, marginal }: { pass: number; marginal: number }): Promise<Sequence | undefined> {
    const look = seq.looks + 1;
    const { result, state } = await lookAt(deps.executions, pending.executionId, seq.state ?? undefined, plannedLooks(seq, pending, look));
    const c = result.canaria;
    const answer = {
      phase: SEQUENCE_PHASES[c.stop],
      complete: c.stop !== 'continue',
      score: result.score.score,
      classification: result.score.classification,
      pass,
      marginal,
      executionId: pending.executionId,
      reason: c.reason,
      sequence: { analysisKey: seq.analysisKey, look: c.lookIndex, decision: c.stop, stoppedAtLook: c.stoppedAtLook, plannedLooks: c.plannedLooks },
    };
    const next = { looks: look, state, pending: null, answer };
    return (await deps.sequences.update(seq, next, deps.now())) ? { ...seq, ...next, revision: seq.revision + 1 } : undefined;
  }
}

/** What one /v1/judgements call waits with. */
interface JudgementCall {
  body: z.output<typeof judgementBodySchema>;
  /** When its wait ends (epoch ms). */
  until: number;
  waitMs: number;
  abandoned: () => boolean;
}

/** Reads and conditional writes one look may take when other calls of the same sequence race it. */
const SEQUENCE_ATTEMPTS = 6;

/** The judgement's phase for a sequence's decision at a look. */
const SEQUENCE_PHASES = { fail: 'Failed', pass: 'Successful', inconclusive: 'Inconclusive', continue: 'Running' } as const;

const seconds = (ms: number) => Number((ms / 1000).toFixed(3));

/**
 * The planned number of looks at `look` (it tunes the mixture, never validity): the look whose
 * window end reaches the sequence's start + lifetimeMinutes is the last; before it, the looks so
 * far extrapolated over the lifetime at their pace (at the first look: lifetime / first window),
 * and at least one more.
 */
function plannedLooks(seq: Sequence, pending: PendingLook, look: number): number {
  const lifetimeMs = seq.lifetimeMinutes * 60_000;
  const elapsedMs = pending.windowEndMillis - seq.startMillis;
  if (elapsedMs >= lifetimeMs) return look;
  return Math.max(look + 1, Math.round((look * lifetimeMs) / elapsedMs));
}

/** The answer while a look's analysis still runs: the sequence goes on. */
function runningJudgement(seq: Sequence, executionId: string, call: JudgementCall) {
  const { pass, marginal } = call.body.thresholds;
  return {
    phase: 'Running',
    complete: false,
    score: null,
    classification: null,
    pass,
    marginal,
    executionId,
    reason: `look ${seq.looks + 1} still running after ${seconds(call.waitMs)} s; a later call with this analysisKey applies it (GET /canary/${executionId} has the analysis)`,
    sequence: { analysisKey: seq.analysisKey, look: seq.looks + 1, decision: 'continue', stoppedAtLook: null },
  };
}

/**
 * A later look's scopes: the first look's window starts (the sequence's), this call's ends. The
 * scopes must be those of the first look, and every end after its start.
 */
function growingWindow(resolved: ScopePairs, starts: WindowStarts, analysisKey: string): ScopePairs {
  const names = Object.keys(resolved).sort();
  const first = Object.keys(starts).sort();
  if (names.join('\n') !== first.join('\n')) {
    throw new BadRequestError(`scopes: sequence analysisKey ${JSON.stringify(analysisKey)} started with scopes ${first.map((n) => JSON.stringify(n)).join(', ')}; every look must give the same`);
  }
  return Object.fromEntries(
    names.map((name) => {
      const pair = resolved[name];
      const sides = (['controlScope', 'experimentScope'] as const).map((side) => {
        const start = starts[name][side === 'controlScope' ? 'control' : 'experiment'];
        const scope = pair[side];
        if (!(Date.parse(scope.end!) > Date.parse(start))) {
          throw new BadRequestError(`scopes.${name}.${side}.end: must be after the sequence's start ${start} (analysisKey ${JSON.stringify(analysisKey)}: every look judges from the first look's start to its own end)`);
        }
        return { ...scope, start };
      });
      return [name, { ...pair, controlScope: sides[0], experimentScope: sides[1] }];
    }),
  );
}

