// Every HTTP route canaria serves: method, path, what it takes and returns. The router, the
// OpenAPI document and the stack's route list are all checked against this table.
import * as z from 'zod';
import { canaryConfigSchema, idSchema } from '../config/canary-config.ts';
import type { Access } from '../auth/scopes.ts';
import type { BodyName } from './route-bodies.ts';

export const messageSchema = z.object({ message: z.string(), errors: z.array(z.string()).optional() });

export const configSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  updatedTimestamp: z.number().int(),
  updatedTimestampIso: z.string(),
  applications: z.array(z.string()),
});

const configWrittenSchema = z.object({ canaryConfigId: z.string(), warnings: z.array(z.string()).optional() });

/**
 * A path parameter: the router checks it against `schema` before the handler runs, so no id
 * from a path reaches a store unchecked. One that fails is answered `invalid`: the status the
 * route gives an unknown id (Kayenta's: 404 where it answers 404, PUT's 400), naming the parameter.
 */
export interface PathParam {
  description: string;
  schema: z.ZodType<string, string>;
  invalid: 400 | 404;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  /** Every {param} of the path. */
  params?: Record<string, PathParam>;
  /** Query parameters: name → description (all optional strings). */
  query?: Record<string, string>;
  /** The request body's schema, by name (route-bodies.ts: the OpenAPI document's, not the router's). */
  body?: BodyName;
  response: { status: number; description: string; schema?: z.ZodType; /** Not JSON: the media type of the answer (an HTML page). */ contentType?: 'text/html' };
  /** Client error statuses the route can answer. */
  errors: number[];
  /**
   * The scope a credential needs (read ⊂ analyze ⊂ admin), or 'open' for no credential at all.
   * Enforced by lib/api/auth.ts, shown in the OpenAPI document (docs/auth.md).
   */
  access: Access;
  /**
   * Called by Argo Rollouts' kayenta provider, which sends no headers: also served under the
   * secret prefix /k/{secret} (lib/api/auth.ts withKayentaPrefix).
   */
  kayenta?: true;
}

/** The prefix under which the kayenta routes are served without a header. */
export const KAYENTA_PREFIX = '/k/{secret}';

const accountsParam =
  'The metrics accounts: one name, or one per query type (repeat the parameter or separate names with commas); a query type without a named account uses the first configured account of that type.';

const ignoredAccount = 'Accepted for Kayenta compatibility and ignored: canaria has one configuration store.';
const judgeParam = 'canaria: the judge (GET /judges), instead of the config\'s judge.name; overrides a `judge` in the body.';

/** An id in a path, with the status an invalid one gets. */
const idParam = (what: string, invalid: 400 | 404): PathParam => ({ description: `The id of the ${what}.`, schema: idSchema, invalid });

export const ROUTES = {
  listCanaryConfigs: {
    method: 'GET',
    path: '/canaryConfig',
    summary: 'List canary config summaries (the list Argo Rollouts searches by name)',
    query: {
      application: 'Only configs of these applications; repeat the parameter or separate names with commas.',
      configurationAccountName: ignoredAccount,
    },
    response: { status: 200, description: 'Summaries sorted by name', schema: z.array(configSummarySchema) },
    errors: [],
    access: 'read',
    kayenta: true,
  },
  createCanaryConfig: {
    method: 'POST',
    path: '/canaryConfig',
    summary: 'Store a new canary config',
    query: { configurationAccountName: ignoredAccount },
    body: 'canaryConfig',
    response: { status: 200, description: 'The id of the stored config, and warnings when a metric looks wrong (its query uses no scope)', schema: configWrittenSchema },
    errors: [400, 413, 415],
    access: 'admin',
  },
  getCanaryConfig: {
    method: 'GET',
    path: '/canaryConfig/{canaryConfigId}',
    params: { canaryConfigId: idParam('canary config', 404) },
    summary: 'Fetch one canary config',
    query: { configurationAccountName: ignoredAccount },
    response: { status: 200, description: 'The stored config, with its id and timestamps', schema: canaryConfigSchema },
    errors: [404],
    access: 'read',
  },
  replaceCanaryConfig: {
    method: 'PUT',
    path: '/canaryConfig/{canaryConfigId}',
    params: { canaryConfigId: idParam('canary config', 400) },
    summary: 'Replace a stored canary config',
    query: { configurationAccountName: ignoredAccount },
    body: 'canaryConfig',
    response: { status: 200, description: 'The id of the replaced config, and warnings as for POST', schema: configWrittenSchema },
    errors: [400, 413, 415],
    access: 'admin',
  },
  deleteCanaryConfig: {
    method: 'DELETE',
    path: '/canaryConfig/{canaryConfigId}',
    params: { canaryConfigId: idParam('canary config', 404) },
    summary: 'Delete a stored canary config',
    query: { configurationAccountName: ignoredAccount },
    response: { status: 204, description: 'Deleted' },
    errors: [404],
    access: 'admin',
  },
  fetchPrometheus: {
    method: 'POST',
    path: '/fetch/prometheus/query',
    summary: "Run (or with dryRun=true only render) one Prometheus query, as Kayenta's PrometheusFetchController",
    query: {
      metricsAccountName: 'The Prometheus account (default: the first one configured).',
      storageAccountName: ignoredAccount,
      metricSetName: 'Required: the name of the resulting metric sets.',
      metricName: 'Required: the metric name (ignored by a PromQL: customFilter).',
      groupByFields: 'Labels to group by; repeat or separate with commas.',
      labelBindings: 'Label matchers such as job="x"; repeat or separate with commas.',
      project: 'Scope project (${project}).',
      resourceType: 'gce_instance or aws_ec2_instance, or none with a customFilter.',
      location: 'Scope location (${location}).',
      scope: 'Scope (${scope}), e.g. version="canary".',
      start: 'ISO-8601 start; required unless dryRun.',
      end: 'ISO-8601 end; required unless dryRun.',
      step: 'Required: seconds between points.',
      customFilter: 'An inline template, or a full query prefixed with PromQL:.',
      dryRun: 'true: answer {"query"} without contacting Prometheus.',
    },
    response: { status: 200, description: '{"query"} for a dry run, else {"metricSetListId"}' },
    errors: [400, 502, 504],
    access: 'analyze',
  },
  fetchCloudWatch: {
    method: 'POST',
    path: '/fetch/cloudwatch/query',
    summary: 'Run (or with dryRun=true only render) one CloudWatch GetMetricData query',
    query: {
      metricsAccountName: 'The CloudWatch account (default: the first one configured).',
      storageAccountName: ignoredAccount,
      metricSetName: 'Required: the name of the resulting metric sets.',
      scope: 'Scope (${scope}).',
      location: 'Scope location (${location}).',
      start: 'Required: ISO-8601 start.',
      end: 'Required: ISO-8601 end.',
      step: 'Seconds; the default period.',
      dryRun: 'true: answer {"query"}: the GetMetricData input, without calling AWS.',
    },
    body: 'cloudWatchFetch',
    response: { status: 200, description: '{"query"} for a dry run, else {"metricSetListId"}' },
    errors: [400, 413, 415, 502, 504],
    access: 'analyze',
  },
  getMetricSetList: {
    method: 'GET',
    path: '/metricSetList/{metricSetListId}',
    params: { metricSetListId: idParam('metric set list', 404) },
    summary: 'A fetched metric set list',
    query: { accountName: ignoredAccount },
    response: { status: 200, description: 'MetricSet[] (NaN written as "NaN")' },
    errors: [404],
    access: 'read',
  },
  preview: {
    method: 'POST',
    path: '/v1/preview',
    summary: 'Render (and by default fetch) every query of a canary config for given scopes, with point counts and pairing problems',
    query: { metricsAccountName: accountsParam },
    body: 'preview',
    response: { status: 200, description: 'Per metric and side: the query, the series and their point counts, the pairs, and problems' },
    errors: [400, 404, 413, 415],
    access: 'analyze',
  },
  startCanary: {
    method: 'POST',
    path: '/canary/{canaryConfigId}',
    params: { canaryConfigId: idParam('stored canary config to run', 404) },
    summary: "Start a canary analysis of a stored config (Argo's kayenta provider calls this)",
    query: {
      application: "The application (default: the config's first).",
      metricsAccountName: accountsParam,
      configurationAccountName: ignoredAccount,
      storageAccountName: ignoredAccount,
      parentPipelineExecutionId: 'Echoed in the status.',
      idempotencyKey: 'A retried start with the same key (per application) returns the same execution; also the Idempotency-Key header.',
      judge: judgeParam,
    },
    body: 'startCanary',
    response: { status: 200, description: '{"canaryExecutionId"}; poll GET /canary/{id}', schema: z.object({ canaryExecutionId: z.string() }) },
    errors: [400, 404, 413, 415],
    access: 'analyze',
    kayenta: true,
  },
  startAdhocCanary: {
    method: 'POST',
    path: '/canary',
    summary: 'Start a canary analysis of a config given in the body',
    query: {
      application: 'The application (default: ad-hoc).',
      metricsAccountName: accountsParam,
      storageAccountName: ignoredAccount,
      parentPipelineExecutionId: 'Echoed in the status.',
      idempotencyKey: 'As for POST /canary/{canaryConfigId}.',
      judge: judgeParam,
    },
    body: 'adhocCanary',
    response: { status: 200, description: '{"canaryExecutionId"}', schema: z.object({ canaryExecutionId: z.string() }) },
    errors: [400, 413, 415],
    access: 'analyze',
  },
  listCanaryExecutions: {
    method: 'GET',
    path: '/canary/executions',
    summary: 'Recent executions, newest first',
    query: {
      application: 'Only this application.',
      limit: 'Page size (default 20, at most 100).',
      page: 'Page number from 1.',
      statuses: 'Comma-separated statuses, e.g. running,terminal (Kayenta\'s ExecutionStatus names; others are a 400).',
      storageAccountName: ignoredAccount,
    },
    response: { status: 200, description: 'CanaryExecutionStatusResponse[]' },
    errors: [400],
    access: 'read',
  },
  getCanaryExecution: {
    method: 'GET',
    path: '/canary/{canaryExecutionId}',
    params: { canaryExecutionId: idParam('canary execution', 404) },
    summary: "Kayenta's CanaryExecutionStatusResponse (Argo polls this until complete)",
    query: { storageAccountName: ignoredAccount },
    response: { status: 200, description: 'complete, status, stageStatus, result.judgeResult when succeeded, exception when terminal, config, request, times' },
    errors: [404],
    access: 'read',
    kayenta: true,
  },
  startStandalone: {
    method: 'POST',
    path: '/standalone_canary_analysis/{canaryConfigId}',
    params: { canaryConfigId: idParam('stored canary config to run', 404) },
    summary: "Start a standalone canary analysis of a stored config: a judgement at every interval of a lifetime (Kayenta's SCA)",
    query: {
      application: 'The application (default: ad-hoc).',
      user: 'Who started it (default: anonymous); echoed in the status.',
      parentPipelineExecutionId: 'Echoed in the status.',
      metricsAccountName: accountsParam,
      configurationAccountName: ignoredAccount,
      storageAccountName: ignoredAccount,
    },
    body: 'standaloneRequest',
    response: { status: 200, description: '{"canaryAnalysisExecutionId"}; poll GET /standalone_canary_analysis/{id}', schema: z.object({ canaryAnalysisExecutionId: z.string() }) },
    errors: [400, 404, 413, 415],
    access: 'analyze',
  },
  startAdhocStandalone: {
    method: 'POST',
    path: '/standalone_canary_analysis',
    summary: 'Start a standalone canary analysis of a config given in the body ({canaryConfig, executionRequest})',
    query: {
      application: 'The application (default: ad-hoc).',
      user: 'Who started it (default: anonymous).',
      parentPipelineExecutionId: 'Echoed in the status.',
      metricsAccountName: accountsParam,
      storageAccountName: ignoredAccount,
    },
    body: 'standaloneAdhoc',
    response: { status: 200, description: '{"canaryAnalysisExecutionId"}', schema: z.object({ canaryAnalysisExecutionId: z.string() }) },
    errors: [400, 413, 415],
    access: 'analyze',
  },
  getStandalone: {
    method: 'GET',
    path: '/standalone_canary_analysis/{canaryAnalysisExecutionId}',
    params: { canaryAnalysisExecutionId: idParam('standalone canary analysis', 404) },
    summary: "Kayenta's CanaryAnalysisExecutionStatusResponse: stageStatus list, every look's result, the aggregated verdict",
    query: { storageAccountName: ignoredAccount },
    response: { status: 200, description: 'complete, executionStatus, stageStatus[], canaryAnalysisExecutionResult (canaryScores, canaryExecutionResults), request, config, times' },
    errors: [404],
    access: 'read',
  },
  cancelStandalone: {
    method: 'PUT',
    path: '/standalone_canary_analysis/{canaryAnalysisExecutionId}/cancel',
    params: { canaryAnalysisExecutionId: idParam('standalone canary analysis', 404) },
    summary: 'Cancel a standalone canary analysis: it ends CANCELED and no judgement starts after it (an ended one is left as it is)',
    response: { status: 200, description: 'The status, as GET answers it' },
    errors: [404],
    access: 'analyze',
  },
  getMetricSetPairList: {
    method: 'GET',
    path: '/metricSetPairList/{metricSetPairListId}',
    params: { metricSetPairListId: idParam('metric set pair list', 404) },
    summary: "An execution's metric set pairs (the judge's input)",
    query: { accountName: ignoredAccount },
    response: { status: 200, description: 'MetricSetPair[] (NaN written as "NaN")' },
    errors: [404],
    access: 'read',
  },
  listJudges: {
    method: 'GET',
    path: '/judges',
    summary: 'The judges canaria runs',
    response: { status: 200, description: '[{"name": "NetflixACAJudge-v1.0", "visible": true}, {"name": "canaria-v1", "visible": true}]' },
    errors: [],
    access: 'read',
  },
  remoteJudge: {
    method: 'POST',
    path: '/judge',
    summary: "Kayenta's RemoteJudge: judge a metric set pair list (lets a Kayenta use canaria as its judge)",
    query: { judge: "canaria: the judge (GET /judges), instead of the config's judge.name." },
    body: 'judgeRequest',
    response: { status: 200, description: 'CanaryJudgeResult' },
    errors: [400, 413, 415],
    access: 'analyze',
  },
  rejudge: {
    method: 'POST',
    path: '/judges/judge',
    summary: "Judge stored metric set pairs again, synchronously, without fetching anything: Kayenta's CanaryJudgesController (a stored config and pair list), or canaria's replay of a past execution (canaryExecutionId)",
    query: {
      canaryConfigId: 'The stored canary config (GET /canaryConfig); required unless canaryExecutionId is given.',
      metricSetPairListId: 'The stored metric set pair list (an execution\'s metricSetPairListId); required unless canaryExecutionId is given.',
      passThreshold: 'The score at or above which the canary passes, e.g. 95; required unless canaryExecutionId is given (then: the execution\'s).',
      marginalThreshold: 'The score at or above which it is marginal, e.g. 75; required unless canaryExecutionId is given (then: the execution\'s).',
      canaryExecutionId:
        "canaria: judge this execution again, from what it stored: its config snapshot, its metric set pair list, its thresholds (unless passThreshold or marginalThreshold are given), its strict and judge settings; the answer is what its judge stage would store (with shadowJudgeResults). Instead of canaryConfigId and metricSetPairListId.",
      judge: "canaria: the judge (GET /judges), instead of the config's judge.name (and of the execution's judge).",
      configurationAccountName: ignoredAccount,
      storageAccountName: ignoredAccount,
    },
    response: { status: 200, description: 'CanaryJudgeResult' },
    errors: [400, 404],
    access: 'analyze',
  },
  listCredentials: {
    method: 'GET',
    path: '/credentials',
    summary: 'The configured accounts (no secrets)',
    response: { status: 200, description: '[{name, type, supportedTypes, locations, recommendedLocations}]' },
    errors: [],
    access: 'read',
  },
  listMetricsServices: {
    method: 'GET',
    path: '/metricsServices',
    summary: 'The metrics accounts',
    response: { status: 200, description: '[{name, type, locations, recommendedLocations}]' },
    errors: [],
    access: 'read',
  },
  judgement: {
    method: 'POST',
    path: '/v1/judgements',
    summary: "Judge now, synchronously (Argo's web provider): always a JSON {judgement} within timeoutSeconds",
    query: { judge: judgeParam },
    body: 'judgement',
    response: { status: 200, description: '{"judgement": {phase, complete, score, classification, pass, marginal, executionId, reason}}; with an analysisKey also sequence: {analysisKey, look, decision, stoppedAtLook, plannedLooks}' },
    errors: [400, 404, 413, 415, 502, 504],
    access: 'analyze',
  },
  executionReport: {
    method: 'GET',
    path: '/canary/{canaryExecutionId}/report',
    params: { canaryExecutionId: idParam('canary execution', 404) },
    summary: 'The report of an execution: one self-contained HTML page (verdict, score, per-metric charts, intervals, queries; no external loads)',
    query: { storageAccountName: ignoredAccount },
    response: { status: 200, description: 'text/html: the report page', contentType: 'text/html' },
    errors: [404],
    access: 'read',
  },
  standaloneReport: {
    method: 'GET',
    path: '/standalone_canary_analysis/{canaryAnalysisExecutionId}/report',
    params: { canaryAnalysisExecutionId: idParam('standalone canary analysis', 404) },
    summary: "The report of a standalone canary analysis: one self-contained HTML page (verdict, a row and score per look linked to the look's report, the latest judged look's metrics; no external loads)",
    query: { storageAccountName: ignoredAccount },
    response: { status: 200, description: 'text/html: the report page', contentType: 'text/html' },
    errors: [404],
    access: 'read',
  },
  console: {
    method: 'GET',
    path: '/',
    summary: "The console: a static page (no data, no secret) that lists executions and configs and previews queries through this API, with the user's API key when auth is on",
    response: { status: 200, description: 'text/html: the console page', contentType: 'text/html' },
    errors: [],
    access: 'open',
  },
  health: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness',
    response: { status: 200, description: 'The service answers', schema: z.object({ status: z.literal('UP') }) },
    errors: [],
    access: 'open',
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    response: { status: 200, description: 'OpenAPI 3.1 document' },
    errors: [],
    access: 'read',
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;

/** One route of the deployed HTTP API: its route key and how API Gateway lets it through. */
export interface GatewayRoute {
  routeKey: string;
  id: RouteId;
  /**
   * 'authorizer': behind the stack's authorizer (API key or JWT), whose verdict the function's
   * middleware turns into 401/403; 'none': no authorizer (open, or /k/{secret}/…, whose secret
   * the function checks).
   */
  gate: 'authorizer' | 'none';
}

/**
 * Every route key the stack must declare: each route of the table, and each kayenta route again
 * under /k/{secret}. Stack tests compare serverless.yml's routes with this list.
 */
export function gatewayRoutes(): GatewayRoute[] {
  return (Object.entries(ROUTES) as Array<[RouteId, RouteSpec]>).flatMap(([id, r]) => [
    { routeKey: `${r.method} ${r.path}`, id, gate: r.access === 'open' ? ('none' as const) : ('authorizer' as const) },
    ...(r.kayenta ? [{ routeKey: `${r.method} ${KAYENTA_PREFIX}${r.path}`, id, gate: 'none' as const }] : []),
  ]);
}
