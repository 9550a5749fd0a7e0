// The embedded service for tests: its SQLite store in memory, real HTTP on 127.0.0.1.
import { afterAll, beforeAll } from 'vitest';
import { startLocalService, type LocalService, type LocalServiceOptions } from '../../lib/local/service.ts';
import { loadFixture } from './conformance.ts';
import { httpCall, type CallOptions, type Reply } from './http.ts';

export type { CallOptions, Reply };

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
    call: (method: string, path: string, options: CallOptions = {}): Promise<Reply> => httpCall(service.url, method, path, options),
  };
}

export function fixture(name: string): any {
  return loadFixture(name);
}
