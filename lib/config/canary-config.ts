// Kayenta's canary config (judge-spec.md §2–3.2, api-spec.md §1.3, metric-sources-spec.md §1.1,
// §5.1). Unknown fields are kept, as Kayenta's Jackson mapper ignores them.
//
// `canaryConfigSchema` is the shape: Kayenta's configs parse unchanged. `storableCanaryConfigSchema`
// adds what POST/PUT /canaryConfig check (Kayenta's rules plus the run-time failures it finds late).
import { z } from 'zod';

const bool = z.boolean();
const nonEmpty = z.string().min(1);

const effectSize = z.looseObject({
  measure: z.enum(['meanRatio', 'cles']).optional(),
  allowedIncrease: z.number().optional(),
  allowedDecrease: z.number().optional(),
  criticalIncrease: z.number().optional(),
  criticalDecrease: z.number().optional(),
});

export const canaryAnalysisConfigurationSchema = z.looseObject({
  direction: z.enum(['increase', 'decrease', 'either']).optional(),
  nanStrategy: z.enum(['remove', 'replace']).optional(),
  critical: bool.optional(),
  mustHaveData: bool.optional(),
  muted: bool.optional(),
  outliers: z
    .looseObject({
      strategy: z.enum(['remove', 'keep']).optional(),
      outlierFactor: z.number().gt(0, { error: 'must be greater than 0' }).optional(),
    })
    .optional(),
  effectSize: effectSize.optional(),
});

export const prometheusQuerySchema = z.looseObject({
  type: z.literal('prometheus'),
  serviceType: z.string().optional(),
  metricName: z.string().optional(),
  labelBindings: z.array(z.string()).optional(),
  groupByFields: z.array(z.string()).optional(),
  customInlineTemplate: z.string().optional(),
  customFilterTemplate: z.string().optional(),
  resourceType: z.string().optional(),
  customFilter: z
    .unknown()
    .refine((v) => v === undefined || v === null, {
      error: 'is deprecated, use customInlineTemplate instead',
    })
    .optional(),
});

const intOrNumericString = z.union([z.number().int(), z.string().min(1)], { error: 'must be an integer or a string' });

const metricDataQuerySchema = z
  .looseObject({
    id: z.string().regex(/^[a-z][A-Za-z0-9_]{0,254}$/, {
      error: 'must start with a lowercase letter and contain only letters, digits and underscores (at most 255)',
    }),
    expression: z.string().min(1).optional(),
    label: z.string().optional(),
    returnData: bool.optional(),
    period: intOrNumericString.optional(),
    accountId: z.string().optional(),
    metricStat: z
      .looseObject({
        metric: z.looseObject({
          namespace: nonEmpty,
          metricName: nonEmpty,
          dimensions: z
            .array(z.looseObject({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024) }))
            .max(30)
            .optional(),
        }),
        period: intOrNumericString.optional(),
        stat: nonEmpty,
        unit: z.string().optional(),
      })
      .optional(),
  })
  .refine((q) => (q.expression === undefined) !== (q.metricStat === undefined), {
    error: 'needs exactly one of expression or metricStat',
  });

const rejected = (why: string) => z.unknown().refine((v) => v === undefined, { error: why }).optional();

export const cloudWatchQuerySchema = z
  .looseObject({
    type: z.literal('cloudwatch'),
    serviceType: z.string().optional(),
    region: z.string().optional(),
    metricDataQueries: z.array(metricDataQuerySchema).min(1).max(500),
    customInlineTemplate: rejected('is not supported for CloudWatch: template the metricDataQueries fields instead'),
    customFilterTemplate: rejected('is not supported for CloudWatch: template the metricDataQueries fields instead'),
    customFilter: rejected('is not supported for CloudWatch: template the metricDataQueries fields instead'),
  })
  .superRefine((q, ctx) => {
    const seen = new Map<string, number>();
    q.metricDataQueries.forEach((m, i) => {
      const first = seen.get(m.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['metricDataQueries', i, 'id'], message: `duplicate id "${m.id}" (also metricDataQueries[${first}].id)` });
      } else seen.set(m.id, i);
    });
  });

export const QUERY_TYPES = ['prometheus', 'cloudwatch'] as const;

export const metricQuerySchema = z.discriminatedUnion('type', [prometheusQuerySchema, cloudWatchQuerySchema]);

export const canaryMetricConfigSchema = z.looseObject({
  name: nonEmpty,
  query: metricQuerySchema.optional(),
  groups: z.array(z.string()).optional(),
  analysisConfigurations: z.looseObject({ canary: canaryAnalysisConfigurationSchema.optional() }).optional(),
  scopeName: z.string().min(1, { error: 'must not be empty (use "default" for the default scope)' }).optional(),
});

export const canaryClassifierSchema = z.looseObject({
  groupWeights: z.record(z.string(), z.number()).optional(),
  scoreThresholds: z.looseObject({ pass: z.number().optional(), marginal: z.number().optional() }).optional(),
});

export const canaryConfigSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  description: z.string().nullish(),
  // Kayenta's example configs write it as a number; Jackson reads it into a string.
  configVersion: z.union([z.string(), z.number()], { error: 'must be a string' }).nullish(),
  applications: z.array(z.string()).optional(),
  createdTimestamp: z.number().int().optional(),
  updatedTimestamp: z.number().int().optional(),
  createdTimestampIso: z.string().optional(),
  updatedTimestampIso: z.string().optional(),
  judge: z.looseObject({ name: z.string().optional(), judgeConfigurations: z.record(z.string(), z.unknown()).optional() }).optional(),
  metrics: z.array(canaryMetricConfigSchema),
  templates: z.record(z.string(), z.string()).optional(),
  classifier: canaryClassifierSchema.optional(),
});

export type CanaryConfig = z.output<typeof canaryConfigSchema>;
export type CanaryMetricConfig = CanaryConfig['metrics'][number];

/** Config ids travel in URL paths unescaped (Argo does no escaping). */
export const CONFIG_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
const NAME_PATTERN = /^[A-Za-z0-9_,-]+$/; // Kayenta's, ',' included

/** What POST/PUT /canaryConfig accept. */
export const storableCanaryConfigSchema = canaryConfigSchema.superRefine((c, ctx) => {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (c.id !== undefined && !CONFIG_ID_PATTERN.test(c.id)) {
    issue(['id'], 'must be 1 to 128 URL-safe characters: letters, digits, ".", "_", "~" or "-"');
  }
  if (c.name === undefined || c.name === '') issue(['name'], 'Canary config must specify a name.');
  else if (!NAME_PATTERN.test(c.name)) {
    issue(['name'], `Canary config cannot be named '${c.name}'. Names must contain only letters, numbers, dashes (-) and underscores (_).`);
  }
  if (!c.applications || c.applications.length === 0) issue(['applications'], 'Canary config must specify at least one application.');
  else c.applications.forEach((a, i) => a === '' && issue(['applications', i], 'must not be empty'));

  const names = new Map<string, number>();
  c.metrics.forEach((m, i) => {
    const first = names.get(m.name);
    if (first !== undefined) issue(['metrics', i, 'name'], `duplicate metric name "${m.name}" (also metrics[${first}].name)`);
    else names.set(m.name, i);
    if (m.query === undefined) {
      issue(['metrics', i, 'query'], 'is required');
      return;
    }
    if (m.query.type === 'prometheus') {
      const q = m.query;
      if (q.customFilterTemplate !== undefined && q.customInlineTemplate === undefined && !(q.customFilterTemplate in (c.templates ?? {}))) {
        issue(['metrics', i, 'query', 'customFilterTemplate'], `names no entry of templates: "${q.customFilterTemplate}"`);
      }
      const fullQuery = q.customInlineTemplate?.trimStart().startsWith('PromQL:');
      if (!fullQuery && !q.metricName) {
        issue(['metrics', i, 'query', 'metricName'], 'is required unless customInlineTemplate is a full "PromQL:" query');
      }
    }
  });

  const weights = Object.entries(c.classifier?.groupWeights ?? {});
  for (const [group, w] of weights) if (w < 0) issue(['classifier', 'groupWeights', group], 'must not be negative');
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  if (total > 100) issue(['classifier', 'groupWeights'], `weights sum to ${total}; they must not exceed 100`);
});
