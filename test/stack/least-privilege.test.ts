import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayRoutes, ROUTES } from '../../lib/api/routes.ts';
import { PermissionAnalysis, type Derived, type Need } from './derive-permissions.ts';
import { packagedStack, repoRoot, TEST_ACCOUNTS } from './package.ts';
import { asArray, normalize, type Json } from './template.ts';

// Least privilege, tested: for every Lambda function of the packaged template, what its code
// can ask of AWS (derived from the code by test/stack/derive-permissions.ts, from the handler
// the template names and the routes API Gateway sends it) must be exactly what its role
// allows: nothing missing, nothing unused.

/** Where each kind of resource a function needs is in the template. */
const RESOURCES: Record<string, (env: Record<string, Json>) => string> = {
  bucket: (env) => `${arnOf(env, 'CANARIA_BUCKET')}`,
  stateMachine: (env) => normalize(required(env, 'CANARIA_STATE_MACHINE_ARN')),
  // The standalone state machine (STANDARD), and its executions (named by the run's id) a cancel stops.
  standaloneStateMachine: (env) => normalize(required(env, 'CANARIA_STANDALONE_STATE_MACHINE_ARN')),
  standaloneExecution: (env) => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${${refOf(env, 'CANARIA_STANDALONE_STATE_MACHINE_ARN')}.Name}:*`,
  // Cross-account CloudWatch: an account's roleArn must name a role called canaria-metrics-*
  // (docs/deploy.md); the stack cannot know the accounts' ids.
  metricsRole: () => 'arn:${AWS::Partition}:iam::*:role/canaria-metrics-*',
  // Prometheus credentials: secrets and parameters named canaria/... in the stack's account.
  secret: () => 'arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:canaria/*',
  parameter: () => 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/canaria/*',
  apsWorkspace: () => 'arn:${AWS::Partition}:aps:*:${AWS::AccountId}:workspace/*',
  // The customer-managed keys given at deploy time, if any.
  secretsKey: () => '${SecretsKmsKeyArns} if HasSecretsKmsKeys',
  // No resource-level permissions (cloudwatch:GetMetricData).
  '*': () => '*',
};

/**
 * Statements whose Resource is '*' because AWS offers nothing narrower: GetMetricData has no
 * resource-level permissions, and neither have the CloudWatch Logs log-delivery actions Step
 * Functions needs to log an Express state machine.
 */
const AWS_REQUIRES_STAR = new Set([
  'cloudwatch:GetMetricData',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/**
 * Code that runs only when the stack sets an optional variable (the kayenta path secret is read
 * from the SSM parameter CANARIA_KAYENTA_SECRET_PARAMETER names, lib/auth/ssm-secret.ts
 * kayentaSecretFromEnvironment): its needs count where the function's environment sets the
 * variable, on the parameter it names.
 */
const GATED_BY_ENV: Record<string, string> = {
  'lib/auth/ssm-secret.ts': 'CANARIA_KAYENTA_SECRET_PARAMETER',
};

/** Variables the code reads that the stack may leave unset: each has a default or turns a feature off. */
const OPTIONAL_ENV: Record<string, string> = {
  CANARIA_KAYENTA_SECRET_PARAMETER: 'the SSM parameter of the /k/{secret} prefix; unset, the prefix is not served',
  CANARIA_JWT_SCOPE_PREFIX: 'the prefix of canaria scopes in a JWT; default canaria/',
  CANARIA_AUTH_CACHE_SECONDS: "the authorizer's key cache; default 60 s",
  CANARIA_AUTH_DENY_AT_EDGE: 'the authorizer refuses at API Gateway; default false',
  CANARIA_DYNAMODB_ENDPOINT: 'another DynamoDB endpoint for the key table (tests, LocalStack); unset: AWS',
  CANARIA_STANDALONE_STATE_MACHINE_ARN: 'the standalone state machine; unset (the judgements function), the standalone routes are not served',
};

/** The needs that apply to a function with this environment (gated ones where their variable is set). */
function applicable(needs: Need[], env: Record<string, Json>): Need[] {
  return needs.flatMap((need) => {
    const variable = GATED_BY_ENV[need.where.replace(/:\d+$/, '')];
    if (!variable) return [need];
    if (env[variable] === undefined) return [];
    // The parameter the variable names (a name starting with /, as SSM's ARNs drop it).
    if (need.action === 'ssm:GetParameter') return [{ ...need, resource: `ssmParameterOf:${variable}` }];
    return [need];
  });
}

function required(env: Record<string, Json>, name: string): Json {
  if (env[name] === undefined) throw new Error(`the code needs ${name}, which the function's environment does not set`);
  return env[name];
}

/** The resource of the stack an environment variable names by Ref. */
function refOf(env: Record<string, Json>, name: string): string {
  const ref = required(env, name).Ref;
  if (typeof ref !== 'string') throw new Error(`${name} is not a Ref to a resource of the stack`);
  return ref;
}

/** `${Bucket.Arn}` of the bucket an environment variable names by Ref. */
function arnOf(env: Record<string, Json>, name: string): string {
  return `\${${refOf(env, name)}.Arn}`;
}

/** A need as the grant that covers it: "action resource [pk=…]". */
function expectedGrant(need: Need, env: Record<string, Json>): string {
  if (need.resource.startsWith('bucket/')) return `${need.action} ${arnOf(env, 'CANARIA_BUCKET')}/${need.resource.slice('bucket/'.length)}`;
  if (need.resource.startsWith('table:')) return `${need.action} ${arnOf(env, 'CANARIA_TABLE')} pk=${need.resource.slice('table:'.length)}`;
  if (need.resource.startsWith('ssmParameterOf:')) {
    // Granted only when the parameter is named (an empty name would make a dangling ARN).
    return `${need.action} arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${normalize(env[need.resource.slice('ssmParameterOf:'.length)])} if HasKayentaSecret`;
  }
  const resource = RESOURCES[need.resource];
  if (!resource) throw new Error(`no rule for a resource of kind ${need.resource}`);
  return `${need.action} ${resource(env)}`;
}

interface Grant {
  key: string;
  sid: string;
}

/** A role's Allow statements (logs aside) as "action resource [pk=…] [if Condition]". */
function grantsOf(role: Json): Grant[] {
  const out: Grant[] = [];
  for (const policy of asArray<Json>(role.Properties.Policies)) {
    for (let st of asArray<Json>(policy.PolicyDocument.Statement)) {
      let cond = '';
      if (st['Fn::If']) {
        const [name, then, otherwise] = st['Fn::If'];
        expect(otherwise, 'a conditional statement is left out otherwise').toEqual({ Ref: 'AWS::NoValue' });
        cond = ` if ${name}`;
        st = then;
      }
      expect(st.Effect, `${st.Sid}: only Allow statements`).toBe('Allow');
      expect(st.NotAction, `${st.Sid}: NotAction`).toBeUndefined();
      expect(st.NotResource, `${st.Sid}: NotResource`).toBeUndefined();
      const actions = asArray<string>(st.Action);
      if (actions.every((a) => a.startsWith('logs:'))) continue; // checked on its own below
      const condition = { ...(st.Condition ?? {}) };
      let pks: string[] | undefined;
      if (condition['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys']) {
        pks = asArray(condition['ForAllValues:StringEquals']['dynamodb:LeadingKeys']);
        delete condition['ForAllValues:StringEquals'];
      } else if (condition['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) {
        // Families of partitions (canaryExecutionByApp#<application>): `prefix#*` only.
        pks = asArray(condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']);
        for (const pk of pks) expect(pk, `${st.Sid}: a LeadingKeys pattern`).toMatch(/^[^*?]+#\*$/);
        delete condition['ForAllValues:StringLike'];
      }
      if (actions.includes('kms:Decrypt')) {
        // Only through Secrets Manager and SSM, in the stack's region.
        expect(normalize(condition.StringEquals?.['kms:ViaService'])).toEqual(
          normalize(['secretsmanager.${AWS::Region}.amazonaws.com', 'ssm.${AWS::Region}.amazonaws.com'].map((s) => ({ 'Fn::Sub': s }))),
        );
        delete condition.StringEquals;
      }
      expect(condition, `${st.Sid}: no other condition`).toEqual({});
      for (const action of actions) {
        for (const resource of resourcesOf(st.Resource)) {
          if (action.startsWith('dynamodb:')) {
            // Without LeadingKeys a DynamoDB grant reaches every partition: pk=*.
            for (const pk of pks ?? ['*']) out.push({ key: `${action} ${resource} pk=${pk}${cond}`, sid: st.Sid });
          } else {
            out.push({ key: `${action} ${resource}${cond}`, sid: st.Sid });
          }
        }
      }
    }
  }
  return out;
}

function resourcesOf(resource: Json): string[] {
  // A Ref to a list parameter is one resource entry for each of its values.
  if (!Array.isArray(resource)) return [normalize(resource)];
  return resource.map((r) => normalize(r));
}

interface LambdaFunction {
  id: string;
  name: string;
  file: string;
  exportName: string;
  roleId: string;
  env: Record<string, Json>;
  routes?: string[];
}

/** The route a route key of the template serves (a /k/{secret}/ key: the kayenta route under it). */
const routeIdOf = (routeKey: string): string => {
  const found = gatewayRoutes().find((r) => r.routeKey === routeKey);
  if (!found) throw new Error(`route ${routeKey} of the template is not in lib/api/routes.ts gatewayRoutes()`);
  return found.id;
};

// Packaged while the tests are collected, so that there is one case per function of the template.
const template: Json = packagedStack(TEST_ACCOUNTS).template;
const resources: Record<string, Json> = template.Resources;
const functions: LambdaFunction[] = lambdaFunctions();
const derived = new Map<string, Derived>();

function lambdaFunctions(): LambdaFunction[] {
  // API Gateway routes by the function they reach.
  const routesOf = new Map<string, string[]>();
  for (const r of Object.values(resources).filter((x: Json) => x.Type === 'AWS::ApiGatewayV2::Route')) {
    const integration = resources[JSON.stringify(r.Properties.Target).match(/HttpApiIntegration\w+/)![0]];
    const fnId = JSON.stringify(integration.Properties.IntegrationUri).match(/(\w+LambdaFunction)/)![1];
    routesOf.set(fnId, [...(routesOf.get(fnId) ?? []), routeIdOf(r.Properties.RouteKey)]);
  }
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const handler: string = r.Properties.Handler;
      const dot = handler.lastIndexOf('.');
      const base = handler.slice(0, dot);
      const file = ['.ts', '.mts'].map((ext) => base + ext).find((f) => existsSync(join(repoRoot, f)));
      if (!file) throw new Error(`${id}: handler ${handler} has no TypeScript source`);
      return {
        id,
        name: id.replace(/LambdaFunction$/, ''),
        file,
        exportName: handler.slice(dot + 1),
        roleId: r.Properties.Role['Fn::GetAtt']?.[0],
        env: r.Properties.Environment?.Variables ?? {},
        routes: routesOf.get(id),
      };
    });
}

beforeAll(() => {
  const analysis = new PermissionAnalysis([...new Set(functions.map((f) => f.file))], Object.keys(ROUTES));
  for (const fn of functions) derived.set(fn.id, analysis.derive(fn));
}, 120_000);

describe('roles', () => {
  it('each function has a role of its own, which only Lambda can assume', () => {
    const roles = functions.map((f) => f.roleId);
    expect(roles.every((r) => typeof r === 'string')).toBe(true);
    expect(new Set(roles).size, `shared roles: ${roles.join(', ')}`).toBe(roles.length);
    for (const fn of functions) {
      const trust = resources[fn.roleId].Properties.AssumeRolePolicyDocument.Statement;
      expect(trust, fn.roleId).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
      expect(resources[fn.roleId].Properties.ManagedPolicyArns, fn.roleId).toBeUndefined();
    }
    // No shared default role (osls's IamRoleLambdaExecution).
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    // No policy attached to a role from outside it.
    expect(Object.values(resources).filter((r: Json) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))).toEqual([]);
  });

  it('each role writes logs only to its own function log group', () => {
    for (const fn of functions) {
      const logs = asArray<Json>(resources[fn.roleId].Properties.Policies)
        .flatMap((p) => asArray<Json>(p.PolicyDocument.Statement))
        .filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs, fn.roleId).toHaveLength(1);
      // The log group exists (the stack creates it): no logs:CreateLogGroup.
      expect(asArray(logs[0].Action).sort(), fn.roleId).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(asArray(logs[0].Resource), fn.roleId).toEqual([{ 'Fn::GetAtt': [`${fn.name}LogGroup`, 'Arn'] }]);
    }
  });

  it("the only Resource '*' statements are those AWS requires", () => {
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      for (const p of asArray<Json>(r.Properties.Policies)) {
        for (let st of asArray<Json>(p.PolicyDocument.Statement)) {
          if (st['Fn::If']) st = st['Fn::If'][1];
          for (const a of asArray<string>(st.Action)) expect(a, `${id}.${st.Sid}: a wildcard action`).not.toContain('*');
          const star = asArray(st.Resource).some((x) => typeof x === 'string' && x === '*');
          if (!star) continue;
          const extra = asArray<string>(st.Action).filter((a) => !AWS_REQUIRES_STAR.has(a));
          expect(extra, `${id}.${st.Sid}: actions on '*' that have resource-level permissions`).toEqual([]);
        }
      }
    }
  });
});

describe('each function is allowed exactly what its code calls', () => {
  it.each(functions.map((f) => [f.name, f] as const))('%s', (_name, fn) => {
    const d = derived.get(fn.id)!;
    const needed = new Map<string, string>();
    for (const need of applicable(d.needs, fn.env)) needed.set(expectedGrant(need, fn.env), need.where);
    const granted = grantsOf(resources[fn.roleId]);
    const grantedKeys = new Set(granted.map((g) => g.key));
    const missing = [...needed].filter(([k]) => !grantedKeys.has(k)).map(([k, where]) => `${k}   (needed by ${where})`);
    const unused = granted.filter((g) => !needed.has(g.key)).map((g) => `${g.key}   (statement ${g.sid})`);
    expect({ missing, unused }, `${fn.roleId} against the code of ${fn.file} ${fn.exportName}`).toEqual({ missing: [], unused: [] });
  });

  it('the record tasks read only the request (for their log lines): Record tags objects, RecordFailure writes the failure note; only the fetch and metrics functions reach metric stores', () => {
    const s3Of = (name: string) => grantsOf(resources[functions.find((f) => f.name === name)!.roleId]).filter((g) => g.key.startsWith('s3:')).map((g) => g.key);
    const readRequest = ['s3:GetObject ${CanariaBucket.Arn}/executions/*/request.json', 's3:ListBucket ${CanariaBucket.Arn}'];
    expect(new Set(s3Of('Record').filter((k) => !readRequest.includes(k)).map((k) => k.split(' ')[0]))).toEqual(new Set(['s3:PutObjectTagging']));
    expect(s3Of('Record')).toEqual(expect.arrayContaining(readRequest));
    expect(s3Of('RecordFailure').sort()).toEqual(['s3:PutObject ${CanariaBucket.Arn}/executions/*/failure.json', ...readRequest].sort());
    const withStores = functions.filter((f) => grantsOf(resources[f.roleId]).some((g) => g.key.startsWith('cloudwatch:GetMetricData')));
    expect(withStores.map((f) => f.name).sort()).toEqual(['Fetch', 'Metrics']);
  });
});

describe('environment', () => {
  it('each function gets only CANARIA_* variables its code reads, and every one it reads that has no default', () => {
    for (const fn of functions) {
      const set = Object.keys(fn.env).filter((k) => k.startsWith('CANARIA_')).sort();
      const read = [...derived.get(fn.id)!.env].sort();
      expect(set.filter((v) => !read.includes(v)), `${fn.name}: variables set that ${fn.file} ${fn.exportName} never reads`).toEqual([]);
      expect(read.filter((v) => !set.includes(v) && !OPTIONAL_ENV[v]), `${fn.name}: variables its code reads that are not set`).toEqual([]);
    }
  });
});
