// CloudWatch GetMetricData as a Kayenta-style metric source (metric-sources-spec.md §5): Argo's
// metricDataQueries templated leaf by leaf, one aligned call sequence per metric and side, and one
// MetricSet per returned query on a fixed grid with NaN for gaps.
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Account } from '../config/accounts.ts';
import { BadRequestError } from '../errors.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from './retry.ts';
import { ATTEMPT_TIMEOUT_MS, formatBytes, MetricFetchError, metricLimits, TimeSlice, type FetchRequest, type MetricLimits, type MetricSource } from './source.ts';
import { scopeBindings, substitute, TemplateError, unescapeTemplate } from './template.ts';
import { instantString, type MetricSet } from './types.ts';

export type CloudWatchAccount = Extract<Account, { type: 'cloudwatch' }>;

export interface CloudWatchSourceOptions {
  retry?: RetryPolicy;
  /** Per GetMetricData call; default 10 s. */
  timeoutMs?: number;
  /** Builds the client of a region (tests); by default the account's endpoint and credentials. */
  clientFor?: (region: string) => CloudWatchClient;
  /** Epoch millis, for the period rules that depend on the data's age (tests). */
  now?: () => number;
  /**
   * Caps on one answer; DEFAULT_LIMITS (source.ts) for those left out. The series are the
   * returned queries; the bytes are estimated from the points asked for (POINT_BYTES each).
   */
  limits?: Partial<MetricLimits>;
}

/** A point of an answer at its smallest: an 8-byte timestamp and an 8-byte value. */
const POINT_BYTES = 16;

/** The expanded, validated GetMetricData call of one metric and side. */
interface Plan {
  region: string;
  input: GetMetricDataCommandInput;
  /** `input` as render() shows it and the MetricSets carry it. */
  json: string;
  /** Aligned epoch seconds. */
  start: number;
  end: number;
  period: number;
  /** Ids of the queries that return data, in config order. */
  returned: string[];
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 20, 30];
const REGION_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)+$/;
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export class CloudWatchSource implements MetricSource {
  readonly #account: CloudWatchAccount;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #clientFor: (region: string) => CloudWatchClient;
  readonly #now: () => number;
  readonly #limits: MetricLimits;
  readonly #clients = new Map<string, CloudWatchClient>();

  constructor(account: CloudWatchAccount, options: CloudWatchSourceOptions = {}) {
    this.#account = account;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.#clientFor = options.clientFor ?? ((region) => defaultClient(account, region));
    this.#now = options.now ?? Date.now;
    this.#limits = metricLimits(options.limits);
  }

  render(req: FetchRequest): string {
    return this.#plan(req).json;
  }

  async fetch(req: FetchRequest, signal?: AbortSignal): Promise<MetricSet[]> {
    const plan = this.#plan(req);
    const n = (plan.end - plan.start) / plan.period;
    // The caps, before anything is sent: the answer's size is known from the plan.
    const { maxSeriesPerMetric, maxBytesPerAnswer } = this.#limits;
    if (plan.returned.length > maxSeriesPerMetric) {
      throw this.#failure(
        req.metric.name,
        `it asks for ${plan.returned.length} series (queries that return data), more than the cap of ${maxSeriesPerMetric} (limits.maxSeriesPerMetric): return fewer queries or combine them in an expression`,
      );
    }
    const points = plan.returned.length * n;
    if (points * POINT_BYTES > maxBytesPerAnswer) {
      throw this.#failure(
        req.metric.name,
        `the answer would hold ${points} points (${plan.returned.length} series × ${n} periods of ${plan.period} s), at least ${formatBytes(points * POINT_BYTES)}, more than the cap of ${formatBytes(maxBytesPerAnswer)} (limits.maxBytesPerAnswer): use a longer period or a shorter window`,
      );
    }
    const client = this.#client(plan.region);
    const returned = new Set(plan.returned);
    const series = new Map<string, { values: number[]; statusCode: string; messages: string[] }>();
    const common: string[] = [];
    const slice = new TimeSlice();
    let nextToken: string | undefined;
    do {
      const page = await this.#call(client, { ...plan.input, NextToken: nextToken }, req.metric.name, signal);
      common.push(...formatMessages(page.Messages));
      for (const r of page.MetricDataResults ?? []) {
        if (slice.due()) await slice.pause();
        if (!returned.has(r.Id!)) continue;
        let s = series.get(r.Id!);
        if (!s) series.set(r.Id!, (s = { values: new Array<number>(n).fill(NaN), statusCode: '', messages: [] }));
        s.statusCode = r.StatusCode ?? '';
        s.messages.push(...formatMessages(r.Messages));
        const timestamps = r.Timestamps ?? [];
        const values = r.Values ?? [];
        for (let i = 0; i < Math.min(timestamps.length, values.length); i++) {
          const k = (timestamps[i].getTime() / 1000 - plan.start) / plan.period;
          if (Number.isInteger(k) && k >= 0 && k < n) s.values[k] = values[i]; // a later page wins
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);

    return plan.returned.map((id): MetricSet => {
      const s = series.get(id);
      if (!s) throw this.#failure(req.metric.name, `no result for query '${id}'`);
      const messages = [...new Set([...common, ...s.messages])];
      return {
        name: req.metric.name,
        tags: plan.returned.length === 1 ? {} : { id },
        startTimeMillis: plan.start * 1000,
        startTimeIso: instantString(plan.start * 1000),
        endTimeMillis: plan.end * 1000,
        endTimeIso: instantString(plan.end * 1000),
        stepMillis: plan.period * 1000,
        values: s.values,
        attributes: {
          query: plan.json,
          region: plan.region,
          statusCode: s.statusCode,
          ...(s.statusCode === 'PartialData' ? { partial: 'true' } : {}),
          ...(messages.length > 0 ? { messages: messages.join('; ') } : {}),
        },
      };
    });
  }

  /** One GetMetricData page, retried on throttling, 5xx, timeouts and InternalError results. */
  async #call(client: CloudWatchClient, input: GetMetricDataCommandInput, metric: string, signal?: AbortSignal): Promise<GetMetricDataCommandOutput> {
    let attempts = 0;
    try {
      return await withRetries(
        async (attempt) => {
          attempts = attempt;
          const timeout = AbortSignal.timeout(this.#timeoutMs);
          let page: GetMetricDataCommandOutput;
          try {
            page = await client.send(new GetMetricDataCommand(input), { abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout });
          } catch (err) {
            if (timeout.aborted && !signal?.aborted) throw new MetricFetchError(`GetMetricData timed out after ${this.#timeoutMs} ms`, true);
            throw err;
          }
          checkPage(page);
          return page;
        },
        isRetryable,
        this.#retry,
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.#failure(metric, reasonOf(err), attempts, isRetryable(err), err instanceof MetricFetchError && err.timedOut);
    }
  }

  #failure(metric: string, reason: string, attempts?: number, retryable = false, timedOut = false): MetricFetchError {
    const after = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return new MetricFetchError(`CloudWatch account '${this.#account.name}' failed for metric '${metric}'${after}: ${reason}`, retryable, timedOut);
  }

  #client(region: string): CloudWatchClient {
    let client = this.#clients.get(region);
    if (!client) this.#clients.set(region, (client = this.#clientFor(region)));
    return client;
  }

  #plan(req: FetchRequest): Plan {
    const query = req.metric.query;
    if (query?.type !== 'cloudwatch') throw new BadRequestError(`Metric '${req.metric.name}' has no CloudWatch query`);
    const { scope } = req;
    const bindings = scopeBindings(scope);
    const expand = (template: string, path: string): string => {
      const unescaped = unescapeTemplate(template);
      try {
        return substitute(unescaped, bindings);
      } catch (err) {
        throw new TemplateError(`Problem evaluating template at ${path}: ${unescaped} (${(err as Error).message})`);
      }
    };
    const expandOptional = (template: string | undefined, path: string) => (template === undefined ? undefined : expand(template, path));

    const region = expandOptional(query.region, 'region') || this.#account.region;
    if (!REGION_PATTERN.test(region)) throw new BadRequestError(`region must be an AWS region name such as eu-west-1, got "${region}"`);

    const startMs = Date.parse(scope.start);
    const endMs = Date.parse(scope.end);
    if (Number.isNaN(startMs) || Number.isNaN(endMs)) throw new BadRequestError('The scope needs ISO-8601 start and end instants');
    const ageSeconds = (this.#now() - startMs) / 1000;

    const returned: Array<{ id: string; period: number; at: string }> = [];
    const queries = query.metricDataQueries.map((q, i): MetricDataQuery => {
      const at = `metricDataQueries[${i}]`;
      // Ids are not expanded: the config schema's id pattern has no room for "${".
      const id = q.id;
      const queryPeriod = parsePeriod(q.period, `${at}.period`, expand);
      const statPeriod = parsePeriod(q.metricStat?.period, `${at}.metricStat.period`, expand);
      const period = statPeriod ?? queryPeriod ?? scope.step;
      const periodSource = statPeriod !== undefined ? `${at}.metricStat.period` : queryPeriod !== undefined ? `${at}.period` : "the scope's step";
      // Every period that is sent, and the grid period of every returned query, must be one CloudWatch serves.
      if (q.metricStat || queryPeriod !== undefined || q.returnData !== false) checkPeriod(period, periodSource, ageSeconds);
      if (q.returnData !== false) returned.push({ id, period, at });

      const ms = q.metricStat;
      const metricAt = `${at}.metricStat.metric`;
      return {
        Id: id,
        MetricStat: ms && {
          Metric: {
            Namespace: expand(ms.metric.namespace, `${metricAt}.namespace`),
            MetricName: expand(ms.metric.metricName, `${metricAt}.metricName`),
            Dimensions: ms.metric.dimensions?.map((d, j) => ({
              Name: expand(d.name, `${metricAt}.dimensions[${j}].name`),
              Value: expand(d.value, `${metricAt}.dimensions[${j}].value`),
            })),
          },
          Period: period,
          Stat: expand(ms.stat, `${at}.metricStat.stat`),
          Unit: expandOptional(ms.unit, `${at}.metricStat.unit`) as StandardUnit | undefined,
        },
        Expression: expandOptional(q.expression, `${at}.expression`),
        Label: q.label,
        ReturnData: q.returnData,
        Period: queryPeriod,
        AccountId: expandOptional(q.accountId, `${at}.accountId`),
      };
    });

    if (returned.length === 0) throw new BadRequestError('At least one of metricDataQueries must return data (returnData is false on all)');
    const other = returned.find((r) => r.period !== returned[0].period);
    if (other) {
      throw new BadRequestError(
        `All queries that return data need the same period: ${returned[0].at} has ${returned[0].period} s, ${other.at} has ${other.period} s`,
      );
    }
    const period = returned[0].period;
    const start = Math.floor(startMs / 1000 / period) * period;
    const end = Math.floor(endMs / 1000 / period) * period;
    if (end - start < period) {
      throw new BadRequestError(`The scope ${scope.start} to ${scope.end} holds no whole period of ${period} s once aligned to the period`);
    }

    const input = {
      MetricDataQueries: queries,
      StartTime: new Date(start * 1000),
      EndTime: new Date(end * 1000),
      ScanBy: 'TimestampAscending' as const,
    };
    const json = JSON.stringify({ ...input, StartTime: instantString(start * 1000), EndTime: instantString(end * 1000) });
    return { region, input, json, start, end, period, returned: returned.map((r) => r.id) };
  }
}

function defaultClient(account: CloudWatchAccount, region: string): CloudWatchClient {
  const endpoint = account.endpoint ? { endpoint: account.endpoint } : {};
  const credentials = account.roleArn
    ? fromTemporaryCredentials({
        params: { RoleArn: account.roleArn, RoleSessionName: 'canaria', ...(account.externalId ? { ExternalId: account.externalId } : {}) },
        clientConfig: { region: account.region, ...endpoint },
      })
    : undefined;
  // withRetries is the only retry layer.
  return new CloudWatchClient({ region, maxAttempts: 1, credentials, ...endpoint });
}

/** An integer, or a string expanded and then read as a base-10 integer (Argo's IntOrString). */
function parsePeriod(value: number | string | undefined, path: string, expand: (t: string, path: string) => string): number | undefined {
  if (typeof value !== 'string') return value;
  const text = expand(value, path);
  if (!/^[+-]?\d+$/.test(text)) throw new BadRequestError(`${path} must be a whole number of seconds, got "${text}"`);
  return Number(text);
}

/** CloudWatch's period rules (spec §5.5); a period they break silently yields no data. */
function checkPeriod(period: number, source: string, ageSeconds: number): void {
  const reject = (rule: string) => {
    throw new BadRequestError(`Period ${period} s (${source}) ${rule}`);
  };
  if (!Number.isInteger(period) || period < 1) reject('must be a whole number of seconds, at least 1');
  if (period % 60 !== 0 && !HIGH_RESOLUTION_PERIODS.includes(period)) reject('must be 1, 5, 10, 20, 30 or a multiple of 60');
  const [multiple, age] = ageSeconds > 63 * DAY ? [3600, '63 days'] : ageSeconds > 15 * DAY ? [300, '15 days'] : ageSeconds > 3 * HOUR ? [60, '3 hours'] : [1, ''];
  if (period % multiple !== 0) reject(`must be a multiple of ${multiple} s for data starting more than ${age} ago`);
}

/** Result statuses that make a page a failure, and results CloudWatch split into several series. */
function checkPage(page: GetMetricDataCommandOutput): void {
  const seen = new Set<string>();
  for (const r of page.MetricDataResults ?? []) {
    const details = formatMessages(r.Messages).map((m) => ` (${m})`).join('');
    if (r.StatusCode === 'Forbidden') throw new MetricFetchError(`query '${r.Id}' returned StatusCode Forbidden${details}`, false);
    if (r.StatusCode === 'InternalError') throw new MetricFetchError(`query '${r.Id}' returned StatusCode InternalError${details}`, true);
    if (seen.has(r.Id!)) throw new MetricFetchError(`CloudWatch source needs exactly one series per returned query; '${r.Id}' returned several`, false);
    seen.add(r.Id!);
  }
}

function formatMessages(messages: Array<{ Code?: string; Value?: string }> | undefined): string[] {
  return (messages ?? []).map((m) => [m.Code, m.Value].filter(Boolean).join(': '));
}

function isRetryable(err: unknown): boolean {
  if (err instanceof MetricFetchError) return err.retryable;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return THROTTLING.has(e.name ?? '') || status === 429 || status >= 500;
  return TRANSIENT_NETWORK.has(e.code ?? '');
}

function reasonOf(err: unknown): string {
  if (err instanceof MetricFetchError) return err.message;
  const e = err as Error & { $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name}${status === undefined ? '' : ` (HTTP ${status})`}: ${e.message}`;
}
