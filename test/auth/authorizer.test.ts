// The AWS side, with API Gateway v2 events: the REQUEST authorizer (functions/http/authorizer.ts)
// on a DynamoDB table (dynalite), its cache against a clock the test moves, and the functions'
// middleware turning its verdict, or a JWT authorizer's scopes, into 401/403 per route.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryConfigHandlers } from '../../lib/api/canary-config-api.ts';
import { httpApiHandler } from '../../lib/api/lambda.ts';
import { httpApiAuthorizer } from '../../lib/api/lambda-authorizer.ts';
import { metaHandlers } from '../../lib/api/meta-api.ts';
import { createApp } from '../../lib/api/router.ts';
import { ApiKeyStore } from '../../lib/auth/api-keys.ts';
import { cachedVerifier } from '../../lib/auth/cache.ts';
import { dynamoRecords } from '../../lib/auth/dynamo-keys.ts';
import { SCOPES, type Scope } from '../../lib/auth/scopes.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { fixture } from '../support/service.ts';
import { authorizerEvent, bodyFor, concretePath, httpEvent, narrowerThan, routeEntries } from './support.ts';

const context = {} as Context;
const STAGE_TABLE = 'canaria-test-CanariaTable-1A2B3C4D5E6F';

let emulators: Emulators;
let keys: ApiKeyStore;
beforeAll(async () => {
  emulators = await startEmulators({ table: STAGE_TABLE });
  keys = new ApiKeyStore(dynamoRecords(STAGE_TABLE, { endpoint: emulators.dynamoEndpoint }));
});
afterAll(async () => emulators?.stop());

describe('the REQUEST authorizer', () => {
  /** An authorizer whose cache runs on `clock.now`, counting lookups in the table. */
  function authorizer(ttlMs = 60_000, options: { denyAtEdge?: boolean } = {}) {
    const clock = { now: 1_000_000, lookups: 0 };
    const verify = cachedVerifier(
      (key: string) => {
        clock.lookups++;
        return keys.verify(key);
      },
      { ttlMs, now: () => clock.now },
    );
    return { clock, handler: httpApiAuthorizer(verify, options) };
  }

  it('answers with a simple response: the verdict, the key name and scope in the context', async () => {
    const { key } = await keys.create({ name: 'argo-web', scope: 'analyze' });
    const { handler } = authorizer();
    const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }, { Authorization: `bearer ${key}` }];
    for (const headers of variants) {
      expect(await handler(authorizerEvent(headers))).toEqual({ isAuthorized: true, context: { verdict: 'ok', via: 'apiKey', name: 'argo-web', scope: 'analyze' } });
    }
    expect(await handler(authorizerEvent({}))).toEqual({ isAuthorized: true, context: { verdict: 'missing', message: expect.stringContaining('No credential') } });
    expect(await handler(authorizerEvent({ authorization: `Bearer cnr_0000000000000000_${'x'.repeat(43)}` }))).toEqual({
      isAuthorized: true,
      context: { verdict: 'invalid', message: 'The API key is unknown or has been revoked.' },
    });
    expect((await handler(authorizerEvent({ authorization: 'Basic dXNlcjpwYXNz' }))).context).toMatchObject({ verdict: 'invalid', message: expect.stringContaining('"Bearer KEY"') });
  });

  it('with denyAtEdge, lets API Gateway refuse a missing or invalid key itself', async () => {
    const { key } = await keys.create({ scope: 'read' });
    const { handler } = authorizer(60_000, { denyAtEdge: true });
    expect((await handler(authorizerEvent({}))).isAuthorized).toBe(false);
    expect((await handler(authorizerEvent({ 'x-api-key': 'nope' }))).isAuthorized).toBe(false);
    expect((await handler(authorizerEvent({ 'x-api-key': key }))).isAuthorized).toBe(true);
  });

  it('lets a revoked key in at most until its cache entry ends, never after', async () => {
    const { key } = await keys.create({ name: 'to-revoke', scope: 'admin' });
    const { clock, handler } = authorizer(60_000);
    const event = authorizerEvent({ authorization: `Bearer ${key}` });
    expect((await handler(event)).context.verdict).toBe('ok');
    expect(clock.lookups).toBe(1);
    clock.now += 10_000;
    await keys.revoke('to-revoke');
    // Within the TTL of the lookup (made at 1_000_000): the cached verdict, no lookup.
    clock.now = 1_000_000 + 59_999;
    expect((await handler(event)).context.verdict).toBe('ok');
    expect(clock.lookups).toBe(1);
    // At the TTL: looked up again, and refused from then on.
    clock.now = 1_000_000 + 60_000;
    expect((await handler(event)).context).toEqual({ verdict: 'invalid', message: 'The API key is unknown or has been revoked.' });
    expect(clock.lookups).toBe(2);
    clock.now += 3_600_000;
    expect((await handler(event)).context.verdict).toBe('invalid');
  });

  it('counts the TTL from before the lookup: a revocation during a slow lookup is honoured within the TTL', async () => {
    const { key } = await keys.create({ name: 'slow', scope: 'read' });
    const clock = { now: 5_000_000 };
    const verify = cachedVerifier(
      async (k: string) => {
        const found = await keys.verify(k); // the table still had it...
        clock.now += 30_000; // ...but the answer took 30 s to arrive, and the key was revoked meanwhile
        return found;
      },
      { ttlMs: 60_000, now: () => clock.now },
    );
    expect(await verify(key)).toBeDefined();
    await keys.revoke('slow');
    clock.now = 5_000_000 + 60_000; // 60 s after the question, 30 s after the answer
    expect(await verify(key)).toBeUndefined();
  });

  it('does not cache refusals: a key created after a refused try works at once', async () => {
    const { clock, handler } = authorizer(60_000);
    const { key } = await keys.create({ name: 'fresh', scope: 'read' });
    await keys.revoke('fresh');
    const event = authorizerEvent({ 'x-api-key': key });
    expect((await handler(event)).context.verdict).toBe('invalid');
    expect((await handler(event)).context.verdict).toBe('invalid');
    expect(clock.lookups).toBe(2);
    const again = await keys.create({ name: 'fresh', scope: 'read' }); // the name is free again
    expect((await handler(authorizerEvent({ 'x-api-key': again.key }))).context).toMatchObject({ verdict: 'ok', name: 'fresh' });
  });

  it('is the deployed handler: functions/http/authorizer.ts on CANARIA_TABLE', async () => {
    const { key } = await keys.create({ name: 'deployed', scope: 'read' });
    process.env.CANARIA_TABLE = STAGE_TABLE;
    process.env.CANARIA_DYNAMODB_ENDPOINT = emulators.dynamoEndpoint;
    try {
      const { handler } = await import('../../functions/http/authorizer.ts');
      expect(await handler(authorizerEvent({ authorization: `Bearer ${key}` }))).toEqual({
        isAuthorized: true,
        context: { verdict: 'ok', via: 'apiKey', name: 'deployed', scope: 'read' },
      });
      expect((await handler(authorizerEvent({}))).context.verdict).toBe('missing');
    } finally {
      delete process.env.CANARIA_TABLE;
      delete process.env.CANARIA_DYNAMODB_ENDPOINT;
    }
  });
});

describe('the functions behind the authorizer (httpApiHandler)', () => {
  const SECRET = 'k'.repeat(16) + 'SECRETsecret0123';
  const storage = openSqliteStorage(':memory:');
  afterAll(() => storage.close());
  const handler = httpApiHandler(createApp({ ...canaryConfigHandlers(new ConfigStore(storage)), ...metaHandlers() }), { kayentaSecret: async () => SECRET });
  const lambdaVerdict = (scope: Scope) => ({ lambda: { verdict: 'ok', via: 'apiKey', name: `key-${scope}`, scope } });
  const jwt = (scope: string, scopes: string[] | null = null) => ({ jwt: { claims: { scope, client_id: 'argo-rollouts', iss: 'https://issuer.example' }, scopes } });
  const call = (method: string, path: string, authorizer?: Record<string, unknown>, body?: unknown) =>
    handler(httpEvent(method, path, { authorizer, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } }), context);

  it('answers from the authorizer verdict: 401 missing or invalid, with canaria\'s messages', async () => {
    const none = await call('GET', '/openapi.json');
    expect(none.statusCode).toBe(401);
    expect(none.headers!['www-authenticate']).toBe('Bearer realm="canaria"');
    const missing = await call('GET', '/openapi.json', { lambda: { verdict: 'missing', message: 'No credential: …' } });
    expect(missing.statusCode).toBe(401);
    const invalid = await call('GET', '/openapi.json', { lambda: { verdict: 'invalid', message: 'The API key is unknown or has been revoked.' } });
    expect(invalid.statusCode).toBe(401);
    expect(JSON.parse(invalid.body!)).toEqual({ message: 'The API key is unknown or has been revoked.' });
    expect(invalid.headers!['www-authenticate']).toContain('error="invalid_token"');
    // A context that says ok without a scope it knows is no verdict at all.
    expect((await call('GET', '/openapi.json', { lambda: { verdict: 'ok', name: 'x', scope: 'root' } })).statusCode).toBe(401);
    expect((await call('GET', '/health')).statusCode).toBe(200);
  });

  it('chains: the authorizer\'s own answer, passed on as API Gateway does, reaches the route', async () => {
    const { key } = await keys.create({ name: 'chain', scope: 'read' });
    const authorize = httpApiAuthorizer((k) => keys.verify(k));
    const { context: verdict } = await authorize(authorizerEvent({ 'x-api-key': key }, 'GET /openapi.json'));
    const doc = await call('GET', '/openapi.json', { lambda: verdict });
    expect(doc.statusCode).toBe(200);
    expect(JSON.parse(doc.body!).openapi).toBe('3.1.0');
    const del = await call('DELETE', '/canaryConfig/abc', { lambda: verdict });
    expect(del.statusCode).toBe(403);
    expect(JSON.parse(del.body!).message).toBe('The API key "chain" has scope read; DELETE /canaryConfig/{canaryConfigId} needs admin.');
  });

  it.each(routeEntries.filter(([, r]) => r.access !== 'open'))('%s: 401 without a verdict, 403 too narrow, through with its scope', async (_id, r) => {
    const need = r.access as Scope;
    const body = bodyFor(r).body;
    expect((await call(r.method, concretePath(r), undefined, body)).statusCode).toBe(401);
    for (const scope of narrowerThan(need)) {
      expect((await call(r.method, concretePath(r), lambdaVerdict(scope), body)).statusCode).toBe(403);
      expect((await call(r.method, concretePath(r), jwt(`canaria/${scope}`), body)).statusCode).toBe(403);
    }
    for (const scope of SCOPES.slice(SCOPES.indexOf(need))) {
      expect([401, 403]).not.toContain((await call(r.method, concretePath(r), lambdaVerdict(scope), body)).statusCode);
      expect([401, 403]).not.toContain((await call(r.method, concretePath(r), jwt(`openid canaria/${scope}`), body)).statusCode);
    }
  });

  it('maps JWT scopes (claim or authorizer list) to the widest canaria scope', async () => {
    const config = { ...fixture('seed-canary-config.json'), name: 'jwt-config', applications: ['jwt-app'] };
    const written = await call('POST', '/canaryConfig', jwt('canaria/read canaria/admin'), config);
    expect(written.statusCode, written.body).toBe(200);
    expect((await call('POST', '/canaryConfig', jwt('canaria/read canaria/analyze'), config)).statusCode).toBe(403);
    expect((await call('GET', '/canaryConfig', jwt('', ['canaria/read']))).statusCode).toBe(200);
    expect((await call('GET', '/canaryConfig', jwt('[canaria/read]'))).statusCode).toBe(200);
    const foreign = await call('GET', '/canaryConfig', jwt('openid other/admin admin'));
    expect(foreign.statusCode).toBe(403);
    expect(JSON.parse(foreign.body!).message).toBe(
      'The token of "argo-rollouts" grants no canaria scope (canaria/read, canaria/analyze or canaria/admin); GET /canaryConfig needs read.',
    );
  });

  it('serves the kayenta routes under /k/{secret} without a verdict, and 404s a wrong secret', async () => {
    const ok = await call('GET', `/k/${SECRET}/canaryConfig`);
    expect(ok.statusCode).toBe(200);
    const wrong = await call('GET', `/k/${SECRET.slice(1)}x/canaryConfig`);
    expect(wrong.statusCode).toBe(404);
    expect(JSON.parse(wrong.body!)).toEqual({ message: 'No route for GET /k/…/canaryConfig.' });
    expect((await call('DELETE', `/k/${SECRET}/canaryConfig/abc`)).statusCode).toBe(404);
  });

  it('serves no /k/ route when the stack gives no secret parameter', async () => {
    const noSecret = httpApiHandler(createApp(canaryConfigHandlers(new ConfigStore(storage))), {});
    expect((await noSecret(httpEvent('GET', `/k/${SECRET}/canaryConfig`), context)).statusCode).toBe(404);
  });
});
