// HTTP clients for the test/local suites that control exactly how a request goes on the wire:
// node:http with the whole body in one write, and a raw socket.
import { request } from 'node:http';
import { connect } from 'node:net';

/** What a client saw: the status and body it read, or the error it got instead. */
export type Outcome = { status: number; headers: Record<string, string>; body: string } | { error: string };

/** "413" for a 413 whose body is JSON with a string `message`; else the status or the error code. */
export function classify(o: Outcome): string {
  if ('error' in o) return o.error;
  try {
    const parsed = JSON.parse(o.body) as { message?: unknown };
    if (typeof parsed.message === 'string') return String(o.status);
  } catch {
    // not JSON
  }
  return `${o.status} without a JSON message`;
}

/** Counts of classify() over `tries` runs of `attempt`, one after the other. */
export async function tally(tries: number, attempt: () => Promise<Outcome>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < tries; i++) {
    const key = classify(await attempt());
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * POST with node:http, the whole body in one write (req.end(body)), as most HTTP libraries
 * send: the response counts if the client read it, whatever the socket does afterwards.
 */
export function postWhole(url: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `response ${err.code ?? err.message}` }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/** Parses one HTTP/1.1 response with a Content-Length body from raw bytes. */
export function parseResponse(raw: Buffer): Outcome {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { error: raw.length === 0 ? 'no response' : 'partial response head' };
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) return { error: `bad status line ${statusLine}` };
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = dechunk(body);
    if (!decoded) return { error: 'partial response body' };
    body = decoded;
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length) return { error: 'partial response body' };
    body = body.subarray(0, length);
  }
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

/** A chunked body decoded, or undefined if it does not end with its last chunk. */
function dechunk(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < eol + 2 + size) return undefined;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export interface RawOptions {
  /** Request head lines after the request line, without the final blank line. */
  head: string[];
  body?: Buffer;
  method?: string;
  path?: string;
  /**
   * Read nothing from the socket until the whole request has been written, as a blocking
   * client does (sendall, then read): an answer the server sent early waits in the kernel, where
   * a reset destroys it.
   */
  readAfterWrite?: boolean;
}

/**
 * A raw socket that writes the request head and the whole body in one write, then half-closes
 * and reads until the server ends its side (then closes, as node:http does). A reset after the
 * response was read still counts as read.
 */
export function rawRequest(url: string, options: RawOptions): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  const body = options.body ?? Buffer.alloc(0);
  const head = `${options.method ?? 'POST'} ${options.path ?? '/canaryConfig'} HTTP/1.1\r\n${options.head.join('\r\n')}\r\n\r\n`;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // onread: a socket that reads into this buffer, and whose pause() stops reading from the kernel.
    const socket = connect({
      port: Number(port),
      host: hostname.replace(/^\[|\]$/g, ''),
      onread: {
        buffer: Buffer.alloc(64 * 1024),
        callback: (n: number, buf: Uint8Array) => {
          chunks.push(Buffer.from(buf.subarray(0, n)));
          return true;
        },
      },
    });
    let error: string | undefined;
    if (options.readAfterWrite) socket.once('connect', () => socket.pause());
    socket.on('end', () => socket.destroy()); // the server has ended its side: done, as node:http is
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
    socket.on('close', () => {
      const outcome = parseResponse(Buffer.concat(chunks));
      resolve('error' in outcome && error ? { error } : outcome);
    });
    socket.cork(); // head and body go out together (one writev)
    socket.write(Buffer.from(head, 'latin1'));
    socket.write(body, (err) => {
      if (!err && options.readAfterWrite) socket.resume();
    });
    socket.end();
  });
}
