import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayRoutes } from '../../lib/api/routes.ts';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../lib/telemetry/emf.ts';
import { parse as parseYaml } from 'yaml';
import { packagedStack, packageStack, repoRoot, TEST_ACCOUNTS } from './package.ts';
import { asArray, type Json } from './template.ts';

// Packages serverless.yml exactly as `npm run package` does (osls + serverless-esbuild),
// offline and without AWS credentials (packagedStack, shared by the stack tests), then checks
// the CloudFormation template and the Lambda zips. Roles and their grants are checked against
// the code in least-privilege.test.ts.

const ACCOUNTS = TEST_ACCOUNTS;

const HANDLERS: Record<string, string> = {
  authorizer: 'functions/http/authorizer',
  configs: 'functions/http/canary-config',
  metrics: 'functions/http/metrics',
  canary: 'functions/http/canary',
  judgements: 'functions/http/canary',
  plan: 'functions/tasks/plan',
  fetch: 'functions/tasks/fetch',
  mixMetrics: 'functions/tasks/mix',
  judge: 'functions/tasks/judge',
  record: 'functions/tasks/record',
  recordFailure: 'functions/tasks/record-failure',
  lookNext: 'functions/tasks/look-next',
  lookStart: 'functions/tasks/look-start',
  lookEnd: 'functions/tasks/look-end',
  standaloneFailure: 'functions/tasks/standalone-failure',
  meta: 'functions/http/meta',
};
const TASKS = ['Plan', 'Fetch', 'MixMetrics', 'Judge', 'Record', 'RecordFailure'];
/** The standalone state machine's tasks, with their timeouts (their states' TimeoutSeconds). */
const STANDALONE_TASKS: Record<string, number> = { LookNext: 30, LookStart: 30, LookEnd: 60, StandaloneFailure: 30 };
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: Json;
  Principal?: Json;
}

let packageOutput = '';
let template: Json;
let resources: Record<string, Json>;

const ofType = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** The Allow statements of one role's inline policies. */
function roleAllows(roleId: string): Statement[] {
  const role = resources[roleId];
  expect(role, `role ${roleId}`).toBeDefined();
  expect(role.Type).toBe('AWS::IAM::Role');
  return asArray<Json>(role.Properties.Policies)
    .flatMap((p) => asArray<Statement>(p.PolicyDocument.Statement))
    .filter((s) => s.Effect === 'Allow');
}

beforeAll(() => {
  const missing = Object.entries(HANDLERS)
    .filter(([, base]) => !SOURCE_EXTENSIONS.some((ext) => existsSync(join(repoRoot, base + ext))))
    .map(([fn, base]) => `function "${fn}": ${base}{${SOURCE_EXTENSIONS.join(',')}}`);
  if (missing.length > 0) {
    throw new Error(`serverless.yml names handler files that do not exist:\n  ${missing.join('\n  ')}`);
  }

  const stack = packagedStack(ACCOUNTS);
  packageOutput = stack.output;
  template = stack.template;
  resources = template.Resources;
}, 180_000);

describe('S3 bucket', () => {
  it('is encrypted, private, versioned and owner-enforced', () => {
    const p = resources.CanariaBucket?.Properties;
    expect(resources.CanariaBucket?.Type).toBe('AWS::S3::Bucket');
    const sse = p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
    expect(['AES256', 'aws:kms']).toContain(sse.SSEAlgorithm);
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(p.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
  });

  it('expires noncurrent versions after 30 days', () => {
    const rules = resources.CanariaBucket.Properties.LifecycleConfiguration.Rules;
    expect(rules.some((r: Json) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration?.NoncurrentDays === 30)).toBe(
      true,
    );
  });

  it('denies non-TLS access in its bucket policy', () => {
    const policy = ofType('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket?.Ref === 'CanariaBucket');
    expect(policy, 'a bucket policy on CanariaBucket').toBeDefined();
    const deny = asArray<Statement>(policy![1].Properties.PolicyDocument.Statement).find(
      (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
    );
    expect(deny).toBeDefined();
    expect(asArray(deny!.Action)).toContain('s3:*');
  });
});

describe('DynamoDB table', () => {
  it('is on-demand with pk/sk keys, PITR, TTL on expiresAt and SSE', () => {
    const t = resources.CanariaTable;
    expect(t?.Type).toBe('AWS::DynamoDB::Table');
    const p = t.Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(p.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(p.SSESpecification?.SSEEnabled).toBe(true);
  });
});

describe('data and retention', () => {
  it('the bucket (with its policy) and the table survive serverless remove and a replacement', () => {
    for (const id of ['CanariaBucket', 'CanariaBucketPolicy', 'CanariaTable']) {
      expect(resources[id].DeletionPolicy, id).toBe('Retain');
      expect(resources[id].UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it('retention days are parameters: 90 by default, 365 for runs not tagged standard, at least 1', () => {
    const p = template.Parameters;
    expect(p.RetentionDays).toMatchObject({ Type: 'Number', MinValue: 1 });
    expect(Number(p.RetentionDays.Default)).toBe(90);
    expect(p.ExtendedRetentionDays).toMatchObject({ Type: 'Number', MinValue: 1 });
    expect(Number(p.ExtendedRetentionDays.Default)).toBe(365);
  });

  it('an analysis expires from S3 after ExtendedRetentionDays, RetentionDays when tagged canaria-retention=standard', () => {
    const rules: Json[] = resources.CanariaBucket.Properties.LifecycleConfiguration.Rules;
    for (const r of rules) expect(r.Status, r.Id).toBe('Enabled');
    const expiring = rules.filter((r) => r.ExpirationInDays !== undefined);
    const shape = (r: Json) => ({ prefix: r.Prefix, tags: r.TagFilters ?? [], days: r.ExpirationInDays });
    const standard = [{ Key: 'canaria-retention', Value: 'standard' }];
    expect(expiring.map(shape)).toEqual([
      { prefix: 'executions/', tags: [], days: { Ref: 'ExtendedRetentionDays' } },
      { prefix: 'executions/', tags: standard, days: { Ref: 'RetentionDays' } },
      { prefix: 'metric_set_pair_list/', tags: [], days: { Ref: 'ExtendedRetentionDays' } },
      { prefix: 'metric_set_pair_list/', tags: standard, days: { Ref: 'RetentionDays' } },
      { prefix: 'metric_set_list/', tags: [], days: { Ref: 'RetentionDays' } },
      // Standalone runs: as long as their records (ExtendedRetentionDays).
      { prefix: 'standalone/', tags: [], days: { Ref: 'ExtendedRetentionDays' } },
    ]);
    // Configs never expire; nothing else does.
    for (const r of expiring) expect(r.Prefix, r.Id).not.toMatch(/^canary_config/);
    // Expired objects become noncurrent versions, removed 30 days later with their delete markers.
    expect(rules.find((r) => r.NoncurrentVersionExpiration)).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      ExpiredObjectDeleteMarker: true,
    });
  });

  it('execution records expire by DynamoDB TTL on expiresAt', () => {
    expect(resources.CanariaTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

describe('Lambda functions', () => {
  it('are the HTTP functions and the analysis tasks, nodejs22.x on arm64', () => {
    const fns = Object.fromEntries(ofType('AWS::Lambda::Function'));
    expect(Object.keys(fns).sort()).toEqual(
      ['Authorizer', 'Configs', 'Metrics', 'Canary', 'Judgements', 'Meta', ...TASKS, ...Object.keys(STANDALONE_TASKS)].map((f) => `${f}LambdaFunction`).sort(),
    );
    for (const [id, fn] of Object.entries(fns)) {
      const p = fn.Properties;
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      // The authorizer runs before every guarded request: small, and quick to give up.
      const authorizer = id === 'AuthorizerLambdaFunction';
      expect(p.MemorySize, id).toBe(authorizer ? 256 : 512);
      const standaloneTask = STANDALONE_TASKS[id.replace(/LambdaFunction$/, '')];
      expect(p.Timeout, id).toBe(authorizer ? 5 : standaloneTask ?? (TASKS.some((t) => id === `${t}LambdaFunction`) ? (id.startsWith('Record') ? 30 : 60) : 29));
      expect(p.Role['Fn::GetAtt']?.[1], `${id} role`).toBe('Arn');
    }
  });

  it('configs gets the bucket and table names', () => {
    const vars = resources.ConfigsLambdaFunction.Properties.Environment.Variables;
    expect(vars.CANARIA_BUCKET).toEqual({ Ref: 'CanariaBucket' });
    expect(vars.CANARIA_TABLE).toEqual({ Ref: 'CanariaTable' });
    const metaVars = resources.MetaLambdaFunction.Properties.Environment?.Variables ?? {};
    expect(metaVars.CANARIA_BUCKET).toBeUndefined();
    expect(metaVars.CANARIA_TABLE).toBeUndefined();
  });

  it('that read CANARIA_ACCOUNTS get the text as given (which ones: least-privilege.test.ts)', () => {
    const withAccounts = ofType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Environment?.Variables?.CANARIA_ACCOUNTS !== undefined);
    expect(withAccounts.length).toBeGreaterThan(0);
    for (const [id, fn] of withAccounts) expect(fn.Properties.Environment.Variables.CANARIA_ACCOUNTS, id).toBe(ACCOUNTS);
    // A valid file with accounts: the deploy check (serverless-accounts.cjs) said nothing.
    expect(packageOutput).not.toMatch(/CANARIA_ACCOUNTS/);
    expect(packageOutput).toMatch(/Service packaged/);
  });

  it('keep their logs 30 days', () => {
    for (const id of ['AuthorizerLogGroup', 'ConfigsLogGroup', 'MetricsLogGroup', 'CanaryLogGroup', 'JudgementsLogGroup', 'MetaLogGroup', 'CanaryAnalysisLogGroup', 'StandaloneAnalysisLogGroup', 'HttpApiLogGroup', ...[...TASKS, ...Object.keys(STANDALONE_TASKS)].map((t) => `${t}LogGroup`)]) {
      expect(resources[id]?.Properties.RetentionInDays, id).toBe(30);
    }
  });
});

describe('state machine', () => {
  it('is an Express machine whose definition is functions/canary.asl.yml, wired to the task functions', () => {
    const sm = resources.CanaryAnalysis;
    expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(sm.Properties.StateMachineType).toBe('EXPRESS');
    const asl = parseYaml(readFileSync(join(repoRoot, 'functions/canary.asl.yml'), 'utf8'));
    expect(sm.Properties.Definition).toEqual(asl);
    const subs = sm.Properties.DefinitionSubstitutions;
    const used = [...JSON.stringify(asl).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(Object.keys(subs).sort()).toEqual([...new Set(used)].sort());
    expect(Object.values(subs).map((v: any) => v['Fn::GetAtt'][0]).sort()).toEqual(TASKS.map((t) => `${t}LambdaFunction`).sort());
  });

  it('may invoke exactly its task functions, and only the canary and judgements functions (and the standalone machine, a look) may start it', () => {
    const invoke = asArray<Json>(resources.StateMachineRole.Properties.Policies)
      .flatMap((p) => asArray<Statement>(p.PolicyDocument.Statement))
      .find((s) => asArray(s.Action).includes('lambda:InvokeFunction'))!;
    expect(asArray(invoke.Resource).map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual(TASKS.map((t) => `${t}LambdaFunction`).sort());
    expect(startersOf('CanaryAnalysis')).toEqual(['CanaryRole', 'JudgementsRole', 'StandaloneStateMachineRole']);
    for (const fn of ['CanaryLambdaFunction', 'JudgementsLambdaFunction']) {
      expect(resources[fn].Properties.Environment.Variables.CANARIA_STATE_MACHINE_ARN, fn).toEqual({ Ref: 'CanaryAnalysis' });
    }
  });
});

/** Roles that may start the state machine `id`, sorted. */
function startersOf(id: string): string[] {
  return Object.keys(resources)
    .filter((role) => resources[role].Type === 'AWS::IAM::Role' && roleAllows(role).some((s) => asArray(s.Action).includes('states:StartExecution') && asArray(s.Resource).some((r: Json) => r?.Ref === id)))
    .sort();
}

describe('standalone state machine', () => {
  it('is a Standard machine whose definition is functions/standalone.asl.yml, wired to its task functions and the canary machine, logging errors', () => {
    const sm = resources.StandaloneAnalysis;
    expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
    // A lifetime of hours: past Express's 5 minutes.
    expect(sm.Properties.StateMachineType).toBe('STANDARD');
    const asl = parseYaml(readFileSync(join(repoRoot, 'functions/standalone.asl.yml'), 'utf8'));
    expect(sm.Properties.Definition).toEqual(asl);
    const subs = sm.Properties.DefinitionSubstitutions;
    const used = [...JSON.stringify(asl).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(Object.keys(subs).sort()).toEqual([...new Set(used)].sort());
    const { CanaryStateMachineArn, ...tasks } = subs;
    expect(CanaryStateMachineArn).toEqual({ Ref: 'CanaryAnalysis' });
    expect(Object.values(tasks).map((v: any) => v['Fn::GetAtt'][0]).sort()).toEqual(Object.keys(STANDALONE_TASKS).map((t) => `${t}LambdaFunction`).sort());
    expect(sm.Properties.LoggingConfiguration).toEqual({ ...resources.CanaryAnalysis.Properties.LoggingConfiguration, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['StandaloneAnalysisLogGroup', 'Arn'] } } }] });
    // Each task's function gives up no later than its state does.
    for (const [task, timeout] of Object.entries(STANDALONE_TASKS)) {
      const state = Object.values<Json>(asl.States).find((st) => st.Type === 'Task' && JSON.stringify(subs[String(st.Resource).slice(2, -1)] ?? '').includes(`"${task}LambdaFunction"`));
      expect(state?.TimeoutSeconds, task).toBe(timeout);
    }
  });

  it("may invoke exactly its task functions and run the canary machine's executions to their end (AWS's policy for a nested .sync execution)", () => {
    const statements = roleAllows('StandaloneStateMachineRole');
    const invoke = statements.find((s) => asArray(s.Action).includes('lambda:InvokeFunction'))!;
    expect(asArray(invoke.Resource).map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual(Object.keys(STANDALONE_TASKS).map((t) => `${t}LambdaFunction`).sort());
    const nested = statements.filter((s) => !asArray<string>(s.Action).some((a) => a.startsWith('logs:') || a.startsWith('lambda:')));
    expect(nested.map((s) => ({ Action: asArray(s.Action).sort(), Resource: s.Resource }))).toEqual([
      { Action: ['states:StartExecution'], Resource: { Ref: 'CanaryAnalysis' } },
      { Action: ['states:DescribeExecution', 'states:StopExecution'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${CanaryAnalysis.Name}:*' } },
      { Action: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule' } },
    ]);
  });

  it('only the canary function may start it (the standalone routes); the judgements function has no standalone routes and no ARN of it', () => {
    expect(startersOf('StandaloneAnalysis')).toEqual(['CanaryRole']);
    expect(resources.CanaryLambdaFunction.Properties.Environment.Variables.CANARIA_STANDALONE_STATE_MACHINE_ARN).toEqual({ Ref: 'StandaloneAnalysis' });
    expect(resources.JudgementsLambdaFunction.Properties.Environment.Variables.CANARIA_STANDALONE_STATE_MACHINE_ARN).toBeUndefined();
  });
});

describe('HTTP API', () => {
  it('has exactly the route keys of gatewayRoutes() (lib/api/routes.ts), payload 2.0', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(gatewayRoutes().map((r) => r.routeKey).sort());
    for (const [id, i] of ofType('AWS::ApiGatewayV2::Integration')) {
      expect(i.Properties.PayloadFormatVersion, id).toBe('2.0');
    }
  });

  it('has one authorizer, the apiKey Lambda authorizer by default: a REQUEST authorizer of the authorizer function, simple responses, no API Gateway cache', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const p = authorizers[0][1].Properties;
    expect(p).toMatchObject({ ApiId: { Ref: 'HttpApi' }, AuthorizerType: 'REQUEST', EnableSimpleResponses: true, AuthorizerPayloadFormatVersion: '2.0', AuthorizerResultTtlInSeconds: 0 });
    // No identity source: a request without a key reaches the function too, which answers canaria's 401.
    expect(p.IdentitySource ?? []).toEqual([]);
    expect(JSON.stringify(p.AuthorizerUri)).toContain('"AuthorizerLambdaFunction","Arn"');
    // API Gateway may invoke it.
    const permissions = ofType('AWS::Lambda::Permission').filter(([, x]) => JSON.stringify(x.Properties.FunctionName).includes('AuthorizerLambdaFunction'));
    expect(permissions.map(([, x]) => x.Properties.Principal)).toEqual(['apigateway.amazonaws.com']);
    // The authorizer's settings.
    const vars = resources.AuthorizerLambdaFunction.Properties.Environment.Variables;
    expect(vars).toEqual({ CANARIA_TABLE: { Ref: 'CanariaTable' }, CANARIA_AUTH_CACHE_SECONDS: '60' });
    // No route sends a request to the authorizer function as its target.
    for (const [id, r] of ofType('AWS::ApiGatewayV2::Integration')) expect(JSON.stringify(r.Properties.IntegrationUri), id).not.toContain('AuthorizerLambdaFunction');
  });

  it('every route gatewayRoutes() puts behind the authorizer has it; the open ones (GET /health, /k/{secret}/...) have none', () => {
    const authorizerId = ofType('AWS::ApiGatewayV2::Authorizer')[0][0];
    const byKey = new Map(ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey as string, r.Properties]));
    const gates = gatewayRoutes();
    for (const { routeKey, gate } of gates) {
      const route = byKey.get(routeKey);
      expect(route, routeKey).toBeDefined();
      if (gate === 'authorizer') {
        expect({ type: route.AuthorizationType, id: route.AuthorizerId }, routeKey).toEqual({ type: 'CUSTOM', id: { Ref: authorizerId } });
      } else {
        expect({ type: route.AuthorizationType ?? 'NONE', id: route.AuthorizerId }, routeKey).toEqual({ type: 'NONE', id: undefined });
      }
    }
    // The open routes: /health, the console page (static, no data) and the kayenta routes under the secret prefix, nothing else.
    const open = gates.filter((g) => g.gate === 'none').map((g) => g.routeKey).sort();
    expect(open).toEqual(['GET /', 'GET /health', 'GET /k/{secret}/canaryConfig', 'GET /k/{secret}/canary/{canaryExecutionId}', 'POST /k/{secret}/canary/{canaryConfigId}'].sort());
    expect(gates.filter((g) => g.gate === 'authorizer').length).toBeGreaterThan(15);
  });

  it('the /k/{secret}/ routes reach the functions that check the secret, which get the SSM parameter of it', () => {
    const target = (routeKey: string): string => {
      const route = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey)![1];
      const integrationId = JSON.stringify(route.Properties.Target).match(/HttpApiIntegration\w+/)![0];
      return JSON.stringify(resources[integrationId].Properties.IntegrationUri).match(/(\w+)LambdaFunction/)![1];
    };
    expect(target('GET /k/{secret}/canaryConfig')).toBe('Configs');
    expect(target('POST /k/{secret}/canary/{canaryConfigId}')).toBe('Canary');
    expect(target('GET /k/{secret}/canary/{canaryExecutionId}')).toBe('Canary');
    for (const fn of ['ConfigsLambdaFunction', 'CanaryLambdaFunction']) {
      expect(resources[fn].Properties.Environment.Variables.CANARIA_KAYENTA_SECRET_PARAMETER, fn).toBe('/canaria/test/kayenta-path-secret');
    }
    // Only they: the other functions serve no /k/ route (least-privilege.test.ts checks the grants).
    const withSecret = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.CANARIA_KAYENTA_SECRET_PARAMETER !== undefined);
    expect(withSecret.map(([id]) => id).sort()).toEqual(['CanaryLambdaFunction', 'ConfigsLambdaFunction']);
  });

  it('with --param authorizer=jwt: a JWT authorizer with the issuer and audience given, on the same routes, and no Lambda authorizer', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'canaria-jwt-'));
    try {
      const issuer = 'https://issuer.example.com/oauth2';
      const run = packageStack(outDir, ACCOUNTS, { authorizer: 'jwt', jwtIssuer: issuer, jwtAudience: 'canaria-api' });
      expect(run.status, run.output).toBe(0);
      const jwt: Json = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
      const all = Object.entries<Json>(jwt.Resources);
      const authorizers = all.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizers).toHaveLength(1);
      const [authorizerId, authorizer] = authorizers[0];
      expect(authorizer.Properties).toMatchObject({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: issuer, Audience: ['canaria-api'] },
      });
      const byKey = new Map(all.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey as string, r.Properties]));
      for (const { routeKey, gate } of gatewayRoutes()) {
        const route = byKey.get(routeKey);
        expect(route, routeKey).toBeDefined();
        if (gate === 'authorizer') expect({ type: route.AuthorizationType, id: route.AuthorizerId }, routeKey).toEqual({ type: 'JWT', id: { Ref: authorizerId } });
        else expect(route.AuthorizationType ?? 'NONE', routeKey).toBe('NONE');
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('routes reach the right function', () => {
    const target = (routeKey: string): string => {
      const route = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey)![1];
      const integrationId = JSON.stringify(route.Properties.Target).match(/HttpApiIntegration\w+/)![0];
      return JSON.stringify(resources[integrationId].Properties.IntegrationUri).match(/(\w+)LambdaFunction/)![1];
    };
    expect(target('PUT /canaryConfig/{canaryConfigId}')).toBe('Configs');
    expect(target('GET /health')).toBe('Meta');
    expect(target('POST /v1/preview')).toBe('Metrics');
    expect(target('GET /canary/{canaryExecutionId}')).toBe('Canary');
    expect(target('GET /canary/executions')).toBe('Canary');
    // The synchronous verdict on a function of its own, with reserved concurrency (below).
    expect(target('POST /v1/judgements')).toBe('Judgements');
    for (const key of ['POST /standalone_canary_analysis', 'POST /standalone_canary_analysis/{canaryConfigId}', 'GET /standalone_canary_analysis/{canaryAnalysisExecutionId}', 'PUT /standalone_canary_analysis/{canaryAnalysisExecutionId}/cancel']) {
      expect(target(key), key).toBe('Canary');
    }
  });
});

describe('the HTTP API at its limits', () => {
  it('throttles the stage at ApiRateLimit requests per second with bursts of ApiBurstLimit (parameters, 50 and 100)', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    expect(stages[0][1].Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: { Ref: 'ApiRateLimit' },
      ThrottlingBurstLimit: { Ref: 'ApiBurstLimit' },
    });
    for (const [name, value] of [['ApiRateLimit', 50], ['ApiBurstLimit', 100]] as const) {
      expect(template.Parameters[name]).toMatchObject({ Type: 'Number', MinValue: 1 });
      expect(Number(template.Parameters[name].Default), name).toBe(value);
    }
  });

  it('logs every request as JSON to a log group kept 30 days, with the route key and never the path', () => {
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0][1];
    const settings = stage.Properties.AccessLogSettings;
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(resources.HttpApiLogGroup.Properties.RetentionInDays).toBe(30);
    // A sample line, as API Gateway fills the variables in, is JSON.
    const line = settings.Format.replace(/\$context\.error\.messageString/g, '"Internal Server Error"').replace(/\$context\.[\w.]+/g, 'x');
    expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['requestId', 'routeKey', 'status', 'responseLatency', 'integrationError']));
    // A path can carry the kayenta secret (/k/{secret}/...); query strings and headers other secrets.
    expect(settings.Format).not.toMatch(/\$context\.(path|resourcePath|requestOverride|identity\.apiKey)|querystring|header/i);
  });

  it('reserves JudgementsConcurrency executions (10) for the function of POST /v1/judgements, and caps it there', () => {
    expect(resources.JudgementsLambdaFunction.Properties.ReservedConcurrentExecutions).toEqual({ Ref: 'JudgementsConcurrency' });
    expect(template.Parameters.JudgementsConcurrency).toMatchObject({ Type: 'Number', MinValue: 1 });
    expect(Number(template.Parameters.JudgementsConcurrency.Default)).toBe(10);
    // No other function reserves (or caps) concurrency.
    const reserving = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserving.map(([id]) => id)).toEqual(['JudgementsLambdaFunction']);
  });
});

describe('dashboard', () => {
  it("draws every EMF metric the tasks emit, for this stack's service, and reads the RecordFailure function's log group", () => {
    const dashboard = resources.CanariaDashboard;
    expect(dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    const body = JSON.parse(String(dashboard.Properties.DashboardBody['Fn::Sub']).replaceAll('${AWS::Region}', 'us-east-1'));
    const expressions: string[] = body.widgets.flatMap((w: Json) => (w.properties.metrics ?? []).flat().map((m: Json) => m.expression));
    const drawn = new Set(expressions.map((e) => /MetricName="(\w+)"/.exec(e)?.[1]));
    expect([...drawn].sort()).toEqual([...METRIC_NAMES].sort());
    for (const e of expressions) expect(e).toContain(`{${METRICS_NAMESPACE},service`);
    // The task Lambdas that emit events name the service from POWERTOOLS_SERVICE_NAME: one per stack, the one drawn.
    const emitting = ['Plan', 'Fetch', 'Judge', 'Record', 'RecordFailure'].map((name) => resources[`${name}LambdaFunction`]);
    const services = new Set(emitting.map((r) => r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME));
    expect([...services]).toEqual([expect.stringMatching(/^canaria-\w+$/)]);
    expect(new Set(expressions.map((e) => /service="([^"]+)"/.exec(e)?.[1]))).toEqual(services);
    const logs = body.widgets.filter((w: Json) => w.type === 'log');
    const functionNames = Object.values(resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.FunctionName);
    for (const w of logs) expect(functionNames).toContain(/SOURCE '\/aws\/lambda\/([^']+)'/.exec(w.properties.query)?.[1]);
  });
});

describe('outputs', () => {
  it('expose the API URL, bucket, table and the roles that query metric stores', () => {
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['HttpApiUrl', 'BucketName', 'TableName', 'MetricsRoleArn', 'FetchRoleArn']));
    // The roles a cross-account CloudWatch role must trust.
    expect(template.Outputs.MetricsRoleArn.Value).toEqual({ 'Fn::GetAtt': ['MetricsRole', 'Arn'] });
    expect(template.Outputs.FetchRoleArn.Value).toEqual({ 'Fn::GetAtt': ['FetchRole', 'Arn'] });
    expect(template.Outputs.BucketName.Value).toEqual({ Ref: 'CanariaBucket' });
    expect(template.Outputs.TableName.Value).toEqual({ Ref: 'CanariaTable' });
  });
});
