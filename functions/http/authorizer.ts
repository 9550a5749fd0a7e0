// The API Gateway REQUEST authorizer of the API key routes (docs/auth.md): the key's verdict
// (and scope) to the route's function, which answers 401/403. Keys are looked up in the table
// behind an in-process cache of CANARIA_AUTH_CACHE_SECONDS (default 60): a revoked key stops
// working at most that long after `canaria keys revoke`.
import { verifyApiKey } from '../../lib/auth/verify-key.ts';
import { cachedVerifier } from '../../lib/auth/cache.ts';
import { recordsFromEnvironment } from '../../lib/auth/dynamo-keys.ts';
import { httpApiAuthorizer } from '../../lib/api/lambda-authorizer.ts';

const records = recordsFromEnvironment();
const seconds = Number(process.env.CANARIA_AUTH_CACHE_SECONDS ?? 60);
if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) throw new Error('CANARIA_AUTH_CACHE_SECONDS must be a number of seconds from 0 to 3600');

export const handler = httpApiAuthorizer(cachedVerifier((key) => verifyApiKey(records, key), { ttlMs: seconds * 1000 }), {
  denyAtEdge: process.env.CANARIA_AUTH_DENY_AT_EDGE === 'true',
});
