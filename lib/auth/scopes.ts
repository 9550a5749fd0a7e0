// What a credential may do. Scopes nest: admin ⊃ analyze ⊃ read.
//   read     every GET (configs, executions, results, accounts, the OpenAPI document)
//   analyze  read + start analyses, preview, fetch, judge, /v1/judgements
//   admin    everything, including config writes and deletes
// No zod here: the Lambda authorizer's bundle imports this, and stays small without it.

export const SCOPES = ['read', 'analyze', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What a route needs: a scope, or nothing at all ('open': /health). */
export type Access = Scope | 'open';

/** Whether a credential of scope `have` may call a route that needs `need`. */
export function grants(have: Scope, need: Access): boolean {
  return need === 'open' || SCOPES.indexOf(have) >= SCOPES.indexOf(need);
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** The default prefix of canaria's OAuth2 scopes: `canaria/read`, `canaria/analyze`, `canaria/admin`. */
export const JWT_SCOPE_PREFIX = 'canaria/';

/**
 * The widest canaria scope among a token's OAuth2 scopes (`canaria/read canaria/admin` →
 * admin), or undefined when it has none of them. Other scopes are ignored.
 */
export function scopeOfJwtScopes(scopes: readonly string[], prefix: string = JWT_SCOPE_PREFIX): Scope | undefined {
  let best: Scope | undefined;
  for (const s of scopes) {
    if (!s.startsWith(prefix)) continue;
    const name = s.slice(prefix.length);
    if (isScope(name) && (best === undefined || SCOPES.indexOf(name) > SCOPES.indexOf(best))) best = name;
  }
  return best;
}
