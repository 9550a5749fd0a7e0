// `canaria report EXECUTION_ID`: the report page of an execution, written from the CLI. It reads
// what any client reads from a running canaria (GET /canary/{id} and the execution's
// GET /metricSetPairList/{id}) and renders the page here (lib/report), the page
// GET /canary/{id}/report serves: one self-contained HTML file.
import { writeFile } from 'node:fs/promises';
import { renderReport } from '../report/render.ts';
import { UsageError } from './io.ts';
import { DEFAULT_URL, exitOnServiceError, executionTarget, parseCommandArgs, ServiceError } from './service-client.ts';

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
} as const;

export async function reportCommand(args: string[]): Promise<number> {
  const { values: o, positionals } = parseCommandArgs(args, OPTIONS);
  const { id, client } = executionTarget('report', positionals, o);
  if (o.out !== undefined && o.out.trim() === '') throw new UsageError('--out needs a file name, e.g. --out report.html');
  return exitOnServiceError('report', async () => {
    const status = (await client.call('GET', `/canary/${encodeURIComponent(id)}`)).body;
    if (status === null || typeof status !== 'object' || Array.isArray(status)) throw new ServiceError(`canaria at ${client.shown} answered GET /canary/${id} with no status object`);
    const pairListId = (status as { metricSetPairListId?: unknown }).metricSetPairListId;
    const pairs = typeof pairListId === 'string' ? (await client.call('GET', `/metricSetPairList/${encodeURIComponent(pairListId)}`)).body : undefined;
    const page = renderReport({ status: status as Record<string, unknown>, pairs: Array.isArray(pairs) ? pairs : undefined });
    if (o.out !== undefined) {
      await writeFile(o.out, page);
      process.stderr.write(`canaria report: wrote ${o.out}\n`);
    } else process.stdout.write(page);
    return 0;
  });
}
