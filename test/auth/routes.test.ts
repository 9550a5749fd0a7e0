// Every route of the route table, over real HTTP against canaria serve's service with auth on:
// 401 without a credential or with an unknown one, 403 with a scope too narrow, through with the
// scope the table names (and any wider one). Generated from ROUTES: a new route cannot escape.
import { beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../../lib/auth/scopes.ts';
import type { Reply } from '../support/http.ts';
import { fixture, useLocalService } from '../support/service.ts';
import { bodyFor, concretePath, dataDirWithKeys, narrowerThan, routeEntries } from './support.ts';

let setup: Awaited<ReturnType<typeof dataDirWithKeys>>;
beforeAll(async () => {
  setup = await dataDirWithKeys();
});
const svc = useLocalService(() => ({ dataDir: setup.dataDir, auth: true }));

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function expectChallenge(r: Reply, status: 401 | 403, what: string): void {
  expect(r.status, `${what}: ${r.text}`).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(typeof r.json?.message, what).toBe('string');
  expect(r.headers.get('www-authenticate'), what).toMatch(/^Bearer realm="canaria"/);
}

describe('the route table', () => {
  it('names a scope for every route, and only the console page (no data) and /health are open', () => {
    expect(routeEntries.filter(([, r]) => r.access === 'open').map(([, r]) => `${r.method} ${r.path}`)).toEqual(['GET /', 'GET /health']);
    for (const [id, r] of routeEntries) {
      // A GET never needs more than read; nothing that is not a GET is allowed with read alone;
      // config writes (POST, PUT, DELETE /canaryConfig…) need admin.
      if (r.method === 'GET') expect(['open', 'read'], id).toContain(r.access);
      else expect(['analyze', 'admin'], id).toContain(r.access);
      if (r.path.startsWith('/canaryConfig') && r.method !== 'GET') expect(r.access, id).toBe('admin');
    }
  });
});

describe.each(routeEntries.filter(([, r]) => r.access !== 'open'))('%s', (_id, route) => {
  const path = concretePath(route);
  const need = route.access as Scope;

  it('answers 401 without a credential', async () => {
    const r = await svc.call(route.method, path, bodyFor(route));
    expectChallenge(r, 401, 'no credential');
    expect(r.json.message).toContain(`needs a credential of scope ${need}`);
  });

  it('answers 401 to an unknown key, a revoked-looking key and a non-Bearer Authorization', async () => {
    const unknown = `cnr_0123456789abcdef_${'A'.repeat(43)}`;
    for (const headers of [bearer(unknown), { 'x-api-key': unknown }, bearer('not-a-key'), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }]) {
      const r = await svc.call(route.method, path, { ...bodyFor(route), headers });
      expectChallenge(r, 401, JSON.stringify(headers));
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    // The right id with a wrong secret is no key either.
    const tampered = setup.keys.admin.slice(0, -4) + (setup.keys.admin.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectChallenge(await svc.call(route.method, path, { ...bodyFor(route), headers: bearer(tampered) }), 401, 'tampered key');
  });

  // A read route has no narrower scope to refuse: the test exists only for the others.
  if (need !== 'read') it('answers 403 to a key whose scope is too narrow', async () => {
    for (const scope of narrowerThan(need)) {
      const r = await svc.call(route.method, path, { ...bodyFor(route), headers: bearer(setup.keys[scope]) });
      expectChallenge(r, 403, `scope ${scope}`);
      expect(r.json.message).toBe(`The API key "${scope}" has scope ${scope}; ${route.method} ${route.path} needs ${need}.`);
      expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    }
  });

  it(`lets a key of scope ${need} or wider through, in either header`, async () => {
    for (const scope of SCOPES.slice(SCOPES.indexOf(need))) {
      for (const headers of [bearer(setup.keys[scope]), { 'x-api-key': setup.keys[scope] }]) {
        const r = await svc.call(route.method, path, { ...bodyFor(route), headers });
        expect([401, 403], `${scope} ${Object.keys(headers)[0]}: ${r.status} ${r.text}`).not.toContain(r.status);
        // The route itself answered: not the router's "no route".
        expect(r.status === 404 && String(r.json?.message).startsWith('No route'), r.text).toBe(false);
      }
    }
  });
});

describe('open routes', () => {
  it('/health answers without a credential', async () => {
    const r = await svc.call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'UP' });
  });

  it('an unknown path or method is still the router 404/405, not an auth answer', async () => {
    expect((await svc.call('GET', '/nothing-here')).status).toBe(404);
    expect((await svc.call('PATCH', '/canaryConfig')).status).toBe(405);
  });
});

describe('a route answered with the right scope does its work', () => {
  it('admin writes a config, read lists it, analyze cannot delete it, admin can', async () => {
    const config = { ...fixture('seed-canary-config.json'), name: 'auth-config', applications: ['auth-app'] };
    const created = await svc.call('POST', '/canaryConfig', { body: config, headers: bearer(setup.keys.admin) });
    expect(created.status, created.text).toBe(200);
    const id = created.json.canaryConfigId;
    const list = await svc.call('GET', '/canaryConfig?application=auth-app', { headers: { 'x-api-key': setup.keys.read } });
    expect(list.json.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await svc.call('DELETE', `/canaryConfig/${id}`, { headers: bearer(setup.keys.analyze) })).status).toBe(403);
    expect((await svc.call('DELETE', `/canaryConfig/${id}`, { headers: bearer(setup.keys.admin) })).status).toBe(204);
  });

  it('the OpenAPI document shows each operation\'s scope and the security schemes', async () => {
    const doc = (await svc.call('GET', '/openapi.json', { headers: bearer(setup.keys.read) })).json;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyHeader', 'bearer']);
    for (const [, r] of routeEntries) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      if (r.access === 'open') {
        expect(op.security, r.path).toEqual([]);
        continue;
      }
      expect(op['x-canaria-scope'], r.path).toBe(r.access);
      expect(op.security).toEqual([{ apiKeyHeader: [] }, { bearer: [`canaria/${r.access}`] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.paths['/canary/{canaryConfigId}'].post.description).toContain('/k/{secret}/canary/{canaryConfigId}');
  });
});
