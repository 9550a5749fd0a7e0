// Prometheus as Kayenta queries it (metric-sources-spec.md §1.7–1.9): one query_range per
// metric and side, series to MetricSets without gap filling, an empty result to a placeholder.
// Guarded against what a store can answer: the body is read up to limits.maxBytesPerAnswer
// (the read stops there), more series than limits.maxSeriesPerMetric fail the fetch before any
// conversion, a timeout or a broken connection while the body arrives is retried like one
// before the headers, and a body of the wrong shape is named as such, where it departs.
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Account } from '../config/accounts.ts';
import { BadRequestError } from '../errors.ts';
import { GetFailure, httpGet, type GetResult } from './http-get.ts';
import { buildPrometheusQuery } from './prometheus-query.ts';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.ts';
import { rememberSecret } from './known-secrets.ts';
import { resolveSecret, SecretError, type SecretResolver } from './secrets.ts';
import {
  ATTEMPT_TIMEOUT_MS,
  formatBytes,
  MetricFetchError,
  metricLimits,
  TimeSlice,
  tooManySeries,
  type FetchRequest,
  type MetricLimits,
  type MetricSource,
} from './source.ts';
import { instantString, type CanaryScope, type MetricSet } from './types.ts';

export type PrometheusAccount = Extract<Account, { type: 'prometheus' }>;

export interface PrometheusSourceOptions {
  retry?: RetryPolicy;
  /** Per attempt. */
  timeoutMs?: number;
  secrets?: SecretResolver;
  /** Caps on one answer; DEFAULT_LIMITS (source.ts) for those left out. */
  limits?: Partial<MetricLimits>;
}

/** What the source expects, for the reasons of answers that are something else. */
const EXPECTED_SHAPE = 'a query_range matrix result';
/** Of a non-2xx answer only the start is read: its reason is shown cut to 300 characters. */
const ERROR_BODY_BYTES = 64 * 1024;

const isOk = (status: number) => status >= 200 && status < 300;

/** A body that is not a query_range matrix result; the message says where it departs from one. */
export class WrongShapeError extends Error {}

/** One converted series (Kayenta's PrometheusResponseConverter). */
export interface PrometheusSeries {
  tags: Record<string, string>;
  startTimeMillis: number;
  stepSecs: number;
  endTimeMillis: number;
  values: number[];
  /** Each value's timestamp (ms). */
  times: number[];
  /** ±Inf samples, turned into NaN (canaria: the judge needs finite numbers). */
  nonFinite: number;
}

/** `series` on the grid start, start + step, … ≤ end (as Prometheus evaluates query_range), NaN where it has no sample. */
function onStepGrid(series: PrometheusSeries, startMillis: number, endMillis: number, stepMillis: number): PrometheusSeries {
  const length = stepMillis > 0 ? Math.floor((endMillis - startMillis) / stepMillis) + 1 : 0;
  const values = new Array<number>(length).fill(NaN);
  const times = Array.from({ length }, (_, k) => startMillis + k * stepMillis);
  series.times.forEach((t, i) => {
    const k = Math.round((t - startMillis) / stepMillis);
    if (k >= 0 && k < length) values[k] = series.values[i];
  });
  return { ...series, startTimeMillis: startMillis, stepSecs: stepMillis / 1000, endTimeMillis: startMillis + length * stepMillis, values, times };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const shown = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** data.result of a query_range reply, checked to be a list; null for an empty result. */
export function rangeResult(body: unknown): unknown[] | null {
  if (!isObject(body)) throw new WrongShapeError(`the body is ${kindOf(body)}, not an object`);
  if (body.status !== undefined && body.status !== 'success') {
    throw new WrongShapeError(`status is ${shown(body.status)}, not "success"${typeof body.error === 'string' ? ` (error: ${body.error.slice(0, 300)})` : ''}`);
  }
  const data = body.data;
  if (data === undefined) throw new WrongShapeError('data is missing');
  if (!isObject(data)) throw new WrongShapeError(`data is ${kindOf(data)}, not an object`);
  if (data.result === undefined) throw new WrongShapeError('data.result is missing');
  if (!Array.isArray(data.result)) throw new WrongShapeError(`data.result is ${kindOf(data.result)}, not a list of series`);
  if (data.result.length === 0) return null;
  if (data.resultType !== undefined && data.resultType !== 'matrix') throw new WrongShapeError(`data.resultType is ${shown(data.resultType)}, not "matrix"`);
  return data.result;
}

/** A sample value as Prometheus writes it ("1.5", "NaN", "+Inf"); NaN for a string that is none. */
function sampleValue(v: string | number): number {
  if (typeof v === 'number') return v;
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return v.trim() === '' ? NaN : Number(v);
}

/** One series of data.result (Kayenta's PrometheusResponseConverter), checked as it is read. */
export function convertSeries(series: unknown, index: number): PrometheusSeries {
  const at = `data.result[${index}]`;
  if (!isObject(series)) throw new WrongShapeError(`${at} is ${kindOf(series)}, not a series ({"metric", "values"})`);
  const metric = series.metric ?? {};
  if (!isObject(metric) || !Object.values(metric).every((v) => typeof v === 'string')) {
    throw new WrongShapeError(`${at}.metric is not an object of label values`);
  }
  let raw = series.values;
  if (raw === undefined) {
    if (series.histograms !== undefined) {
      throw new WrongShapeError(`${at} holds native histograms, not float samples: query a number of them, e.g. histogram_quantile(0.99, …) or histogram_count(…)`);
    }
    raw = [];
  }
  if (!Array.isArray(raw)) throw new WrongShapeError(`${at}.values is ${kindOf(raw)}, not a list of [timestamp, "value"] pairs`);
  const { __name__: _name, ...tags } = metric as Record<string, string>;
  const times: number[] = [];
  const values: number[] = [];
  let nonFinite = 0;
  for (let j = 0; j < raw.length; j++) {
    const point: unknown = raw[j];
    if (!Array.isArray(point) || point.length !== 2) throw new WrongShapeError(`${at}.values[${j}] is ${shown(point)}, not a [timestamp, "value"] pair`);
    const [ts, v] = point as [unknown, unknown];
    if (v === null) continue; // Kayenta skips null samples
    const seconds = typeof ts === 'number' ? ts : typeof ts === 'string' && ts.trim() !== '' ? Number(ts) : NaN;
    if (!Number.isFinite(seconds)) throw new WrongShapeError(`${at}.values[${j}][0] is ${shown(ts)}, not a timestamp in seconds`);
    const x = typeof v === 'string' || typeof v === 'number' ? sampleValue(v) : NaN;
    if (Number.isNaN(x) && v !== 'NaN' && !(typeof v === 'number' && Number.isNaN(v))) {
      throw new WrongShapeError(`${at}.values[${j}][1] is ${shown(v)}, not a sample value such as "1.5", "NaN" or "+Inf"`);
    }
    times.push(Math.trunc(seconds * 1000));
    if (x === Infinity || x === -Infinity) {
      nonFinite++;
      values.push(NaN);
    } else {
      values.push(x);
    }
  }
  const startTimeMillis = times.length > 0 ? times[0] : 0;
  const stepSecs = times.length >= 2 ? Math.floor((times[1] - startTimeMillis) / 1000) : 0;
  return { tags, startTimeMillis, stepSecs, endTimeMillis: startTimeMillis + values.length * stepSecs * 1000, values, times, nonFinite };
}

/** Series of a query_range reply; null for an empty result, as Kayenta's converter. Throws WrongShapeError. */
export function convertRangeResponse(body: unknown): PrometheusSeries[] | null {
  return rangeResult(body)?.map(convertSeries) ?? null;
}

/** Start and end of a scope in epoch milliseconds, with Kayenta's messages when missing. */
export function scopeWindow(scope: CanaryScope): { startMillis: number; endMillis: number } {
  if (!scope.start) throw new BadRequestError('Start time is required.');
  if (!scope.end) throw new BadRequestError('End time is required.');
  const startMillis = Date.parse(scope.start);
  const endMillis = Date.parse(scope.end);
  if (Number.isNaN(startMillis)) throw new BadRequestError(`start: not an ISO-8601 instant: ${scope.start}`);
  if (Number.isNaN(endMillis)) throw new BadRequestError(`end: not an ISO-8601 instant: ${scope.end}`);
  return { startMillis, endMillis };
}

class PrometheusHttpError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** "ECONNREFUSED", "ECONNRESET": the innermost cause of a network error, its code where it has one. */
function networkCause(err: unknown): string {
  const describe = (e: { code?: unknown; message?: unknown } | undefined, fallback: string) =>
    typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' && e.message ? e.message : fallback;
  let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined;
  let best = describe(e, String(err));
  for (let depth = 0; e?.cause && depth < 4; depth++) {
    e = e.cause as typeof e;
    best = describe(e, best);
  }
  return best;
}

export class PrometheusSource implements MetricSource {
  private readonly account: PrometheusAccount;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly secrets: SecretResolver;
  private readonly limits: MetricLimits;
  private signer?: SignatureV4;

  constructor(account: PrometheusAccount, options: PrometheusSourceOptions = {}) {
    this.account = account;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.secrets = options.secrets ?? resolveSecret;
    this.limits = metricLimits(options.limits);
  }

  render(req: FetchRequest): string {
    const q = req.metric.query;
    if (q?.type !== 'prometheus') {
      throw new BadRequestError(`metric '${req.metric.name}' has a ${q?.type ?? 'missing'} query, but account '${this.account.name}' is a prometheus account`);
    }
    return buildPrometheusQuery(q, req.templates, req.scope);
  }

  async fetch(req: FetchRequest, signal?: AbortSignal): Promise<MetricSet[]> {
    const query = this.render(req);
    const { startMillis, endMillis } = scopeWindow(req.scope);
    const params = new URLSearchParams({
      query,
      start: instantString(startMillis),
      end: instantString(endMillis),
      step: String(req.scope.step),
    });
    const url = new URL(`${this.account.endpoint.replace(/\/$/, '')}/api/v1/query_range?${params}`);
    let attempts = 0;
    let body: unknown;
    try {
      body = await withRetries(
        () => {
          attempts++;
          return this.get(url, signal);
        },
        (err) => err instanceof PrometheusHttpError && err.retryable,
        this.retry,
        signal,
      );
    } catch (err) {
      if (err instanceof WrongShapeError) {
        throw new MetricFetchError(`Prometheus account '${this.account.name}' answered metric '${req.metric.name}' with ${err.message} (query: ${query})`);
      }
      // A secret that cannot be read is the account's configuration: named, never retried.
      if (err instanceof SecretError) throw new MetricFetchError(`account '${this.account.name}': ${err.message}`);
      const reason = err instanceof Error ? err.message : String(err);
      throw new MetricFetchError(
        `Prometheus account '${this.account.name}' failed for metric '${req.metric.name}' after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason} (query: ${query})`,
        err instanceof MetricFetchError ? err.retryable : err instanceof PrometheusHttpError && err.retryable,
        err instanceof MetricFetchError && err.timedOut,
      );
    }
    const wrongShape = (err: unknown) =>
      err instanceof WrongShapeError
        ? new MetricFetchError(
            `Prometheus account '${this.account.name}' answered metric '${req.metric.name}' with a body that is not ${EXPECTED_SHAPE}: ${err.message} (query: ${query})`,
          )
        : err;
    let result: unknown[] | null;
    try {
      result = rangeResult(body);
    } catch (err) {
      throw wrongShape(err);
    }
    const cap = this.limits.maxSeriesPerMetric;
    if (result && result.length > cap) {
      throw new MetricFetchError(`Prometheus account '${this.account.name}': ${tooManySeries(req.metric.name, result.length, cap)} (query: ${query})`);
    }
    // Up to the caps' worth of points: converted in slices that leave the event loop free.
    let series: PrometheusSeries[] | null = null;
    if (result) {
      series = [];
      const slice = new TimeSlice();
      try {
        for (let i = 0; i < result.length; i++) {
          series.push(convertSeries(result[i], i));
          if (slice.due()) await slice.pause();
        }
      } catch (err) {
        throw wrongShape(err);
      }
    }
    const set = (s: Omit<PrometheusSeries, 'stepSecs' | 'times'> & { stepMillis: number }): MetricSet => ({
      name: req.metric.name,
      tags: s.tags,
      startTimeMillis: s.startTimeMillis,
      startTimeIso: instantString(s.startTimeMillis),
      endTimeMillis: s.endTimeMillis,
      endTimeIso: instantString(s.endTimeMillis),
      stepMillis: s.stepMillis,
      values: s.values,
      attributes: s.nonFinite > 0 ? { query, nonFiniteValues: String(s.nonFinite) } : { query },
    });
    if (!series) {
      return [set({ tags: {}, startTimeMillis: startMillis, endTimeMillis: endMillis, stepMillis: req.scope.step * 1000, values: [], nonFinite: 0 })];
    }
    const stepMillis = req.scope.step * 1000;
    return series.map((s) => (req.fillGaps ? onStepGrid(s, startMillis, endMillis, stepMillis) : s)).map((s) => set({ ...s, stepMillis: s.stepSecs * 1000 }));
  }

  /** One attempt: the parsed body of a 2xx answer, read within the timeout and the byte cap. */
  private async get(url: URL, signal?: AbortSignal): Promise<unknown> {
    let res: GetResult;
    try {
      res = await httpGet(url, {
        headers: (u) => this.headers(u),
        timeoutMs: this.timeoutMs,
        signal,
        maxBytes: (status) => (isOk(status) ? this.limits.maxBytesPerAnswer : Math.min(this.limits.maxBytesPerAnswer, ERROR_BODY_BYTES)),
      });
    } catch (err) {
      // A secret or credentials that cannot be had are no network error; an abort is the caller's.
      if (!(err instanceof GetFailure)) throw err;
      if (err.status === undefined) {
        if (err.timedOut) throw new PrometheusHttpError(`no answer within ${this.timeoutMs} ms`, true);
        throw new PrometheusHttpError(`cannot reach ${url.origin}: ${networkCause(err.cause)}`, true);
      }
      // Retried like a timeout or a refused connection before the headers.
      if (err.timedOut) {
        throw new PrometheusHttpError(`HTTP ${err.status} but the body was not complete within ${this.timeoutMs} ms (${formatBytes(err.bytesRead)} read)`, true);
      }
      throw new PrometheusHttpError(`HTTP ${err.status} but the connection broke while the body was read (${formatBytes(err.bytesRead)} read): ${networkCause(err.cause)}`, true);
    }
    if (!isOk(res.status)) {
      const text = res.over ? '' : res.body.toString('utf8');
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? detail;
      } catch {
        // not JSON (or cut at the cap): keep the text
      }
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      throw new PrometheusHttpError(`HTTP ${res.status}: ${detail}`, retryable);
    }
    if (res.over) {
      const cap = this.limits.maxBytesPerAnswer;
      const size = res.declared === undefined ? `the read was stopped after ${formatBytes(cap)}` : `its Content-Length is ${formatBytes(res.declared)}`;
      throw new PrometheusHttpError(
        `the answer is larger than the cap of ${formatBytes(cap)} (limits.maxBytesPerAnswer; ${size}): narrow the query, aggregate it or use a longer step`,
        false,
      );
    }
    // One piece, bounded by the cap: 0.15–0.4 s for 16 MB.
    const text = res.body.toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new WrongShapeError(`a body that is not JSON (HTTP ${res.status}, ${formatBytes(res.body.length)}: ${(err as Error).message})`);
    }
  }

  private async headers(url: URL): Promise<Record<string, string>> {
    const auth = this.account.auth;
    if (!auth) return {};
    if (auth.type === 'basic') {
      const password = await this.secrets(auth.password);
      const credentials = Buffer.from(`${auth.username}:${password}`).toString('base64');
      rememberSecret(password);
      rememberSecret(credentials);
      return { authorization: `Basic ${credentials}` };
    }
    if (auth.type === 'bearer') {
      const token = await this.secrets(auth.token);
      rememberSecret(token);
      return { authorization: `Bearer ${token}` };
    }
    // SigV4, for Amazon Managed Service for Prometheus.
    this.signer ??= new SignatureV4({
      service: auth.service,
      region: auth.region ?? /aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? process.env.AWS_REGION ?? 'us-east-1',
      credentials: fromNodeProviderChain(),
      sha256: Sha256,
    });
    const signed = await this.signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host },
    });
    const { host: _host, ...headers } = signed.headers;
    return headers;
  }
}
