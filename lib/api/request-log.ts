// Request logging as middleware: one line per request (method, path, status, milliseconds)
// around any App (canaria serve uses it; it needs nothing local). Only the path is logged:
// no query string (its values can hold scope strings), no headers, no body.
import type { App } from './router.ts';

/** Paths longer than this are cut (a line stays short whatever a client sends). */
const MAX_PATH_CHARS = 200;

/** `POST /canary/abc 200 12 ms`: the line for one answered request. */
export function requestLine(method: string, path: string, status: number, ms: number): string {
  const shown = path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
  return `${method} ${shown} ${status} ${Math.max(0, Math.round(ms))} ms`;
}

/**
 * Wraps an App so that every request it answers is logged with `log`. An App that throws
 * (the router answers its own failures, so this is a bug) is logged as 500 and rethrown.
 */
export function withRequestLog(log: (line: string) => void, clock: () => number = () => performance.now()): (app: App) => App {
  return (app) => async (req) => {
    const began = clock();
    let status = 500;
    try {
      const reply = await app(req);
      status = reply.status;
      return reply;
    } finally {
      try {
        log(requestLine(req.method, req.path, status, clock() - began));
      } catch {
        // a failing log never fails the request
      }
    }
  };
}
