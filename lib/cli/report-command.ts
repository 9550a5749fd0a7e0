// `canaria report ID`: the report page of an execution or of a standalone run, written from the
// CLI. It reads what any client reads from a running canaria (GET /canary/{id}, or
// GET /standalone_canary_analysis/{id}, and the metric set pairs GET /metricSetPairList/{id})
// and renders the page here (lib/report), the page the service serves: one self-contained HTML file.
import { writeFile } from 'node:fs/promises';
import { renderReport } from '../report/render.ts';
import { latestJudgedLook, renderStandaloneReport } from '../report/standalone.ts';
import { UsageError } from './io.ts';
import { DEFAULT_URL, exitOnServiceError, executionTarget, parseCommandArgs, ServiceError } from './service-client.ts';

type ServiceClient = ReturnType<typeof executionTarget>['client'];

export const REPORT_HELP = `Usage: canaria report ID [--out FILE] [--url URL] [--api-key KEY]

Writes the report page of a canary execution or of a standalone canary analysis: one
self-contained HTML file (it loads nothing from anywhere). For an execution (verdict, score,
per-metric charts, intervals, queries) it is the page GET /canary/ID/report serves, read from
GET URL/canary/ID and the execution's GET URL/metricSetPairList/ID. An ID that is no execution
is tried as a standalone run: the page GET /standalone_canary_analysis/ID/report serves (the
run's verdict, a row and a score per look, the latest judged look's metrics), read from
GET URL/standalone_canary_analysis/ID; its links to each look's report point at URL.

Options:
  -o, --out FILE        write the page to FILE (default: stdout)
      --url URL         the canaria to ask, with any path prefix (default ${DEFAULT_URL},
                        where canaria serve listens)
      --api-key KEY     an API key of scope read, for canaria serve --auth and the deployed
                        API (sent as "Authorization: Bearer KEY")
  -h, --help            show this help

Exit status: 0 with the page written; 2 for bad usage, or when the service refuses the
request (an unknown execution or run, a missing or too narrow key): stderr then has one line
saying why (the answer about the execution); 1 when the service cannot be reached or fails
(the line names the URL).
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
} as const;

async function statusObject(client: ServiceClient, path: string): Promise<Record<string, unknown>> {
  const status = (await client.call('GET', path)).body;
  if (status === null || typeof status !== 'object' || Array.isArray(status)) throw new ServiceError(`canaria at ${client.shown} answered GET ${path} with no status object`);
  return status as Record<string, unknown>;
}

async function pairList(client: ServiceClient, id: unknown): Promise<unknown[] | undefined> {
  if (typeof id !== 'string') return undefined;
  const pairs = (await client.call('GET', `/metricSetPairList/${encodeURIComponent(id)}`)).body;
  return Array.isArray(pairs) ? pairs : undefined;
}

async function executionPage(client: ServiceClient, id: string): Promise<string> {
  const status = await statusObject(client, `/canary/${encodeURIComponent(id)}`);
  return renderReport({ status, pairs: await pairList(client, status.metricSetPairListId) });
}

async function standalonePage(client: ServiceClient, id: string): Promise<string> {
  const status = await statusObject(client, `/standalone_canary_analysis/${encodeURIComponent(id)}`);
  const pairs = await pairList(client, latestJudgedLook(status)?.metricSetPairListId);
  return renderStandaloneReport({ status, pairs, lookHref: (look) => `${client.shown}/canary/${encodeURIComponent(look)}/report` });
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values: o, positionals } = parseCommandArgs(args, OPTIONS);
  const { id, client } = executionTarget('report', positionals, o);
  if (o.out !== undefined && o.out.trim() === '') throw new UsageError('--out needs a file name, e.g. --out report.html');
  return exitOnServiceError('report', async () => {
    let page: string;
    try {
      page = await executionPage(client, id);
    } catch (err) {
      // refused as an execution (a 4xx): a standalone run's id, else that first answer stands
      if (!(err instanceof UsageError)) throw err;
      page = await standalonePage(client, id).catch((again) => Promise.reject(again instanceof UsageError ? err : again));
    }
    if (o.out !== undefined) {
      await writeFile(o.out, page);
      process.stderr.write(`canaria report: wrote ${o.out}\n`);
    } else process.stdout.write(page);
    return 0;
  });
}
