// GET /canary/{id}/report (the report page of an execution) and GET / (the console): HTML views
// over the same documents the JSON routes serve (lib/report).
import type { ExecutionStore } from '../analysis/executions.ts';
import { executionStatus } from '../analysis/status.ts';
import { loadChartAssets } from '../report/assets.ts';
import { renderConsole } from '../report/console.ts';
import { renderReport } from '../report/render.ts';
import { NotFoundError } from '../errors.ts';
import { htmlPage } from './http.ts';
import type { Handlers } from './router.ts';

export interface ReportApiDeps {
  executions: ExecutionStore;
  now: () => number;
}

/** The status document and metric set pairs of an execution, as GET /canary/{id} and GET /metricSetPairList/{id} serve them. */
export async function reportDocuments(executions: ExecutionStore, id: string, now: number): Promise<{ status: Record<string, unknown>; pairs?: unknown[] }> {
  const status = await executionStatus(executions, id, now);
  const pairListId = typeof status.metricSetPairListId === 'string' ? status.metricSetPairListId : undefined;
  // A pair list retention removed leaves the page without charts; any other failure is the route's.
  const pairs = pairListId ? await executions.pairList(pairListId).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err))) : undefined;
  return { status, pairs };
}

export function reportHandlers(deps: ReportApiDeps): Handlers {
  let consolePage: string | undefined;
  return {
    executionReport: async (_req, { canaryExecutionId }) => {
      const [docs] = await Promise.all([reportDocuments(deps.executions, canaryExecutionId, deps.now()), loadChartAssets()]);
      return htmlPage(200, renderReport(docs));
    },
    console: async () => htmlPage(200, (consolePage ??= renderConsole()), "'self'"),
  };
}
