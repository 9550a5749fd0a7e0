// Regressions of issue 9's hostile inputs (items 3, 4, 5 and the numeric parameters of 8):
// ids that would leave the store's key space, names of built-in object properties, over-long
// names, deep nesting, oversized arrays, exploding templates, non-decimal numbers. Each is a
// 4xx naming the field (or works, where the input is valid), never a 5xx or a half-written record.
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../lib/api/http.ts';
import { createApp } from '../../lib/api/router.ts';
import { ROUTES, type RouteId, type RouteSpec } from '../../lib/api/routes.ts';
import { fixture, useLocalService, type CallOptions } from '../support/service.ts';

const svc = useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:1' }] }));

const ID_RULE = 'must be 1 to 128 URL-safe characters: letters, digits, ".", "_", "~" or "-" (not only dots)';
const WINDOW = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };
const pair = () => ({
  controlScope: { scope: 'version="baseline"', ...WINDOW, step: 60 },
  experimentScope: { scope: 'version="canary"', ...WINDOW, step: 60 },
});
const scopes = (...names: string[]) => Object.fromEntries(names.map((n) => [n, pair()]));
const thresholds = { pass: 95, marginal: 75 };
const config = (change: (c: any) => void = () => {}) => {
  const c = fixture('seed-canary-config.json');
  c.name = 'hostile-regression';
  c.applications = ['hostile-regression-app'];
  change(c);
  return c;
};
const json = (rawBody: string): CallOptions => ({ rawBody, headers: { 'content-type': 'application/json' } });

/** Calls, then checks that the listing did not change and every listed config reads back. */
async function callWithoutTrace(method: string, path: string, options: CallOptions = {}) {
  const before = (await svc.call('GET', '/canaryConfig')).json;
  const r = await svc.call(method, path, options);
  expect(r.status, r.text).toBeLessThan(500);
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(r.text).not.toMatch(/\n\s+at /);
  if (method !== 'GET' && r.status >= 400) {
    const after = (await svc.call('GET', '/canaryConfig')).json;
    expect(after).toEqual(before);
    for (const c of after) expect((await svc.call('GET', `/canaryConfig/${c.id}`)).status).toBe(200);
  }
  return r;
}

describe('ids from requests (issue 9, item 3)', () => {
  const HOSTILE_IDS = ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2Fcanary_config%2Fx', 'abc%00', '%00', 'a'.repeat(129), '%C3%A9t%C3%A9', 'a%20b', '..%5Cx'];

  // Kayenta's status for an unknown id: 404, except PUT (400).
  const cases: Array<[RouteId, number, CallOptions]> = [
    ['getCanaryConfig', 404, {}],
    ['deleteCanaryConfig', 404, {}],
    ['replaceCanaryConfig', 400, { body: config() }],
    ['startCanary', 404, { body: { scopes: scopes('default'), thresholds } }],
    ['getCanaryExecution', 404, {}],
    ['getMetricSetList', 404, {}],
    ['getMetricSetPairList', 404, {}],
  ];
  for (const [route, status, options] of cases) {
    const r = ROUTES[route] as RouteSpec;
    const param = Object.keys(r.params!)[0];
    it(`${r.method} ${r.path}: traversal, NUL, over-long and non-ASCII ids are ${status}, naming ${param}`, async () => {
      for (const id of HOSTILE_IDS) {
        const reply = await callWithoutTrace(r.method, r.path.replace(`{${param}}`, id), options);
        expect(reply.status, id).toBe(status);
        expect(reply.json.message, id).toBe(`${param}: ${ID_RULE}`);
      }
    });
  }

  it('POST /canary/{id} with a NUL in the id was a 500; now a 404 like any id that cannot exist', async () => {
    const r = await callWithoutTrace('POST', '/canary/abc%00', { body: { scopes: scopes('default'), thresholds } });
    expect(r.status).toBe(404);
  });

  for (const route of ['/v1/preview', '/v1/judgements']) {
    it(`${route}: canaryConfigId with "../", NUL, over 128 characters or only dots is a 400 naming it`, async () => {
      for (const id of ['../../etc/passwd', '..%2F..%2Fx', 'a\u0000b', 'x'.repeat(129), '..', '', 'a/b']) {
        const body = route === '/v1/preview'
          ? { canaryConfigId: id, executionRequest: { scopes: scopes('default') }, fetch: false }
          : { canaryConfigId: id, application: 'a', scopes: scopes('default'), thresholds };
        const r = await callWithoutTrace('POST', route, { body });
        expect(r.status, JSON.stringify(id)).toBe(400);
        expect(r.json.message, JSON.stringify(id)).toBe(`canaryConfigId: ${ID_RULE}`);
      }
    });
  }

  it('a stored config id of only dots (a path clients normalise away) is refused', async () => {
    const r = await callWithoutTrace('POST', '/canaryConfig', { body: { ...config(), id: '..' } });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe(`id: ${ID_RULE}`);
  });

  it('documents the id pattern of every path parameter in the OpenAPI document', async () => {
    const doc = (await svc.call('GET', '/openapi.json')).json;
    const param = doc.paths['/canaryConfig/{canaryConfigId}'].get.parameters.find((p: any) => p.name === 'canaryConfigId');
    expect(param.schema.pattern).toBe('^(?!\\.+$)[A-Za-z0-9._~-]{1,128}$');
    expect(doc.paths['/canary/{canaryExecutionId}'].get.parameters[0].schema.pattern).toBe(param.schema.pattern);
  });
});

describe('path parameters are checked in one place: the router, from the route table', () => {
  it('every {param} of every route has a schema and the status of an invalid one', () => {
    for (const [id, route] of Object.entries(ROUTES) as Array<[RouteId, RouteSpec]>) {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(Object.keys(route.params ?? {}).sort(), id).toEqual(names.sort());
    }
  });

  it('a handler never sees an invalid id, and sees a valid one as sent', async () => {
    const seen: string[] = [];
    const handlers = Object.fromEntries(
      (Object.keys(ROUTES) as RouteId[]).map((id) => [id, async (_req: ApiRequest, params: Record<string, string>) => {
        seen.push(...Object.values(params));
        return { status: 200, headers: {}, body: '' };
      }]),
    );
    const app = createApp(handlers, () => {});
    for (const route of Object.values(ROUTES) as RouteSpec[]) {
      if (!route.params) continue;
      for (const bad of ['..%2Fx', 'a%00', 'b'.repeat(129), '.', '%2E%2E']) {
        const r = await app({ method: route.method, path: route.path.replace(/\{\w+\}/, bad), query: {}, headers: {} });
        expect([400, 404], `${route.method} ${route.path} ${bad}`).toContain(r.status);
      }
      const ok = await app({ method: route.method, path: route.path.replace(/\{\w+\}/, '01J-ok_id.v2~x'), query: {}, headers: {} });
      expect(ok.status).toBe(200);
    }
    expect(seen.every((id) => id === '01J-ok_id.v2~x')).toBe(true);
    expect(seen.length).toBe(Object.values(ROUTES).filter((r: RouteSpec) => r.params).length);
  });
});

describe('names of built-in object properties (issue 9, item 4)', () => {
  const WORKING = ['toString', 'constructor', 'valueOf', 'hasOwnProperty'];

  for (const name of WORKING) {
    it(`a scope named ${name}: preview renders it, a start runs it, a start without it is a 400 (was a 500)`, async () => {
      const withScope = config((c) => (c.metrics[0].scopeName = name));
      const preview = await callWithoutTrace('POST', '/v1/preview', { body: { canaryConfig: withScope, executionRequest: { scopes: scopes(name) }, fetch: false } });
      expect(preview.status, preview.text).toBe(200);
      expect(preview.json.metrics[0].control.query).toContain('version="baseline"');
      expect(preview.json.metrics[0].problems).toEqual([]);

      const missing = await callWithoutTrace('POST', '/v1/preview', { body: { canaryConfig: withScope, executionRequest: { scopes: scopes('default') }, fetch: false } });
      expect(missing.status).toBe(200);
      expect(missing.json.metrics[0].problems).toEqual([`uses scope '${name}', which the request does not define (it has: default)`]);

      const refused = await callWithoutTrace('POST', '/canary', { body: { canaryConfig: withScope, executionRequest: { scopes: scopes('default'), thresholds } } });
      expect(refused.status).toBe(400);
      expect(refused.json.message).toBe(`Canary metrics require scopes which were not provided in the execution request: [${name}]`);

      const started = await callWithoutTrace('POST', '/canary', { body: { canaryConfig: withScope, executionRequest: { scopes: scopes(name), thresholds } } });
      expect(started.status, started.text).toBe(200);
      expect(started.json.canaryExecutionId).toMatch(/^[0-9A-Z]{26}$/);
    });

    it(`a template named ${name}: stored and rendered when defined, a 400 naming it when not (was a 500)`, async () => {
      const metric = { type: 'prometheus', metricName: 'up', customFilterTemplate: name };
      const undefinedTemplate = await callWithoutTrace('POST', '/canaryConfig', { body: config((c) => ((c.metrics[0].query = metric), (c.templates = {}))) });
      expect(undefinedTemplate.status).toBe(400);
      expect(undefinedTemplate.json.message).toBe(`metrics[0].query.customFilterTemplate: names no entry of templates: "${name}"`);

      const other = config((c) => ((c.metrics[0].query = metric), (c.templates = { other: 'job="x",${scope}' })));
      const preview = await callWithoutTrace('POST', '/v1/preview', { body: { canaryConfig: other, executionRequest: { scopes: scopes('default') }, fetch: false } });
      expect(preview.status).toBe(200);
      expect(preview.json.metrics[0].control.error).toBe(`Custom filter template '${name}' was not found.`);
      const start = await callWithoutTrace('POST', '/canary', { body: { canaryConfig: other, executionRequest: { scopes: scopes('default'), thresholds } } });
      expect(start.status).toBe(400);
      expect(start.json.message).toBe(`metric 'request_error' (control): Custom filter template '${name}' was not found.`);

      const defined = config((c) => ((c.name = `tpl-${name}`), (c.metrics[0].query = metric), (c.templates = { [name]: 'job="x",${scope}' })));
      const stored = await callWithoutTrace('POST', '/canaryConfig', { body: defined });
      expect(stored.status, stored.text).toBe(200);
      const id = stored.json.canaryConfigId;
      const byId = await callWithoutTrace('POST', '/v1/preview', { body: { canaryConfigId: id, executionRequest: { scopes: scopes('default') }, fetch: false } });
      expect(byId.status).toBe(200);
      expect(byId.json.metrics[0].control.query).toBe('avg(up{job="x",version="baseline"})');
      expect((await svc.call('DELETE', `/canaryConfig/${id}`)).status).toBe(204);
    });
  }

  it('a "__proto__" key anywhere in a body is a 400 naming where (zod would drop it silently)', async () => {
    const cases: Array<[string, string, string]> = [
      ['/canaryConfig', JSON.stringify(config()).replace('"templates":{}', '"templates":{"__proto__":"job=\\"x\\""}'), 'templates: "__proto__" is not allowed as a key'],
      ['/canaryConfig', JSON.stringify(config()).replace('"groupWeights":{', '"groupWeights":{"__proto__":{"a":1},'), 'classifier.groupWeights: "__proto__" is not allowed as a key'],
      ['/canary', JSON.stringify({ canaryConfig: config(), executionRequest: { scopes: scopes('default'), thresholds } }).replace('"scopes":{', '"scopes":{"__proto__":{"controlScope":{},"experimentScope":{}},'), 'executionRequest.scopes: "__proto__" is not allowed as a key'],
      ['/judge', '{"__proto__": {"canaryConfig": {}}, "canaryConfig": {"metrics": []}, "metricSetPairList": [], "scoreThresholds": {"pass": 1, "marginal": 0}}', 'request body: "__proto__" is not allowed as a key'],
    ];
    for (const [path, body, message] of cases) {
      const r = await callWithoutTrace('POST', path, json(body));
      expect(r.status, body.slice(0, 80)).toBe(400);
      expect(r.json.message).toBe(message);
    }
  });

  it('a scopeName of "__proto__" is refused when stored: no request could give that scope', async () => {
    const r = await callWithoutTrace('POST', '/canaryConfig', { body: config((c) => (c.metrics[0].scopeName = '__proto__')) });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('metrics[0].scopeName: cannot be "__proto__": no request may name a scope so');
  });

  it('query parameters named like built-in properties are plain parameters (each was a 500 on every route)', async () => {
    const health = await svc.call('GET', '/health?constructor=1&__proto__=2&toString=3&hasOwnProperty=4');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'UP' });
    const list = await svc.call('GET', '/canary/executions?valueOf=1&limit=0x10');
    expect(list.status).toBe(400);
    expect(list.json.message).toBe('limit: must be a whole number from 1 to 100, in decimal digits');
  });
});

describe('limits: lengths, counts, depth and expansion (issue 9, item 5)', () => {
  const post = (path: string, body: unknown) => callWithoutTrace('POST', path, { body });

  it('a 1,100-character name or application is a 400 and leaves no listed config behind (was a 500 and a config that answers 404)', async () => {
    const name = await post('/canaryConfig', config((c) => (c.name = 'n'.repeat(1100))));
    expect(name.status).toBe(400);
    expect(name.json.message).toBe('name: must be at most 255 characters long');
    const application = await post('/canaryConfig', config((c) => (c.applications = ['a'.repeat(1100)])));
    expect(application.status).toBe(400);
    expect(application.json).toEqual({ message: 'applications[0]: must be at most 200 characters long' });
    const control = await post('/canaryConfig', config((c) => (c.applications = ['app\u0000'])));
    expect(control.json.message).toBe('applications[0]: must not contain control characters or unpaired surrogates');
    // The limits themselves are accepted.
    const longest = await post('/canaryConfig', config((c) => ((c.name = 'n'.repeat(255)), (c.applications = ['é'.repeat(200)]))));
    expect(longest.status, longest.text).toBe(200);
    expect((await svc.call('GET', `/canaryConfig/${longest.json.canaryConfigId}`)).json.name).toBe('n'.repeat(255));
    expect((await svc.call('DELETE', `/canaryConfig/${longest.json.canaryConfigId}`)).status).toBe(204);
  });

  it('a 100,000-deep extra field is a 400 naming it (was a stack overflow and a 500); 64 levels are fine', async () => {
    const deep = (n: number, arrays = false) => (arrays ? '['.repeat(n) + ']'.repeat(n) : '{"x":'.repeat(n) + '1' + '}'.repeat(n));
    const withExtra = (extra: string) => JSON.stringify(config()).replace(/^\{/, `{"extra":${extra},`);
    for (const arrays of [false, true]) {
      const r = await callWithoutTrace('POST', '/canaryConfig', json(withExtra(deep(100_000, arrays))));
      expect(r.status).toBe(400);
      expect(r.json.message).toBe(`${arrays ? 'extra[0][0]…' : 'extra.x.x…'}: nests deeper than 64 levels of objects and arrays`);
    }
    const judge = await callWithoutTrace('POST', '/judge', json(deep(100_000)));
    expect(judge.json.message).toBe('x.x.x…: nests deeper than 64 levels of objects and arrays');
    const fits = await callWithoutTrace('POST', '/canaryConfig', json(withExtra(deep(63))));
    expect(fits.status, fits.text).toBe(200);
    expect((await svc.call('DELETE', `/canaryConfig/${fits.json.canaryConfigId}`)).status).toBe(204);
  });

  it('arrays and records over their limits are 400s naming the field', async () => {
    const metric = config().metrics[0];
    const cases: Array<[string, unknown, string]> = [
      ['/canaryConfig', config((c) => (c.metrics = Array.from({ length: 501 }, (_, i) => ({ ...metric, name: `m${i}` })))), 'metrics: must have at most 500 items'],
      ['/canaryConfig', config((c) => (c.applications = Array.from({ length: 101 }, (_, i) => `app${i}`))), 'applications: must have at most 100 items'],
      ['/canaryConfig', config((c) => (c.metrics[0].scopeName = 's'.repeat(256))), 'metrics[0].scopeName: must be at most 255 characters long'],
      ['/canaryConfig', config((c) => (c.templates = { ['t'.repeat(300)]: 'x' })), `templates: key "${'t'.repeat(64)}…" (300 characters): must be at most 255 characters long`],
      ['/canary', { canaryConfig: config(), executionRequest: { scopes: scopes(...Array.from({ length: 101 }, (_, i) => (i === 0 ? 'default' : `s${i}`))), thresholds } }, 'executionRequest.scopes: must have at most 100 scopes'],
      ['/canary', { canaryConfig: config(), executionRequest: { scopes: { default: { ...pair(), controlScope: { ...pair().controlScope, step: 604_801 } } }, thresholds } }, 'executionRequest.scopes.default.controlScope.step: must be at most 604800'],
      ['/judge', { canaryConfig: config(), metricSetPairList: [{ name: 'request_error', values: { control: new Array(100_001).fill(1), experiment: [1] } }], scoreThresholds: thresholds }, 'metricSetPairList[0].values.control: must have at most 100000 items'],
      ['/judge', { canaryConfig: config(), metricSetPairList: Array.from({ length: 10_001 }, () => ({ name: 'request_error', values: { control: [], experiment: [] } })), scoreThresholds: thresholds }, 'metricSetPairList: must have at most 10000 items'],
      ['/v1/judgements', { canaryConfig: config(), application: 'a'.repeat(201), scopes: scopes('default'), thresholds }, 'application: must be at most 200 characters long'],
    ];
    for (const [path, body, message] of cases) {
      const r = await post(path, body);
      expect(r.status, message).toBe(400);
      expect(r.json.message).toBe(message);
    }
  });

  it('the judge still takes 100,000 points a side', async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => i % 7);
    const r = await post('/judge', { canaryConfig: config(), metricSetPairList: [{ name: 'request_error', values: { control: values, experiment: values } }], scoreThresholds: thresholds });
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    expect(r.json.score.classification).toBe('Pass');
  });

  it('a template that doubles through 30 scope parameters is a 400 within a second, and the service keeps answering (it ran out of memory)', async () => {
    const params = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, i === 29 ? 'x' : `\${l${i + 1}}\${l${i + 1}}`]));
    const scope = { ...pair().controlScope, scope: '${l0}', extendedScopeParams: params };
    const began = Date.now();
    const r = await post('/canary', { canaryConfig: config(), executionRequest: { scopes: { default: { controlScope: scope, experimentScope: scope } }, thresholds } });
    expect(Date.now() - began).toBeLessThan(1000);
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^metric 'request_error' \(control\): Problem evaluating custom filter template: .*\(the expansion exceeds 100000 characters \(while expanding scope->l0->/);
    expect((await svc.call('GET', '/health')).status).toBe(200);
  });

  it('values that refer to each other 2^45 times over, all empty, are expanded once each: an answer within a second', async () => {
    const params = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`l${i}`, i === 45 ? '' : `\${l${i + 1}}\${l${i + 1}}`]));
    const side = (version: string) => ({ ...pair().controlScope, scope: `version="${version}"\${l0}`, extendedScopeParams: params });
    const began = Date.now();
    const r = await post('/v1/preview', { canaryConfig: config(), executionRequest: { scopes: { default: { controlScope: side('baseline'), experimentScope: side('canary') } } }, fetch: false });
    expect(Date.now() - began).toBeLessThan(1000);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.json.metrics[0].control.query).toContain('version="baseline"');
  });

  it('an idempotency key or an application in the query over its limit is a 400 naming it', async () => {
    const body = { canaryConfig: config(), executionRequest: { scopes: scopes('default'), thresholds } };
    const header = await callWithoutTrace('POST', '/canary', { body, headers: { 'idempotency-key': 'k'.repeat(256) } });
    expect(header.status).toBe(400);
    expect(header.json.message).toBe('Idempotency-Key: must be 1 to 255 printable ASCII characters');
    const param = await callWithoutTrace('POST', `/canary?idempotencyKey=${'k'.repeat(300)}`, { body });
    expect(param.json.message).toBe('idempotencyKey: must be 1 to 255 printable ASCII characters');
    const application = await callWithoutTrace('POST', `/canary?application=${'a'.repeat(1100)}`, { body });
    expect(application.status).toBe(400);
    expect(application.json.message).toBe('application: must be at most 200 characters long');
    expect((await svc.call('GET', '/canary/executions?limit=100')).json.filter((e: any) => e.application.length > 200)).toEqual([]);
  });

  it('the OpenAPI document carries the limits of the schemas', async () => {
    const doc = (await svc.call('GET', '/openapi.json')).json;
    const body = doc.paths['/canaryConfig'].post.requestBody.content['application/json'].schema;
    expect(body.properties.name.maxLength).toBe(255);
    expect(body.properties.metrics.maxItems).toBe(500);
    expect(body.properties.applications.maxItems).toBe(100);
    expect(body.properties.applications.items.maxLength).toBe(200);
    expect(body.properties.templates.maxProperties).toBe(500);
    const judge = doc.paths['/judge'].post.requestBody.content['application/json'].schema;
    expect(judge.properties.metricSetPairList.maxItems).toBe(10_000);
    expect(judge.properties.metricSetPairList.items.properties.values.properties.control.maxItems).toBe(100_000);
  });
});

describe('numeric query parameters: decimal digits only (issue 9, item 8)', () => {
  for (const value of ['0x10', '1e1', ' 5', '5 ', '+5', '-1', '1.5', '0', '101', '９', '99999999999999999999']) {
    it(`limit=${JSON.stringify(value)} is a 400 naming limit`, async () => {
      const r = await callWithoutTrace('GET', `/canary/executions?limit=${encodeURIComponent(value)}`);
      expect(r.status).toBe(400);
      expect(r.json.message).toBe('limit: must be a whole number from 1 to 100, in decimal digits');
    });
  }

  it('page likewise; decimal limits and pages are answered', async () => {
    const page = await callWithoutTrace('GET', '/canary/executions?page=0x1');
    expect(page.json.message).toBe('page: must be a whole number from 1 to 1000000, in decimal digits');
    expect((await svc.call('GET', '/canary/executions?limit=16&page=2')).status).toBe(200);
    expect((await svc.call('GET', '/canary/executions?limit=')).status).toBe(200); // empty: the default, as Spring binds it
  });

  it('step of the fetch routes: decimal seconds up to a week', async () => {
    const prom = (step: string) => `/fetch/prometheus/query?metricSetName=x&metricName=up&customFilter=${encodeURIComponent('job="x",${scope}')}&scope=${encodeURIComponent('version="a"')}&dryRun=true&step=${encodeURIComponent(step)}`;
    for (const step of ['0x10', '1e1', ' 5', '+5']) {
      const r = await callWithoutTrace('POST', prom(step));
      expect(r.status, step).toBe(400);
      expect(r.json.message).toBe('step: must be a whole number of seconds above 0');
    }
    const huge = await callWithoutTrace('POST', prom('9'.repeat(400)));
    expect(huge.json.message).toBe('step: must be at most 604800 seconds');
    expect((await svc.call('POST', prom('60'))).status).toBe(200);
    const start = await callWithoutTrace('POST', prom('60').replace('dryRun=true', 'dryRun=false') + '&start=1&end=2');
    expect(start.status).toBe(400);
    expect(start.json.message).toBe('start: must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z');
  });
});
