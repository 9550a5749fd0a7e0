// The /k/ secret on AWS: an SSM SecureString parameter read through the real SDK client from a
// protocol-level fake of SSM's GetParameter (AWS JSON 1.1), re-read after its TTL.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { httpApiHandler } from '../../lib/api/lambda.ts';
import { metaHandlers } from '../../lib/api/meta-api.ts';
import { createApp } from '../../lib/api/router.ts';
import { ssmSecretSource } from '../../lib/auth/ssm-secret.ts';
import { httpEvent } from './support.ts';

const NAME = '/canaria/test/kayenta-path-secret';
let value: string | undefined = 'first-secret-0123456789';
const asked: Array<{ target: string; body: any }> = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      asked.push({ target: String(req.headers['x-amz-target']), body: JSON.parse(body) });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ParameterNotFound', message: '' }));
        return;
      }
      res.end(JSON.stringify({ Parameter: { Name: NAME, Type: 'SecureString', Value: value, Version: 1 } }));
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

it('reads the parameter decrypted, keeps it for its TTL, then reads it again', async () => {
  let now = 0;
  const secret = ssmSecretSource(NAME, { ttlMs: 300_000, now: () => now, region: 'us-east-1', endpoint });
  expect(await secret()).toBe('first-secret-0123456789');
  expect(asked).toEqual([{ target: 'AmazonSSM.GetParameter', body: { Name: NAME, WithDecryption: true } }]);
  value = 'rotated-secret-0123456789';
  now = 299_999;
  expect(await secret()).toBe('first-secret-0123456789');
  expect(asked.length).toBe(1);
  now = 300_000;
  expect(await secret()).toBe('rotated-secret-0123456789');
  expect(asked.length).toBe(2);
});

it('is an error naming the parameter when it is missing or not a usable secret', async () => {
  value = undefined;
  await expect(ssmSecretSource(NAME, { region: 'us-east-1', endpoint })()).rejects.toThrow(
    `cannot read the kayenta path secret from SSM parameter ${NAME}: ParameterNotFound`,
  );
  value = 'short';
  await expect(ssmSecretSource(NAME, { region: 'us-east-1', endpoint })()).rejects.toThrow(
    `SSM parameter ${NAME} must hold 16 to 128 URL-safe characters (A-Z a-z 0-9 _ -)`,
  );
  value = 'has/a/slash/0123456789';
  await expect(ssmSecretSource(NAME, { region: 'us-east-1', endpoint })()).rejects.toThrow(/must hold 16 to 128 URL-safe/);
});

it('a function that cannot read it answers 500 under /k/ (and logs the parameter), and nothing else changes', async () => {
  value = undefined;
  // The Lambda's error lines: one JSON object each on stderr (lib/api/lambda.ts lambdaErrorLog).
  const logged: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => logged.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const handler = httpApiHandler(createApp(metaHandlers()), { kayentaSecret: ssmSecretSource(NAME, { region: 'us-east-1', endpoint }) });
    const r = await handler(httpEvent('GET', '/k/whatever-it-is-0123/canaryConfig'), {} as Context);
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body!)).toEqual({ message: 'Internal error; the service log has the details.' });
    expect(logged.map((line) => JSON.parse(line).message).join('\n')).toContain(`SSM parameter ${NAME}`);
    expect(logged.join('\n')).not.toContain('whatever-it-is');
    expect((await handler(httpEvent('GET', '/health'), {} as Context)).statusCode).toBe(200);
  } finally {
    process.stderr.write = write;
  }
});
