// `canaria analyze --lifetime 60m --interval 10m`: the standalone loop without a server (the same
// state machine as POST /standalone_canary_analysis, in-process, on temporary storage): a look
// at the end of every interval, one line per look on stderr, the run's status or last result on
// stdout, and the exit status of its verdict.
import { randomUUID } from 'node:crypto';
import { ExecutionStore } from '../analysis/executions.ts';
import { startStandalone } from '../analysis/standalone-tasks.ts';
import { standaloneStatus } from '../analysis/standalone-status.ts';
import { planLooks, StandaloneStore, type StandaloneRecord } from '../analysis/standalone.ts';
import { judgesSequentially } from '../analysis/looks.ts';
import type { CanaryConfig } from '../config/canary-config.ts';
import { standaloneRequestSchema } from '../config/standalone-request.ts';
import { parseWith, ValidationError } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import { kayentaJson } from '../json.ts';
import { LocalStandaloneMachine } from '../local/standalone-machine.ts';
import { LocalStateMachine } from '../local/state-machine.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import { instantString } from '../metrics/types.ts';
import { ConfigStore } from '../store/config-store.ts';
import { openSqliteStorage } from '../store/sqlite-storage.ts';
import { UsageError, usageErrorOf } from './io.ts';

/** `90`, `90m`, `1h`, `1h30m`, `2d` → minutes; a UsageError naming the option otherwise. */
export function durationMinutes(option: string, text: string): number {
  const m = /^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m?)?\s*$/.exec(text);
  const minutes = m && (m[1] || m[2] || m[3]) ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
  if (!Number.isInteger(minutes) || minutes <= 0) throw new UsageError(`--${option} must be a duration in whole minutes, e.g. 60m, 1h or 1h30m, not "${text}"`);
  return minutes;
}

export interface LifetimeRun {
  config: CanaryConfig;
  accounts: MetricAccounts;
  metricsAccountName?: string;
  scope: { control: string; experiment: string; location?: string; step: number; start?: string; end?: string };
  thresholds: { pass: number; marginal: number };
  lifetime?: string;
  interval?: string;
  judge?: string;
  strict?: boolean;
  status: boolean;
  output: 'json' | 'text';
}

const hhmm = (ms: number) => instantString(ms).slice(11, 16);

/** One line per recorded look: `look 2 of 6 (10:00–10:20): Pass, score 100` (+ the sequence's answer). */
export function lookLine(record: StandaloneRecord): string {
  const look = record.looks.at(-1)!;
  const verdict = look.status === 'succeeded' ? `${look.classification}, score ${look.score}` : `no verdict: ${look.exception?.details.error ?? 'the analysis failed'}`;
  const sequence = look.decision ? ` — ${look.decision}${look.decision === 'continue' ? '' : `: ${look.reason}`}` : '';
  return `look ${look.index} of ${record.plannedLooks} (${hhmm(look.judgementStartTimeMillis)}–${hhmm(look.judgementEndTimeMillis)} UTC): ${verdict}${sequence}`;
}

/** The run's exit status: Pass 0 (passed its thresholds), Fail 4 (a failed look or stop), Marginal 3, error 1. */
export function lifetimeExitCode(record: StandaloneRecord): number {
  if (record.didPassThresholds) return 0;
  const last = record.looks.at(-1);
  if (record.status === 'terminal' && last?.status === 'succeeded') return 4;
  if (record.status === 'succeeded') return 3;
  return 1;
}

export async function analyzeLifetime(run: LifetimeRun, progress: (line: string) => void): Promise<number> {
  const past = run.scope.start !== undefined || run.scope.end !== undefined;
  if (past && run.lifetime !== undefined) throw new UsageError('give --lifetime (from now), or --start and --end (a lifetime in the past), not both');
  if (!past && run.lifetime === undefined) throw new UsageError('--interval needs --lifetime (e.g. --lifetime 60m), or --start and --end');
  const lifetime = run.lifetime === undefined ? undefined : durationMinutes('lifetime', run.lifetime);
  const interval = run.interval === undefined ? undefined : durationMinutes('interval', run.interval);
  const times = past ? { startTimeIso: run.scope.start, endTimeIso: run.scope.end } : {};
  const scope = { controlScope: run.scope.control, experimentScope: run.scope.experiment, controlLocation: run.scope.location, experimentLocation: run.scope.location, step: run.scope.step, ...times };
  let request;
  try {
    request = parseWith(
      standaloneRequestSchema,
      { scopes: [scope], thresholds: run.thresholds, lifetimeDurationMins: lifetime, analysisIntervalMins: interval, ...(run.judge ? { judge: run.judge } : {}), ...(run.strict ? { strict: true } : {}) },
      ['executionRequest'],
    );
  } catch (err) {
    if (err instanceof ValidationError) throw usageErrorOf(err);
    throw err;
  }
  const storage = openSqliteStorage(':memory:');
  try {
    const executions = new ExecutionStore(storage);
    const standalone = new StandaloneStore(storage);
    const deps = { executions, standalone, accounts: run.accounts, configs: new ConfigStore(storage), now: Date.now };
    const canary = new LocalStateMachine(deps);
    const machine = new LocalStandaloneMachine(deps, canary, undefined, { onLook: (record) => progress(lookLine(record)) });
    let id: string;
    try {
      id = await startStandalone({ config: run.config, canaryConfigId: 'ad-hoc', request, application: 'cli', user: 'cli', metricsAccountName: run.metricsAccountName, parentPipelineExecutionId: randomUUID() }, { ...deps, starter: machine });
    } catch (err) {
      if (err instanceof ClientError) throw new UsageError(err.message);
      throw err;
    }
    const plan = planLooks(request);
    const sequential = judgesSequentially(run.config, request.judge);
    progress(`${plan.looks} look(s), one every ${plan.intervalMillis / 60_000} min${past ? ' over the past window' : ' as each window ends'}; judge ${sequential ? 'canaria-v1 (one always-valid sequence)' : 'NetflixACAJudge-v1.0'}`);
    await machine.idle();
    await canary.idle();
    const record = (await standalone.find(id))!;
    const status = await standaloneStatus(record, executions, standalone);
    if (run.status) process.stdout.write(`${kayentaJson(status, 2)}\n`);
    else {
      const result = status.canaryAnalysisExecutionResult as { canaryScoreMessage: string; didPassThresholds: boolean; canaryScores: number[] };
      process.stdout.write(run.output === 'text' ? `${record.status.toUpperCase()}: ${result.canaryScoreMessage}\nscores: ${result.canaryScores.join(', ')}\n` : `${kayentaJson(result, 2)}\n`);
    }
    progress(`${record.status}: ${record.canaryScoreMessage ?? 'no judgement'}`);
    return lifetimeExitCode(record);
  } finally {
    await storage.close();
  }
}
