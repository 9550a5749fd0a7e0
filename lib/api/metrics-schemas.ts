// Request bodies of the metric routes.
import { z } from 'zod';
import { canaryConfigSchema, cloudWatchQuerySchema } from '../config/canary-config.ts';
import { scopesSchema } from '../config/execution-request.ts';

export const cloudWatchFetchBodySchema = z.looseObject({
  metricDataQueries: cloudWatchQuerySchema.shape.metricDataQueries,
  region: z.string().optional(),
  extendedScopeParams: z.record(z.string(), z.string()).optional(),
});

export const previewBodySchema = z
  .looseObject({
    canaryConfig: canaryConfigSchema.optional(),
    canaryConfigId: z.string().optional(),
    executionRequest: z.looseObject({ scopes: scopesSchema }),
    /** false: render the queries only. */
    fetch: z.boolean().default(true),
  })
  .refine((b) => (b.canaryConfig === undefined) !== (b.canaryConfigId === undefined), {
    error: 'give exactly one of canaryConfig or canaryConfigId',
    path: ['canaryConfig'],
  });
