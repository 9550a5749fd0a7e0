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

/** A sequence's planned lifetime when the first look gives none. */
export const DEFAULT_LIFETIME_MINUTES = 60;
/** At most a week. */
const LIFETIME_MAX_MINUTES = 7 * 24 * 60;

/** A repeated-look sequence's key within an application: printable ASCII, as it keys a record. */
const analysisKeySchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,200}$/, { error: 'must be 1 to 200 printable ASCII characters' })
  .meta({
    description:
      'Makes this call one look of a repeated-look sequence (e.g. the rollout name and the canary pod hash): calls with the same application and analysisKey judge the growing window from the first look\'s start to their own end with the canaria-v1 judge, valid at every look. The judgement then carries `sequence` {analysisKey, look, decision, stoppedAtLook}; phase is Failed or Successful once the sequence stops, Running while it continues, Inconclusive at the planned last look; once stopped, later calls repeat the answer.',
  });

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
    /**
     * Makes this call one look of a repeated-look sequence: calls with the same application and
     * analysisKey are looks of one always-valid canaria-v1 sequence over a growing window.
     */
    analysisKey: analysisKeySchema.optional(),
    /** With analysisKey: the sequence's planned lifetime (default 60); the look whose window reaches it is the last. */
    lifetimeMinutes: z
      .number()
      .positive()
      .max(LIFETIME_MAX_MINUTES)
      .optional()
      .meta({ description: `With analysisKey: the planned lifetime of the sequence in minutes (default ${DEFAULT_LIFETIME_MINUTES}, at most ${LIFETIME_MAX_MINUTES}), fixed by its first look; the look whose window end reaches the sequence start + lifetimeMinutes is the last (Inconclusive if nothing was proven). It tunes the sequence, never its validity.` }),
  })
  .superRefine(checkConfigRef)
  .superRefine((b, ctx) => {
    if (b.lifetimeMinutes !== undefined && b.analysisKey === undefined) ctx.addIssue({ code: 'custom', path: ['lifetimeMinutes'], message: 'is only used with analysisKey' });
  });

