// Kayenta's /canaryConfig API over real HTTP against the embedded service.
import { describe, expect, it } from 'vitest';
import { fixture, useLocalService } from '../support/service.ts';

const svc = useLocalService();
const seed = () => fixture('seed-canary-config.json');

describe('/canaryConfig', () => {
  it('stores, lists (as Argo reads it), fetches, replaces and deletes the seed config', async () => {
    const created = await svc.call('POST', '/canaryConfig', { body: seed() });
    expect(created.status).toBe(200);
    const id = created.json.canaryConfigId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // Argo: GET /canaryConfig?application=…&configurationAccountName=<its storage account>
    const list = await svc.call('GET', '/canaryConfig?application=my-app&configurationAccountName=whatever-argo-sends');
    expect(list.status).toBe(200);
    const entry = list.json.find((c: any) => c.name === 'canary-14');
    expect(entry).toEqual({
      id,
      name: 'canary-14',
      updatedTimestamp: expect.any(Number),
      updatedTimestampIso: new Date(entry.updatedTimestamp).toISOString(),
      applications: ['my-app'],
    });

    const fetched = await svc.call('GET', `/canaryConfig/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toMatchObject({ ...seed(), id });
    expect(fetched.json.createdTimestampIso).toBe(new Date(fetched.json.createdTimestamp).toISOString());

    const changed = { ...seed(), description: 'tighter error budget' };
    changed.metrics[0].analysisConfigurations.canary.direction = 'either';
    const replaced = await svc.call('PUT', `/canaryConfig/${id}`, { body: changed });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toEqual({ canaryConfigId: id });
    const after = (await svc.call('GET', `/canaryConfig/${id}`)).json;
    expect(after.description).toBe('tighter error budget');
    expect(after.metrics[0].analysisConfigurations.canary.direction).toBe('either');
    expect(after.createdTimestamp).toBe(fetched.json.createdTimestamp);
    expect(after.updatedTimestamp).toBeGreaterThanOrEqual(fetched.json.updatedTimestamp);

    const deleted = await svc.call('DELETE', `/canaryConfig/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await svc.call('GET', `/canaryConfig/${id}`)).status).toBe(404);
    expect((await svc.call('GET', '/canaryConfig?application=my-app')).json.map((c: any) => c.id)).not.toContain(id);
  });

  it('filters the list by application, repeated or comma-separated', async () => {
    const make = async (name: string, applications: string[]) =>
      (await svc.call('POST', '/canaryConfig', { body: { ...seed(), name, applications } })).json.canaryConfigId;
    const a = await make('filter-a', ['app-a']);
    const b = await make('filter-b', ['app-b', 'app-shared']);
    const c = await make('filter-c', ['app-c']);
    const names = async (q: string) => (await svc.call('GET', `/canaryConfig${q}`)).json.map((x: any) => x.name).filter((n: string) => n.startsWith('filter-'));
    expect(await names('?application=app-a')).toEqual(['filter-a']);
    expect(await names('?application=app-a&application=app-shared')).toEqual(['filter-a', 'filter-b']);
    expect(await names('?application=app-c,app-b')).toEqual(['filter-b', 'filter-c']);
    expect(await names('?application=nobody')).toEqual([]);
    expect(await names('')).toEqual(['filter-a', 'filter-b', 'filter-c']);
    for (const id of [a, b, c]) expect((await svc.call('DELETE', `/canaryConfig/${id}`)).status).toBe(204);
  });

  it('keeps names unique per application, and frees a name when its config moves or goes', async () => {
    const first = await svc.call('POST', '/canaryConfig', { body: { ...seed(), name: 'checkout', applications: ['shop'] } });
    expect(first.status).toBe(200);
    const dup = await svc.call('POST', '/canaryConfig', { body: { ...seed(), name: 'checkout', applications: ['other', 'shop'] } });
    expect(dup.status).toBe(400);
    expect(dup.json.message).toBe(`A canary config named 'checkout' already exists in application 'shop' (id '${first.json.canaryConfigId}').`);
    // The failed create reserved nothing: 'other' is still free.
    const elsewhere = await svc.call('POST', '/canaryConfig', { body: { ...seed(), name: 'checkout', applications: ['other'] } });
    expect(elsewhere.status).toBe(200);

    // Renaming the first frees 'checkout' in 'shop'.
    const renamed = await svc.call('PUT', `/canaryConfig/${first.json.canaryConfigId}`, { body: { ...seed(), name: 'checkout-v2', applications: ['shop'] } });
    expect(renamed.status).toBe(200);
    const again = await svc.call('POST', '/canaryConfig', { body: { ...seed(), name: 'checkout', applications: ['shop'] } });
    expect(again.status).toBe(200);
    // A PUT may not take a name another config holds.
    const steal = await svc.call('PUT', `/canaryConfig/${first.json.canaryConfigId}`, { body: { ...seed(), name: 'checkout', applications: ['shop'] } });
    expect(steal.status).toBe(400);
    expect((await svc.call('GET', `/canaryConfig/${first.json.canaryConfigId}`)).json.name).toBe('checkout-v2');

    await svc.call('DELETE', `/canaryConfig/${again.json.canaryConfigId}`);
    const afterDelete = await svc.call('POST', '/canaryConfig', { body: { ...seed(), name: 'checkout', applications: ['shop'] } });
    expect(afterDelete.status).toBe(200);
  });

  it('takes a client-chosen id, and the path id on PUT when the body has none', async () => {
    const body = { ...seed(), id: 'my-config.v1', name: 'chosen-id', applications: ['ids'] };
    expect((await svc.call('POST', '/canaryConfig', { body })).json).toEqual({ canaryConfigId: 'my-config.v1' });
    const again = await svc.call('POST', '/canaryConfig', { body: { ...body, name: 'other-name' } });
    expect(again.status).toBe(400);
    expect(again.json.message).toBe("Canary config 'my-config.v1' already exists.");
    const { id: _omit, ...noId } = body;
    expect((await svc.call('PUT', '/canaryConfig/my-config.v1', { body: { ...noId, description: 'put' } })).status).toBe(200);
    expect((await svc.call('GET', '/canaryConfig/my-config.v1')).json).toMatchObject({ id: 'my-config.v1', description: 'put' });
  });

  it("accepts Kayenta's example configs unchanged (apart from the application Kayenta requires to store them)", async () => {
    for (const name of ['kayenta-integration-test-cpu.json', 'kayenta-muted-metric.json', 'kayenta-prometheus_canary_config.json']) {
      const config = fixture(name);
      const refused = await svc.call('POST', '/canaryConfig', { body: config });
      expect(refused.status, name).toBe(400);
      expect(refused.json.message).toBe('applications: Canary config must specify at least one application.');
      const stored = await svc.call('POST', '/canaryConfig', { body: { ...config, applications: [`examples-${name}`] } });
      expect(stored.status, `${name}: ${stored.text}`).toBe(200);
      const back = (await svc.call('GET', `/canaryConfig/${stored.json.canaryConfigId}`)).json;
      expect(back).toMatchObject(config); // unknown fields (aggregationPeriod, sumByFields) kept
    }
  });

  it('answers /health', async () => {
    const r = await svc.call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'UP' });
  });
});

describe('/canaryConfig and the judges', () => {
  const named = (name: string, judge: Record<string, unknown>) => ({ ...seed(), name, judge });

  it('refuses a config for canaria-v1 that canaria-v1 cannot judge, naming the field, and stores nothing', async () => {
    const config = named('v1-bad', { name: 'canaria-v1' });
    config.metrics[0].analysisConfigurations.canaria = { kind: 'errors' };
    const r = await svc.call('POST', '/canaryConfig', { body: config });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^metrics\[0\]\.analysisConfigurations\.canaria\.denominator: /);
    const list = (await svc.call('GET', '/canaryConfig')).json;
    expect(list.map((c: { name: string }) => c.name)).not.toContain('v1-bad');
    // As a shadow judge too.
    const shadowed = named('v1-bad-shadow', { name: 'NetflixACAJudge-v1.0', judgeConfigurations: { shadowJudges: ['canaria-v1'] } });
    shadowed.metrics[0].analysisConfigurations.canaria = { kind: 'nope' };
    const s = await svc.call('POST', '/canaryConfig', { body: shadowed });
    expect(s.status).toBe(400);
    expect(s.json.message).toMatch(/^metrics\[0\]\.analysisConfigurations\.canaria\.kind: /);
  });

  it('stores a judge name canaria does not run, with a warning (Kayenta may run it)', async () => {
    const r = await svc.call('POST', '/canaryConfig', { body: named('dredd-config', { name: 'dredd-v1.0' }) });
    expect(r.status).toBe(200);
    expect(r.json.warnings).toEqual([
      'judge.name: canaria runs NetflixACAJudge-v1.0 and canaria-v1, not "dredd-v1.0"; an analysis of this config must choose one with judge=',
    ]);
  });
});
