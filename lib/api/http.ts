// Protocol-neutral HTTP request/response, shared by the Lambda adapter and the local server.
import * as z from 'zod';
import { BadRequestError, ClientError } from '../errors.ts';
import { formatPath, parseWith } from '../config/validation.ts';
import { kayentaJson } from '../json.ts';
import { pageCsp } from '../report/csp.ts';
import { splitAccountNames } from '../config/account-names.ts';

export interface ApiRequest {
  method: string;
  /** Path without query string, e.g. /canaryConfig/abc */
  path: string;
  /** Every value of every query parameter, in order. */
  query: Record<string, string[]>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body?: Buffer;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export function json(status: number, value: unknown): ApiResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: kayentaJson(value) };
}

/**
 * An HTML page (the report and the console): not cached, not sniffed, and with a
 * Content-Security-Policy that lets it load nothing from anywhere (`connect` as given: 'none', or
 * 'self' for a page that calls the API).
 */
export function htmlPage(status: number, body: string, connect: "'none'" | "'self'" = "'none'"): ApiResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': `${pageCsp(connect)}; frame-ancestors 'none'`,
    },
    body,
  };
}

export function noContent(): ApiResponse {
  return { status: 204, headers: {}, body: '' };
}

export function errorBody(status: number, message: string, errors?: string[]): ApiResponse {
  return json(status, errors && errors.length > 1 ? { message, errors } : { message });
}

/** Parameters by name, in a map without a prototype: `?constructor=x` or `?__proto__=x` are plain names. */
export function parseQueryString(raw: string): Record<string, string[]> {
  const query: Record<string, string[]> = Object.create(null);
  for (const [k, v] of new URLSearchParams(raw)) (query[k] ??= []).push(v);
  return query;
}

/** Values of a list parameter: repeated (?a=x&a=y) or comma-separated (?a=x,y), as Spring binds them. */
export function listParam(req: ApiRequest, name: string): string[] {
  return (req.query[name] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * `metricsAccountName` from the query (repeated or comma-separated) and, for routes that take
 * it in the body too, from there (a string or a list): one comma-separated string, or undefined.
 */
export function accountNamesParam(req: ApiRequest, fromBody?: string | string[]): string | undefined {
  const names = splitAccountNames([...(req.query.metricsAccountName ?? []), ...[fromBody ?? []].flat()].join(','));
  return names.length > 0 ? names.join(',') : undefined;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** How deeply a request body may nest objects and arrays (the top level is 1). */
export const MAX_BODY_DEPTH = 64;

/**
 * Why a parsed body cannot be taken, or undefined: nesting deeper than MAX_BODY_DEPTH (the
 * schemas, the stores' JSON writers and the judge recurse), or a "__proto__" key (JSON.parse
 * makes it an own property, which zod silently drops and plain objects turn into a prototype).
 * Iterative: a body of any depth is looked at without recursion.
 */
export function bodyShapeProblem(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: Array<string | number> }> = [{ value, depth: 1, path: [] }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const where = (p: Array<string | number>) => formatPath(p) || 'request body';
    if (depth > MAX_BODY_DEPTH) return `${where(path.slice(0, 3))}${path.length > 3 ? '…' : ''}: nests deeper than ${MAX_BODY_DEPTH} levels of objects and arrays`;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null && typeof v[i] === 'object') stack.push({ value: v[i], depth: depth + 1, path: [...path, i] });
      continue;
    }
    if (Object.hasOwn(v, '__proto__')) return `${where(path)}: "__proto__" is not allowed as a key`;
    for (const [k, child] of Object.entries(v).reverse()) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1, path: [...path, k] });
    }
  }
  return undefined;
}

/** The request body as JSON, validated by `schema`: 413, 415 or 400 otherwise. */
export function readJsonBody<T extends z.ZodType>(req: ApiRequest, schema: T): z.output<T> {
  const body = req.body ?? Buffer.alloc(0);
  if (body.length > MAX_BODY_BYTES) throw new ClientError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) {
    throw new ClientError(415, `Content-Type must be application/json${type ? `, not ${type}` : ''}.`);
  }
  if (body.length === 0) throw new BadRequestError('Request body is required.');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`Malformed JSON in request body: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  const problem = bodyShapeProblem(value);
  if (problem) throw new BadRequestError(problem);
  return parseWith(schema, value);
}

/** A whole number written in decimal digits only (no sign, exponent, hex, spaces or fraction), from `min` to `max`. */
export function decimalSchema(min: number, max: number) {
  const rule = `must be a whole number from ${min} to ${max}, in decimal digits`;
  return z
    .string()
    .regex(/^[0-9]{1,16}$/, { error: rule })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: rule });
}

/** A query parameter's first value; an empty one counts as absent. */
export const queryValue = (req: ApiRequest, name: string): string | undefined => req.query[name]?.[0] || undefined;

/** The first value of each query parameter, validated by `schema`: errors name the parameter. */
export function queryParams<T extends z.ZodType>(req: ApiRequest, schema: T): z.output<T> {
  const first = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, v[0]]));
  return parseWith(schema, first);
}
