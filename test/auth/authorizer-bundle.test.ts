// The authorizer runs before every request: its bundle must stay small (no route table, no zod,
// no middy), so that a cold start adds little. Bundled here as serverless-esbuild bundles it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('bundles functions/http/authorizer.ts with only the key check, its cache and the DynamoDB store', async () => {
  const entry = fileURLToPath(new URL('../../functions/http/authorizer.ts', import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', target: 'node22', external: ['@aws-sdk/*'], logLevel: 'silent' });
  const inputs = Object.keys(out.metafile.inputs).map((p) => p.replace(/^.*?(?=(lib|functions|node_modules)\/)/, ''));
  expect(inputs.filter((p) => p.startsWith('node_modules/'))).toEqual([]);
  expect(inputs.sort()).toEqual([
    'functions/http/authorizer.ts',
    'lib/api/lambda-authorizer.ts',
    'lib/auth/cache.ts',
    'lib/auth/credentials.ts',
    'lib/auth/dynamo-keys.ts',
    'lib/auth/scopes.ts',
    'lib/auth/verify-key.ts',
    'lib/store/dynamo-record-store.ts',
  ]);
  expect(out.outputFiles[0].contents.length).toBeLessThan(20_000);
});
