// The standalone state machine locally: functions/standalone.asl.yml run by aws-local-stepfunctions,
// its tasks in-process, RunLook on the local canary state machine. Time is a clock the runtime
// owns: the wait for a look's window happens in LookNext's local wrapper through `clock.sleep`
// (the Wait state itself is overridden to 0 ms), so tests run a lifetime in seconds. A run stopped
// with the service stays recorded running and resumes when the service starts again (resume()).
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { parse as parseYaml } from 'yaml';
import { lookEnd, lookNext, lookStart, standaloneFailure, type LoopState, type StandaloneDeps, type StandaloneStarter } from '../analysis/standalone-tasks.ts';
import type { StandaloneRecord } from '../analysis/standalone.ts';
import { sleep } from '../metrics/retry.ts';
import { KNOWN_DEFINITION, type LocalStateMachine } from './state-machine.ts';

const ASL_FILE = new URL('../../functions/standalone.asl.yml', import.meta.url);

/** The runtime's time: `now` for every record, `sleep` for every wait. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms, signal) => sleep(ms, signal) };

/** The longest a look's analysis is awaited (the canary state machine's own limit is 280 s). */
const LOOK_WAIT_MS = 600_000;

export function loadDefinition(): Record<string, unknown> {
  const text = readFileSync(ASL_FILE, 'utf8')
    .replace(/\$\{(\w+)FunctionArn\}/g, (_, name: string) => `arn:aws:lambda:us-east-1:000000000000:function:canaria-${name}`)
    .replace('${CanaryStateMachineArn}', 'arn:aws:states:us-east-1:000000000000:stateMachine:canaria-canary');
  return parseYaml(text) as Record<string, unknown>;
}

export interface StandaloneRunOptions {
  /** Milliseconds between Retry attempts. */
  retryIntervalMs?: number;
  /** A run's state machine failed (its record says how it ended). */
  onError?: (id: string, error: Error) => void;
  /** Told of the run's record after each look it recorded (`canaria analyze --lifetime`). */
  onLook?: (record: StandaloneRecord) => void;
}

interface Run {
  done: Promise<void>;
  abort: () => void;
  /** Ends the current wait early (a cancel: the run then sees its record). */
  wake: AbortController;
}

export class LocalStandaloneMachine implements StandaloneStarter {
  private readonly machine = new StateMachine(loadDefinition() as never, KNOWN_DEFINITION);
  private readonly runs = new Map<string, Run>();
  private stopping = false;
  private readonly deps: StandaloneDeps;
  private readonly canary: LocalStateMachine;
  private readonly clock: Clock;
  private readonly options: StandaloneRunOptions;

  constructor(deps: StandaloneDeps, canary: LocalStateMachine, clock: Clock = realClock, options: StandaloneRunOptions = {}) {
    this.deps = deps;
    this.canary = canary;
    this.clock = clock;
    this.options = options;
  }

  async start(standaloneId: string): Promise<void> {
    if (this.stopping || this.runs.has(standaloneId)) return;
    const run: Run = { done: Promise.resolve(), abort: () => undefined, wake: new AbortController() };
    const handlers: Record<string, (input: never) => Promise<unknown>> = {
      LookNext: async (input: { standaloneId: string }) => {
        const state = await lookNext(input, this.deps);
        await this.waitUntil(state, run);
        return state;
      },
      LookStart: (input: { standaloneId: string }) => lookStart(input, this.deps),
      RunLook: async (input: { Input: { executionId: string } }) => {
        const id = input.Input.executionId;
        await this.canary.start(id);
        await this.canary.waitForEnd(id, LOOK_WAIT_MS);
        return {};
      },
      LookEnd: async (input: { standaloneId: string; executionId: string }) => {
        const state = await lookEnd(input, this.deps);
        const onLook = this.options.onLook;
        const record = onLook ? await this.deps.standalone.find(input.standaloneId) : undefined;
        if (record) onLook!(record);
        return state;
      },
      StandaloneFailure: (input: { standaloneId: string; error?: { Error?: string; Cause?: string } }) => standaloneFailure(input, this.deps).then(() => ({})),
    };
    const retryMs = this.options.retryIntervalMs ?? 200;
    const execution = this.machine.run({ standaloneId } as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: { WaitForWindow: 0 },
        retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, retryMs])),
      },
      context: { Execution: { Name: standaloneId, Id: `local:standalone:${standaloneId}` } } as never,
      noThrowOnAbort: true,
    });
    run.abort = () => execution.abort();
    run.done = execution.result
      .then(() => undefined)
      .catch((err: unknown) => this.options.onError?.(standaloneId, err instanceof Error ? err : new Error(String(err))))
      .finally(() => this.runs.delete(standaloneId));
    this.runs.set(standaloneId, run);
  }

  /** LookNext's wait for the window's end, on the clock; a wake (cancel) or stop ends it early. */
  private async waitUntil(state: LoopState, run: Run): Promise<void> {
    if (state.done || !state.waitUntil) return;
    const ms = Date.parse(state.waitUntil) - this.clock.now();
    if (ms <= 0) return;
    try {
      await this.clock.sleep(ms, run.wake.signal);
    } catch {
      // woken: LookStart reads the record (a canceled run starts no look)
    }
    if (run.wake.signal.aborted) run.wake = new AbortController();
  }

  /** A cancel was recorded: the run's wait ends now and it sees the record. */
  async canceled(standaloneId: string): Promise<void> {
    this.runs.get(standaloneId)?.wake.abort();
  }

  /** Starts every run still recorded running (at service start: a restart cut them off). */
  async resume(): Promise<number> {
    const running = await this.deps.standalone.listRunning();
    for (const record of running) await this.start(record.id);
    return running.length;
  }

  /** Stops every run where it is (each stays recorded running and resumes with the next start). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const run of this.runs.values()) {
      run.wake.abort();
      run.abort();
    }
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  /** Resolves when no run is going on (tests). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs.values()].map((r) => r.done));
  }
}
