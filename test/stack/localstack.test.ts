import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../lib/api/routes.ts';
import { checkDeployAccounts } from '../../lib/config/deploy-accounts.ts';
import { parseAccounts } from '../../lib/config/accounts.ts';
import { startLocalService, type LocalService } from '../../lib/local/service.ts';
import { apiIdOf, runAnalysis, SIDES, smokeMetricData, SMOKE_DIMENSION, SMOKE_METRIC, SMOKE_NAMESPACE } from '../../localstack/smoke.ts';
import { CloudWatchFake, type Point } from '../support/cloudwatch-fake.ts';
import { PermissionAnalysis } from './derive-permissions.ts';
import { packagedStack, repoRoot, TEST_ACCOUNTS } from './package.ts';
import type { Json } from './template.ts';

// What of localstack/ can be checked without Docker: the compose file enables every service the
// stack uses (derived from the packaged template and the functions' code), the scripts parse,
// the npm scripts run them, the accounts file passes the deploy check, and the smoke's analysis
// (its config, request and polling) runs to a Pass against the embedded service with the
// CloudWatch fake serving the metrics the smoke puts. Deploying on LocalStack itself needs
// Docker, which these machines do not have.

const text = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const template: Json = packagedStack(TEST_ACCOUNTS).template;

/** LocalStack's name (the AWS CLI's) of each CloudFormation service namespace the template uses. */
const RESOURCE_SERVICES: Record<string, string> = {
  S3: 's3',
  DynamoDB: 'dynamodb',
  Lambda: 'lambda',
  ApiGatewayV2: 'apigatewayv2',
  Logs: 'logs',
  IAM: 'iam',
  StepFunctions: 'stepfunctions',
  CloudWatch: 'cloudwatch',
};
/** LocalStack's name of each IAM service prefix the functions' code calls. */
const ACTION_SERVICES: Record<string, string | null> = {
  s3: 's3',
  dynamodb: 'dynamodb',
  states: 'stepfunctions',
  cloudwatch: 'cloudwatch',
  secretsmanager: 'secretsmanager',
  ssm: 'ssm',
  sts: 'sts',
  kms: 'kms',
  // Amazon Managed Service for Prometheus: LocalStack has no emulator; SigV4 accounts cannot run there.
  aps: null,
};
/** What `serverless deploy` itself talks to: CloudFormation, the deployment bucket, STS (GetCallerIdentity). */
const DEPLOY_SERVICES = ['cloudformation', 's3', 'sts', 'iam'];

function composeServices(): string[] {
  const compose = text('localstack/docker-compose.yml');
  const line = compose.split('\n').find((l) => /^\s*-\s*SERVICES=/.test(l));
  expect(line, 'SERVICES in localstack/docker-compose.yml').toBeDefined();
  return line!.replace(/^\s*-\s*SERVICES=/, '').trim().split(',');
}

describe('localstack/docker-compose.yml', () => {
  it('enables every service the stack uses: its resources, its functions\' calls and the deploy', () => {
    const needed = new Map<string, string>();
    for (const [id, r] of Object.entries<Json>(template.Resources)) {
      const namespace = r.Type.split('::')[1];
      const service = RESOURCE_SERVICES[namespace];
      expect(service, `${id}: ${r.Type} has no LocalStack service in RESOURCE_SERVICES`).toBeDefined();
      needed.set(service, `${r.Type} (${id})`);
    }
    const functions = Object.values<Json>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const files = [...new Set(functions.map((r) => `${r.Properties.Handler.slice(0, r.Properties.Handler.lastIndexOf('.'))}.ts`))];
    const analysis = new PermissionAnalysis(files, Object.keys(ROUTES));
    for (const r of functions) {
      const handler: string = r.Properties.Handler;
      const dot = handler.lastIndexOf('.');
      for (const need of analysis.derive({ file: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) }).needs) {
        const prefix = need.action.split(':')[0];
        expect(prefix in ACTION_SERVICES, `${need.action} (${need.where}) has no LocalStack service in ACTION_SERVICES`).toBe(true);
        const service = ACTION_SERVICES[prefix];
        if (service) needed.set(service, `${need.action} (${need.where})`);
      }
    }
    for (const service of DEPLOY_SERVICES) needed.set(service, 'serverless deploy');
    expect(needed.has('apigatewayv2')).toBe(true);
    const enabled = new Set(composeServices());
    const missing = [...needed].filter(([s]) => !enabled.has(s)).map(([s, why]) => `${s}, for ${why}`);
    expect(missing).toEqual([]);
  }, 60_000);

  it('runs the licensed image (HTTP APIs), publishes the gateway on loopback and runs arm64 functions natively', () => {
    const compose = text('localstack/docker-compose.yml');
    expect(compose).toMatch(/image: \$\{LOCALSTACK_IMAGE:-localstack\/localstack-pro:[\w.-]+\}/);
    expect(compose).toContain("'127.0.0.1:4566:4566'");
    expect(compose).toContain('LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_AUTH_TOKEN:-}');
    expect(compose).toContain('LAMBDA_IGNORE_ARCHITECTURE=1');
    expect(compose).toContain("'/var/run/docker.sock:/var/run/docker.sock'");
  });
});

describe('the LocalStack scripts', () => {
  it('parse (bash -n), and npm run localstack:deploy and localstack:smoke run them', () => {
    const res = spawnSync('bash', ['-n', join(repoRoot, 'localstack/deploy.sh')], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const scripts = JSON.parse(text('package.json')).scripts;
    expect(scripts['localstack:deploy']).toBe('bash localstack/deploy.sh');
    expect(scripts['localstack:smoke']).toBe('node localstack/smoke.ts');
  });

  it('deploy the same serverless.yml, with dummy credentials only, against LocalStack', () => {
    const deploy = text('localstack/deploy.sh');
    expect(deploy).toMatch(/npx serverless deploy --stage "\$STAGE"/);
    expect(deploy).not.toMatch(/--config|serverless-localstack/);
    expect(deploy).toContain('export AWS_ACCESS_KEY_ID=test');
    expect(deploy).toContain('unset AWS_SESSION_TOKEN AWS_PROFILE');
    expect(deploy).toContain('AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"');
    expect(deploy).toContain('CANARIA_ACCOUNTS="$(cat localstack/accounts.yaml)"');
  });

  it("localstack/accounts.yaml passes the deploy check without a warning and has the smoke's account", () => {
    const accounts = text('localstack/accounts.yaml');
    const env = { CANARIA_ACCOUNTS: accounts, CANARIA_BUCKET: { Ref: 'CanariaBucket' }, CANARIA_TABLE: { Ref: 'CanariaTable' } };
    expect(checkDeployAccounts({ metrics: env, fetch: env })).toEqual({ errors: [], warnings: [] });
    expect(parseAccounts(accounts, 'localstack/accounts.yaml').accounts).toEqual([{ name: 'cloudwatch', type: 'cloudwatch', region: 'us-east-1' }]);
  });

  it('the smoke finds the API id in serverless info --verbose', () => {
    const info = ['service: canaria', 'stage: local', 'region: us-east-1', 'stack: canaria-local', '', 'Stack Outputs:', '  HttpApiId: a1b2c3d4', '  HttpApiUrl: https://a1b2c3d4.execute-api.us-east-1.amazonaws.com'].join('\n');
    expect(apiIdOf(info)).toBe('a1b2c3d4');
    expect(apiIdOf('no outputs')).toBeUndefined();
  });
});

describe("the smoke's analysis, against the embedded service and a CloudWatch fake", () => {
  const cloudwatch = new CloudWatchFake();
  let service: LocalService;
  const now = Date.now();

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-secret');
    await cloudwatch.start();
    // The fake serves what the smoke puts into LocalStack's CloudWatch.
    const data = smokeMetricData(now);
    cloudwatch.series = (query, ctx) => {
      const metric = query.MetricStat?.Metric;
      if (metric?.Namespace !== SMOKE_NAMESPACE || metric.MetricName !== SMOKE_METRIC) return undefined;
      const side = metric.Dimensions?.find((d) => d.Name === SMOKE_DIMENSION)?.Value as keyof typeof data | undefined;
      const points: Point[] = (side ? data[side] : [])
        .map((p): Point => [p.timestamp / 1000, p.value])
        .filter(([t]) => t >= ctx.start && t < ctx.end);
      return { points };
    };
    // The smoke's account on LocalStack has no endpoint (AWS_ENDPOINT_URL does it); here, the fake's.
    service = await startLocalService({ port: 0, accounts: [{ name: 'cloudwatch', type: 'cloudwatch', region: 'us-east-1', endpoint: cloudwatch.url }] });
  });
  afterAll(async () => {
    await service?.stop();
    await cloudwatch.stop();
    vi.unstubAllEnvs();
  });

  it('ends succeeded with Pass: both sides have the same data', async () => {
    const result = await runAnalysis({ baseUrl: service.url, account: 'cloudwatch', region: 'us-east-1', now, timeoutMs: 30_000 });
    expect(result).toMatchObject({ status: 'succeeded', classification: 'Pass', score: 100 });
    // It read both sides from CloudWatch.
    const asked = cloudwatch.calls.flatMap((c) => c.MetricDataQueries.map((q: Json) => q.MetricStat.Metric.Dimensions[0].Value));
    expect(new Set(asked)).toEqual(new Set([SIDES.control, SIDES.experiment]));
  }, 60_000);
});
