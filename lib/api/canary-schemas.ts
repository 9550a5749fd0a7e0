// Request bodies of the canary execution routes.
import * as z from 'zod';
import { applicationSchema, canaryConfigSchema, idSchema, nameText } from '../config/canary-config.ts';
import { accountNamesSchema, executionRequestSchema, judgeOverrideSchema, scopesSchema, thresholdsSchema } from '../config/execution-request.ts';

/** POST /canary/{canaryConfigId}: Kayenta's CanaryExecutionRequest. */
export const startCanaryBodySchema = executionRequestSchema;

/** POST /canary: Kayenta's CanaryAdhocExecutionRequest. */
export const adhocCanaryBodySchema = z.looseObject({ canaryConfig: canaryConfigSchema, executionRequest: executionRequestSchema });

/** A config by value, by id, or by name within an application (preview and /v1/judgements). */
export const configRefShape = {
  application: applicationSchema.optional(),
  canaryConfigName: nameText.min(1).optional(),
  /** Checked against the id pattern before any store sees it. */
  canaryConfigId: idSchema.optional(),
  canaryConfig: canaryConfigSchema.optional(),
};

export function checkConfigRef(b: { application?: string; canaryConfigName?: string; canaryConfigId?: string; canaryConfig?: unknown }, ctx: z.RefinementCtx): void {
  const given = [b.canaryConfigName, b.canaryConfigId, b.canaryConfig].filter((x) => x !== undefined).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', path: ['canaryConfigName'], message: 'give exactly one of canaryConfigName (with application), canaryConfigId or canaryConfig' });
  else if (b.canaryConfigName !== undefined && b.application === undefined) {
    ctx.addIssue({ code: 'custom', path: ['application'], message: 'is required with canaryConfigName (names are unique per application)' });
  }
}

/** POST /v1/judgements (Argo's web provider). */
export const judgementBodySchema = z
  .looseObject({
    ...configRefShape,
    application: applicationSchema,
    scopes: scopesSchema,
    thresholds: thresholdsSchema,
    metricsAccountName: accountNamesSchema.optional(),
    /** Metrics without data (or with fewer than 50 points on a side) make the verdict Inconclusive. */
    strict: z.boolean().optional(),
    /** The judge, instead of canaryConfig.judge.name (GET /judges lists them); also the judge= parameter. */
    judge: judgeOverrideSchema.optional(),
    /** Window of scopes without start/end: the last lookbackSeconds. */
    lookbackSeconds: z.number().int().positive().max(7 * 24 * 3600).optional(),
    /** Answer by then, with phase Running if the analysis is not done (default 8, under the web provider's own default of 10; at most 28). */
    timeoutSeconds: z.number().positive().max(28).default(8),
  })
  .superRefine(checkConfigRef);
