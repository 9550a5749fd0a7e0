// /k/{secret}/: the three routes Argo's kayenta provider calls, without a header, replayed as
// the provider sends them (api-spec.md §2.3: lookup, start, poll) against canaria serve's
// service with auth on. A wrong secret is the router's ordinary 404, and no secret reaches a log.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes.ts';
import { fixture, useLocalService } from '../support/service.ts';
import { concretePath, dataDirWithKeys, routeEntries } from './support.ts';

let setup: Awaited<ReturnType<typeof dataDirWithKeys>>;
beforeAll(async () => {
  setup = await dataDirWithKeys();
});
const logged: string[] = [];
const svc = useLocalService(() => ({
  dataDir: setup.dataDir,
  auth: true,
  requestLog: (line) => logged.push(line),
  // Nothing listens on port 9: the analysis ends terminal in fetch, quickly.
  accounts: [{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:9' }],
  sourceOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, timeoutMs: 1000 },
}));
const argoBody = readFileSync(new URL('../fixtures/argo/kayenta-v1.9.json', import.meta.url), 'utf8');

describe('the kayenta routes under /k/{secret}', () => {
  let configId: string;
  beforeAll(async () => {
    const r = await svc.call('POST', '/canaryConfig', {
      body: { ...fixture('seed-canary-config.json'), name: 'guestbook-golden-signals', applications: ['guestbook'] },
      headers: { authorization: `Bearer ${setup.keys.admin}` },
    });
    expect(r.status, r.text).toBe(200);
    configId = r.json.canaryConfigId;
  });

  it('are exactly the three routes the provider calls', () => {
    expect(routeEntries.filter(([, r]) => r.kayenta).map(([, r]) => `${r.method} ${r.path}`)).toEqual([
      'GET /canaryConfig',
      'POST /canary/{canaryConfigId}',
      'GET /canary/{canaryExecutionId}',
    ]);
  });

  it('serve a whole measurement without any header: lookup, start, poll', async () => {
    const address = `${svc.url()}/k/${setup.secret}`; // what goes in the AnalysisTemplate's `address`
    const lookup = await fetch(`${address}/canaryConfig?application=guestbook&configurationAccountName=canaria`);
    expect(lookup.status).toBe(200);
    const config = ((await lookup.json()) as Array<{ id: string; name: string }>).find((c) => c.name === 'guestbook-golden-signals');
    expect(config?.id).toBe(configId);
    const start = await fetch(`${address}/canary/${configId}?application=guestbook&metricsAccountName=prom&configurationAccountName=canaria&storageAccountName=canaria`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: argoBody,
    });
    expect(start.status, await start.clone().text()).toBe(200);
    const { canaryExecutionId } = (await start.json()) as { canaryExecutionId: string };
    let status: { complete: boolean; status: string } | undefined;
    for (let i = 0; i < 200 && !status?.complete; i++) {
      const poll = await fetch(`${address}/canary/${canaryExecutionId}`);
      expect(poll.status).toBe(200);
      status = (await poll.json()) as typeof status;
      if (!status!.complete) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toMatchObject({ complete: true, status: 'terminal' }); // nothing listens on port 9
    // The same routes without the prefix still need a key.
    expect((await fetch(`${svc.url()}/canary/${canaryExecutionId}`)).status).toBe(401);
  });

  it('answer 404 with a wrong secret, exactly as a path that does not exist', async () => {
    const wrong = setup.secret.slice(0, -1) + (setup.secret.endsWith('A') ? 'B' : 'A');
    for (const secret of [wrong, 'x', setup.secret.toLowerCase() === setup.secret ? 'Z' : setup.secret.toLowerCase(), '%41%42']) {
      const r = await svc.call('GET', `/k/${secret}/canaryConfig?application=guestbook`);
      expect(r.status, secret).toBe(404);
      expect(r.json).toEqual({ message: 'No route for GET /k/…/canaryConfig.' });
      expect(r.headers.get('www-authenticate')).toBeNull();
      const start = await svc.call('POST', `/k/${secret}/canary/${configId}`, { rawBody: argoBody, headers: { 'content-type': 'application/json' } });
      expect(start.status).toBe(404);
    }
  });

  it('serve no other route under the prefix, even with the right secret', async () => {
    for (const [, r] of routeEntries.filter(([, r]) => !r.kayenta)) {
      const reply = await svc.call(r.method, `/k/${setup.secret}${concretePath(r)}`, r.method === 'POST' || r.method === 'PUT' ? { body: {} } : {});
      expect(reply.status, `${r.method} ${r.path}`).toBe(404);
      expect(reply.json.message).toMatch(/^No route for /);
      expect(reply.text).not.toContain(setup.secret);
    }
    // GET /canary/executions is not GET /canary/{canaryExecutionId}: literal segments win.
    expect((await svc.call('GET', `/k/${setup.secret}/canary/executions`)).status).toBe(404);
    expect(ROUTES.getCanaryExecution.kayenta).toBe(true);
  });

  it('never writes the secret to the request log', () => {
    expect(logged.length).toBeGreaterThan(5);
    expect(logged.filter((l) => l.includes(setup.secret))).toEqual([]);
    expect(logged).toContainEqual(expect.stringMatching(/^GET \/canaryConfig 200 \d+ ms$/));
    expect(logged).toContainEqual(expect.stringMatching(/^GET \/k\/…\/canaryConfig 404 \d+ ms$/));
  });
});

describe('without a secret in the store', () => {
  it('/k/… is a 404 whatever the secret', async () => {
    const { startLocalService } = await import('../../lib/local/service.ts');
    const service = await startLocalService({ port: 0, auth: true }); // in memory: no secret
    try {
      const r = await fetch(`${service.url}/k/${'a'.repeat(43)}/canaryConfig`);
      expect(r.status).toBe(404);
    } finally {
      await service.stop();
    }
  });
});
