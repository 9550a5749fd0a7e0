// The request bodies of the routes that take one, by the name the route table gives them: for the
// OpenAPI document and the tests. Apart from routes.ts, so that a function serving routes builds
// only the schemas its handlers validate against.
import { canaryConfigSchema } from '../config/canary-config.ts';
import { judgeRequestSchema } from '../config/judge-request.ts';
import { standaloneAdhocSchema, standaloneRequestSchema } from '../config/standalone-request.ts';
import { adhocCanaryBodySchema, judgementBodySchema, startCanaryBodySchema } from './canary-schemas.ts';
import { cloudWatchFetchBodySchema, previewBodySchema } from './metrics-schemas.ts';

export const BODY_SCHEMAS = {
  canaryConfig: canaryConfigSchema,
  cloudWatchFetch: cloudWatchFetchBodySchema,
  preview: previewBodySchema,
  startCanary: startCanaryBodySchema,
  adhocCanary: adhocCanaryBodySchema,
  standaloneRequest: standaloneRequestSchema,
  standaloneAdhoc: standaloneAdhocSchema,
  judgeRequest: judgeRequestSchema,
  judgement: judgementBodySchema,
};

export type BodyName = keyof typeof BODY_SCHEMAS;
