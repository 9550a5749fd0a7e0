// Property-based: generated hostile requests over every route of the route table, sent over
// real HTTP to the embedded service. Each must get a 4xx with a JSON {message} (a few odd but
// valid inputs to the read-only preview: any answer but a 5xx) — never a 5xx, a hang, a reset
// or a partial write — and afterwards the service still answers /health, lists exactly the
// configs it listed before, and every listed config reads back.
//
// The seed is fixed so that a failure reproduces; CANARIA_PROPERTY_SEED and
// CANARIA_PROPERTY_RUNS override it and the number of inputs.
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_SCHEMAS } from '../../lib/api/route-bodies.ts';
import { ROUTES, type RouteId, type RouteSpec } from '../../lib/api/routes.ts';
import { useLocalService } from '../support/service.ts';
import { EXISTING_APPLICATION, EXISTING_CONFIG_ID, EXISTING_CONFIG_NAME, hostileRequests, validConfig, VALID_BODIES, type Hostile } from './hostile-inputs.ts';

const SEED = Number(process.env.CANARIA_PROPERTY_SEED ?? 20_260_509);
const RUNS = Number(process.env.CANARIA_PROPERTY_RUNS ?? 1000);
/** A request unanswered after this long counts as a hang. */
const HANG_MS = 10_000;

const svc = useLocalService(() => ({
  accounts: [
    { name: 'prom', type: 'prometheus', endpoint: 'http://127.0.0.1:1' },
    { name: 'cw', type: 'cloudwatch', region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' },
  ],
}));

interface Answer {
  status: number;
  contentType?: string;
  text: string;
}

/** One raw HTTP/1.1 request: the path goes out exactly as given (no normalisation). */
function send(base: string, h: Hostile): Promise<Answer> {
  const url = new URL(base);
  const body = h.body === undefined ? undefined : Buffer.from(h.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: h.method,
        path: h.path,
        agent: false,
        headers: { ...h.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        signal: AbortSignal.timeout(HANG_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What is wrong with an answer, or undefined. */
function problem(h: Hostile, a: Answer): string | undefined {
  if (a.status >= 500) return `${a.status}: ${a.text.slice(0, 300)}`;
  if (h.expect === 'refused' && (a.status < 400 || a.status >= 500)) return `not refused: ${a.status} ${a.text.slice(0, 200)}`;
  // An HTML route (the console, a report page) answers 200 with its page; every refusal is JSON.
  const page = (ROUTES[h.route] as RouteSpec).response.contentType;
  if (page && a.status === 200) return a.contentType === `${page}; charset=utf-8` ? undefined : `content-type ${a.contentType} (${a.status}), not ${page}`;
  if (a.contentType !== 'application/json') return `content-type ${a.contentType} (${a.status}): ${a.text.slice(0, 200)}`;
  let json: any;
  try {
    json = JSON.parse(a.text);
  } catch {
    return `not JSON (${a.status}): ${a.text.slice(0, 200)}`;
  }
  if (a.status >= 400 && (typeof json?.message !== 'string' || json.message === '')) return `no {message} (${a.status}): ${a.text.slice(0, 200)}`;
  if (/\n\s+at /.test(a.text)) return `a stack trace (${a.status}): ${a.text.slice(0, 300)}`;
  return undefined;
}

const violations: string[] = [];
const sent: Record<string, number> = {};
const statuses: Record<number, number> = {};
let fiveHundreds = 0;
let before: { configs: unknown; executions: number; existing: unknown };

describe('hostile requests over every route (property-based)', () => {
  beforeAll(async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: { ...validConfig(EXISTING_CONFIG_NAME, EXISTING_APPLICATION), id: EXISTING_CONFIG_ID } });
    expect(stored.status, stored.text).toBe(200);
    before = {
      configs: (await svc.call('GET', '/canaryConfig')).json,
      executions: (await svc.call('GET', '/canary/executions?limit=100')).json.length,
      existing: (await svc.call('GET', `/canaryConfig/${EXISTING_CONFIG_ID}`)).json,
    };
  });

  afterAll(() => {
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    console.log(
      `hostile requests: seed ${SEED}, ${total} inputs sent over ${Object.keys(sent).length} routes, ${fiveHundreds} answered 5xx, ${violations.length} violations; statuses ${JSON.stringify(statuses)}`,
    );
  });

  it('starts from a valid body for every route that takes one (so each 4xx is the hostile change)', () => {
    for (const [route, body] of Object.entries(VALID_BODIES) as Array<[RouteId, () => unknown]>) {
      const schema = BODY_SCHEMAS[(ROUTES[route] as RouteSpec).body!];
      const parsed = schema.safeParse(body());
      expect(parsed.success, `${route}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    const withBody = (Object.keys(ROUTES) as RouteId[]).filter((r) => 'body' in ROUTES[r]);
    expect(Object.keys(VALID_BODIES).sort()).toEqual(withBody.sort());
  });

  it(`refuses ${RUNS} generated hostile inputs with a 4xx and a JSON {message}, never a 5xx, hang or reset`, { timeout: 120_000 }, async () => {
    const arbs = hostileRequests();
    expect(Object.keys(arbs).sort()).toEqual(Object.keys(ROUTES).sort());
    // Routes with bodies have the most to get wrong: they get more of the inputs.
    const weighted = (Object.entries(arbs) as Array<[RouteId, fc.Arbitrary<Hostile>]>).map(([route, arbitrary]) => ({
      arbitrary,
      weight: 'body' in ROUTES[route] ? 8 : ROUTES[route].path.includes('{') || route === 'fetchPrometheus' || route === 'listCanaryExecutions' ? 3 : 1,
    }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(...weighted), async (h) => {
        sent[h.route] = (sent[h.route] ?? 0) + 1;
        let answer: Answer;
        try {
          answer = await send(svc.url(), h);
        } catch (err) {
          violations.push(`${h.method} ${h.path.slice(0, 120)} [${h.what}]: no answer: ${(err as Error).message}`);
          return;
        }
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status >= 500) fiveHundreds++;
        const wrong = problem(h, answer);
        if (wrong) violations.push(`${h.method} ${h.path.slice(0, 120)} [${h.what}]: ${wrong}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(violations.slice(0, 40), `${violations.length} violations (seed ${SEED})`).toEqual([]);
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(500);
    for (const route of Object.keys(ROUTES)) expect(sent[route] ?? 0, route).toBeGreaterThan(0);
  });

  it('still answers /health, and nothing was written: the same configs, each readable, no execution', async () => {
    const health = await svc.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'UP' });
    const configs = (await svc.call('GET', '/canaryConfig')).json;
    expect(configs).toEqual(before.configs);
    for (const c of configs) expect((await svc.call('GET', `/canaryConfig/${c.id}`)).status, c.id).toBe(200);
    expect((await svc.call('GET', `/canaryConfig/${EXISTING_CONFIG_ID}`)).json).toEqual(before.existing);
    expect((await svc.call('GET', '/canary/executions?limit=100')).json.length).toBe(before.executions);
  });
});
