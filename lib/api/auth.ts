// Auth as middleware around any App (docs/auth.md). The route table says what each route needs
// (ROUTES[id].access); withAuth answers 401 or 403 before the route runs, and lets through what
// a credential of a wide enough scope asks. Who the caller is comes from an Authenticator:
//   - locally (canaria serve --auth), the API key in the request, checked against the store;
//   - on AWS, what the stack's authorizer found, which lib/api/lambda.ts puts on the request:
//     the Lambda authorizer's verdict on an API key (its context), or a JWT's scopes.
// withKayentaPrefix serves the routes Argo's kayenta provider calls (ROUTES[id].kayenta) also
// under /k/{secret}/, for a client that cannot send a header.
import { grants, scopeOfJwtScopes, type Scope, isScope, JWT_SCOPE_PREFIX } from '../auth/scopes.ts';
import { secretMatches, type SecretSource } from '../auth/kayenta-secret.ts';
import type { VerifiedKey } from '../auth/api-keys.ts';
import { errorBody, type ApiRequest, type ApiResponse } from './http.ts';
import { findRoute, type App } from './router.ts';
import { ROUTES, type RouteSpec } from './routes.ts';

/** Who is calling, and what they may do (undefined: a token that grants no canaria scope). */
export interface Principal {
  via: 'apiKey' | 'jwt';
  name: string;
  scope: Scope | undefined;
}

export type Authentication =
  | { ok: true; principal: Principal }
  /** 'missing': no credential at all; 'invalid': one that is not a key (unknown, revoked, malformed). */
  | { ok: false; reason: 'missing' | 'invalid'; message: string };

export type Authenticator = (req: ApiRequest) => Promise<Authentication>;

/** What the stack's authorizer said about a request (set by lib/api/lambda.ts, never from the request itself). */
export type GatewayIdentity =
  | { type: 'lambda'; context: Record<string, unknown> }
  | { type: 'jwt'; scopes: string[]; subject: string };

export const GATEWAY_IDENTITY: unique symbol = Symbol('canaria.gatewayIdentity');
/** Set by withKayentaPrefix on a request that came with the right secret. */
const VIA_KAYENTA_SECRET: unique symbol = Symbol('canaria.viaKayentaSecret');

export type AuthRequest = ApiRequest & { [GATEWAY_IDENTITY]?: GatewayIdentity; [VIA_KAYENTA_SECRET]?: true };

const HOW = 'send an API key as "Authorization: Bearer KEY" or "x-api-key: KEY" (docs/auth.md)';

/**
 * The key a request carries: `Authorization: Bearer KEY`, else `x-api-key: KEY`; an error for
 * an Authorization header of another scheme; undefined when there is neither.
 */
export function credentialOf(headers: Record<string, string | undefined>): { key: string } | { error: string } | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) return { error: `Authorization must be "Bearer KEY" (got the scheme ${JSON.stringify(authorization.split(/\s/)[0].slice(0, 20))})` };
    return { key: m[1] };
  }
  const apiKey = headers['x-api-key']?.trim();
  return apiKey ? { key: apiKey } : undefined;
}

/** Checks the API key in `headers` with `verify` (the key store, or its cache). */
export async function authenticateKey(
  headers: Record<string, string | undefined>,
  verify: (key: string) => Promise<VerifiedKey | undefined>,
): Promise<Authentication> {
  const credential = credentialOf(headers);
  if (!credential) return { ok: false, reason: 'missing', message: `No credential: ${HOW}.` };
  if ('error' in credential) return { ok: false, reason: 'invalid', message: `${credential.error}.` };
  const key = await verify(credential.key);
  if (!key) return { ok: false, reason: 'invalid', message: 'The API key is unknown or has been revoked.' };
  return { ok: true, principal: { via: 'apiKey', name: key.name, scope: key.scope } };
}

/** canaria serve --auth: the request's own API key, checked against the store. */
export function keyAuthenticator(verify: (key: string) => Promise<VerifiedKey | undefined>): Authenticator {
  return (req) => authenticateKey(req.headers, verify);
}

/** The Lambda authorizer's context for a verdict: flat strings, as API Gateway passes them on. */
export function authorizerContext(auth: Authentication): Record<string, string> {
  if (!auth.ok) return { verdict: auth.reason, message: auth.message };
  return { verdict: 'ok', via: auth.principal.via, name: auth.principal.name, scope: auth.principal.scope ?? '' };
}

/** The verdict back from an authorizer context; anything unexpected is a refusal. */
export function authenticationOfContext(context: Record<string, unknown>): Authentication {
  const message = typeof context.message === 'string' ? context.message : 'The credential was refused.';
  if (context.verdict === 'missing') return { ok: false, reason: 'missing', message };
  if (context.verdict !== 'ok' || !isScope(context.scope) || typeof context.name !== 'string') {
    return { ok: false, reason: 'invalid', message };
  }
  return { ok: true, principal: { via: 'apiKey', name: context.name, scope: context.scope } };
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
