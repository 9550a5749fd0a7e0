// The only place that knows API Gateway's event shapes (HTTP API, payload 2.0).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { SecretSource } from '../auth/kayenta-secret.ts';
import { GATEWAY_IDENTITY, gatewayAuthenticator, withAuth, withKayentaPrefix, type AuthRequest, type GatewayIdentity } from './auth.ts';
import { errorBody, parseQueryString, type ApiResponse } from './http.ts';
import type { App } from './router.ts';
import { redactSecrets } from '../metrics/known-secrets.ts';

function lowerCaseHeaders(raw: Record<string, string | undefined> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  return headers;
}

/** A claim's scopes: `"a b"`, or an array API Gateway rendered as `"[a b]"`, or an array. */
function scopeList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value !== 'string') return [];
  return value.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
}

/**
 * What the route's authorizer found (requestContext.authorizer: `lambda` for canaria's API key
 * authorizer, `jwt` for API Gateway's JWT authorizer), or undefined for a route without one.
 * Only API Gateway writes requestContext: a client cannot put anything there.
 */
export function gatewayIdentityOf(event: APIGatewayProxyEventV2): GatewayIdentity | undefined {
  const authorizer = (event.requestContext as { authorizer?: { lambda?: unknown; jwt?: { claims?: Record<string, unknown>; scopes?: unknown } } }).authorizer;
  if (authorizer?.lambda && typeof authorizer.lambda === 'object') return { type: 'lambda', context: authorizer.lambda as Record<string, unknown> };
  if (authorizer?.jwt) {
    const claims = authorizer.jwt.claims ?? {};
    const scopes = scopeList(authorizer.jwt.scopes);
    const subject = [claims.client_id, claims.sub, claims.azp].find((v): v is string => typeof v === 'string') ?? 'unknown';
    return { type: 'jwt', scopes: scopes.length > 0 ? scopes : [...scopeList(claims.scope), ...scopeList(claims.scp)], subject };
  }
  return undefined;
}

export function fromHttpApiEvent(event: APIGatewayProxyEventV2): AuthRequest {
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: parseQueryString(event.rawQueryString ?? ''),
    headers: lowerCaseHeaders(event.headers),
    body: event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    [GATEWAY_IDENTITY]: gatewayIdentityOf(event),
  };
}

/** `GET /canary/{id}` of an event, for a log line: the route key, never the raw path (it can hold the /k/ secret). */
const routeKeyOf = (e: APIGatewayProxyEventV2 | undefined) => e?.routeKey ?? 'a request';

export function toHttpApiResult(res: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: res.status, headers: res.headers, body: res.body };
}

/**
 * An error line of the HTTP functions as one JSON object on stderr (CloudWatch Logs Insights reads
 * its fields; no Lambda prefix), like the task functions' lines (lib/telemetry/powertools.ts), with
 * any secret the process has used cut out. For createApp's and the auth middleware's `log`.
 */
export function lambdaErrorLog(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', timestamp: new Date().toISOString(), message: redactSecrets(message) })}\n`);
}

export interface HttpApiAuthOptions {
  /**
   * The secret of /k/{secret}/ (undefined: not served). The functions that serve the kayenta
   * routes pass lib/auth/ssm-secret.ts kayentaSecretFromEnvironment().
   */
  kayentaSecret?: SecretSource;
  /** The prefix of canaria's OAuth2 scopes in a JWT. Default: CANARIA_JWT_SCOPE_PREFIX, else `canaria/`. */
  jwtScopePrefix?: string;
}

/**
 * A Lambda handler serving `app` behind the auth middleware (lib/api/auth.ts): every route but
 * /health needs the verdict of the stack's authorizer (or, for the kayenta routes, the secret
 * path prefix). A failure outside the app still answers with JSON.
 */
export function httpApiHandler(app: App, auth: HttpApiAuthOptions = {}) {
  const noSecret: SecretSource = async () => undefined;
  const jwtScopePrefix = auth.jwtScopePrefix ?? (process.env.CANARIA_JWT_SCOPE_PREFIX || undefined);
  const served = withKayentaPrefix(auth.kayentaSecret ?? noSecret, lambdaErrorLog)(withAuth(gatewayAuthenticator({ jwtScopePrefix }), lambdaErrorLog)(app));
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .handler(async (event) => toHttpApiResult(await served(fromHttpApiEvent(event))))
    .onError(async (request) => {
      const err = request.error;
      lambdaErrorLog(`${routeKeyOf(request.event)} failed outside the routes: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      request.response = toHttpApiResult(errorBody(500, 'Internal error; the service log has the details.'));
    });
}
