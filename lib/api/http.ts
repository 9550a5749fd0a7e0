// Protocol-neutral HTTP request/response, shared by the Lambda adapter and the local server.
import { z } from 'zod';
import { BadRequestError, ClientError } from '../errors.ts';
import { parseWith } from '../config/validation.ts';
import { kayentaJson } from '../json.ts';
import { splitAccountNames } from '../config/execution-request.ts';

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

export function noContent(): ApiResponse {
  return { status: 204, headers: {}, body: '' };
}

export function errorBody(status: number, message: string, errors?: string[]): ApiResponse {
  return json(status, errors && errors.length > 1 ? { message, errors } : { message });
}

export function parseQueryString(raw: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
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
  return parseWith(schema, value);
}
