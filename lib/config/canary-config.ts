// Kayenta's canary config (judge-spec.md §2–3.2, api-spec.md §1.3). Unknown fields are kept,
// as Kayenta's Jackson mapper ignores them.
import { z } from 'zod';

const finite = (what = 'a number') => z.number({ error: `must be ${what}` });
const bool = z.boolean({ error: 'must be true or false' });

const effectSize = z.looseObject({
  measure: z.enum(['meanRatio', 'cles'], { error: 'must be "meanRatio" or "cles"' }).optional(),
  allowedIncrease: finite().optional(),
  allowedDecrease: finite().optional(),
  criticalIncrease: finite().optional(),
  criticalDecrease: finite().optional(),
});

export const canaryAnalysisConfigurationSchema = z.looseObject({
  direction: z.enum(['increase', 'decrease', 'either'], { error: 'must be "increase", "decrease" or "either"' }).optional(),
  nanStrategy: z.enum(['remove', 'replace'], { error: 'must be "remove" or "replace"' }).optional(),
  critical: bool.optional(),
  mustHaveData: bool.optional(),
  muted: bool.optional(),
  outliers: z
    .looseObject({
      strategy: z.enum(['remove', 'keep'], { error: 'must be "remove" or "keep"' }).optional(),
      outlierFactor: finite().gt(0, { error: 'must be greater than 0' }).optional(),
    })
    .optional(),
  effectSize: effectSize.optional(),
});

export const canaryMetricConfigSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  query: z.looseObject({}).optional(),
  groups: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of group names' }).optional(),
  analysisConfigurations: z
    .looseObject({ canary: canaryAnalysisConfigurationSchema.optional() })
    .optional(),
  scopeName: z.string({ error: 'must be a string' }).optional(),
});

export const canaryClassifierSchema = z.looseObject({
  groupWeights: z.record(z.string(), finite('a number (the group weight)')).optional(),
});

export const canaryConfigSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string({ error: 'must be a string' }).optional(),
  description: z.string().nullish(),
  configVersion: z.string().nullish(),
  applications: z.array(z.string()).optional(),
  judge: z.looseObject({ name: z.string().optional(), judgeConfigurations: z.record(z.string(), z.unknown()).optional() }).optional(),
  metrics: z.array(canaryMetricConfigSchema, { error: 'must be an array of metric configs' }),
  templates: z.record(z.string(), z.string()).optional(),
  classifier: canaryClassifierSchema.optional(),
});

export type CanaryConfig = z.output<typeof canaryConfigSchema>;
