// Every HTTP route canaria serves: method, path, what it takes and returns. The router, the
// OpenAPI document and the stack's route list are all checked against this table.
import { z } from 'zod';
import { canaryConfigSchema } from '../config/canary-config.ts';

export const messageSchema = z.object({ message: z.string(), errors: z.array(z.string()).optional() });

export const configSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  updatedTimestamp: z.number().int(),
  updatedTimestampIso: z.string(),
  applications: z.array(z.string()),
});

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  /** Query parameters: name → description (all optional strings). */
  query?: Record<string, string>;
  body?: z.ZodType;
  response: { status: number; description: string; schema?: z.ZodType };
  /** Client error statuses the route can answer. */
  errors: number[];
}

const ignoredAccount = 'Accepted for Kayenta compatibility and ignored: canaria has one configuration store.';

export const ROUTES = {
  listCanaryConfigs: {
    method: 'GET',
    path: '/canaryConfig',
    summary: 'List canary config summaries (the list Argo Rollouts searches by name)',
    query: {
      application: 'Only configs of these applications; repeat the parameter or separate names with commas.',
      configurationAccountName: ignoredAccount,
    },
    response: { status: 200, description: 'Summaries sorted by name', schema: z.array(configSummarySchema) },
    errors: [],
  },
  createCanaryConfig: {
    method: 'POST',
    path: '/canaryConfig',
    summary: 'Store a new canary config',
    query: { configurationAccountName: ignoredAccount },
    body: canaryConfigSchema,
    response: { status: 200, description: 'The id of the stored config', schema: z.object({ canaryConfigId: z.string() }) },
    errors: [400, 413, 415],
  },
  getCanaryConfig: {
    method: 'GET',
    path: '/canaryConfig/{canaryConfigId}',
    summary: 'Fetch one canary config',
    query: { configurationAccountName: ignoredAccount },
    response: { status: 200, description: 'The stored config, with its id and timestamps', schema: canaryConfigSchema },
    errors: [404],
  },
  replaceCanaryConfig: {
    method: 'PUT',
    path: '/canaryConfig/{canaryConfigId}',
    summary: 'Replace a stored canary config',
    query: { configurationAccountName: ignoredAccount },
    body: canaryConfigSchema,
    response: { status: 200, description: 'The id of the replaced config', schema: z.object({ canaryConfigId: z.string() }) },
    errors: [400, 413, 415],
  },
  deleteCanaryConfig: {
    method: 'DELETE',
    path: '/canaryConfig/{canaryConfigId}',
    summary: 'Delete a stored canary config',
    query: { configurationAccountName: ignoredAccount },
    response: { status: 204, description: 'Deleted' },
    errors: [404],
  },
  health: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness',
    response: { status: 200, description: 'The service answers', schema: z.object({ status: z.literal('UP') }) },
    errors: [],
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    response: { status: 200, description: 'OpenAPI 3.1 document' },
    errors: [],
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;
