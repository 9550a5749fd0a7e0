// Request bodies of the metric routes.
import * as z from 'zod';
import { LIMITS, metricDataQueriesSchema, namedRecord } from '../config/canary-config.ts';
import { accountNamesSchema, scopesSchema } from '../config/execution-request.ts';
import { checkConfigRef, configRefShape } from './canary-schemas.ts';

export const cloudWatchFetchBodySchema = z.looseObject({
  metricDataQueries: metricDataQueriesSchema,
  region: z.string().optional(),
  extendedScopeParams: namedRecord(z.string(), LIMITS.scopes).optional(),
});

export const previewBodySchema = z
  .looseObject({
    ...configRefShape,
    executionRequest: z.looseObject({ scopes: scopesSchema }),
    metricsAccountName: accountNamesSchema.optional(),
    /** false: render the queries only. */
    fetch: z.boolean().default(true),
  })
  .superRefine(checkConfigRef);
