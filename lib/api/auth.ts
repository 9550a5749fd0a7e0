// Auth as middleware around any App (docs/auth.md). The route table says what each route needs
// (ROUTES[id].access); withAuth answers 401 or 403 before the route runs, and lets through what
// a credential of a wide enough scope asks. Who the caller is comes from an Authenticator:
//   - locally (canaria serve --auth), the API key in the request, checked against the store;
//   - on AWS, what the stack's authorizer found, which lib/api/lambda.ts puts on the request:
//     the Lambda authorizer's verdict on an API key (its context), or a JWT's scopes.
// withKayentaPrefix serves the routes Argo's kayenta provider calls (ROUTES[id].kayenta) also
// under /k/{secret}/, for a client that cannot send a header.
import { authenticateKey, authenticationOfContext, HOW, type Authentication, type Principal } from '../auth/credentials.ts';
import { grants, scopeOfJwtScopes, JWT_SCOPE_PREFIX } from '../auth/scopes.ts';
import { secretMatches, type SecretSource } from '../auth/kayenta-secret.ts';
import type { VerifiedKey } from '../auth/verify-key.ts';
import { errorBody, type ApiRequest, type ApiResponse } from './http.ts';
import { findRoute, type App } from './router.ts';
import { ROUTES, type RouteSpec } from './routes.ts';

export type { Authentication, Principal } from '../auth/credentials.ts';
export { authenticateKey, authorizerContext, credentialOf } from '../auth/credentials.ts';

/** Who is calling: from the request's own key (canaria serve) or the stack's authorizer (AWS). */
export type Authenticator = (req: ApiRequest) => Promise<Authentication>;

/** What the stack's authorizer said about a request (set by lib/api/lambda.ts, never from the request itself). */
export type GatewayIdentity =
  | { type: 'lambda'; context: Record<string, unknown> }
  | { type: 'jwt'; scopes: string[]; subject: string };

export const GATEWAY_IDENTITY: unique symbol = Symbol('canaria.gatewayIdentity');
/** Set by withKayentaPrefix on a request that came with the right secret. */
const VIA_KAYENTA_SECRET: unique symbol = Symbol('canaria.viaKayentaSecret');

export type AuthRequest = ApiRequest & { [GATEWAY_IDENTITY]?: GatewayIdentity; [VIA_KAYENTA_SECRET]?: true };

/** canaria serve --auth: the request's own API key, checked against the store. */
export function keyAuthenticator(verify: (key: string) => Promise<VerifiedKey | undefined>): Authenticator {
  return (req) => authenticateKey(req.headers, verify);
}

/**
 * On AWS: what the stack's authorizer found. A request that reached a protected route with no
 * authorizer verdict at all (a route the stack left without one) is refused like one without
 * a credential: the functions never trust a request the gateway did not vouch for.
 */
export function gatewayAuthenticator(options: { jwtScopePrefix?: string } = {}): Authenticator {
  const prefix = options.jwtScopePrefix ?? JWT_SCOPE_PREFIX;
  return async (req) => {
    const identity = (req as AuthRequest)[GATEWAY_IDENTITY];
    if (!identity) return { ok: false, reason: 'missing', message: `No credential: ${HOW}.` };
    if (identity.type === 'jwt') return { ok: true, principal: { via: 'jwt', name: identity.subject, scope: scopeOfJwtScopes(identity.scopes, prefix) } };
    return authenticationOfContext(identity.context);
  };
}

function challenge(status: 401 | 403, message: string, error?: string, extra = ''): ApiResponse {
  const reply = errorBody(status, message);
  return { ...reply, headers: { ...reply.headers, 'www-authenticate': `Bearer realm="canaria"${error ? `, error="${error}"` : ''}${extra}` } };
}

function describePrincipal(p: Principal): string {
  return p.via === 'apiKey' ? `The API key "${p.name}"` : `The token of ${JSON.stringify(p.name)}`;
}

/**
 * Refuses, before the route runs, a request without a credential or with an invalid one (401)
 * and one whose credential's scope is too narrow for the route (403); `/health` and routes the
 * table does not know (the router's 404 and 405) pass untouched.
 */
export function withAuth(authenticate: Authenticator, log: (message: string) => void = (m) => console.error(m)): (app: App) => App {
  return (app) => async (req) => {
    const route = findRoute(req.method, req.path);
    if (!route) return app(req);
    const spec = ROUTES[route.id] as RouteSpec;
    if (spec.access === 'open') return app(req);
    if ((req as AuthRequest)[VIA_KAYENTA_SECRET] && spec.kayenta) return app(req);
    let auth: Authentication;
    try {
      auth = await authenticate(req);
    } catch (err) {
      log(`${req.method} ${spec.path}: the credential could not be checked: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return errorBody(500, 'Internal error; the service log has the details.');
    }
    const what = `${spec.method} ${spec.path}`;
    if (!auth.ok) {
      return auth.reason === 'missing'
        ? challenge(401, `${what} needs a credential of scope ${spec.access} or wider. ${auth.message}`)
        : challenge(401, auth.message, 'invalid_token');
    }
    const { principal } = auth;
    if (principal.scope === undefined || !grants(principal.scope, spec.access)) {
      const has =
        principal.scope === undefined
          ? `${describePrincipal(principal)} grants no canaria scope (${JWT_SCOPE_PREFIX}read, ${JWT_SCOPE_PREFIX}analyze or ${JWT_SCOPE_PREFIX}admin)`
          : `${describePrincipal(principal)} has scope ${principal.scope}`;
      return challenge(403, `${has}; ${what} needs ${spec.access}.`, 'insufficient_scope', `, scope="${spec.access}"`);
    }
    return app(req);
  };
}

const PREFIXED = /^\/k\/([^/]*)(\/.*)$/;

/**
 * Serves the kayenta routes also under /k/{secret}/: with the right secret, the request goes on
 * as if sent to the plain path, and withAuth lets it through without a credential. Anything else
 * under /k/ (a wrong secret, a route Argo's kayenta provider does not call, no secret set) goes
 * on with the secret replaced by "…", which no route matches: the router's ordinary 404, the
 * same whether or not the secret was right, and no secret in logs or messages. Put it outside
 * the request log, so that logged paths never hold the secret either.
 */
export function withKayentaPrefix(secret: SecretSource, log: (message: string) => void = (m) => console.error(m)): (app: App) => App {
  return (app) => async (req) => {
    const m = PREFIXED.exec(req.path);
    if (!m) return app(req);
    const [, given, rest] = m;
    let expected: string | undefined;
    try {
      expected = await secret();
    } catch (err) {
      log(`${req.method} /k/…${rest}: ${err instanceof Error ? err.message : String(err)}`);
      return errorBody(500, 'Internal error; the service log has the details.');
    }
    const matches = expected !== undefined && secretMatches(given, expected);
    const route = findRoute(req.method, rest);
    if (!matches || !route || !(ROUTES[route.id] as RouteSpec).kayenta) return app({ ...req, path: `/k/…${rest}` });
    const plain: AuthRequest = { ...req, path: rest, [VIA_KAYENTA_SECRET]: true };
    return app(plain);
  };
}
