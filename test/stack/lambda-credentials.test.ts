// The credential chain of the Lambda bundles (functions/lambda-credentials.ts, bundled in place
// of @aws-sdk/credential-provider-node by serverless.yml's custom.esbuild.alias): environment
// variables first, then container credentials and instance metadata, as the SDK's chain has
// them; nothing that reads files. And the packaged bundles do hold it instead of the SDK's.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/lambda-credentials.ts';
import { packagedStack, TEST_ACCOUNTS } from './package.ts';
import type { Json } from './template.ts';
import { readZip } from './zip.ts';

const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_EC2_METADATA_DISABLED',
];

describe('the Lambda bundles\' credential chain', () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(VARIABLES.map((k) => [k, process.env[k]]));
    for (const k of VARIABLES) delete process.env[k];
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('takes the role credentials Lambda puts in the environment', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('reads them again once they are within 5 minutes of their expiration', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'first', AWS_SECRET_ACCESS_KEY: 's', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 60_000).toISOString() });
    const provider = defaultProvider();
    expect((await provider()).accessKeyId).toBe('first');
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'second', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 3_600_000).toISOString() });
    await provider(); // the refresh starts
    expect((await provider()).accessKeyId).toBe('second');
  });

  it('refuses a profile with a message, rather than ignoring it', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: 'dev' });
    await expect(defaultProvider()()).rejects.toThrow("profile 'dev' is set (AWS_PROFILE), but the Lambda bundles read no shared config files");
  });

  it('falls back to container credentials, as the SDK does', async () => {
    const server = createServer((req, res) => {
      expect(req.headers.authorization).toBe('container-token');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 'cs', Token: 'ct', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      Object.assign(process.env, {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(server.address() as AddressInfo).port}/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token',
      });
      expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'ASIACONTAINER', secretAccessKey: 'cs', sessionToken: 'ct' });
    } finally {
      server.close();
    }
  });

  it('says so when there are none (instance metadata disabled)', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    await expect(defaultProvider()()).rejects.toThrow('Could not load credentials from the environment, a container or instance metadata');
  });

  it('is what every packaged bundle with an AWS client holds, instead of the SDK\'s chain and the clients it loads', () => {
    const stack = packagedStack(TEST_ACCOUNTS);
    const zips = Object.values<Json>(stack.template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => String(r.Properties.Code.S3Key).split('/').pop()!);
    expect(zips.length).toBeGreaterThan(0);
    let withClients = 0;
    for (const zip of zips) {
      const map = readZip(`${stack.dir}/${zip}`).find((e) => e.name.endsWith('.map'))!;
      const sources: string[] = JSON.parse(map.read().toString('utf8')).sources;
      const sdk = new Set(sources.map((s) => /node_modules\/(@aws-sdk\/[^/]+)\//.exec(s)?.[1]).filter(Boolean));
      const clients = [...sdk].filter((p) => /^@aws-sdk\/client-/.test(p!));
      // meta (health, OpenAPI) calls no AWS service at all.
      expect(sources.some((s) => s.endsWith('functions/lambda-credentials.ts')), zip).toBe(clients.length > 0);
      if (clients.length > 0) withClients++;
      for (const left of ['credential-provider-node', 'credential-provider-ini', 'credential-provider-sso', 'credential-provider-process', 'credential-provider-web-identity', 'credential-provider-login']) {
        expect(sdk.has(`@aws-sdk/${left}`), `${zip} bundles @aws-sdk/${left}`).toBe(false);
      }
    }
    expect(withClients).toBeGreaterThan(0);
  }, 240_000);
});
