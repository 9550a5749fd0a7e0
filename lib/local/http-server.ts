// A node:http server in front of an App: the same route logic the Lambdas run.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody, MAX_BODY_BYTES, parseQueryString, type ApiRequest, type ApiResponse } from '../api/http.ts';
import { requestLine } from '../api/request-log.ts';
import type { App } from '../api/router.ts';

/**
 * After refusing a request that is still sending its body (413, 421), the server reads and
 * discards up to this many more bytes of it, so that a client that writes its whole body
 * before reading gets the answer instead of a TCP reset (Tomcat's maxSwallowSize, larger:
 * a 5 MiB body past a 2 MiB drain relied on the kernel's socket buffers and was reset under load).
 */
export const DRAIN_BYTES = 16 * 1024 * 1024;
/** ...waiting at most this long for them. */
export const DRAIN_MILLIS = 5_000;
/**
 * A body that goes on past the drain: the server stops reading, ends its side after the answer
 * and closes this much later (Apache's lingering close), so that the client can read the
 * answer before the reset that closing with unread bytes sends.
 */
export const LINGER_MILLIS = 2_000;

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /**
   * One line per request the server answers itself, without the App: a body over the limit
   * (413), a Host it does not serve (421), a failure outside the App (500). Requests the App
   * answers are the App's to log (see withRequestLog).
   */
  log?: (line: string) => void;
  /** Bytes of a refused request's body read and discarded before closing (default DRAIN_BYTES). */
  drainBytes?: number;
  /** Milliseconds to wait for the rest of a refused request's body (default DRAIN_MILLIS). */
  drainMillis?: number;
  /** Milliseconds between ending the server's side and closing, past the drain (default LINGER_MILLIS). */
  lingerMillis?: number;
}

interface Drain {
  bytes: number;
  millis: number;
  lingerMillis: number;
}

function send(res: ServerResponse, reply: ApiResponse): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

/**
 * Answers `reply` with Connection: close before the request's body has been read, then reads
 * and discards the rest of the body (at most `drain.bytes`, for at most `drain.millis`).
 * Closing with unread bytes would send a reset, and a client still writing its body would get
 * the reset instead of the answer. A body that ends within the drain closes cleanly; one that
 * goes on gets a lingering close. Without `drain` (the client waits for 100 Continue and sends
 * no body) the connection closes at once.
 */
function refuse(req: IncomingMessage, res: ServerResponse, reply: ApiResponse, drain?: Drain): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)), connection: 'close' });
  if (!drain) {
    res.end(reply.body);
    return;
  }
  res.write(reply.body); // on the wire now: the client can read it while it is still sending
  let left = drain.bytes;
  let done = false;
  const finish = (bodyRead: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    if (bodyRead) {
      res.end(); // with Connection: close, Node closes the socket once the answer is flushed
      return;
    }
    // Unread bytes remain (or the client stalls): stop reading, end this side after the
    // answer, and close later; a client that has read the answer closes first.
    const socket = req.socket;
    req.pause();
    socket.end();
    setTimeout(() => socket.destroy(), drain.lingerMillis).unref();
  };
  const onData = (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) finish(false);
  };
  const timer = setTimeout(() => finish(false), drain.millis);
  timer.unref();
  req.on('data', onData);
  req.once('end', () => finish(true));
  req.on('error', () => finish(true)); // the client went away: nothing left to read
  req.once('close', () => finish(true));
  req.resume();
}

type Body = { body: Buffer | undefined } | { tooLarge: true };

/** The request body, or tooLarge (the request paused where it went over `limit`). */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      settle();
      resolve({ body: chunks.length ? Buffer.concat(chunks) : undefined });
    };
    const onError = (err: Error) => {
      settle();
      reject(new ClientGone(err.message));
    };
    const onClose = () => {
      settle();
      reject(new ClientGone('the connection closed before the request body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The client closed or broke the connection while sending: there is no one to answer. */
class ClientGone extends Error {}

/**
 * What node:http cannot parse (a malformed request, headers too large, a request too slow to
 * arrive) gets a JSON answer like every other refusal, instead of node's bare 400.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, lingerMillis: number): void {
  // An answer to an earlier request still being written (as node's own handler checks) would interleave.
  const answering = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive.']
        : [400, 'Bad Request', 'Malformed HTTP request.'];
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), lingerMillis).unref();
}

/** Method and path (no query string) of a raw request, for log lines. */
function describe(req: IncomingMessage): { method: string; path: string } {
  let path = '/';
  try {
    // The secret of the kayenta routes' /k/{secret}/ prefix is never logged.
    path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/k\/[^/]*/, '/k/…');
  } catch {
    // an unparseable target: logged as /
  }
  return { method: (req.method ?? 'GET').toUpperCase(), path };
}

/** The request target as a URL, or undefined if it does not parse as one. */
function targetOf(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function toApiRequest(req: IncomingMessage, url: URL, body: Buffer | undefined): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: parseQueryString(url.search), headers, body };
}

/** Whether `address` (as server.address() gives it) is a loopback address. */
export function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, '');
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/** The host name of a Host header value, lower case, without port or trailing dot; undefined if malformed. */
function hostName(value: string): string | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::\d{0,5})?$/i.exec(value.trim());
  return m ? m[1].toLowerCase().replace(/\.$/, '') : undefined;
}

/**
 * The Host check of a server bound to a loopback address, against DNS rebinding: a web page
 * whose name its owner points at 127.0.0.1 gets its requests here, but with its own name in
 * Host. Only `localhost` and the bound address are answered; a request without Host (HTTP/1.0)
 * is let through: browsers always send one.
 */
export function loopbackHostCheck(boundAddress: string): (host: string | undefined) => string | undefined {
  const literal = boundAddress.includes(':') ? `[${boundAddress.toLowerCase()}]` : boundAddress;
  const allowed = new Set(['localhost', literal]);
  return (host) => {
    if (host === undefined) return undefined;
    const name = hostName(host);
    if (name !== undefined && allowed.has(name)) return undefined;
    const shown = host.length > 100 ? `${host.slice(0, 100)}…` : host;
    return (
      `Host ${JSON.stringify(shown)} is not served here: canaria serve on the loopback address ${boundAddress} ` +
      `answers only Host localhost or ${literal} (a guard against DNS rebinding); to accept other names, serve on a non-loopback --host`
    );
  };
}

export async function startHttpServer(app: App, host: string, port: number, options: HttpServerOptions = {}): Promise<RunningServer> {
  const log = options.log;
  const drain: Drain = { bytes: options.drainBytes ?? DRAIN_BYTES, millis: options.drainMillis ?? DRAIN_MILLIS, lingerMillis: options.lingerMillis ?? LINGER_MILLIS };
  /** Set once listening, if the bound address is loopback: a reason to refuse a Host header. */
  let refusedHost: ((host: string | undefined) => string | undefined) | undefined;

  /** `bodyInvited` false: the client sent Expect: 100-continue and waits before sending its body. */
  const onRequest = (req: IncomingMessage, res: ServerResponse, bodyInvited: boolean) => {
    const began = performance.now();
    let answeredHere = false;
    const logOwn = (status: number) => {
      if (!log) return;
      const { method, path } = describe(req);
      try {
        log(requestLine(method, path, status, performance.now() - began));
      } catch {
        // a failing log never fails the request
      }
    };
    const ownReply = (reply: ApiResponse) => {
      answeredHere = true;
      refuse(req, res, reply, bodyInvited ? drain : undefined);
      logOwn(reply.status);
    };
    const tooLarge = () => errorBody(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);

    if (req.headers.host === undefined && req.httpVersion !== '1.0') return ownReply(errorBody(400, 'Host header is required (HTTP/1.1).'));
    const wrongHost = refusedHost?.(req.headers.host);
    if (wrongHost) return ownReply(errorBody(421, wrongHost));
    const url = targetOf(req);
    if (!url) return ownReply(errorBody(400, 'Malformed request target.'));
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return ownReply(tooLarge());
    if (!bodyInvited) {
      res.writeContinue();
      bodyInvited = true;
    }
    let calledApp = false;
    readBody(req, MAX_BODY_BYTES)
      .then(async (read) => {
        if ('tooLarge' in read) return ownReply(tooLarge());
        calledApp = true;
        send(res, await app(toApiRequest(req, url, read.body)));
      })
      .catch((err) => {
        if (err instanceof ClientGone) return; // nobody to answer
        console.error(err);
        if (!res.headersSent && !answeredHere) {
          send(res, errorBody(500, 'Internal error; the service log has the details.'));
          if (!calledApp) logOwn(500); // an App that throws has logged its own 500
        }
      });
  };

  // requireHostHeader: false, so that a missing Host gets a JSON answer from onRequest.
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => onRequest(req, res, true));
  server.on('checkContinue', (req, res) => onRequest(req, res, false));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, drain.lingerMillis));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  if (isLoopback(address.address)) refusedHost = loopbackHostCheck(address.address);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
