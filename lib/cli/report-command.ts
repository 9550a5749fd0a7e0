// `canaria report EXECUTION_ID`: the report page of an execution, written from the CLI. It reads
// what any client reads from a running canaria (GET /canary/{id} and the execution's
// GET /metricSetPairList/{id}) and renders the page here (lib/report), the page
// GET /canary/{id}/report serves: one self-contained HTML file.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderReport } from '../report/render.ts';
import { UsageError } from './io.ts';
import { DEFAULT_URL } from './rejudge-command.ts';

/** How long the service may take to answer each request. */
const TIMEOUT_MS = 60_000;

export const REPORT_HELP = `Usage: canaria report EXECUTION_ID [--out FILE] [--url URL] [--api-key KEY]

Writes the report page of a canary execution: one self-contained HTML file (verdict, score,
per-metric charts, intervals, queries; it loads nothing from anywhere), the page
GET /canary/EXECUTION_ID/report serves. It asks a running canaria for the execution's status
(GET URL/canary/EXECUTION_ID) and its metric set pairs (GET URL/metricSetPairList/ID).

Options:
  -o, --out FILE        write the page to FILE (default: stdout)
      --url URL         the canaria to ask, with any path prefix (default ${DEFAULT_URL},
                        where canaria serve listens)
      --api-key KEY     an API key of scope read, for canaria serve --auth and the deployed
                        API (sent as "Authorization: Bearer KEY")
  -h, --help            show this help

Exit status: 0 with the page written; 2 for bad usage, or when the service refuses the
request (an unknown execution, a missing or too narrow key): stderr then has one line saying
why; 1 when the service cannot be reached or fails (the line names the URL).
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
} as const;

/** A failure that is not the caller's: exit 1 with this one line. */
class ServiceError extends Error {}

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

function cause(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (err as Error).message;
}

export async function reportCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values: o, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('EXECUTION_ID is required, e.g. canaria report 01JABCDEFGHJKMNPQRSTVWXYZ0 (GET /canary/executions lists them)');
  if (positionals.length > 1) throw new UsageError(`one EXECUTION_ID only, not ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const [id] = positionals;
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(id)) throw new UsageError(`EXECUTION_ID must be an execution id such as 01JABCDEFGHJKMNPQRSTVWXYZ0, not ${JSON.stringify(id)}`);
  if (o.out !== undefined && o.out.trim() === '') throw new UsageError('--out needs a file name, e.g. --out report.html');
  const key = o['api-key'];
  if (key !== undefined && (key === '' || /[\s\u0000-\u001f\u007f]/.test(key))) throw new UsageError('--api-key must be a key without spaces or control characters');
  const shown = baseUrl(o.url ?? DEFAULT_URL).href.replace(/\/+$/, '');

  async function get(path: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${shown}${path}`, {
        headers: { accept: 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
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
      throw new ServiceError(`canaria at ${shown} answered ${res.status} to GET ${path} without JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : undefined;
    if (res.status >= 400 && res.status < 500) {
      const hint = res.status === 401 && key === undefined ? ' (give --api-key KEY)' : '';
      throw new UsageError(`${message ?? `HTTP ${res.status}`}${hint}`);
    }
    if (res.status !== 200) throw new ServiceError(`canaria at ${shown} answered ${res.status} to GET ${path}: ${message ?? JSON.stringify(text.slice(0, 200))}`);
    return body;
  }

  try {
    const status = await get(`/canary/${encodeURIComponent(id)}`);
    if (status === null || typeof status !== 'object' || Array.isArray(status)) throw new ServiceError(`canaria at ${shown} answered GET /canary/${id} with no status object`);
    const pairListId = (status as { metricSetPairListId?: unknown }).metricSetPairListId;
    const pairs = typeof pairListId === 'string' ? await get(`/metricSetPairList/${encodeURIComponent(pairListId)}`) : undefined;
    const page = renderReport({ status: status as Record<string, unknown>, pairs: Array.isArray(pairs) ? pairs : undefined });
    if (o.out !== undefined) {
      await writeFile(o.out, page);
      process.stderr.write(`canaria report: wrote ${o.out}\n`);
    } else process.stdout.write(page);
    return 0;
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    process.stderr.write(`canaria report: ${err.message}\n`);
    return 1;
  }
}
