// /openapi.json is generated from the route table and the request schemas.
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes.ts';
import { useLocalService } from '../support/service.ts';

const svc = useLocalService();

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document with exactly the served routes', async () => {
    const r = await svc.call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(Object.values(ROUTES).map((x) => `${x.method} ${x.path}`).sort());
  });

  it('documents every route that is actually served, and nothing that is not', async () => {
    const doc = (await svc.call('GET', '/openapi.json')).json;
    for (const [path, ops] of Object.entries(doc.paths) as Array<[string, any]>) {
      for (const method of Object.keys(ops)) {
        const concrete = path.replace(/\{\w+\}/g, 'some-id');
        const r = await svc.call(method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? {} : { body: {} });
        const unrouted = r.status === 405 || (r.status === 404 && r.json.message.startsWith('No route'));
        expect(unrouted, `${method} ${path}: ${r.text}`).toBe(false);
      }
    }
  });

  it('describes the canary config body from the same schema the API validates with', async () => {
    const doc = (await svc.call('GET', '/openapi.json')).json;
    const body = doc.paths['/canaryConfig'].post.requestBody.content['application/json'].schema;
    expect(body.type).toBe('object');
    expect(body.required).toContain('metrics');
    const canary = body.properties.metrics.items.properties.analysisConfigurations.properties.canary.properties;
    expect(canary.direction.enum).toEqual(['increase', 'decrease', 'either']);
    const query = body.properties.metrics.items.properties.query;
    expect(JSON.stringify(query)).toContain('"const":"cloudwatch"');
    expect(doc.paths['/canaryConfig'].post.responses['400'].content['application/json'].schema.required).toEqual(['message']);
    expect(doc.paths['/canaryConfig'].get.parameters.map((p: any) => p.name)).toEqual(['application', 'configurationAccountName']);
  });
});
