// One GET of a metric source's HTTP API with node:http(s) on kept-alive connections, reading at
// most a cap of its body. Both choices save CPU, which a 256 MB Lambda has a seventh of a vCPU of:
// - fetch (undici) spent about twice the CPU per request in its web streams: 20 query_range answers
//   of 2.8 KB took 13-18 ms of CPU with fetch and 6 ms with node:http on this machine;
// - answers are asked for uncompressed: inflating costs more than the transfer saves on a LAN or
//   within a region (2.8 KB: 1.5-2.3 ms of CPU with gzip, 0.9-1.1 without; 161 KB: 5.2-7.5
//   against 3.1-4.0). Not signed under SigV4.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Idle kept-alive connections are closed after this (undici's default, as fetch kept them). */
const IDLE_MS = 4000;
const AGENTS: Record<string, HttpAgent> = {
  'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
  'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS }),
};
/** A GET follows redirects, as fetch did, but at most 5 (fetch: 20); a longer chain is answered by its last reply. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface GetOptions {
  /**
   * The request's headers for a URL (credentials, a signature over it). Asked again for a redirect
   * within the origin; a redirect to another origin is sent without them (as fetch drops credentials).
   */
  headers: (url: URL) => Promise<Record<string, string>>;
  /** For the whole GET: connecting, redirects, headers and body. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The most bytes of a body read, by the answer's status. */
  maxBytes: (status: number) => number;
}

/** The answer: its body, or `over` when it is larger than the cap (by its Content-Length, `declared`, or as read). */
export type GetResult = { status: number; over: false; body: Buffer } | { status: number; over: true; declared?: number };

/**
 * A GET that failed: before an answer's headers (`status` undefined) or while its body was read,
 * after `bytesRead` bytes; `timedOut` when the timeout ended it. The network error is the cause.
 */
export class GetFailure extends Error {
  readonly timedOut: boolean;
  readonly status: number | undefined;
  readonly bytesRead: number;
  constructor(timedOut: boolean, status: number | undefined, bytesRead: number, cause?: unknown) {
    super(timedOut ? 'timed out' : 'the connection failed', { cause });
    this.timedOut = timedOut;
    this.status = status;
    this.bytesRead = bytesRead;
  }
}

/**
 * GETs `url`. Rejects with GetFailure for the network and the timeout, with the signal's reason
 * when it aborts, and with a plain Error for what is no network failure: what `headers` throws
 * (before the timeout starts: a slow secret is not a slow server), a header value node:http
 * refuses, a redirect to something else than an http(s) URL.
 */
export async function httpGet(url: URL, options: GetOptions): Promise<GetResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const first = await options.headers(url);
  signal?.throwIfAborted();
  return new Promise<GetResult>((resolve, reject) => {
    let req: ClientRequest | undefined;
    let status: number | undefined;
    let bytesRead = 0;
    let settled = false;
    /** The last answer's body was read to its end: its connection can serve another GET. */
    let complete = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done();
      // Whatever is still open (a body over the cap, an aborted request) goes with its connection.
      if (!complete) req?.destroy();
    };
    const refuse = (err: unknown) => settle(() => reject(err));
    const fail = (timedOut: boolean, cause?: unknown) => settle(() => reject(new GetFailure(timedOut, status, bytesRead, cause)));
    const timer = setTimeout(() => fail(true), options.timeoutMs);
    const onAbort = () => refuse(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const onResponse = (sent: ClientRequest, target: URL, hops: number, credentials: boolean, res: IncomingMessage) => {
      res.on('error', (err) => sent === req && fail(false, err));
      status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location !== undefined && hops < MAX_REDIRECTS) {
        // Drained, not read: its connection goes back to the pool, and what befalls it no longer matters.
        res.resume();
        let next: URL;
        try {
          next = new URL(location, target);
        } catch {
          return refuse(new Error(`HTTP ${status} redirects to '${location}', which is no URL`));
        }
        if (!AGENTS[next.protocol]) return refuse(new Error(`HTTP ${status} redirects to ${next.protocol} ${next.origin}, not http(s)`));
        status = undefined;
        const sameOrigin = credentials && next.origin === url.origin;
        return void (sameOrigin ? options.headers(next) : Promise.resolve({})).then((headers) => send(next, hops + 1, sameOrigin, headers), refuse);
      }
      const cap = options.maxBytes(status);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > cap) return settle(() => resolve({ status: status!, over: true, declared }));
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        bytesRead += chunk.length;
        if (bytesRead > cap) return settle(() => resolve({ status: status!, over: true }));
        chunks.push(chunk);
      });
      res.on('end', () => {
        complete = true;
        const body = decoded(Buffer.concat(chunks, bytesRead), res.headers['content-encoding'], cap);
        settle(() => resolve(body ? { status: status!, over: false, body } : { status: status!, over: true }));
      });
    };

    const send = (target: URL, hops: number, credentials: boolean, headers: Record<string, string>) => {
      if (settled) return;
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let sent: ClientRequest;
      try {
        sent = request(target, { agent: AGENTS[target.protocol], headers: { ...DEFAULT_HEADERS, ...trimmed(headers) } });
      } catch (err) {
        // A header value node:http refuses (a control character): the account's, not the network's.
        return refuse(err);
      }
      req = sent;
      sent.on('error', (err) => sent === req && fail(false, err));
      sent.on('response', (res) => onResponse(sent, target, hops, credentials, res));
      sent.end();
    };
    send(url, 0, true, first);
  });
}

/** Sent with every GET: JSON uncompressed, and who asks. */
const DEFAULT_HEADERS = { accept: 'application/json', 'accept-encoding': 'identity', 'user-agent': 'canaria' };

/** Header values without leading and trailing whitespace, as fetch sends them (a token read from a file ends in a newline). */
function trimmed(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) out[name] = headers[name].replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  return out;
}

/**
 * The body as sent, or inflated when a server compressed it though asked not to (as fetch would
 * have); undefined when inflated it is larger than the cap.
 */
function decoded(body: Buffer, header: string | undefined, cap: number): Buffer | undefined {
  const encoding = header?.trim().toLowerCase();
  if (encoding === undefined || encoding === 'identity' || body.length === 0) return body;
  // Loaded only here: a cold Lambda need not load zlib for answers that are never compressed.
  const zlib = process.getBuiltinModule('node:zlib');
  const inflate =
    encoding === 'gzip' || encoding === 'x-gzip' ? zlib.gunzipSync : encoding === 'deflate' ? zlib.inflateSync : encoding === 'br' ? zlib.brotliDecompressSync : undefined;
  // Anything else (several codings, an unknown one) is handed on as is: the reader says it is no JSON.
  if (!inflate) return body;
  try {
    return inflate(body, { maxOutputLength: Math.max(1, cap) });
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    // Not what it says it is: handed on as is, for the reader to say it is no JSON.
    return body;
  }
}
