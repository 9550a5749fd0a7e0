// canaria serve's own refusals, read by the client: a body over the limit gets its 413, not a
// reset (the server answers with Connection: close, reads and discards the rest of the body up
// to a bound, then closes); a Host other than localhost or the bound address gets a 421.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exit, useProcesses, type Served } from './serve-process.ts';
import { classify, postWhole, rawRequest, tally } from './raw-clients.ts';

const MiB = 1024 * 1024;
const TRIES = 50;
const SIZES = { '1.1 MiB': Math.round(1.1 * MiB), '5 MiB': 5 * MiB };

const { serve } = useProcesses('all');

describe('canaria serve refusals', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve(['--data-dir', join(mkdtempSync(join(tmpdir(), 'canaria-413-')), 'data'), '--quiet']);
  }, 30_000);
  afterAll(async () => {
    s?.proc.kill('SIGINT');
    if (s) await exit(s.proc);
  });

  for (const [label, size] of Object.entries(SIZES)) {
    const body = Buffer.alloc(size, 0x20);
    const host = () => new URL(s.url).host;

    it(`${label}: node:http, body in one write: ${TRIES} of ${TRIES} read a 413 with a JSON message`, async () => {
      const counts = await tally(TRIES, () => postWhole(s.url, '/canaryConfig', body));
      expect(counts, JSON.stringify(counts)).toEqual({ 413: TRIES });
    });

    it(`${label}: raw socket, reading only once the whole body is written: ${TRIES} of ${TRIES} read a 413 with a JSON message`, async () => {
      const head = [`Host: ${host()}`, 'Content-Type: application/json', `Content-Length: ${size}`];
      const counts = await tally(TRIES, () => rawRequest(s.url, { head, body, readAfterWrite: true }));
      expect(counts, JSON.stringify(counts)).toEqual({ 413: TRIES });
    });
  }

  it('refuses a foreign Host with 421 and a JSON message; answers localhost and the bound address', async () => {
    const port = new URL(s.url).port;
    const get = (host: string) => rawRequest(s.url, { method: 'GET', path: '/health', head: [`Host: ${host}`] });
    expect(classify(await get(`evil.example:${port}`))).toBe('421');
    expect(await get(`evil.example:${port}`)).toMatchObject({ body: expect.stringContaining('DNS rebinding') });
    expect(await get(`localhost:${port}`)).toMatchObject({ status: 200, body: expect.stringContaining('UP') });
    expect(await get(`127.0.0.1:${port}`)).toMatchObject({ status: 200 });
  });
});
