// Prometheus as Kayenta queries it (metric-sources-spec.md §1.7–1.9): one query_range per
// metric and side, series to MetricSets without gap filling, an empty result to a placeholder.
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Account } from '../config/accounts.ts';
import { BadRequestError } from '../errors.ts';
import { buildPrometheusQuery } from './prometheus-query.ts';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.ts';
import { resolveSecret, type SecretResolver } from './secrets.ts';
import { MetricFetchError, type FetchRequest, type MetricSource } from './source.ts';
import { instantString, type CanaryScope, type MetricSet } from './types.ts';

export type PrometheusAccount = Extract<Account, { type: 'prometheus' }>;

export interface PrometheusSourceOptions {
  retry?: RetryPolicy;
  /** Per attempt. */
  timeoutMs?: number;
  secrets?: SecretResolver;
}

interface SeriesJson {
  metric?: Record<string, string>;
  values?: Array<[number | string, string | null]>;
}

/** One converted series (Kayenta's PrometheusResponseConverter). */
export interface PrometheusSeries {
  tags: Record<string, string>;
  startTimeMillis: number;
  stepSecs: number;
  endTimeMillis: number;
  values: number[];
  /** ±Inf samples, turned into NaN (canaria: the judge needs finite numbers). */
  nonFinite: number;
}

/** Series of a query_range reply; null for an empty result, as Kayenta's converter. */
export function convertRangeResponse(body: unknown): PrometheusSeries[] | null {
  const data = (body as { data?: { resultType?: string; result?: SeriesJson[] } })?.data;
  if (!data || !Array.isArray(data.result)) throw new Error('the reply has no data.result');
  if (data.result.length === 0) return null;
  if (data.resultType !== undefined && data.resultType !== 'matrix') throw new Error(`expected a matrix result, got ${data.resultType}`);
  return data.result.map((series) => {
    const { __name__: _name, ...tags } = series.metric ?? {};
    const points = (series.values ?? []).filter(([, v]) => v !== null);
    let nonFinite = 0;
    const values = points.map(([, v]) => {
      const x = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
      if (x === Infinity || x === -Infinity) {
        nonFinite++;
        return NaN;
      }
      return x;
    });
    const millis = (ts: number | string) => Math.trunc(Number(ts) * 1000);
    const startTimeMillis = points.length > 0 ? millis(points[0][0]) : 0;
    const stepSecs = points.length >= 2 ? Math.floor((millis(points[1][0]) - startTimeMillis) / 1000) : 0;
    return { tags, startTimeMillis, stepSecs, endTimeMillis: startTimeMillis + points.length * stepSecs * 1000, values, nonFinite };
  });
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

export class PrometheusSource implements MetricSource {
  private readonly account: PrometheusAccount;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly secrets: SecretResolver;
  private signer?: SignatureV4;

  constructor(account: PrometheusAccount, options: PrometheusSourceOptions = {}) {
    this.account = account;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.secrets = options.secrets ?? resolveSecret;
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
      const reason = err instanceof Error ? err.message : String(err);
      throw new MetricFetchError(
        `Prometheus account '${this.account.name}' failed for metric '${req.metric.name}' after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason} (query: ${query})`,
        err instanceof PrometheusHttpError && err.retryable,
      );
    }
    let series: PrometheusSeries[] | null;
    try {
      series = convertRangeResponse(body);
    } catch (err) {
      throw new MetricFetchError(`Prometheus account '${this.account.name}' answered metric '${req.metric.name}' unexpectedly: ${(err as Error).message}`);
    }
    const set = (s: Omit<PrometheusSeries, 'stepSecs'> & { stepMillis: number }): MetricSet => ({
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
    return series.map((s) => set({ ...s, stepMillis: s.stepSecs * 1000 }));
  }

  private async get(url: URL, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { headers: await this.headers(url), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.aborted) throw new PrometheusHttpError(`no answer within ${this.timeoutMs} ms`, true);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new PrometheusHttpError(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? detail;
      } catch {
        // not JSON: keep the text
      }
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      throw new PrometheusHttpError(`HTTP ${res.status}: ${detail}`, retryable);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new PrometheusHttpError(`HTTP ${res.status} with a body that is not JSON`, false);
    }
  }

  private async headers(url: URL): Promise<Record<string, string>> {
    const auth = this.account.auth;
    if (!auth) return {};
    if (auth.type === 'basic') {
      const password = await this.secrets(auth.password);
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}` };
    }
    if (auth.type === 'bearer') return { authorization: `Bearer ${await this.secrets(auth.token)}` };
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
