// `canaria analyze`: one analysis without a server: the state machine in-process, on temporary
// embedded storage. The verdict goes to stdout (JSON or text) and the exit status, progress
// (retries included) to stderr.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ExecutionStore } from '../analysis/executions.ts';
import { fetchItemOf, sidesOf, type FetchOneInput } from '../analysis/prepare.ts';
import { createExecution } from '../analysis/start.ts';
import { statusResponse } from '../analysis/status.ts';
import { loadAccountsFile, type Account } from '../config/accounts.ts';
import { canaryConfigSchema, type CanaryConfig } from '../config/canary-config.ts';
import { splitAccountNames } from '../config/account-names.ts';
import { executionRequestSchema } from '../config/execution-request.ts';
import { parseWith, ValidationError } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import type { CanaryAnalysisResult } from '../judge/types.ts';
import { kayentaJson } from '../json.ts';
import { loadDefinition, LocalStateMachine } from '../local/state-machine.ts';
import { DEFAULT_RETRY, type RetryInfo } from '../metrics/retry.ts';
import { MetricAccounts } from '../metrics/sources.ts';
import { openSqliteStorage } from '../store/sqlite-storage.ts';
import { ConfigStore } from '../store/config-store.ts';
import { analyzeLifetime } from './analyze-lifetime.ts';
import { parseOptions, readJsonInput, UsageError, usageErrorOf, valuesInOrder } from './io.ts';

/**
 * `canaria analyze`'s exit status: by the summary classification when the analysis ran, so a
 * CI job can gate on it; `error` when it could not run (it ended terminal) or on an internal
 * error; `usage` for bad usage or bad input. ANALYZE_HELP is written from this table.
 */
export const ANALYZE_EXIT_CODES = {
  Pass: 0,
  Marginal: 3,
  Fail: 4,
  /** With strict: a Pass or Marginal some of whose metrics have no data or fewer than 50 points on a side. */
  Inconclusive: 5,
  error: 1,
  usage: 2,
} as const;

const VERDICTS = ['Pass', 'Marginal', 'Fail', 'Inconclusive'] as const;

/** The exit status for a summary classification; `error` for one this version does not know. */
export function exitCodeOf(classification: string): number {
  return (VERDICTS as readonly string[]).includes(classification) ? ANALYZE_EXIT_CODES[classification as (typeof VERDICTS)[number]] : ANALYZE_EXIT_CODES.error;
}

const X = ANALYZE_EXIT_CODES;

export const ANALYZE_HELP = `Usage: canaria analyze --config FILE --accounts FILE (--request FILE | scope options)
                       [--judge NAME] [--strict] [--output json|text] [--status]
                       [--report FILE] [--lifetime DURATION --interval DURATION]

Runs one canary analysis without a server and prints the verdict on stdout: Kayenta's
CanaryJudgeResult (--output json, the default), a summary for people (--output text), or
with --status Kayenta's whole CanaryExecutionStatusResponse. Progress goes to stderr,
including each retry of a metric fetch ("retry 2 of 4").

  -c, --config FILE          the canary config (Kayenta JSON)
  -a, --accounts FILE        metric back-ends (YAML or JSON, as for canaria serve)
  -r, --request FILE         a CanaryExecutionRequest: {"scopes": {...}, "thresholds": {...}}
Or, for the config's "default" scope:
      --control SCOPE        control scope (required), e.g. 'version="baseline"'
      --experiment SCOPE     experiment scope (required), e.g. 'version="canary"'
                             (PromQL label values need quotes: version="canary", not version=canary)
      --start ISO --end ISO  the window (default: the 60 steps ending now)
      --step SECONDS         default 60
      --location LOCATION    ${'${location}'} in templates
      --pass N --marginal N  score thresholds (default 95 and 75)
And:
  -m, --metrics-account, --account NAME
                             the account to use (default: the first of each query type); repeat
                             it or separate names with commas for one account per query type,
                             e.g. --account prom,cw
      --judge NAME           the judge: NetflixACAJudge-v1.0 or canaria-v1 (default: the
                             config's judge.name, else NetflixACAJudge-v1.0)
      --strict               a metric with no data or under 50 points on a side makes
                             a Pass or Marginal Inconclusive ("strict": true in the request)
  -o, --output json|text     json (default): the CanaryJudgeResult; text: the verdict, the score
                             with its thresholds and one line per metric, failing metrics first
      --status               print the execution status (JSON) instead of the judge result
      --lifetime DURATION    a standalone analysis: a look at the end of every --interval
      --interval DURATION    (e.g. --lifetime 60m --interval 10m; with --start and --end instead
                             of --lifetime, the looks fall in that past window at once), one
                             line per look on stderr; under canaria-v1 the looks are one
                             always-valid sequence that may stop early. Exit status as below,
                             of the run's verdict (Pass: it passed its thresholds)
      --report FILE          also write the report page (one self-contained HTML file: the
                             verdict, per-metric charts, intervals, queries) to FILE
  -h, --help                 show this help

Exit status, so that CI can gate on the verdict:
  ${X.Pass}  Pass
  ${X.Marginal}  Marginal
  ${X.Fail}  Fail
  ${X.Inconclusive}  Inconclusive (with --strict: metrics without enough data)
  ${X.error}  the analysis could not run (it ended terminal; the reason is on stderr), or an
     internal error
  ${X.usage}  bad usage or bad input (stderr says what is wrong)
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  accounts: { type: 'string', short: 'a' },
  request: { type: 'string', short: 'r' },
  control: { type: 'string' },
  experiment: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  step: { type: 'string' },
  location: { type: 'string' },
  pass: { type: 'string' },
  marginal: { type: 'string' },
  'metrics-account': { type: 'string', short: 'm', multiple: true },
  account: { type: 'string', multiple: true },
  strict: { type: 'boolean' },
  judge: { type: 'string' },
  output: { type: 'string', short: 'o' },
  status: { type: 'boolean' },
  report: { type: 'string' },
  lifetime: { type: 'string' },
  interval: { type: 'string' },
} as const;

/** The options that only build a request; --request makes them pointless. */
const SCOPE_OPTIONS = ['control', 'experiment', 'start', 'end', 'step', 'location', 'pass', 'marginal'] as const;

/** A PromQL label matcher whose value is not quoted: `version=baseline`. */
/** The scope with each unquoted label value quoted: `version=baseline` → `version="baseline"`. */
export function quoteLabelValues(scope: string): string {
  return scope.replace(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*([^"'`\s,][^,]*)/g, (_, label: string, op: string, value: string) => `${label}${op}"${value.trimEnd()}"`);
}

interface ScopeHint {
  scope: string;
  line: string;
}

function unquotedScopeHints(scopes: Array<[option: string, scope: string | undefined]>): ScopeHint[] {
  return scopes.flatMap(([option, scope]) =>
    scope !== undefined && quoteLabelValues(scope) !== scope ? [{ scope, line: `--${option} ${scope}: label values need quotes: --${option} '${quoteLabelValues(scope)}'` }] : [],
  );
}

function wholeSeconds(option: string, value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) <= 0) throw new UsageError(`--${option} must be a whole number of seconds greater than 0, not "${value}"`);
  return Number(value);
}

function number(option: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${option} must be a number, not "${value}"`);
  return n;
}

/** Tries of the state machine's FetchOne task in all: 1 + its Retry MaxAttempts in the ASL. */
export function fetchOneTries(definition: Record<string, unknown> = loadDefinition()): number {
  type Retrier = { ErrorEquals?: string[]; MaxAttempts?: number };
  const find = (node: unknown): { Retry?: Retrier[] } | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const states = (node as { States?: Record<string, unknown> }).States;
    if (states?.FetchOne) return states.FetchOne as { Retry?: Retrier[] };
    for (const child of Object.values(node)) {
      const found = find(child);
      if (found) return found;
    }
    return undefined;
  };
  const retriers = find(definition)?.Retry ?? [];
  const retrier = retriers.find((r) => r.ErrorEquals?.includes('TransientFetchError')) ?? retriers.find((r) => r.ErrorEquals?.includes('States.ALL'));
  // ASL's default MaxAttempts is 3.
  return 1 + (retrier ? (retrier.MaxAttempts ?? 3) : 0);
}

const TYPE_NAMES: Record<string, string> = { prometheus: 'Prometheus', cloudwatch: 'CloudWatch' };

/** Which account, metric and side a source's fetch is for, so a retry report can name them. */
const fetching = new AsyncLocalStorage<{ account?: Account; metric?: string; side?: string }>();

/** MetricAccounts whose sources' fetches run inside `fetching`. */
class ReportingAccounts extends MetricAccounts {
  override resolve(...args: Parameters<MetricAccounts['resolve']>): ReturnType<MetricAccounts['resolve']> {
    const resolved = super.resolve(...args);
    const { account, source } = resolved;
    return {
      ...resolved,
      source: {
        render: (req) => source.render(req),
        fetch: (req, signal) => fetching.run({ account, metric: req.metric.name, side: req.side }, () => source.fetch(req, signal)),
      },
    };
  }
}

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);

export async function analyzeCommand(args: string[]): Promise<number> {
  const o = parseOptions(args, OPTIONS);
  const output = o.output ?? 'json';
  if (output !== 'json' && output !== 'text') throw new UsageError(`--output must be json or text, not "${output}"`);
  if (o.status && output === 'text') throw new UsageError('--status prints the status JSON; it cannot be combined with --output text');
  if (!o.config) throw new UsageError('--config FILE is required');
  if (!o.accounts) throw new UsageError('--accounts FILE is required');
  if (o.report !== undefined && o.report.trim() === '') throw new UsageError('--report needs a file name, e.g. --report report.html');
  const warn = (line: string) => process.stderr.write(`canaria analyze: warning: ${line}\n`);

  const accountNames = splitAccountNames(valuesInOrder(args, OPTIONS, ['metrics-account', 'account']).join(','));
  if ((o['metrics-account'] ?? []).length + (o.account ?? []).length > 0 && accountNames.length === 0) {
    throw new UsageError('--account needs an account name, e.g. --account prometheus');
  }
  const metricsAccountName = accountNames.length > 0 ? [...new Set(accountNames)].join(',') : undefined;

  let built: { step: number; pass: number; marginal: number } | undefined;
  if (o.request) {
    const ignored = SCOPE_OPTIONS.filter((name) => o[name] !== undefined);
    if (ignored.length > 0) warn(`${ignored.map((n) => `--${n}`).join(', ')} ignored: --request gives the scopes and thresholds`);
  } else {
    const missing = (['control', 'experiment'] as const).filter((side) => o[side] === undefined);
    if (missing.length > 0) {
      throw new UsageError(`${missing.map((side) => `--${side} SCOPE`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (or give the whole request with --request FILE)`);
    }
    built = { step: wholeSeconds('step', o.step ?? '60'), pass: number('pass', o.pass ?? '95'), marginal: number('marginal', o.marginal ?? '75') };
  }

  let config: CanaryConfig;
  let executionRequest;
  let accounts: MetricAccounts;
  const progress = (line: string) => process.stderr.write(`canaria analyze: ${line}\n`);
  // Fetches still retrying once the analysis has ended (another fetch failed it) stay quiet.
  let running = true;
  const onRetry = ({ attempt, of, error, delayMs }: RetryInfo) => {
    if (!running) return;
    const { account, metric, side } = fetching.getStore() ?? {};
    const who = account ? `${TYPE_NAMES[account.type] ?? account.type} account '${account.name}'` : 'a metric fetch';
    const what = metric ? ` for ${side ? `${side} data of ` : ''}'${metric}'` : '';
    progress(`${who} failed${what} (${oneLine(error)}); retry ${attempt} of ${of} in ${(delayMs / 1000).toFixed(1)} s`);
  };
  try {
    config = parseWith(canaryConfigSchema, await readJsonInput(o.config), ['canaryConfig']);
    let rawRequest: unknown;
    if (built) {
      const side = (scope: string | undefined) => ({ scope, location: o.location, start: o.start, end: o.end, step: built.step });
      rawRequest = { scopes: { default: { controlScope: side(o.control), experimentScope: side(o.experiment) } }, thresholds: { pass: built.pass, marginal: built.marginal } };
    } else {
      rawRequest = await readJsonInput(o.request!);
    }
    if (rawRequest !== null && typeof rawRequest === 'object' && !Array.isArray(rawRequest)) {
      rawRequest = { ...rawRequest, ...(o.strict ? { strict: true } : {}), ...(o.judge !== undefined ? { judge: o.judge } : {}) };
    }
    executionRequest = parseWith(executionRequestSchema, rawRequest, ['executionRequest']);
    const file = await loadAccountsFile(o.accounts);
    accounts = new ReportingAccounts(file.accounts, { retry: { ...DEFAULT_RETRY, onRetry }, limits: file.limits });
  } catch (err) {
    if (err instanceof ValidationError) throw usageErrorOf(err);
    throw err;
  }

  // `version=baseline` is never a PromQL label matcher, but may be a CloudWatch scope.
  const hints = built ? unquotedScopeHints([['control', o.control], ['experiment', o.experiment]]) : [];
  const allPrometheus = config.metrics.length > 0 && config.metrics.every((m) => m.query?.type === 'prometheus');
  if (hints.length > 0 && allPrometheus) throw new UsageError(hints[0].line, hints.map((h) => h.line));
  for (const hint of hints) warn(`${hint.line} (if it is a Prometheus label matcher)`);

  if (o.lifetime !== undefined || o.interval !== undefined) {
    if (!built) throw new UsageError('--lifetime and --interval build the request from the scope options (--control, --experiment, ...), not --request');
    if (o.report !== undefined) throw new UsageError('--report writes the page of one analysis; with --lifetime, each look is an analysis of its own');
    const scope = { control: o.control!, experiment: o.experiment!, location: o.location, step: built.step, start: o.start, end: o.end };
    return analyzeLifetime(
      { config, accounts, metricsAccountName, scope, thresholds: { pass: built.pass, marginal: built.marginal }, lifetime: o.lifetime, interval: o.interval, judge: o.judge, strict: o.strict, status: o.status === true, output },
      progress,
    );
  }

  const storage = openSqliteStorage(':memory:');
  try {
    const executions = new ExecutionStore(storage);
    const deps = { executions, accounts, configs: new ConfigStore(storage), now: Date.now };
    let id: string;
    try {
      id = (await createExecution({ config, canaryConfigId: 'ad-hoc', executionRequest, application: 'cli', metricsAccountName, id: randomUUID() }, deps)).id;
    } catch (err) {
      // A Prometheus query the scope broke: the hint again, under the error it explains.
      if (err instanceof ClientError) throw new UsageError(err.message, [err.message, ...hints.filter((h) => err.message.includes(h.scope)).map((h) => h.line)]);
      throw err;
    }
    const tries = fetchOneTries();
    const fetchCalls = new Map<string, number>();
    const machine = new LocalStateMachine(deps, {
      onTask: (state, input) => {
        if (!running) return;
        if (state === 'FetchOne') {
          const item = fetchItemOf(input as FetchOneInput);
          const metric = config.metrics[item.metric].name;
          const n = (fetchCalls.get(`${item.metric}/${item.side}`) ?? 0) + 1;
          fetchCalls.set(`${item.metric}/${item.side}`, n);
          progress(`fetching ${sidesOf(item)} data of '${metric}'${n > 1 ? ` (retry ${n} of ${tries})` : ''}`);
        } else if (state === 'Mix') progress('pairing the series');
        else if (state === 'Judge') progress('judging');
      },
    });
    progress(`${config.metrics.length} metric(s) × control and experiment`);
    await machine.run({ executionId: id }, id).catch(() => undefined);
    running = false;
    const record = await executions.get(id);
    const result = await executions.result(id);
    if (o.status) process.stdout.write(`${kayentaJson(statusResponse(record, await executions.document(id), result), 2)}\n`);
    if (o.report !== undefined) await writeReport(o.report, executions, id);
    if (record.status !== 'succeeded' || !result) {
      progress(`terminal in ${record.exception?.operation ?? record.stage}: ${record.exception?.details.error ?? 'unknown error'}`);
      return ANALYZE_EXIT_CODES.error;
    }
    if (!o.status) {
      process.stdout.write(output === 'text' ? textSummary(result, executionRequest.thresholds) : `${kayentaJson(result, 2)}\n`);
    }
    const counts = result.results.reduce<Record<string, number>>((c, r) => ((c[r.classification] = (c[r.classification] ?? 0) + 1), c), {});
    progress(`${result.score.classification} (score ${result.score.score}; ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')})`);
    const code = exitCodeOf(result.score.classification);
    if (code === ANALYZE_EXIT_CODES.error) progress(`unknown verdict "${result.score.classification}"`);
    return code;
  } finally {
    await storage.close();
  }
}

/** --report FILE: the report page of the run (lib/report, loaded only then), from the status and pairs in process. */
async function writeReport(file: string, executions: ExecutionStore, id: string): Promise<void> {
  const [{ reportDocuments }, { renderReport }] = await Promise.all([import('../api/report-api.ts'), import('../report/render.ts')]);
  // Through JSON, as the API serves it (NaN and infinities as Kayenta's strings).
  const docs = JSON.parse(kayentaJson(await reportDocuments(executions, id, Date.now())));
  writeFileSync(file, renderReport(docs));
  process.stderr.write(`canaria analyze: report written to ${file}\n`);
}

/** Failing classifications sort first, then no data, then Pass. */
const RANK: Record<string, number> = { Pass: 2, Nodata: 1 };
const TESTED = new Set(['Pass', 'High', 'Low']);

/** A number for people: at most 4 significant digits, no exponent for everyday sizes. */
function num(x: unknown): string | undefined {
  if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  return String(Number(x.toPrecision(4)));
}

/** The metric's name, with its series' tags when it has any: `latency{pod="a"}`. */
function nameOf(r: CanaryAnalysisResult): string {
  const tags = Object.entries(r.tags ?? {});
  return tags.length > 0 ? `${r.name}{${tags.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : r.name;
}

function metricLine(r: CanaryAnalysisResult, nameWidth: number, classWidth: number): string {
  const name = nameOf(r);
  const parts: string[] = [];
  const m = r.resultMetadata;
  // Only a tested metric has a ratio and an interval worth reading.
  if (m && TESTED.has(r.classification)) {
    const ratio = num(m.ratio);
    if (ratio !== undefined) parts.push(`ratio ${ratio}`);
    const [lo, hi] = [num(m.lowerConfidence), num(m.upperConfidence)];
    if (lo !== undefined && hi !== undefined) {
      const level = num((m.confidenceLevel ?? NaN) * 100);
      parts.push(`${level !== undefined ? `${level}% ` : ''}interval of the difference ${lo} to ${hi}`);
    }
  }
  const flags = [r.critical ? 'critical' : '', r.muted ? 'muted' : ''].filter(Boolean);
  if (flags.length > 0) parts.push(flags.join(', '));
  if (r.classificationReason) parts.push(r.classificationReason);
  return `  ${name.padEnd(nameWidth)}  ${r.classification.padEnd(classWidth)}  ${parts.join('; ')}`.trimEnd();
}

/** What the text summary reads of a judge result (an execution's may say Inconclusive). */
export interface SummaryInput {
  results: CanaryAnalysisResult[];
  score: { score: number; classification: string; classificationReason?: string };
}

/** `--output text`: the verdict with score and thresholds, its reason, then one line per metric. */
export function textSummary(result: SummaryInput, thresholds: { pass: number; marginal: number }): string {
  const { score } = result;
  const lines = [`${score.classification}: score ${num(score.score) ?? score.score} (pass ${thresholds.pass}, marginal ${thresholds.marginal})`];
  if (score.classificationReason) lines.push(score.classificationReason);
  const results = [...result.results].sort((a, b) => (RANK[a.classification] ?? 0) - (RANK[b.classification] ?? 0));
  const width = (f: (r: CanaryAnalysisResult) => string) => Math.max(0, ...results.map((r) => f(r).length));
  const nameWidth = width(nameOf);
  const classWidth = width((r) => r.classification);
  lines.push(`metrics (${results.length}):`);
  for (const r of results) lines.push(metricLine(r, nameWidth, classWidth));
  return `${lines.join('\n')}\n`;
}
