// Checks an analysis before it runs, so that what can be known up front is a 400, not a failed
// execution: a metric, a judge canaria has, scopes for every metric, a window that has ended, an
// account for every query, every query rendering (templates, injections), and control and
// experiment asking for different data.
import type { CanaryConfig } from '../config/canary-config.ts';
import { resolveWindows, type ExecutionRequest, type ScopePairs } from '../config/execution-request.ts';
import { BadRequestError } from '../errors.ts';
import { chooseJudges } from '../judge/judges.ts';
import { ScopeInjectionError } from '../metrics/prometheus-query.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import { instantString, type CanaryScope } from '../metrics/types.ts';

export const SIDES = ['control', 'experiment'] as const;
export type Side = (typeof SIDES)[number];

/**
 * One fetch of the plan: which metric (its index in the config), both sides (`side` null). A
 * side names one: the items of plans made before a fetch took both sides of its metric.
 */
export interface FetchRef {
  metric: number;
  side: Side | null;
}

/** The sides a fetch reads, as messages name them. */
export const sidesOf = (ref: FetchRef): string => ref.side ?? 'control and experiment';

/**
 * What Plan puts in the state (`$.plan`), once for all fetches: the Map's ItemSelector gives each
 * FetchOne `fetchWith` and its own FetchRef. The execution input, an inline config included,
 * stays out of the state (it is in the request document).
 */
export interface Plan extends FetchWith {
  fetchWith: FetchWith;
  fetches: FetchRef[];
}

/**
 * What every fetch of an execution shares. In the plan twice: as `fetchWith`, which the ItemSelector
 * hands on whole (two paths per item, not six: the local interpreter's ItemSelector work per
 * analysis halves), and at its top, read by the ItemSelector of the previous definition (an
 * execution started before a deploy that runs Plan after it).
 */
export interface FetchWith {
  executionId: string;
  /** The request's account names (null: the first account of each query type). */
  metricsAccountName: string | null;
  /** Epoch milliseconds after which no fetch starts and fetches still running give up (FETCH_PHASE_SECONDS after the execution started). */
  fetchDeadlineMillis: number;
  /** Metric sets of one side up to this many bytes of JSON (UTF-8) travel back in the state; larger ones go through S3. */
  inlineBytes: number;
}

/** FetchOne's input: `{fetchWith, ref}` (the ItemSelector), or the previous definition's flat FetchItem. */
export type FetchOneInput = { fetchWith: FetchWith; ref: FetchRef } | FetchItem;

/** One fetch: the shared fields and its FetchRef. */
export interface FetchItem extends FetchRef {
  executionId: string;
  metricsAccountName?: string | null;
  inlineBytes: number;
  /** Absent for inputs of older definitions: no deadline then. */
  fetchDeadlineMillis?: number;
}

/** The fetch an input of FetchOne asks for, from either form. */
export function fetchItemOf(input: FetchOneInput): FetchItem {
  return 'ref' in input ? { ...input.fetchWith, ...input.ref } : input;
}

// The state's size. Step Functions refuses a state input or output, a task's input or result,
// over 256 KiB of UTF-8 JSON with States.DataLimitExceeded, which no Catch catches: the execution
// would end without RecordFailure. canaria keeps every state after Plan under STATE_BUDGET_BYTES,
// counting everything the state holds at its largest (entering RecordFailure after Mix failed):
// {"plan": …, "mix": [the Map's results], "error": {"Error", "Cause"}} and RecordFailure's
// parameters around it. The execution input is the caller's (at most 256 KiB, StartExecution's
// own limit); Plan stores it in the request document and the state drops it.

/** Step Functions' cap on a state's input or output and a task's input or result. */
export const STATE_LIMIT_BYTES = 256 * 1024;
/** What canaria lets any state after Plan reach: 56 KiB under the cap. */
export const STATE_BUDGET_BYTES = 200 * 1024;
/**
 * Kept free of plan and fetch results in every state: a caught error (Lambda's Cause is JSON
 * holding the message twice, as errorMessage and in the stack trace, escaped once more inside
 * the state: at most ERROR_MESSAGE_CHARS (task-support.ts) × 4 bytes × 2 plus 10 frames, ≈ 10 KiB), the Mix and
 * Judge results, RecordFailure's parameters (names and ARN, ≈ 0.5 KiB).
 */
export const RESERVED_BYTES = 16 * 1024;
/**
 * A side's share of a fetch result's JSON beyond its sets: `"experiment":` (13 bytes) and
 * `{"sets":…,"ms":N}` or `{"stored":true,"ms":N}` (at most 26 bytes: N is below
 * FETCH_TASK_BUDGET_MS, 50,000), half of the result's braces and comma.
 */
export const RESULT_OVERHEAD_BYTES = 44;
/**
 * Fetches start within this many seconds of the execution's start; those still running then
 * give up (AnalysisTimeout, recorded by RecordFailure). What remains of the state machine's
 * TimeoutSeconds is for Mix, Judge, Record and RecordFailure at their worst (docs/executions.md,
 * "Timeouts that nest").
 */
export const FETCH_PHASE_SECONDS = 120;

const utf8 = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** How far past now a window may end (clocks differ between Argo and canaria). */
export const FUTURE_TOLERANCE_MS = 60_000;

/** A scope's window as it goes into the comparison of the two sides. */
const windowOf = (s: CanaryScope) => `${s.start}/${s.end}/${s.step}`;

/**
 * Why the two sides of a metric would judge the same data, or undefined: an identical query
 * over an identical window compares a series with itself and always passes.
 */
export function sameDataProblem(control: { query: string; scope: CanaryScope }, experiment: { query: string; scope: CanaryScope }): string | undefined {
  if (control.query !== experiment.query || windowOf(control.scope) !== windowOf(experiment.scope)) return undefined;
  return `control and experiment render the same query over the same window (${control.query}), so the canary would be compared with itself and always pass; use \${scope} in its query and give the two scopes different values`;
}

/** Scopes whose window ends in the future: "scopes.default.controlScope.end: …". */
export function futureWindowProblems(scopes: ScopePairs, now: number): string[] {
  return Object.entries(scopes).flatMap(([name, pair]) =>
    (['controlScope', 'experimentScope'] as const)
      .filter((side) => Date.parse(pair[side].end!) > now + FUTURE_TOLERANCE_MS)
      .map((side) => `scopes.${name}.${side}.end: ${pair[side].end} is in the future (now is ${instantString(Math.floor(now / 1000) * 1000)}); a canary can only judge data that exists, so let the window end now or earlier`),
  );
}

/** The query types a config runs. */
export const queryTypes = (config: CanaryConfig) => new Set(config.metrics.flatMap((m) => (m.query ? [m.query.type] : [])));

/** The request with every scope's window settled, checked against the config and accounts. */
export function prepareExecution(
  config: CanaryConfig,
  request: ExecutionRequest,
  accounts: MetricAccounts,
  metricsAccountName: string | undefined,
  now: number,
): ExecutionRequest {
  if (config.metrics.length === 0) throw new BadRequestError('The canary config must specify at least one metric.');
  // The judge (request's override, else the config's) and any shadow judges, the config checked for each.
  const { primary } = chooseJudges(config, request.judge);
  const scopes = resolveWindows(request.scopes, now);
  // Own keys only: a scope named "toString" is not Object.prototype's.
  const missing = [...new Set(config.metrics.map((m) => m.scopeName ?? 'default'))].filter((s) => !Object.hasOwn(scopes, s));
  if (missing.length > 0) {
    throw new BadRequestError(`Canary metrics require scopes which were not provided in the execution request: [${missing.join(', ')}]`);
  }
  const future = futureWindowProblems(scopes, now);
  if (future.length > 0) throw new BadRequestError(future[0], future);
  config.metrics.forEach((metric, i) => {
    if (!metric.query) throw new BadRequestError(`canaryConfig.metrics[${i}].query: is required`);
  });
  accounts.check(metricsAccountName, queryTypes(config));
  const same: string[] = [];
  config.metrics.forEach((metric) => {
    const { source } = accounts.resolve(metricsAccountName, metric.query!.type);
    const scopeName = metric.scopeName ?? 'default';
    const rendered = SIDES.map((side) => {
      const scope = scopes[scopeName][`${side}Scope`] as CanaryScope;
      try {
        return { query: source.render({ metric, templates: config.templates, scope }), scope };
      } catch (err) {
        if (err instanceof ScopeInjectionError) {
          throw new BadRequestError(`executionRequest.scopes.${scopeName}.${side}Scope.${err.message}`);
        }
        if (err instanceof BadRequestError) throw new BadRequestError(`metric '${metric.name}' (${side}): ${err.message}`);
        throw err;
      }
    });
    const problem = sameDataProblem(rendered[0], rendered[1]);
    if (problem) same.push(`metric '${metric.name}': ${problem}`);
  });
  if (same.length > 0) throw new BadRequestError(same[0], same);
  return { ...request, scopes, judge: primary };
}


/**
 * The plan of an execution: a fetch per metric (both sides), and what each side's sets may take
 * of the state, in UTF-8 bytes: the budget less the reserve, the plan itself and each side's
 * share of its result's overhead, shared equally. With 500 metrics (1,000 sides) that share is
 * about 130 bytes, so every set goes through S3 and the state holds 500 results of
 * `{"control":{"stored":true,"ms":N},"experiment":{…}}`.
 */
export function planExecution(executionId: string, config: CanaryConfig, metricsAccountName: string | undefined, fetchDeadlineMillis: number): Plan {
  const fetches = config.metrics.map((_, metric) => ({ metric, side: null }));
  const sides = fetches.length * SIDES.length;
  const planWith = (inlineBytes: number): Plan => {
    const fetchWith: FetchWith = { executionId, metricsAccountName: metricsAccountName ?? null, fetchDeadlineMillis, inlineBytes };
    return { ...fetchWith, fetchWith, fetches };
  };
  const fixed = utf8({ plan: planWith(STATE_BUDGET_BYTES), mix: [] }) + sides * RESULT_OVERHEAD_BYTES;
  const free = STATE_BUDGET_BYTES - RESERVED_BYTES - fixed;
  if (free < 0) throw new Error(`the plan of ${fetches.length} fetches takes ${fixed} bytes, more than the state may hold`);
  return planWith(Math.floor(free / sides));
}
