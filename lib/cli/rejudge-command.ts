// `canaria rejudge EXECUTION_ID`: asks a running canaria to judge a past execution again
// (POST /judges/judge?canaryExecutionId=…), from the metric set pairs it stored, and prints the
// CanaryJudgeResult. Nothing is fetched from a metrics store. Only node built-ins: the judging
// happens in the service.
import { parseArgs } from 'node:util';
import { UsageError } from './io.ts';

/** Where `canaria serve` listens by default (lib/cli/serve-command.ts: --host 127.0.0.1 --port 8090). */
export const DEFAULT_URL = 'http://127.0.0.1:8090';

/** How long the service may take to answer. */
const TIMEOUT_MS = 60_000;

export const REJUDGE_HELP = `Usage: canaria rejudge EXECUTION_ID [--judge NAME] [--pass N --marginal N]
                       [--url URL] [--api-key KEY] [--pretty]

Judges a past canary execution again from what it stored (its config snapshot and its metric
set pairs; nothing is fetched) and prints the CanaryJudgeResult JSON on stdout: with the
execution's own judge and thresholds it is the result the execution stored; --judge and
--pass/--marginal try others, e.g. canaria-v1 on the rollouts of last month before switching.
It asks a running canaria: POST URL/judges/judge?canaryExecutionId=EXECUTION_ID.

Options:
      --judge NAME      NetflixACAJudge-v1.0 or canaria-v1 (GET /judges; default: the
                        execution's judge)
      --pass N          the pass threshold (default: the execution's)
      --marginal N      the marginal threshold (default: the execution's)
      --url URL         the canaria to ask, with any path prefix (default ${DEFAULT_URL},
                        where canaria serve listens)
      --api-key KEY     an API key of scope analyze, for canaria serve --auth and the deployed
                        API (sent as "Authorization: Bearer KEY")
      --pretty          indent the output
  -h, --help            show this help

Exit status: 0 with the result; 2 for bad usage, or when the service refuses the request
(an unknown execution or judge, a bad threshold, a missing or too narrow key): stderr then
has one line saying why, e.g.
  canaria rejudge: judge: Unable to resolve canary judge 'v2'. canaria runs: ...
1 when the service cannot be reached or fails (the line names the URL).
`;

const OPTIONS = {
  judge: { type: 'string' },
  pass: { type: 'string' },
  marginal: { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  pretty: { type: 'boolean' },
} as const;

/** A failure that is not the caller's: exit 1 with this one line. */
class ServiceError extends Error {}

function threshold(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value) || !Number.isFinite(Number(value))) {
    throw new UsageError(`--${option} must be a number, e.g. ${option === 'pass' ? 95 : 75}, not "${value}"`);
  }
  return value;
}

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

export async function rejudgeCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values: o, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('EXECUTION_ID is required, e.g. canaria rejudge 01JABCDEFGHJKMNPQRSTVWXYZ0 (GET /canary/executions lists them)');
  if (positionals.length > 1) throw new UsageError(`one EXECUTION_ID only, not ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const [id] = positionals;
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(id)) throw new UsageError(`EXECUTION_ID must be an execution id such as 01JABCDEFGHJKMNPQRSTVWXYZ0, not ${JSON.stringify(id)}`);
  if (o.judge !== undefined && o.judge.trim() === '') throw new UsageError('--judge needs a judge name, e.g. --judge canaria-v1');
  const pass = threshold('pass', o.pass);
  const marginal = threshold('marginal', o.marginal);
  if (o['api-key'] !== undefined && (o['api-key'] === '' || /[\s\u0000-\u001f\u007f]/.test(o['api-key']))) throw new UsageError('--api-key must be a key without spaces or control characters');
  const base = baseUrl(o.url ?? DEFAULT_URL);

  const query = new URLSearchParams({ canaryExecutionId: id });
  if (o.judge !== undefined) query.set('judge', o.judge);
  if (pass !== undefined) query.set('passThreshold', pass);
  if (marginal !== undefined) query.set('marginalThreshold', marginal);
  const url = `${base.href.replace(/\/+$/, '')}/judges/judge?${query}`;
  const shown = base.href.replace(/\/+$/, '');

  try {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json', ...(o['api-key'] !== undefined ? { authorization: `Bearer ${o['api-key']}` } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new ServiceError(`canaria at ${shown} did not answer within ${TIMEOUT_MS / 1000} s`);
      throw new ServiceError(`cannot reach canaria at ${shown}: ${cause(err)} (is canaria serve running there? --url URL names another)`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ServiceError(`canaria at ${shown} answered ${res.status} without JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : undefined;
    if (res.status >= 400 && res.status < 500) {
      const hint = res.status === 401 && o['api-key'] === undefined ? ' (give --api-key KEY)' : '';
      throw new UsageError(`${message ?? `HTTP ${res.status}`}${hint}`);
    }
    if (res.status !== 200) throw new ServiceError(`canaria at ${shown} answered ${res.status}: ${message ?? JSON.stringify(text.slice(0, 200))}`);
    process.stdout.write(`${o.pretty ? JSON.stringify(body, null, 2) : text.trim()}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    process.stderr.write(`canaria rejudge: ${err.message}\n`);
    return 1;
  }
}
