// `canaria serve` (npm start) as a process: ready line, data kept across restarts, clean Ctrl-C.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/service.ts';
import { exit, useProcesses } from './serve-process.ts';

const { serve, spawnCanaria } = useProcesses();

describe('canaria serve', () => {
  it('keeps configs across a restart and stops cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'canaria-serve-'));
    const first = await serve(['--data-dir', dataDir]);
    const created = await fetch(`${first.url}/canaryConfig`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fixture('seed-canary-config.json')),
    });
    expect(created.status).toBe(200);
    const { canaryConfigId } = (await created.json()) as { canaryConfigId: string };
    first.proc.kill('SIGINT');
    expect(await exit(first.proc)).toBe(0);
    expect(first.stderr()).toMatch(/^canaria: POST \/canaryConfig 200 \d+ ms\n$/); // nothing but the request line

    const second = await serve(['--data-dir', dataDir]);
    const list = (await (await fetch(`${second.url}/canaryConfig?application=my-app`)).json()) as Array<{ id: string; name: string }>;
    expect(list).toEqual([expect.objectContaining({ id: canaryConfigId, name: 'canary-14' })]);
    const config = (await (await fetch(`${second.url}/canaryConfig/${canaryConfigId}`)).json()) as { name: string };
    expect(config.name).toBe('canary-14');
    second.proc.kill('SIGTERM');
    expect(await exit(second.proc)).toBe(0);
  });

  it('refuses a data directory another serve is using, with one line and exit 2', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'canaria-serve-'));
    const first = await serve(['--data-dir', dataDir]);
    const second = spawnCanaria(['serve', '--port', '0', '--data-dir', dataDir]);
    let err = '';
    second.stderr!.on('data', (d) => (err += d));
    expect(await exit(second)).toBe(2);
    expect(err.trim()).toBe(`canaria serve: data directory ${dataDir} is in use by process ${first.proc.pid}`);
    first.proc.kill('SIGINT');
    expect(await exit(first.proc)).toBe(0);
  });

  it('checks the accounts file before starting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaria-accounts-'));
    const file = join(dir, 'accounts.yaml');
    writeFileSync(file, 'accounts:\n  - {name: prom, type: prometheus, endpoint: not-a-url}\n');
    const proc = spawnCanaria(['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--accounts', file]);
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    expect(await exit(proc)).toBe(2);
    expect(err.trim()).toBe(`canaria serve: ${file}: accounts[0].endpoint: must be an http(s) URL`);

    writeFileSync(file, readFileSync(fileURLToPath(new URL('../../examples/accounts.yaml', import.meta.url))));
    const ok = await serve(['--data-dir', join(dir, 'data'), '--accounts', file]);
    expect(ok.stderr()).toContain('2 metric account(s)');
    ok.proc.kill('SIGINT');
    expect(await exit(ok.proc)).toBe(0);
  });
});
