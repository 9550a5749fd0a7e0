// The Lambda side: API Gateway HTTP API (payload 2.0) events in, structured results out.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as metaHandler } from '../../functions/http/meta.ts';
import { canaryConfigHandlers } from '../../lib/api/canary-config-api.ts';
import { httpApiHandler, lambdaErrorLog } from '../../lib/api/lambda.ts';
import { rememberSecret } from '../../lib/metrics/known-secrets.ts';
import { createApp } from '../../lib/api/router.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { fixture } from '../support/service.ts';

function event(method: string, rawPath: string, options: { query?: string; body?: string; base64?: boolean; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: options.query ?? '',
    headers: options.headers ?? {},
    isBase64Encoded: options.base64 ?? false,
    body: options.body,
    requestContext: {
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      // The stack's Lambda authorizer let an admin key through (docs/auth.md).
      authorizer: { lambda: { verdict: 'ok', via: 'apiKey', name: 'test', scope: 'admin' } },
    } as unknown as APIGatewayProxyEventV2['requestContext'],
  };
}
const context = {} as Context;

describe('Lambda handlers', () => {
  it('meta answers /health and /openapi.json', async () => {
    const health = await metaHandler(event('GET', '/health'), context);
    expect(health).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"UP"}' });
    const doc = await metaHandler(event('GET', '/openapi.json'), context);
    expect(JSON.parse(doc.body!).openapi).toBe('3.1.0');
    const other = await metaHandler(event('GET', '/canaryConfig'), context);
    expect(other.statusCode).toBe(404);
  });

  describe('configs, on emulated storage', () => {
    let emulators: Emulators;
    let handler: ReturnType<typeof httpApiHandler>;
    beforeAll(async () => {
      emulators = await startEmulators();
      handler = httpApiHandler(createApp(canaryConfigHandlers(new ConfigStore(createStorage(emulators)))));
    });
    afterAll(async () => emulators.stop());

    it('decodes base64 bodies and repeated query parameters', async () => {
      const body = Buffer.from(JSON.stringify({ ...fixture('seed-canary-config.json'), applications: ['lambda-a'] })).toString('base64');
      const created = await handler(event('POST', '/canaryConfig', { body, base64: true, headers: { 'content-type': 'application/json' } }), context);
      expect(created.statusCode, created.body).toBe(200);
      const id = JSON.parse(created.body!).canaryConfigId;
      const list = await handler(event('GET', '/canaryConfig', { query: 'application=nobody&application=lambda-a' }), context);
      expect(JSON.parse(list.body!).map((c: { id: string }) => c.id)).toEqual([id]);
      const bad = await handler(event('POST', '/canaryConfig', { body: '{', headers: { 'content-type': 'application/json' } }), context);
      expect(bad.statusCode).toBe(400);
      expect(JSON.parse(bad.body!).message).toMatch(/^Malformed JSON in request body/);
    });
  });

  it('logs a failing route as one JSON line on stderr, secrets cut out, and answers a bare 500', async () => {
    rememberSecret('pw-9c1e77d2');
    const failing = httpApiHandler(
      createApp(
        {
          listCanaryConfigs: async () => {
            throw new Error('the store refused password pw-9c1e77d2');
          },
        },
        lambdaErrorLog,
      ),
    );
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    let reply;
    try {
      reply = await failing(event('GET', '/canaryConfig'), context);
    } finally {
      process.stderr.write = write;
    }
    expect(reply.statusCode).toBe(500);
    expect(reply.body).not.toContain('pw-9c1e77d2');
    expect(written).toHaveLength(1);
    const line = JSON.parse(written[0]);
    expect(line).toMatchObject({ level: 'ERROR', message: expect.stringMatching(/^GET \/canaryConfig failed: Error: the store refused password \*\*\*/) });
    expect(written[0]).not.toContain('pw-9c1e77d2');
  });
});
