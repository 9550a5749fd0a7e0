// Canary executions as Kayenta serves them (api-spec.md §1.4–1.9), Kayenta's RemoteJudge, and the
// synchronous verdict for Argo's web provider (§3.5 pattern A).
import type { ExecutionStore } from '../analysis/executions.ts';
import { startExecution, type ExecutionStarter } from '../analysis/start.ts';
import { executionStatus } from '../analysis/status.ts';
import { resolveWindows } from '../config/execution-request.ts';
import { judgeRequestSchema } from '../config/judge-request.ts';
import { BadRequestError } from '../errors.ts';
import { judge, JUDGE_NAME } from '../judge/judge.ts';
import { sleep } from '../metrics/retry.ts';
import type { MetricAccounts } from '../metrics/sources.ts';
import type { ConfigStore } from '../store/config-store.ts';
import { accountNamesParam, json, listParam, readJsonBody, type ApiRequest } from './http.ts';
import { adhocCanaryBodySchema, judgementBodySchema, startCanaryBodySchema } from './canary-schemas.ts';
import type { Handlers } from './router.ts';

export interface CanaryApiDeps {
  configs: ConfigStore;
  executions: ExecutionStore;
  accounts: MetricAccounts;
  starter: ExecutionStarter;
  now: () => number;
  /** How often /v1/judgements looks at the execution while it waits. */
  pollMs?: number;
}

/** Kayenta's ExecutionStatus values, as the list filter accepts them (lower case). */
const EXECUTION_STATUSES = ['not_started', 'running', 'paused', 'suspended', 'succeeded', 'failed_continue', 'terminal', 'canceled', 'redirect', 'stopped', 'skipped', 'buffered'];

const first = (req: ApiRequest, name: string) => req.query[name]?.[0] || undefined;

function accountParams(req: ApiRequest) {
  return {
    metricsAccountName: accountNamesParam(req),
    storageAccountName: first(req, 'storageAccountName'),
    configurationAccountName: first(req, 'configurationAccountName'),
    parentPipelineExecutionId: first(req, 'parentPipelineExecutionId'),
    idempotencyKey: req.headers['idempotency-key'] || first(req, 'idempotencyKey'),
  };
}

/** Argo's kayenta provider decides from the score truncated to an integer (api-spec.md §2.3). */
export function argoPhase(score: number, thresholds: { pass: number; marginal: number }): 'Successful' | 'Inconclusive' | 'Failed' {
  const s = Math.trunc(score);
  if (s >= thresholds.pass) return 'Successful';
  if (s >= thresholds.marginal) return 'Inconclusive';
  return 'Failed';
}

export function canaryHandlers(deps: CanaryApiDeps): Handlers {
  const start = (e: Parameters<typeof startExecution>[0]) => startExecution(e, deps);

  return {
    startCanary: async (req, { canaryConfigId }) => {
      const executionRequest = readJsonBody(req, startCanaryBodySchema);
      const config = await deps.configs.get(canaryConfigId);
      const application = first(req, 'application') ?? config.applications?.[0] ?? 'ad-hoc';
      const id = await start({ config, canaryConfigId, executionRequest, application, ...accountParams(req) });
      return json(200, { canaryExecutionId: id });
    },

    startAdhocCanary: async (req) => {
      const body = readJsonBody(req, adhocCanaryBodySchema);
      const application = first(req, 'application') ?? 'ad-hoc';
      const id = await start({ config: body.canaryConfig, canaryConfigId: 'ad-hoc', executionRequest: body.executionRequest, application, ...accountParams(req) });
      return json(200, { canaryExecutionId: id });
    },

    getCanaryExecution: async (_req, { canaryExecutionId }) => json(200, await executionStatus(deps.executions, canaryExecutionId, deps.now())),

    listCanaryExecutions: async (req) => {
      const limit = Number(first(req, 'limit') ?? 20);
      const page = Number(first(req, 'page') ?? 1);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadRequestError('limit: must be a whole number from 1 to 100');
      if (!Number.isInteger(page) || page < 1) throw new BadRequestError('page: must be a whole number from 1');
      const application = first(req, 'application');
      const statuses = new Set(listParam(req, 'statuses').map((s) => s.toLowerCase()));
      const unknown = [...statuses].filter((s) => !EXECUTION_STATUSES.includes(s));
      if (unknown.length > 0) {
        throw new BadRequestError(`statuses: unknown status ${unknown.map((s) => `"${s}"`).join(', ')}; use ${EXECUTION_STATUSES.join(', ')}`);
      }
      const records = (await deps.executions.list())
        .filter((r) => !application || r.application === application)
        .filter((r) => statuses.size === 0 || statuses.has(r.status))
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice((page - 1) * limit, page * limit);
      return json(200, await Promise.all(records.map((r) => executionStatus(deps.executions, r.id, deps.now()))));
    },

    getMetricSetPairList: async (_req, { metricSetPairListId }) => json(200, await deps.executions.pairList(metricSetPairListId)),

    listJudges: async () => json(200, [{ name: JUDGE_NAME, visible: true }]),

    remoteJudge: async (req) => {
      const body = readJsonBody(req, judgeRequestSchema);
      return json(200, judge(body.canaryConfig, body.metricSetPairList, body.scoreThresholds));
    },

    listCredentials: async () =>
      json(200, deps.accounts.accounts.map((a) => ({ name: a.name, type: a.type, supportedTypes: ['METRICS_STORE'], locations: a.locations ?? [], recommendedLocations: a.recommendedLocations ?? [] }))),

    listMetricsServices: async () =>
      json(200, deps.accounts.accounts.map((a) => ({ name: a.name, type: a.type, locations: a.locations ?? [], recommendedLocations: a.recommendedLocations ?? [] }))),

    judgement: async (req) => {
      const received = deps.now();
      const body = readJsonBody(req, judgementBodySchema);
      const { config, id: canaryConfigId } = await deps.configs.find(body);
      // Scopes without a window judge the last lookbackSeconds (else the default window).
      const scopes = body.lookbackSeconds ? resolveWindows(body.scopes, received, body.lookbackSeconds * 1000) : body.scopes;
      const executionId = await start({
        config,
        canaryConfigId,
        application: body.application,
        executionRequest: { scopes, thresholds: body.thresholds, strict: body.strict },
        metricsAccountName: accountNamesParam(req, body.metricsAccountName),
        idempotencyKey: req.headers['idempotency-key'] || undefined,
      });
      const until = received + body.timeoutSeconds * 1000;
      let record = await deps.executions.get(executionId);
      while (record.status === 'running' && deps.now() + (deps.pollMs ?? 250) < until) {
        await sleep(deps.pollMs ?? 250);
        record = await deps.executions.get(executionId);
      }
      const { pass, marginal } = body.thresholds;
      if (record.status === 'terminal') {
        // Not a canary verdict: Argo counts a non-2xx as an Error and measures again.
        const reason = record.exception?.details.error ?? 'the analysis failed';
        const judgement = { phase: 'Error', complete: true, score: null, classification: null, pass, marginal, executionId, reason };
        return json(502, { message: `Canary analysis ${executionId} failed: ${reason}`, judgement });
      }
      if (record.status === 'running') {
        return json(200, { judgement: { phase: 'Running', complete: false, score: null, classification: null, pass, marginal, executionId, reason: `still running after ${body.timeoutSeconds} s; GET /canary/${executionId} will have the verdict` } });
      }
      const score = record.score!;
      const result = await deps.executions.result(executionId);
      return json(200, {
        judgement: {
          phase: argoPhase(score, body.thresholds),
          complete: true,
          score,
          classification: record.classification,
          pass,
          marginal,
          executionId,
          reason: result?.score.classificationReason || `score ${score} (pass ${pass}, marginal ${marginal})`,
        },
      });
    },
  };
}
