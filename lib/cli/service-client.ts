// What the commands that ask a running canaria share (rejudge, report): the execution id and
// connection options, and one JSON request with canaria's exit-code rules: a 4xx is the
// caller's (UsageError, exit 2, the service's message), anything else that goes wrong is
// ServiceError (exit 1, naming the URL). Only node built-ins.
import { parseArgs } from 'node:util';
import { EXECUTION_ID_PATTERN } from '../analysis/ids.ts';
import { UsageError } from './io.ts';

/** Where `canaria serve` listens by default (lib/cli/serve-command.ts: --host 127.0.0.1 --port 8090). */
export const DEFAULT_URL = 'http://127.0.0.1:8090';

/** How long the service may take to answer one request. */
const TIMEOUT_MS = 60_000;

/** A failure that is not the caller's: exit 1 with this one line. */
export class ServiceError extends Error {}

const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
} as const;

function baseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be an http or https URL, e.g. ${DEFAULT_URL}, not "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http or https URL, not "${value}"`);
  if (url.search || url.hash) throw new UsageError(`--url takes no query string or fragment: "${value}"`);
  return url;
}

/** The reason a fetch failed, as short as the error allows: ECONNREFUSED, ENOTFOUND, … */
function cause(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (err as Error).message;
}

/** parseArgs for a command's options and the connection options; a bad option is a UsageError. */
export function parseCommandArgs<O extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, ...CONNECTION_OPTIONS }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

/** `canaria COMMAND EXECUTION_ID`: the one execution id, and a client for --url and --api-key. */
export function executionTarget(command: string, positionals: string[], connection: { url?: string; 'api-key'?: string }): { id: string; client: ServiceClient } {
  if (positionals.length === 0) throw new UsageError(`EXECUTION_ID is required, e.g. canaria ${command} 01JABCDEFGHJKMNPQRSTVWXYZ0 (GET /canary/executions lists them)`);
  if (positionals.length > 1) throw new UsageError(`one EXECUTION_ID only, not ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const [id] = positionals;
  if (!EXECUTION_ID_PATTERN.test(id)) throw new UsageError(`EXECUTION_ID must be an execution id such as 01JABCDEFGHJKMNPQRSTVWXYZ0, not ${JSON.stringify(id)}`);
  const key = connection['api-key'];
  if (key !== undefined && (key === '' || /[\s\u0000-\u001f\u007f]/.test(key))) throw new UsageError('--api-key must be a key without spaces or control characters');
  return { id, client: new ServiceClient(baseUrl(connection.url ?? DEFAULT_URL), key) };
}

class ServiceClient {
  /** The base URL as shown in messages, without a trailing slash. */
  readonly shown: string;
  private readonly key: string | undefined;

  constructor(base: URL, key: string | undefined) {
    this.shown = base.href.replace(/\/+$/, '');
    this.key = key;
  }

  /** One request; its parsed JSON body and text on a 200. */
  async call(method: 'GET' | 'POST', path: string): Promise<{ body: unknown; text: string }> {
    const what = `${method} ${path.replace(/\?.*$/, '')}`;
    let res: Response;
    try {
      res = await fetch(`${this.shown}${path}`, {
        method,
        headers: { accept: 'application/json', ...(this.key !== undefined ? { authorization: `Bearer ${this.key}` } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new ServiceError(`canaria at ${this.shown} did not answer within ${TIMEOUT_MS / 1000} s`);
      throw new ServiceError(`cannot reach canaria at ${this.shown}: ${cause(err)} (is canaria serve running there? --url URL names another)`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ServiceError(`canaria at ${this.shown} answered ${res.status} to ${what} without JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : undefined;
    if (res.status >= 400 && res.status < 500) {
      const hint = res.status === 401 && this.key === undefined ? ' (give --api-key KEY)' : '';
      throw new UsageError(`${message ?? `HTTP ${res.status}`}${hint}`);
    }
    if (res.status !== 200) throw new ServiceError(`canaria at ${this.shown} answered ${res.status} to ${what}: ${message ?? JSON.stringify(text.slice(0, 200))}`);
    return { body, text };
  }
}

/** Runs `work`; a ServiceError becomes its one line on stderr and exit 1. */
export async function exitOnServiceError(command: string, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    process.stderr.write(`canaria ${command}: ${err.message}\n`);
    return 1;
  }
}
