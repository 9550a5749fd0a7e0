// One canary analysis through the API of the stack deployed on LocalStack (npm run
// localstack:deploy), as a user would run it: synthetic metrics put into LocalStack's
// CloudWatch, an API key created in the deployed table, a canary config stored, an analysis
// started as Argo's kayenta provider starts one, polled until complete, and its verdict checked
// (Pass: both sides have the same data).
//
//   npm run localstack:smoke          (AWS_ENDPOINT_URL, default http://localhost:4566)
//
// The analysis part (runAnalysis) takes any base URL and any way to put metrics: the stack
// tests run it against the embedded service with a CloudWatch fake (test/stack/localstack.test.ts).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SMOKE_NAMESPACE = 'Canaria/Smoke';
export const SMOKE_METRIC = 'latency';
/** The dimension that tells the sides apart; its value is the scope. */
export const SMOKE_DIMENSION = 'Version';
export const SIDES = { control: 'baseline', experiment: 'canary' } as const;
const STEP_SECONDS = 60;
/** The window: 60 one-minute points, ending 5 minutes ago (settled data). */
const POINTS = 60;
const END_OFFSET_MINUTES = 5;

/** The analysis window for `now`, aligned to the minute. */
export function smokeWindow(now: number): { start: number; end: number } {
  const end = Math.floor(now / 60_000) * 60_000 - END_OFFSET_MINUTES * 60_000;
  return { start: end - POINTS * STEP_SECONDS * 1000, end };
}

/**
 * The points to put, per side: one a minute over the window and a little around it; the same
 * values on both sides (a deterministic spread, so the judge has something to rank).
 */
export function smokeMetricData(now: number): Record<(typeof SIDES)[keyof typeof SIDES], Array<{ timestamp: number; value: number }>> {
  const { start, end } = smokeWindow(now);
  const points: Array<{ timestamp: number; value: number }> = [];
  for (let t = start - 5 * 60_000, i = 0; t < end + 5 * 60_000; t += 60_000, i++) points.push({ timestamp: t, value: 100 + ((i * 37) % 11) });
  return { [SIDES.control]: points, [SIDES.experiment]: points.map((p) => ({ ...p })) } as ReturnType<typeof smokeMetricData>;
}

/** A Kayenta canary config with one CloudWatch metric, the scope filling the dimension's value. */
export function smokeConfig(name: string): unknown {
  return {
    name,
    applications: ['smoke'],
    judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
    metrics: [
      {
        name: SMOKE_METRIC,
        scopeName: 'default',
        groups: ['latency'],
        query: {
          type: 'cloudwatch',
          region: '${location}',
          metricDataQueries: [
            {
              id: 'latency',
              metricStat: {
                stat: 'Average',
                period: STEP_SECONDS,
                metric: { namespace: SMOKE_NAMESPACE, metricName: SMOKE_METRIC, dimensions: [{ name: SMOKE_DIMENSION, value: '${scope}' }] },
              },
            },
          ],
        },
        analysisConfigurations: { canary: { direction: 'increase' } },
      },
    ],
    templates: {},
    classifier: { groupWeights: { latency: 100 } },
  };
}

/** Kayenta's CanaryExecutionRequest over the smoke window. */
export function smokeRequest(now: number, region: string): unknown {
  const { start, end } = smokeWindow(now);
  const scope = (value: string) => ({ scope: value, location: region, start: new Date(start).toISOString(), end: new Date(end).toISOString(), step: STEP_SECONDS });
  return {
    scopes: { default: { controlScope: scope(SIDES.control), experimentScope: scope(SIDES.experiment) } },
    thresholds: { pass: 95, marginal: 75 },
  };
}

export interface SmokeResult {
  executionId: string;
  status: string;
  score: number | undefined;
  classification: string | undefined;
}

/**
 * Stores the smoke config, starts an analysis as Argo's kayenta provider does (POST
 * /canary/{id}?application&metricsAccountName), polls GET /canary/{id} until complete.
 */
export async function runAnalysis(options: {
  baseUrl: string;
  headers?: Record<string, string>;
  account: string;
  region: string;
  now: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<SmokeResult> {
  const log = options.log ?? (() => {});
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${options.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const { canaryConfigId } = await call('POST', '/canaryConfig', smokeConfig(`smoke-${options.now}`));
  log(`stored canary config ${canaryConfigId}`);
  const { canaryExecutionId } = await call(
    'POST',
    `/canary/${encodeURIComponent(canaryConfigId)}?application=smoke&metricsAccountName=${encodeURIComponent(options.account)}`,
    smokeRequest(options.now, options.region),
  );
  log(`started analysis ${canaryExecutionId}`);
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  for (;;) {
    const status = await call('GET', `/canary/${encodeURIComponent(canaryExecutionId)}`);
    if (status.complete) {
      const score = status.result?.judgeResult?.score;
      return { executionId: canaryExecutionId, status: status.status, score: score?.score, classification: score?.classification };
    }
    if (Date.now() > deadline) throw new Error(`analysis ${canaryExecutionId} still ${status.status} after ${(options.timeoutMs ?? 180_000) / 1000} s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// ---- LocalStack ---------------------------------------------------------------------------------

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAGE = process.env.CANARIA_LOCALSTACK_STAGE ?? 'local';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const res = spawnSync(cmd, args, { cwd: REPO, env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** The HTTP API's id from `serverless info --verbose`. */
export function apiIdOf(info: string): string | undefined {
  return /^\s*HttpApiId:\s*(\S+)\s*$/m.exec(info)?.[1];
}

async function main(): Promise<void> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
  // LocalStack takes any credentials; never real ones.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3 ?? 'http://s3.localhost.localstack.cloud:4566',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
  };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  Object.assign(process.env, env);

  const health = await fetch(`${endpoint}/_localstack/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`LocalStack is not reachable at ${endpoint}; start it with (cd localstack && docker compose up -d), then npm run localstack:deploy`);

  const apiId = apiIdOf(run(process.execPath, [join(REPO, 'node_modules/osls/bin/serverless.js'), 'info', '--stage', STAGE, '--region', region, '--verbose'], env));
  if (!apiId) throw new Error(`no HttpApiId in serverless info --stage ${STAGE}: deploy first (npm run localstack:deploy)`);
  const baseUrl = process.env.CANARIA_SMOKE_URL ?? `http://${apiId}.execute-api.localhost.localstack.cloud:4566`;
  console.log(`API: ${baseUrl}`);

  const health2 = await fetch(`${baseUrl}/health`);
  console.log(`GET /health: ${health2.status} ${await health2.text()}`);

  // Metrics into LocalStack's CloudWatch, where the deployed functions read them (LocalStack
  // gives its Lambdas AWS_ENDPOINT_URL; localstack/accounts.yaml names no endpoint).
  const { CloudWatchClient, PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const cloudwatch = new CloudWatchClient({ region });
  const now = Date.now();
  for (const [side, points] of Object.entries(smokeMetricData(now))) {
    for (let i = 0; i < points.length; i += 500) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: SMOKE_NAMESPACE,
          MetricData: points.slice(i, i + 500).map((p) => ({
            MetricName: SMOKE_METRIC,
            Dimensions: [{ Name: SMOKE_DIMENSION, Value: side }],
            Timestamp: new Date(p.timestamp),
            Value: p.value,
          })),
        }),
      );
    }
  }
  console.log(`put ${smokeMetricData(now)[SIDES.control].length} points per side into ${SMOKE_NAMESPACE}/${SMOKE_METRIC}`);

  // An API key in the deployed table (docs/auth.md), sent on every request.
  const key = run(
    process.execPath,
    [join(REPO, 'bin/canaria.js'), 'keys', 'create', '--stage', STAGE, '--region', region, '--scope', 'admin', '--name', `smoke-${now}`],
    { ...env, CANARIA_DYNAMODB_ENDPOINT: endpoint },
  ).trim();
  console.log('created an admin API key for the smoke');

  const result = await runAnalysis({
    baseUrl,
    headers: { authorization: `Bearer ${key}` },
    account: process.env.CANARIA_SMOKE_ACCOUNT ?? 'cloudwatch',
    region,
    now,
    log: (line) => console.log(line),
  });
  console.log(`analysis ${result.executionId}: ${result.status}, ${result.classification}, score ${result.score}`);
  if (result.status !== 'succeeded' || result.classification !== 'Pass') {
    throw new Error(`expected succeeded and Pass (both sides have the same data); got ${result.status}, ${result.classification}`);
  }
  console.log('smoke: OK');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(`smoke: FAILED: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
