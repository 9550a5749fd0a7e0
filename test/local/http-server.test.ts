// The local HTTP server's own answers: refusals read by the client (drain, lingering close,
// Expect: 100-continue), clients that go away, and the Host check on loopback.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json } from '../../lib/api/http.ts';
import { withRequestLog } from '../../lib/api/request-log.ts';
import type { App } from '../../lib/api/router.ts';
import { startHttpServer, type HttpServerOptions, type RunningServer } from '../../lib/local/http-server.ts';
import { parseResponse, rawRequest, type Outcome } from './raw-clients.ts';

const MiB = 1024 * 1024;

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An App that echoes the body size; every request line logged into `lines`. */
async function serve(host = '127.0.0.1', options: HttpServerOptions = {}): Promise<{ url: string; port: number; lines: string[] }> {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const app: App = async (req) => json(200, { bytes: req.body?.length ?? 0 });
  server = await startHttpServer(withRequestLog(log)(app), host, 0, { log, ...options });
  return { url: server.url, port: Number(new URL(server.url).port), lines };
}

/** GET `path` with the Host header `host` (node:http sends it as given). */
function getWithHost(url: string, host: string, path = '/health'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { headers: { host }, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

const status = (o: Outcome) => ('error' in o ? o.error : o.status);
const message = (o: Outcome) => ('error' in o ? undefined : (JSON.parse(o.body) as { message?: string }).message);

describe('a refused body', () => {
  it('past the drain bound: the client reads the 413, then the server ends and stops reading', async () => {
    const { url, port, lines } = await serve('127.0.0.1', { drainBytes: 64 * 1024, lingerMillis: 200 });
    const declared = 256 * MiB;
    const result = await new Promise<{ outcome: Outcome; written: number }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let written = 0;
      let closed = false;
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {});
      socket.on('close', () => {
        closed = true;
        resolve({ outcome: parseResponse(Buffer.concat(chunks)), written });
      });
      socket.write(`POST /canaryConfig HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      // Keeps sending, as fast as the socket takes it, until the server closes.
      const pump = () => {
        while (!closed && written < declared) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    expect(status(result.outcome)).toBe(413);
    expect(result.outcome).toMatchObject({ headers: { connection: 'close' } });
    expect(message(result.outcome)).toBe('Request body is larger than 1048576 bytes.');
    expect(result.written).toBeLessThan(declared / 4); // the server stopped reading long before the end
    expect(lines).toEqual([expect.stringMatching(/^POST \/canaryConfig 413 \d+ ms$/)]);
    expect(await getWithHost(url, `127.0.0.1:${port}`)).toMatchObject({ status: 200 });
  });

  it('that stalls: the 413 at once, the connection closed after the drain wait', async () => {
    const { port } = await serve('127.0.0.1', { drainMillis: 200, lingerMillis: 100 });
    const began = performance.now();
    const seen = await new Promise<{ outcome: Outcome; answeredMs: number; closedMs: number }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let answeredMs = -1;
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        answeredMs = performance.now() - began;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve({ outcome: parseResponse(Buffer.concat(chunks)), answeredMs, closedMs: performance.now() - began }));
      socket.write(`POST /canary HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${2 * MiB}\r\n\r\n{"a":`);
    });
    expect(status(seen.outcome)).toBe(413);
    expect(seen.answeredMs).toBeLessThan(150);
    expect(seen.closedMs).toBeGreaterThanOrEqual(190);
    expect(seen.closedMs).toBeLessThan(2_000);
  });

  it('announced with Expect: 100-continue: a 413 instead of 100 Continue, and no body asked for', async () => {
    const { url, port } = await serve();
    const outcome = await rawRequest(url, { head: [`Host: 127.0.0.1:${port}`, 'Content-Type: application/json', `Content-Length: ${2 * MiB}`, 'Expect: 100-continue'] });
    expect(status(outcome)).toBe(413);
    expect(message(outcome)).toMatch(/larger than/);
  });

  it('a small body with Expect: 100-continue gets 100 Continue and the App’s answer', async () => {
    const { port } = await serve();
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let sent = false;
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (!sent && text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
          sent = true;
          socket.end('{"a":1}');
        }
      });
      socket.on('end', () => resolve(text));
      socket.write(`POST /canaryConfig HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nContent-Length: 7\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(raw).toContain('{"bytes":7}');
  });

  it('logs the server\'s own refusals without the /k/{secret}/ prefix\'s secret', async () => {
    const { url, port, lines } = await serve();
    const o = await getWithHost(url, `evil.example:${port}`, '/k/s3cr3t-value/canaryConfig');
    expect(status(o)).toBe(421);
    expect(lines.join('\n')).toContain('/k/…/canaryConfig');
    expect(lines.join('\n')).not.toContain('s3cr3t-value');
  });

  it('a client that goes away mid-body: no answer owed, nothing logged as an error, the server serves on', async () => {
    const { url, port, lines } = await serve();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST /canaryConfig HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      expect(await getWithHost(url, `127.0.0.1:${port}`)).toMatchObject({ status: 200 });
      expect(errors).not.toHaveBeenCalled();
      expect(lines).toEqual([expect.stringMatching(/^GET \/health 200 \d+ ms$/)]);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('requests node:http cannot parse', () => {
  it('get a JSON message too: malformed (400), headers too large (431)', async () => {
    const { url } = await serve('127.0.0.1');
    const port = Number(new URL(url).port);
    const send = (text: string) =>
      new Promise<Outcome>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', () => {});
        socket.on('end', () => socket.destroy());
        socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks))));
        socket.write(text);
      });
    const malformed = await send('GARBAGE\r\n\r\n');
    expect([status(malformed), message(malformed)]).toEqual([400, 'Malformed HTTP request.']);
    const huge = await send(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect([status(huge), message(huge)]).toEqual([431, 'Request headers are too large.']);
    expect(await getWithHost(url, 'localhost')).toMatchObject({ status: 200 });
  });

  it('a request target that is no URL: 400 with a JSON message, logged, no stack trace', async () => {
    const { url, port, lines } = await serve('127.0.0.1');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const o = await rawRequest(url, { method: 'GET', path: 'http://[bad/x', head: [`Host: 127.0.0.1:${port}`] });
      expect([status(o), message(o)]).toEqual([400, 'Malformed request target.']);
      expect(errors).not.toHaveBeenCalled();
      expect(lines).toEqual([expect.stringMatching(/^GET \/ 400 \d+ ms$/)]);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('the Host check (DNS rebinding)', () => {
  it('on 127.0.0.1: answers Host 127.0.0.1 and localhost (any port, any case), refuses other names with 421 and a JSON message', async () => {
    const { url, port, lines } = await serve('127.0.0.1');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `LocalHost:${port}`, `localhost.:${port}`, '127.0.0.1:1']) {
      expect(status(await getWithHost(url, host)), host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, `[::1]:${port}`, '127.0.0.2', `localhost:${port}@evil.example`]) {
      const o = await getWithHost(url, host);
      expect(status(o), host).toBe(421);
      expect(message(o), host).toMatch(/^Host ".*" is not served here: canaria serve on the loopback address 127\.0\.0\.1 answers only Host localhost or 127\.0\.0\.1 \(a guard against DNS rebinding\)/);
    }
    expect(lines.filter((l) => / 421 /.test(l))).toHaveLength(7);
    expect(lines[lines.length - 1]).toMatch(/^GET \/health 421 \d+ ms$/);
  });

  it('refuses before reading a body, and the client still reads the answer', async () => {
    const { url } = await serve('127.0.0.1');
    const body = Buffer.alloc(512 * 1024, 0x20);
    const o = await rawRequest(url, { head: ['Host: evil.example', 'Content-Type: application/json', `Content-Length: ${body.length}`], body });
    expect(status(o)).toBe(421);
    expect(o).toMatchObject({ headers: { connection: 'close' } });
  });

  it('lets an HTTP/1.0 request without Host through (browsers always send one); HTTP/1.1 without Host is a 400', async () => {
    const { url } = await serve('127.0.0.1');
    const send = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(url).port), '127.0.0.1');
        let got = '';
        socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
        socket.on('end', () => {
          socket.destroy();
          resolve(got);
        });
        socket.write(text);
      });
    expect(await send('GET /health HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const o = parseResponse(Buffer.from(await send('GET /health HTTP/1.1\r\n\r\n'), 'latin1'));
    expect(status(o)).toBe(400);
    expect(message(o)).toBe('Host header is required (HTTP/1.1).');
  });

  it('on ::1: answers Host [::1] and localhost, refuses other names', async (ctx) => {
    let served;
    try {
      served = await serve('::1');
    } catch (err) {
      console.warn(`skipped: no IPv6 loopback on this machine (${(err as Error).message})`);
      ctx.skip('no IPv6 loopback on this machine');
    }
    const { url, port } = served!;
    expect(url).toBe(`http://[::1]:${port}`);
    expect(status(await getWithHost(url, `[::1]:${port}`))).toBe(200);
    expect(status(await getWithHost(url, `localhost:${port}`))).toBe(200);
    expect(status(await getWithHost(url, `127.0.0.1:${port}`))).toBe(421);
    expect(status(await getWithHost(url, `evil.example:${port}`))).toBe(421);
  });

  it('is not applied when serving on a non-loopback address', async () => {
    const { port } = await serve('0.0.0.0');
    expect(status(await getWithHost(`http://127.0.0.1:${port}`, `evil.example:${port}`))).toBe(200);
  });
});
