// The embedded service for tests: emulated S3 and DynamoDB on 127.0.0.1 (temp data), real HTTP.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startLocalService, type LocalService, type LocalServiceOptions } from '../../lib/local/service.ts';
import { SHARED_DIR } from './conformance.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is, without JSON encoding. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * Starts one service for the calling suite; `call` talks to it over HTTP. `options` is read
 * when the service starts (after earlier beforeAll hooks, e.g. one starting Prometheus).
 */
export function useLocalService(options: () => Partial<LocalServiceOptions> = () => ({})) {
  let service: LocalService;
  beforeAll(async () => {
    service = await startLocalService({ port: 0, ...options() });
  });
  afterAll(async () => {
    await service?.stop();
  });
  return {
    url: () => service.url,
    async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
      const headers: Record<string, string> = { ...options.headers };
      // As bytes, so that fetch adds no Content-Type of its own.
      let body: string | Buffer | undefined = typeof options.rawBody === 'string' ? Buffer.from(options.rawBody) : options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(service.url + path, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
  };
}

export function fixture(name: string): any {
  return JSON.parse(readFileSync(`${SHARED_DIR}fixtures/${name}`, 'utf8'));
}
