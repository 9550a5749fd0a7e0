// `canaria keys` and `canaria serve --auth` as processes, as a user runs them: create → use →
// list → revoke → 401 against a running serve on the same data directory; the kayenta secret;
// the deployed table (--stage, --table) against dynalite; the warning for an open non-loopback serve.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../lib/auth/api-keys.ts';
import { dynamoRecords } from '../../lib/auth/dynamo-keys.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { canaria } from '../cli/run-canaria.ts';
import { exit, useProcesses } from '../local/serve-process.ts';

const { serve } = useProcesses();
const KEY_LINE = /^cnr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/;

async function get(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, json: (await r.json()) as any };
}

describe('canaria keys on a data directory, with canaria serve --auth running on it', () => {
  it('create → use → list → revoke → 401, while serve runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'canaria-keys-'));
    // A key made before the first start (the directory is created).
    const made = await canaria(['keys', 'create', '--data-dir', dataDir, '--scope', 'read', '--name', 'dashboard']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(KEY_LINE); // the key alone on stdout
    expect(made.stderr).toMatch(/^canaria keys: created "dashboard" \(scope read, cnr_[0-9a-f]{16}_….{4}\); the key is shown only this once\n$/);
    const readKey = made.stdout.trim();

    const served = await serve(['--data-dir', dataDir, '--auth']);
    expect(served.stderr()).toContain(`canaria: auth on: every route but /health needs an API key of ${dataDir}`);
    expect(served.stderr()).not.toContain('warning');
    expect((await get(`${served.url}/canaryConfig`)).status).toBe(401);
    expect((await get(`${served.url}/canaryConfig`, { authorization: `Bearer ${readKey}` })).status).toBe(200);
    expect((await get(`${served.url}/health`)).status).toBe(200);

    // While serve holds the directory: a new key works at once.
    const admin = await canaria(['keys', 'create', '--data-dir', dataDir, '--scope', 'admin', '--name', 'ops']);
    expect(admin.code, admin.stderr).toBe(0);
    const adminKey = admin.stdout.trim();
    const r = await fetch(`${served.url}/canaryConfig/nothing`, { method: 'DELETE', headers: { 'x-api-key': adminKey } });
    expect(r.status).toBe(404); // through auth: the route's own 404
    expect((await fetch(`${served.url}/canaryConfig/nothing`, { method: 'DELETE', headers: { 'x-api-key': readKey } })).status).toBe(403);

    const list = await canaria(['keys', 'list', '--data-dir', dataDir]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SCOPE\s+CREATED\s+KEY$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['dashboard', 'read'],
      ['ops', 'admin'],
    ]);
    expect(lines[1]).toContain(`${readKey.slice(0, 21)}…${readKey.slice(-4)}`);
    expect(list.stdout).not.toContain(readKey);
    expect(list.stdout).not.toContain(adminKey);
    const json = JSON.parse((await canaria(['keys', 'list', '--data-dir', dataDir, '--json'])).stdout);
    expect(json.map((k: { name: string; scope: string }) => [k.name, k.scope])).toEqual([
      ['dashboard', 'read'],
      ['ops', 'admin'],
    ]);

    const revoked = await canaria(['keys', 'revoke', 'dashboard', '--data-dir', dataDir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toBe(`canaria keys: revoked "dashboard" (${readKey.slice(0, 21)}…${readKey.slice(-4)})\n`);
    const refused = await get(`${served.url}/canaryConfig`, { authorization: `Bearer ${readKey}` });
    expect(refused).toEqual({ status: 401, json: { message: 'The API key is unknown or has been revoked.' } });
    expect((await canaria(['keys', 'revoke', 'dashboard', '--data-dir', dataDir])).code).toBe(2);
    expect((await get(`${served.url}/canaryConfig`, { 'x-api-key': adminKey })).status).toBe(200);

    served.proc.kill('SIGINT');
    expect(await exit(served.proc)).toBe(0);
    // The request log never holds a key.
    expect(served.stderr()).not.toContain(readKey.slice(21));
  });

  it('kayenta-secret prints the /k/ secret; --rotate replaces it at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'canaria-keys-'));
    const first = await canaria(['keys', 'kayenta-secret', '--data-dir', dataDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    const secret = first.stdout.trim();
    expect((await canaria(['keys', 'kayenta-secret', '--data-dir', dataDir])).stdout.trim()).toBe(secret);
    const served = await serve(['--data-dir', dataDir, '--auth']);
    expect((await get(`${served.url}/k/${secret}/canaryConfig?application=guestbook`)).status).toBe(200);
    const rotated = await canaria(['keys', 'kayenta-secret', '--rotate', '--data-dir', dataDir]);
    expect(rotated.code).toBe(0);
    const next = rotated.stdout.trim();
    expect(next).not.toBe(secret);
    expect((await get(`${served.url}/k/${secret}/canaryConfig`)).status).toBe(404);
    expect((await get(`${served.url}/k/${next}/canaryConfig`)).status).toBe(200);
    expect(served.stderr()).not.toContain(secret);
    expect(served.stderr()).not.toContain(next);
  });

  it('says what is wrong with exit 2', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'canaria-keys-'));
    const cases: Array<[string[], string]> = [
      [['keys'], 'canaria keys: keys needs an action: create, list, revoke or kayenta-secret (canaria keys --help)\n'],
      [['keys', 'create', '--data-dir', dataDir], 'canaria keys: keys create needs --scope read, analyze or admin\n'],
      [['keys', 'create', '--data-dir', dataDir, '--scope', 'owner'], 'canaria keys: --scope must be read, analyze or admin, not "owner"\n'],
      [['keys', 'create', '--data-dir', dataDir, '--scope', 'read', '--name', 'a b'], 'canaria keys: --name: must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit\n'],
      [['keys', 'list', '--data-dir', join(dataDir, 'none')], `canaria keys: ${join(dataDir, 'none')} holds no canaria store (canaria.db): nothing to list or revoke\n`],
      [['keys', 'revoke', '--data-dir', dataDir], 'canaria keys: keys revoke needs the NAME of a key (canaria keys list shows them)\n'],
      [['keys', 'list', '--stage', 'prod', '--data-dir', dataDir], 'canaria keys: give --stage or --data-dir, not both\n'],
      [['keys', 'list', '--scope', 'read', '--data-dir', dataDir], 'canaria keys: --scope does not go with "keys list"\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await canaria(args);
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code: 2, stderr, stdout: '' });
    }
  });
});

describe('canaria keys --stage / --table: the deployed table (dynalite standing in for DynamoDB)', () => {
  let emulators: Emulators;
  const TABLE = 'canaria-cli-CanariaTable-0A1B2C3D4E5F';
  beforeAll(async () => {
    emulators = await startEmulators({ table: TABLE });
  });
  afterAll(async () => emulators?.stop());
  const env = () => ({ CANARIA_DYNAMODB_ENDPOINT: emulators.dynamoEndpoint });

  it('creates, lists and revokes keys in the table of the stage, which the authorizer then reads', async () => {
    const made = await canaria(['keys', 'create', '--stage', 'cli', '--region', 'us-east-1', '--scope', 'analyze', '--name', 'argo'], { env: env() });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(KEY_LINE);
    const key = made.stdout.trim();
    const table = new ApiKeyStore(dynamoRecords(TABLE, { endpoint: emulators.dynamoEndpoint }));
    expect(await table.verify(key)).toMatchObject({ name: 'argo', scope: 'analyze' });
    const list = await canaria(['keys', 'list', '--table', TABLE, '--json'], { env: env() });
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'argo', scope: 'analyze' })]);
    const revoked = await canaria(['keys', 'revoke', 'argo', '--stage', 'cli'], { env: env() });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain('the deployed authorizer may still accept it for up to its cache time');
    expect(await table.verify(key)).toBeUndefined();
  });

  it('names the table it looked for when the stage has none', async () => {
    const r = await canaria(['keys', 'list', '--stage', 'nope', '--region', 'us-east-1'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "canaria keys: no table canaria-nope-CanariaTable-… in us-east-1: is stage nope deployed there? (--region, or --table NAME from the stack's TableName output)\n",
    );
  });
});

describe('canaria serve on a non-loopback address', () => {
  /** Starts serve with ARGS on a fresh data directory; `stop` ends it with Ctrl-C. */
  const start = async (args: string[]) => {
    const served = await serve(['--data-dir', mkdtempSync(join(tmpdir(), 'canaria-host-')), ...args]);
    return { ...served, stop: () => (served.proc.kill('SIGINT'), exit(served.proc)) };
  };

  it('warns on stderr without --auth, and stays open', async () => {
    const s = await start(['--host', '0.0.0.0']);
    expect(s.stderr()).toContain(
      'canaria: warning: listening on 0.0.0.0 without --auth: anyone who can reach this address can change canary configs and start analyses; start with --auth and API keys (canaria keys create; docs/auth.md)\n',
    );
    expect((await get(`${s.url}/canaryConfig`)).status).toBe(200);
    await s.stop();
  });

  it('does not warn with --auth, and asks for a key', async () => {
    const s = await start(['--host', '0.0.0.0', '--auth']);
    expect(s.stderr()).not.toContain('warning');
    expect((await get(`${s.url}/canaryConfig`)).status).toBe(401);
    await s.stop();
  });

  it('does not warn on loopback without --auth (the default stays open)', async () => {
    const s = await start([]);
    expect(s.stderr()).toBe('');
    expect((await get(`${s.url}/canaryConfig`)).status).toBe(200);
    await s.stop();
  });
});
