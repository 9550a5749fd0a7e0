// canaria's API Gateway REQUEST authorizer: the event in, the simple response out (HTTP API,
// payload 2.0). Apart from lambda.ts so that the authorizer's bundle holds neither the route
// table nor zod nor middy: only the key check and the DynamoDB client (a small, fast cold start
// on the path of every request).
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { authenticateKey, authorizerContext } from '../auth/credentials.ts';
import type { VerifiedKey } from '../auth/verify-key.ts';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>;

/**
 * Checks the request's API key (Authorization: Bearer, or x-api-key) with `verify` (the key
 * table behind an in-process cache) and hands its verdict to the route's function in the
 * context: `{verdict: 'ok', via, name, scope}`, or `{verdict: 'missing' | 'invalid', message}`.
 * The function's middleware (lib/api/auth.ts withAuth, applied by lambda.ts) answers 401 or 403
 * from it with canaria's JSON messages and WWW-Authenticate. With `denyAtEdge`, API Gateway
 * refuses a missing or invalid key itself instead (its own 403 {"message":"Forbidden"}: HTTP APIs
 * let a Lambda authorizer answer nothing else; docs/auth.md).
 */
export function httpApiAuthorizer(verify: (key: string) => Promise<VerifiedKey | undefined>, options: { denyAtEdge?: boolean } = {}) {
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    const auth = await authenticateKey(headers, verify);
    return { isAuthorized: auth.ok || !options.denyAtEdge, context: authorizerContext(auth) };
  };
}
