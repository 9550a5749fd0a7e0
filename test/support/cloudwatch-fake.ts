// A protocol-level fake of CloudWatch GetMetricData on 127.0.0.1, speaking AWS JSON 1.0 as
// @aws-sdk/client-cloudwatch v3 does (awsQueryCompatible: errors carry x-amzn-query-error), plus
// STS AssumeRole (awsQuery, form in, XML out) for role assumption through the same endpoint.
//
// Series come from a hook per query; expressions are whatever the hook makes of them (its context
// gives the points of the call's other queries). Timestamps are epoch seconds, as on the wire.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireMetric {
  Namespace: string;
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
}

/** A MetricDataQuery as the SDK puts it on the wire. */
export interface WireQuery {
  Id: string;
  MetricStat?: { Metric: WireMetric; Period: number; Stat: string; Unit?: string };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

export type Point = [epochSeconds: number, value: number];

export interface FakeSeries {
  points: Point[];
  /** Reported once the series is fully sent; pages that leave points for later say PartialData. */
  statusCode?: 'Complete' | 'PartialData' | 'Forbidden' | 'InternalError';
  label?: string;
  messages?: Array<{ Code: string; Value: string }>;
}

export interface SeriesContext {
  /** The call's window, epoch seconds, EndTime exclusive. */
  start: number;
  end: number;
  /** The points of another query of the same call (an expression's inputs). */
  points(id: string): Point[];
}

/** One series; several under one Id (as a SEARCH might); undefined for an empty one; [] for no result at all. */
export type SeriesHook = (query: WireQuery, ctx: SeriesContext) => FakeSeries | FakeSeries[] | undefined;

/** Consumed one per GetMetricData request: an AWS error, or a delay before a normal answer. */
export type FakeFailure = keyof typeof ERRORS | { delayMs: number };

export interface LoggedRequest {
  operation: 'GetMetricData' | 'AssumeRole' | 'unknown';
  headers: IncomingHttpHeaders;
  /** Parsed JSON (GetMetricData) or form fields (AssumeRole). */
  body: any;
}

const TARGET = 'GraniteServiceVersion20100801.GetMetricData';
const JSON_TYPE = 'application/x-amz-json-1.0';

// What CloudWatch answers: HTTP status, x-amzn-query-error (code;fault) and the JSON __type.
const ERRORS = {
  Throttling: [400, 'Throttling;Sender', 'com.amazon.coral.availability#ThrottlingException'],
  InternalServiceError: [500, 'InternalServiceError;Receiver', 'com.amazonaws.cloudwatch#InternalServiceFault'],
  AccessDenied: [403, 'AccessDenied;Sender', 'com.amazon.coral.service#AccessDeniedException'],
  InvalidParameterValue: [400, 'InvalidParameterValue;Sender', 'com.amazonaws.cloudwatch#InvalidParameterValueException'],
  InvalidNextToken: [400, 'InvalidNextToken;Sender', 'com.amazonaws.cloudwatch#InvalidNextToken'],
  MissingAuthenticationToken: [403, 'MissingAuthenticationToken;Sender', 'com.amazon.coral.service#MissingAuthenticationTokenException'],
  UnknownOperation: [400, 'UnknownOperation;Sender', 'com.amazon.coral.service#UnknownOperationException'],
} as const satisfies Record<string, readonly [number, string, string]>;

const MESSAGES: Partial<Record<keyof typeof ERRORS, string>> = {
  Throttling: 'Rate exceeded',
  InternalServiceError: 'Internal service error',
  AccessDenied: 'User: arn:aws:sts::123456789012:assumed-role/canaria/session is not authorized to perform: cloudwatch:GetMetricData',
};

/** `AWS/ApplicationELB:RequestCount{LoadBalancer=…,TargetGroup=…}`, dimensions sorted by name. */
export function metricKey(m: WireMetric): string {
  const dims = [...(m.Dimensions ?? [])].sort((a, b) => a.Name.localeCompare(b.Name)).map((d) => `${d.Name}=${d.Value}`);
  return `${m.Namespace}:${m.MetricName}{${dims.join(',')}}`;
}

export class CloudWatchFake {
  series: SeriesHook = () => undefined;
  /** Data points per page at most (AWS: 100,800), lowered further by a request's MaxDatapoints. */
  pageSize = 100_800;
  readonly requests: LoggedRequest[] = [];
  url = '';
  #failures: FakeFailure[] = [];
  #server?: Server;

  /** GetMetricData request bodies, in order. */
  get calls(): any[] {
    return this.requests.filter((r) => r.operation === 'GetMetricData').map((r) => r.body);
  }

  failNext(...failures: FakeFailure[]): void {
    this.#failures.push(...failures);
  }

  reset(): void {
    this.series = () => undefined;
    this.pageSize = 100_800;
    this.requests.length = 0;
    this.#failures = [];
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server!.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : undefined;
    if (form?.Action === 'AssumeRole') {
      this.requests.push({ operation: 'AssumeRole', headers: req.headers, body: form });
      return assumeRole(res, this.requests.length);
    }
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== TARGET || req.headers['content-type'] !== JSON_TYPE) {
      this.requests.push({ operation: 'unknown', headers: req.headers, body: text });
      return sendError(res, 'UnknownOperation', `No operation for ${req.headers['x-amz-target']}`);
    }
    const body = JSON.parse(text);
    this.requests.push({ operation: 'GetMetricData', headers: req.headers, body });
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/monitoring\/aws4_request,/.test(req.headers.authorization ?? '')) {
      return sendError(res, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    const failure = this.#failures.shift();
    if (typeof failure === 'string') return sendError(res, failure, MESSAGES[failure] ?? failure);
    if (failure) {
      await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
      if (res.destroyed) return;
    }
    const answer = this.#getMetricData(body);
    if ('error' in answer) return sendError(res, answer.error, answer.message);
    res.writeHead(200, { 'content-type': JSON_TYPE, 'x-amzn-requestid': crypto.randomUUID() });
    res.end(JSON.stringify(answer));
  }

  #getMetricData(body: any): { error: keyof typeof ERRORS; message: string } | object {
    const queries: WireQuery[] = body.MetricDataQueries;
    const { StartTime: start, EndTime: end, ScanBy = 'TimestampDescending', NextToken, MaxDatapoints } = body;
    const invalid = (message: string) => ({ error: 'InvalidParameterValue' as const, message });
    if (!Array.isArray(queries) || queries.length < 1 || queries.length > 500) return invalid('MetricDataQueries must hold 1 to 500 queries');
    if (typeof start !== 'number' || typeof end !== 'number' || end <= start) return invalid('StartTime must be a number of seconds before EndTime');
    if (ScanBy !== 'TimestampAscending' && ScanBy !== 'TimestampDescending') return invalid(`ScanBy ${ScanBy}`);
    for (const q of queries) {
      if ((q.Expression === undefined) === (q.MetricStat === undefined)) return invalid(`${q.Id}: exactly one of Expression and MetricStat`);
    }

    const evaluated = new Map<string, FakeSeries[]>();
    const evaluate = (q: WireQuery): FakeSeries[] => {
      let out = evaluated.get(q.Id);
      if (!out) {
        const raw = this.series(q, ctx) ?? { points: [] };
        out = (Array.isArray(raw) ? raw : [raw]).map((s) => ({
          ...s,
          points: s.points
            .filter(([t]) => t >= start && t < end)
            .sort(([a], [b]) => (ScanBy === 'TimestampAscending' ? a - b : b - a)),
        }));
        evaluated.set(q.Id, out);
      }
      return out;
    };
    const ctx: SeriesContext = {
      start,
      end,
      points: (id) => {
        const q = queries.find((x) => x.Id === id);
        return q ? (evaluate(q)[0]?.points ?? []) : [];
      },
    };

    // Pages cut the returned series' points, concatenated in query order.
    const results = queries.filter((q) => q.ReturnData !== false).flatMap((q) => evaluate(q).map((s) => ({ q, s })));
    const offset = NextToken === undefined ? 0 : Number(/^fake-token-(\d+)$/.exec(NextToken)?.[1] ?? NaN);
    if (Number.isNaN(offset)) return { error: 'InvalidNextToken', message: 'The service cannot process the NextToken' };
    const total = results.reduce((sum, r) => sum + r.s.points.length, 0);
    const pageEnd = offset + Math.min(this.pageSize, MaxDatapoints ?? Infinity);
    const last = pageEnd >= total;
    let first = 0;
    const page = results.map(({ q, s }) => {
      const points = s.points.slice(Math.max(0, offset - first), Math.max(0, pageEnd - first));
      const more = first + s.points.length > pageEnd;
      first += s.points.length;
      return {
        Id: q.Id,
        Label: s.label ?? q.Label ?? q.Id,
        Timestamps: points.map(([t]) => t),
        Values: points.map(([, v]) => v),
        StatusCode: more ? 'PartialData' : (s.statusCode ?? 'Complete'),
        ...(last && s.messages ? { Messages: s.messages } : {}),
      };
    });
    return { MetricDataResults: page, Messages: [], ...(last ? {} : { NextToken: `fake-token-${pageEnd}` }) };
  }
}

function sendError(res: ServerResponse, code: keyof typeof ERRORS, message: string): void {
  const [status, queryError, type] = ERRORS[code];
  res.writeHead(status, { 'content-type': JSON_TYPE, 'x-amzn-query-error': queryError, 'x-amzn-requestid': crypto.randomUUID() });
  res.end(JSON.stringify({ __type: type, message }));
}

function assumeRole(res: ServerResponse, n: number): void {
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<Credentials><AccessKeyId>ASIAFAKE${n}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey>` +
      `<SessionToken>fake-session-${n}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/canaria-read/canaria</Arn><AssumedRoleId>AROAFAKE:canaria</AssumedRoleId></AssumedRoleUser>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  );
}
