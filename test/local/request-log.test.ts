// The request-log middleware and the server's own answers (413, failures outside the App).
import { afterEach, describe, expect, it } from 'vitest';
import { json, type ApiRequest } from '../../lib/api/http.ts';
import { requestLine, withRequestLog } from '../../lib/api/request-log.ts';
import { createApp, type App } from '../../lib/api/router.ts';
import { startHttpServer, type RunningServer } from '../../lib/local/http-server.ts';

const req = (path: string, method = 'GET'): ApiRequest => ({ method, path, query: { scope: ['version="canary"'] }, headers: { authorization: 'Bearer secret' }, body: Buffer.from('{"secret":1}') });

describe('withRequestLog', () => {
  it('logs method, path, status and whole milliseconds; nothing of query, headers or body', async () => {
    const lines: string[] = [];
    let t = 1000;
    const app = withRequestLog((l) => lines.push(l), () => (t += 6.4))(async () => json(201, { ok: true }));
    expect((await app(req('/canaryConfig', 'POST'))).status).toBe(201);
    expect(lines).toEqual(['POST /canaryConfig 201 6 ms']);
  });

  it('logs the router’s 404, 400 and 500 answers', async () => {
    const lines: string[] = [];
    const routes = createApp(
      {
        health: async () => {
          throw new Error('boom');
        },
      },
      () => {},
    );
    const app = withRequestLog((l) => lines.push(l))(routes);
    expect((await app(req('/nowhere'))).status).toBe(404);
    expect((await app(req('/health'))).status).toBe(500);
    expect(lines.map((l) => l.replace(/\d+ ms$/, 'N ms'))).toEqual(['GET /nowhere 404 N ms', 'GET /health 500 N ms']);
  });

  it('logs an App that throws as 500 and rethrows; a failing log fails nothing', async () => {
    const lines: string[] = [];
    const app = withRequestLog((l) => lines.push(l))(async () => {
      throw new Error('bug');
    });
    await expect(app(req('/x'))).rejects.toThrow('bug');
    expect(lines).toEqual([expect.stringMatching(/^GET \/x 500 \d+ ms$/)]);
    const quietFailure = withRequestLog(() => {
      throw new Error('log down');
    })(async () => json(200, {}));
    expect((await quietFailure(req('/x'))).status).toBe(200);
  });

  it('cuts very long paths', () => {
    const line = requestLine('GET', `/canaryConfig/${'a'.repeat(500)}`, 404, 1);
    expect(line.length).toBeLessThan(230);
    expect(line).toMatch(/^GET \/canaryConfig\/a+… 404 1 ms$/);
  });
});

describe('startHttpServer log', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(app: App): Promise<{ url: string; lines: string[] }> {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    server = await startHttpServer(withRequestLog(log)(app), '127.0.0.1', 0, { log });
    return { url: server.url, lines };
  }

  it('logs a body it refuses itself (413), once, without the query string', async () => {
    const { url, lines } = await serve(async () => json(200, {}));
    const r = await fetch(`${url}/canaryConfig?token=secret`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(r.status).toBe(413);
    expect(lines).toEqual([expect.stringMatching(/^POST \/canaryConfig 413 \d+ ms$/)]);
  });

  it('logs a streamed body that grows over the limit (413)', async () => {
    const { url, lines } = await serve(async () => json(200, {}));
    const chunk = new Uint8Array(256 * 1024);
    let sent = 0;
    const body = new ReadableStream({
      pull(c) {
        if (sent++ < 5) c.enqueue(chunk);
        else c.close();
      },
    });
    const r = await fetch(`${url}/canary`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(413);
    expect(lines).toEqual([expect.stringMatching(/^POST \/canary 413 \d+ ms$/)]);
  });

  it('logs an App that throws once, as 500', async () => {
    const { url, lines } = await serve(async () => {
      throw new Error('bug');
    });
    const original = console.error;
    console.error = () => {};
    try {
      expect((await fetch(`${url}/health?x=1`)).status).toBe(500);
    } finally {
      console.error = original;
    }
    expect(lines).toEqual([expect.stringMatching(/^GET \/health 500 \d+ ms$/)]);
  });
});
