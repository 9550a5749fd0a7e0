// The state machine locally: the same ASL file, run by aws-local-stepfunctions, with every Task
// running canaria's task code in-process.
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { parse as parseYaml } from 'yaml';
import type { ExecutionRecord } from '../analysis/executions.ts';
import type { ExecutionStarter } from '../analysis/start.ts';
import { taskHandlers, type TaskDeps } from '../analysis/tasks.ts';

const ASL_FILE = new URL('../../functions/canary.asl.yml', import.meta.url);

/** The ASL with its ${...Arn} substitutions replaced by placeholder ARNs (overridden anyway). */
export function loadDefinition(): Record<string, unknown> {
  const text = readFileSync(ASL_FILE, 'utf8').replace(/\$\{(\w+)FunctionArn\}/g, (_, name: string) => `arn:aws:lambda:us-east-1:000000000000:function:canaria-${name}`);
  return parseYaml(text) as Record<string, unknown>;
}

export interface LocalRunOptions {
  /** Replace task code (fault injection in tests). */
  overrides?: Partial<Record<keyof ReturnType<typeof taskHandlers>, (input: unknown) => Promise<unknown>>>;
  /** Milliseconds between Retry attempts (the ASL's intervals are seconds). */
  retryIntervalMs?: number;
  /** Called as each task starts (progress reports). */
  onTask?: (state: string, input: unknown) => void;
  /**
   * Called when an execution started with start() has ended, with its record as stored then
   * (undefined if it could not be read: `error` says why).
   */
  onFinished?: (executionId: string, record: ExecutionRecord | undefined, error?: Error) => void;
}

/** Reasons longer than this are cut in finishedLine. */
const MAX_REASON_CHARS = 300;

/**
 * One line on how an execution ended: `analysis ID succeeded: Pass, score 100`, or
 * `analysis ID terminal in fetch: REASON`.
 */
export function finishedLine(executionId: string, record: ExecutionRecord | undefined, error?: Error): string {
  if (!record) return `analysis ${executionId} ended; its record could not be read: ${oneLine(error?.message ?? 'not found')}`;
  if (record.status === 'succeeded') {
    const score = record.score === undefined ? '' : `, score ${record.score}`;
    return `analysis ${executionId} succeeded: ${record.classification ?? 'no classification'}${score}`;
  }
  if (record.status === 'terminal') {
    const stage = record.exception?.operation ?? record.stage;
    return `analysis ${executionId} terminal in ${stage}: ${oneLine(record.exception?.details.error ?? 'no reason recorded')}`;
  }
  return `analysis ${executionId} ended but is still recorded ${record.status} (stage ${record.stage})`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS)}…` : flat;
}

/**
 * Our own definitions, checked by the ASL validator in test/local/asl-definitions.test.ts, are not
 * validated again at each start: the validator compiles its JSON schemas with ajv, about 0.25 s
 * of every `canaria serve` and `canaria analyze` start per state machine.
 */
export const KNOWN_DEFINITION = { validationOptions: { noValidate: true } } as const;

export class LocalStateMachine implements ExecutionStarter {
  private readonly machine = new StateMachine(loadDefinition() as never, KNOWN_DEFINITION);
  private readonly deps: TaskDeps;
  private readonly options: LocalRunOptions;
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(deps: TaskDeps, options: LocalRunOptions = {}) {
    this.deps = deps;
    this.options = options;
  }

  /** Runs an execution to its end; resolves with the state machine's output or throws its failure. */
  run(input: Record<string, unknown>, executionName: string): Promise<unknown> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = { ...taskHandlers(this.deps), ...this.options.overrides };
    const onTask = this.options.onTask;
    if (onTask) {
      for (const [state, handler] of Object.entries(handlers)) {
        handlers[state] = (input) => {
          onTask(state, input);
          return handler(input);
        };
      }
    }
    const retryMs = this.options.retryIntervalMs ?? 200;
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, retryMs])),
      },
      context: { Execution: { Name: executionName, Id: `local:${executionName}` } } as never,
    });
    return execution.result;
  }

  /** In the background, as Step Functions would; the execution record says how it ends. */
  async start(executionId: string): Promise<void> {
    const done = this.run({ executionId }, executionId)
      .catch(() => undefined) // a failed run has recorded itself terminal
      .then(() => this.reportFinished(executionId))
      .finally(() => this.running.delete(executionId));
    this.running.set(executionId, done);
  }

  private async reportFinished(executionId: string): Promise<void> {
    const onFinished = this.options.onFinished;
    if (!onFinished) return;
    let record: ExecutionRecord | undefined;
    let error: Error | undefined;
    try {
      record = await this.deps.executions.get(executionId);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    try {
      onFinished(executionId, record, error);
    } catch {
      // a failing report never fails the execution
    }
  }

  /**
   * True once an execution started here has ended (Record or RecordFailure has written its outcome);
   * false after timeoutMs, or at once when it is not running here (ended already, or never started here).
   */
  async waitForEnd(executionId: string, timeoutMs: number): Promise<boolean> {
    const running = this.running.get(executionId);
    if (!running) return false;
    if (timeoutMs <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([running.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for every execution still running (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.running.values());
  }
}
