// Request bodies of the canary execution routes.
import { z } from 'zod';
import { canaryConfigSchema } from '../config/canary-config.ts';
import { executionRequestSchema, scopesSchema, thresholdsSchema } from '../config/execution-request.ts';

/** POST /canary/{canaryConfigId}: Kayenta's CanaryExecutionRequest. */
export const startCanaryBodySchema = executionRequestSchema;

/** POST /canary: Kayenta's CanaryAdhocExecutionRequest. */
export const adhocCanaryBodySchema = z.looseObject({ canaryConfig: canaryConfigSchema, executionRequest: executionRequestSchema });

/** POST /v1/judgements (Argo's web provider). */
export const judgementBodySchema = z
  .looseObject({
    application: z.string().min(1),
    canaryConfigName: z.string().optional(),
    canaryConfigId: z.string().optional(),
    canaryConfig: canaryConfigSchema.optional(),
    scopes: scopesSchema,
    thresholds: thresholdsSchema,
    metricsAccountName: z.string().optional(),
    /** Window of scopes without start/end: the last lookbackSeconds. */
    lookbackSeconds: z.number().int().positive().max(7 * 24 * 3600).optional(),
    /** Answer by then, with phase Running if the analysis is not done (default 8, under the web provider's own default of 10; at most 28). */
    timeoutSeconds: z.number().positive().max(28).default(8),
  })
  .refine((b) => [b.canaryConfigName, b.canaryConfigId, b.canaryConfig].filter((x) => x !== undefined).length === 1, {
    error: 'give exactly one of canaryConfigName, canaryConfigId or canaryConfig',
    path: ['canaryConfigName'],
  });
