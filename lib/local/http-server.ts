// A node:http server in front of an App: the same route logic the Lambdas run.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, MAX_BODY_BYTES, parseQueryString, type ApiRequest, type ApiResponse } from '../api/http.ts';
import { requestLine } from '../api/request-log.ts';
import type { App } from '../api/router.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /**
   * One line per request the server answers itself, without the App: a body over the limit
   * (413), a failure outside the App (500). Requests the App answers are the App's to log
   * (see withRequestLog).
   */
  log?: (line: string) => void;
}

function send(res: ServerResponse, reply: ApiResponse, close = false): void {
  res.writeHead(reply.status, { ...reply.headers, ...(close ? { connection: 'close' } : {}) });
  res.end(reply.body);
}

/** Method and path (no query string) of a raw request, for log lines. */
function describe(req: IncomingMessage): { method: string; path: string } {
  let path = '/';
  try {
    path = new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    // an unparseable target: logged as /
  }
  return { method: (req.method ?? 'GET').toUpperCase(), path };
}

/** Answers `req` through the App, or itself through `ownReply` (a body over the limit). */
async function handle(app: App, req: IncomingMessage, res: ServerResponse, ownReply: (reply: ApiResponse) => void): Promise<void> {
  const tooLarge = () => errorBody(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    ownReply(tooLarge());
    req.destroy();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      ownReply(tooLarge());
      req.destroy();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const apiRequest: ApiRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: parseQueryString(url.search),
    headers,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
  };
  send(res, await app(apiRequest));
}

export async function startHttpServer(app: App, host: string, port: number, options: HttpServerOptions = {}): Promise<RunningServer> {
  const log = options.log;
  const server: Server = createServer((req, res) => {
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
      send(res, reply, reply.status === 413);
      logOwn(reply.status);
    };
    let calledApp = false;
    const counted: App = (r) => {
      calledApp = true;
      return app(r);
    };
    handle(counted, req, res, ownReply).catch((err) => {
      console.error(err);
      if (!res.headersSent && !answeredHere) {
        send(res, errorBody(500, 'Internal error; the service log has the details.'));
        if (!calledApp) logOwn(500); // an App that throws has logged its own 500
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
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
