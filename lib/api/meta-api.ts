// /health and /openapi.json.
import { json } from './http.ts';
import { openApiDocument } from './openapi.ts';
import type { Handlers } from './router.ts';

export const VERSION = '0.1.0';

export function metaHandlers(): Handlers {
  let document: Record<string, unknown> | undefined;
  return {
    health: async () => json(200, { status: 'UP' }),
    openapi: async () => json(200, (document ??= openApiDocument(VERSION))),
  };
}
