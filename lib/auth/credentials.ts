// Credentials and verdicts, shared by the auth middleware (lib/api/auth.ts) and the Lambda
// authorizer (lib/api/lambda-authorizer.ts). Free of zod and of the route table: the
// authorizer's bundle imports this.
import { isScope, type Scope } from './scopes.ts';
import type { VerifiedKey } from './verify-key.ts';

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

export const HOW = 'send an API key as "Authorization: Bearer KEY" or "x-api-key: KEY" (docs/auth.md)';

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

