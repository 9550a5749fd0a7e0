// A node:http server in front of an App: the same route logic the Lambdas run.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, MAX_BODY_BYTES, parseQueryString, type ApiRequest, type ApiResponse } from '../api/http.ts';
import type { App } from '../api/router.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, reply: ApiResponse, close = false): void {
  res.writeHead(reply.status, { ...reply.headers, ...(close ? { connection: 'close' } : {}) });
  res.end(reply.body);
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const tooLarge = () => errorBody(413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    send(res, tooLarge(), true);
    req.destroy();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      send(res, tooLarge(), true);
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

export async function startHttpServer(app: App, host: string, port: number): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    handle(app, req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) send(res, errorBody(500, 'Internal error; the service log has the details.'));
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
