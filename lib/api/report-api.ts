// GET /canary/{id}/report (the report page of an execution), GET /standalone_canary_analysis/{id}/report
// (the report page of a standalone run) and GET / (the console): HTML views over the same
// documents the JSON routes serve (lib/report).
import type { ExecutionStore } from '../analysis/executions.ts';
import { standaloneStatusOf } from '../analysis/standalone-status.ts';
import type { StandaloneStore } from '../analysis/standalone.ts';
import { executionStatus } from '../analysis/status.ts';
import { loadChartAssets } from '../report/assets.ts';
import { renderConsole } from '../report/console.ts';
import { renderReport } from '../report/render.ts';
import { latestJudgedLook, renderStandaloneReport } from '../report/standalone.ts';
import { NotFoundError } from '../errors.ts';
import { htmlPage } from './http.ts';
import type { Handlers } from './router.ts';

export interface ReportApiDeps {
  executions: ExecutionStore;
  /** Where standalone runs are served: their report page too. */
  standalone?: StandaloneStore;
  now: () => number;
}

/** A pair list; undefined when retention removed it (the page then has no charts); any other failure is the route's. */
function pairList(executions: ExecutionStore, id: unknown): Promise<unknown[] | undefined> {
  if (typeof id !== 'string') return Promise.resolve(undefined);
  return executions.pairList(id).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
}

/** The status document and metric set pairs of an execution, as GET /canary/{id} and GET /metricSetPairList/{id} serve them. */
export async function reportDocuments(executions: ExecutionStore, id: string, now: number): Promise<{ status: Record<string, unknown>; pairs?: unknown[] }> {
  const status = await executionStatus(executions, id, now);
  return { status, pairs: await pairList(executions, status.metricSetPairListId) };
}

export function reportHandlers(deps: ReportApiDeps): Handlers {
  let consolePage: string | undefined;
  const { standalone } = deps;
  return {
    executionReport: async (_req, { canaryExecutionId }) => {
      const [docs] = await Promise.all([reportDocuments(deps.executions, canaryExecutionId, deps.now()), loadChartAssets()]);
      return htmlPage(200, renderReport(docs));
    },
    ...(standalone
      ? {
          standaloneReport: async (_req, { canaryAnalysisExecutionId }) => {
            const [status] = await Promise.all([standaloneStatusOf(canaryAnalysisExecutionId, deps.executions, standalone), loadChartAssets()]);
            const pairs = await pairList(deps.executions, latestJudgedLook(status)?.metricSetPairListId);
            return htmlPage(200, renderStandaloneReport({ status, pairs }));
          },
        }
      : {}),
    console: async () => htmlPage(200, (consolePage ??= renderConsole()), "'self'"),
  };
}
