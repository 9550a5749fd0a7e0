// Shared by the auth suites: keys made in a data directory, concrete requests for every route
// of the route table, and API Gateway v2 events.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { ApiKeyStore } from '../../lib/auth/api-keys.ts';
import { ensureStoredSecret } from '../../lib/auth/kayenta-secret.ts';
import { openDataDirRecords } from '../../lib/auth/local-store.ts';
import { SCOPES, type Scope } from '../../lib/auth/scopes.ts';
import { ROUTES, type RouteId, type RouteSpec } from '../../lib/api/routes.ts';

export const routeEntries = Object.entries(ROUTES) as Array<[RouteId, RouteSpec]>;

/** A data directory holding one key per scope (named after it) and a kayenta secret. */
export async function dataDirWithKeys(): Promise<{ dataDir: string; keys: Record<Scope, string>; secret: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'canaria-auth-'));
  const opened = await openDataDirRecords(dataDir, { create: true });
  try {
    const store = new ApiKeyStore(opened.records);
    const keys = {} as Record<Scope, string>;
    for (const scope of SCOPES) keys[scope] = (await store.create({ name: scope, scope })).key;
    return { dataDir, keys, secret: await ensureStoredSecret(opened.records) };
  } finally {
    await opened.close();
  }
}

/** The route's path with every {param} filled with a valid id that names nothing. */
export const concretePath = (r: RouteSpec, id = 'no-such-id') => r.path.replace(/\{\w+\}/g, id);

/** A body for routes that take one (an empty object: a 400 at worst, never an auth answer). */
export const bodyFor = (r: RouteSpec) => (r.method === 'POST' || r.method === 'PUT' ? { body: {} } : {});

/** The scopes narrower than `need`. */
export const narrowerThan = (need: Scope): Scope[] => SCOPES.slice(0, SCOPES.indexOf(need));

/** An API Gateway HTTP API (payload 2.0) event, with the authorizer context API Gateway would add. */
export function httpEvent(
  method: string,
  rawPath: string,
  options: { headers?: Record<string, string>; body?: string; authorizer?: Record<string, unknown> } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: options.headers ?? {},
    isBase64Encoded: false,
    body: options.body,
    requestContext: {
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      ...(options.authorizer ? { authorizer: options.authorizer } : {}),
    } as unknown as APIGatewayProxyEventV2['requestContext'],
  };
}

/** The event API Gateway sends a REQUEST authorizer (HTTP API, payload 2.0). */
export function authorizerEvent(headers: Record<string, string>, routeKey = 'GET /canaryConfig'): APIGatewayRequestAuthorizerEventV2 {
  const [method, path] = routeKey.split(' ');
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:abc123/$default/${method}${path}`,
    identitySource: [],
    routeKey,
    rawPath: path,
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'argo-rollouts' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
  };
}
