// Starting an analysis: checks, the execution record, then the state machine.
import { createHash } from 'node:crypto';
import type { CanaryConfig } from '../config/canary-config.ts';
import type { ExecutionRequest } from '../config/execution-request.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import { failure, type ExecutionStore } from './executions.ts';
import { EXECUTION_ID_PATTERN, ulid } from './ids.ts';
import { prepareExecution } from './prepare.ts';

/** Starts the state machine for a recorded execution (Step Functions on AWS, in-process locally). */
export interface ExecutionStarter {
  start(executionId: string): Promise<void>;
  /**
   * Optional: start() for a caller that waits for the end: resolves once the execution has ended
   * (its record then holds the outcome) or after `timeoutMs` (it goes on); rejects, as start()
   * does, when it could not be started. Step Functions implements it (StartSyncExecution).
   */
  startAndWait?(executionId: string, timeoutMs: number): Promise<void>;
  /**
   * Optional: resolves true as soon as an execution this starter runs has ended (its record then
   * holds the outcome), or false after `timeoutMs` or when it does not run here (another process,
   * an earlier start): the caller then reads the record, or polls it. The local state machine
   * implements it; on AWS the caller polls, unless it started with startAndWait.
   */
  waitForEnd?(executionId: string, timeoutMs: number): Promise<boolean>;
}

export interface AnalysisDeps {
  executions: ExecutionStore;
  accounts: MetricAccounts;
  now: () => number;
}

export interface NewExecution {
  config: CanaryConfig;
  canaryConfigId: string;
  executionRequest: ExecutionRequest;
  application: string;
  metricsAccountName?: string;
  storageAccountName?: string;
  configurationAccountName?: string;
  parentPipelineExecutionId?: string;
  idempotencyKey?: string;
  /** Default: a new ULID. */
  id?: string;
  /** Who started it, for a direct start (ExecutionRecord.startedBy). */
  startedBy?: string;
}

/**
 * The execution id of a direct start named `name`: the name itself when it is a valid id (letters,
 * digits, `-` and `_`, at most 80), else the name with every other run of characters made a `-`,
 * cut to 57 characters, and 22 characters of its SHA-256 (`release-1.2` → `release-1-2-…`). The
 * same name always gives the same id, so RecordFailure finds a record Plan made even when Plan
 * could not return it.
 */
export function directExecutionId(name: string): string {
  if (EXECUTION_ID_PATTERN.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('base64url').slice(0, 22);
  return `${name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 57)}-${hash}`;
}

/** Records a checked execution; with an idempotency key already used, returns that execution. */
export async function createExecution(e: NewExecution, deps: AnalysisDeps): Promise<{ id: string; created: boolean }> {
  const now = deps.now();
  const executionRequest = prepareExecution(e.config, e.executionRequest, deps.accounts, e.metricsAccountName, now);
  const id = e.id ?? ulid(now);
  const record = {
    id,
    application: e.application,
    status: 'running' as const,
    stage: 'setupContext' as const,
    canaryConfigId: e.canaryConfigId,
    metricCount: e.config.metrics.length,
    metricsAccountName: e.metricsAccountName,
    storageAccountName: e.storageAccountName,
    configurationAccountName: e.configurationAccountName,
    parentPipelineExecutionId: e.parentPipelineExecutionId,
    buildTimeMillis: now,
    idempotencyKey: e.idempotencyKey,
    startedBy: e.startedBy,
  };
  // The key's claim and the execution: both or neither (where the storage has transactions).
  return deps.executions.atomically(async () => {
    if (e.idempotencyKey) {
      const earlier = await deps.executions.claimIdempotencyKey(JSON.stringify([e.application, e.idempotencyKey]), id, now);
      if (earlier) return { id: earlier, created: false };
    }
    return { id, created: await deps.executions.create(record, { config: e.config, executionRequest, canaryConfigId: e.canaryConfigId }) };
  });
}

/** Records and starts; the caller gets the id at once and polls. */
export function startExecution(e: NewExecution, deps: AnalysisDeps & { starter: ExecutionStarter }): Promise<string> {
  return recordAndStart(e, deps, (id) => deps.starter.start(id));
}

/**
 * Records and starts for a caller that waits for the end until `waitUntil` (epoch ms): a starter
 * that can start and wait in one (startAndWait: Step Functions) returns at the end or then; else
 * it only starts, and the caller waits (waitForEnd) or polls.
 */
export function startAndWaitExecution(e: NewExecution, deps: AnalysisDeps & { starter: ExecutionStarter }, waitUntil: number): Promise<string> {
  const starter = deps.starter;
  return recordAndStart(e, deps, (id) => (starter.startAndWait ? starter.startAndWait(id, waitUntil - deps.now()) : starter.start(id)));
}

async function recordAndStart(e: NewExecution, deps: AnalysisDeps, run: (id: string) => Promise<void>): Promise<string> {
  const { id, created } = await createExecution(e, deps);
  if (created) {
    try {
      await run(id);
    } catch (err) {
      const exception = failure('setupContext', 'StartExecutionFailed', (err as Error).message, true, deps.now());
      await deps.executions.update(id, { status: 'terminal', endTimeMillis: deps.now(), exception });
      throw err;
    }
  }
  return id;
}
