// Kayenta's canary config (judge-spec.md §2–3.2, api-spec.md §1.3, metric-sources-spec.md §1.1,
// §5.1). Unknown fields are kept, as Kayenta's Jackson mapper ignores them.
//
// `canaryConfigSchema` is the shape: Kayenta's configs parse unchanged. `storableCanaryConfigSchema`
// adds what POST/PUT /canaryConfig check (Kayenta's rules plus the run-time failures it finds late).
//
// The config's schemas are built on their first use, not at import: building them is ~10 ms of a
// cold start (bench:coldstart, configs 155 -> 146 ms), which every function importing this module
// would pay, parse or not (the configs function's GET and DELETE never do).
import * as z from 'zod';
import { LIMITS, namedRecord, nameText } from './limits.ts';

// Where every schema module has long found them.
export { LIMITS, namedRecord, nameText };

/**
 * Every id a request names (canary configs, executions, metric set lists and pair lists): ids
 * travel in URL paths unescaped (Argo does no escaping) and key the stores, so only URL-safe
 * characters, never a path separator, never only dots (a client would normalise such a path
 * segment away). Path parameters (routes.ts) and body fields are checked against this pattern.
 */
export const ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._~-]{1,128}$/;
export const ID_RULE = 'must be 1 to 128 URL-safe characters: letters, digits, ".", "_", "~" or "-" (not only dots)';
export const idSchema = z.string().regex(ID_PATTERN, { error: ID_RULE });

/** No control characters and no unpaired surrogates: text that stays itself in JSON, URLs and keys. */
const printable = (s: string) => !/[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const APPLICATION_TEXT_RULE = 'must not contain control characters or unpaired surrogates';
/** An application name: 1 to LIMITS.application printable characters. */
export const applicationSchema = z.string().min(1).max(LIMITS.application).refine(printable, { error: APPLICATION_TEXT_RULE });

export const QUERY_TYPES = ['prometheus', 'cloudwatch'] as const;

function build() {
  const bool = z.boolean();
  const nonEmpty = z.string().min(1).max(LIMITS.name);

  const effectSize = z.looseObject({
    measure: z.enum(['meanRatio', 'cles']).optional(),
    allowedIncrease: z.number().optional(),
    allowedDecrease: z.number().optional(),
    criticalIncrease: z.number().optional(),
    criticalDecrease: z.number().optional(),
  });

  const canaryAnalysisConfigurationSchema = z.looseObject({
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

  const prometheusQuerySchema = z.looseObject({
    type: z.literal('prometheus'),
    serviceType: z.string().optional(),
    metricName: z.string().optional(),
    labelBindings: z.array(z.string()).max(LIMITS.entries).optional(),
    groupByFields: z.array(z.string()).max(LIMITS.entries).optional(),
    customInlineTemplate: z.string().optional(),
    customFilterTemplate: nameText.optional(),
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

  const cloudWatchQuerySchema = z
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

  const metricQuerySchema = z.discriminatedUnion('type', [prometheusQuerySchema, cloudWatchQuerySchema]);

  const canaryMetricConfigSchema = z.looseObject({
    name: nonEmpty,
    query: metricQuerySchema.optional(),
    groups: z.array(nameText).max(LIMITS.entries).optional(),
    analysisConfigurations: z.looseObject({ canary: canaryAnalysisConfigurationSchema.optional() }).optional(),
    scopeName: z
      .string()
      .min(1, { error: 'must not be empty (use "default" for the default scope)' })
      .max(LIMITS.name)
      // A request body may not hold a "__proto__" key (http.ts), so no scopes could name it.
      .refine((s) => s !== '__proto__', { error: 'cannot be "__proto__": no request may name a scope so' })
      .optional(),
  });

  const canaryClassifierSchema = z.looseObject({
    groupWeights: namedRecord(z.number()).optional(),
    scoreThresholds: z.looseObject({ pass: z.number().optional(), marginal: z.number().optional() }).optional(),
  });

  const canaryConfigSchema = z.looseObject({
    id: z.string().max(128).optional(),
    name: nameText.optional(),
    description: z.string().nullish(),
    // Kayenta's example configs write it as a number; Jackson reads it into a string.
    configVersion: z.union([z.string(), z.number()], { error: 'must be a string' }).nullish(),
    applications: z.array(z.string().max(LIMITS.application)).max(LIMITS.applications).optional(),
    createdTimestamp: z.number().int().optional(),
    updatedTimestamp: z.number().int().optional(),
    createdTimestampIso: z.string().optional(),
    updatedTimestampIso: z.string().optional(),
    judge: z.looseObject({ name: z.string().optional(), judgeConfigurations: z.record(z.string(), z.unknown()).optional() }).optional(),
    metrics: z.array(canaryMetricConfigSchema).max(LIMITS.metrics),
    templates: namedRecord(z.string()).optional(),
    classifier: canaryClassifierSchema.optional(),
  });

  const NAME_PATTERN = /^[A-Za-z0-9_,-]+$/; // Kayenta's, ',' included

  const storableCanaryConfigSchema = canaryConfigSchema.superRefine((c, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.id !== undefined && !ID_PATTERN.test(c.id)) issue(['id'], ID_RULE);
    if (c.name === undefined || c.name === '') issue(['name'], 'Canary config must specify a name.');
    else if (!NAME_PATTERN.test(c.name)) {
      issue(['name'], `Canary config cannot be named '${c.name}'. Names must contain only letters, numbers, dashes (-) and underscores (_).`);
    }
    if (!c.applications || c.applications.length === 0) issue(['applications'], 'Canary config must specify at least one application.');
    else {
      // Their length is the shape's (canaryConfigSchema); what a stored one must be besides:
      c.applications.forEach((a, i) => {
        if (a === '') issue(['applications', i], 'must not be empty');
        else if (!printable(a)) issue(['applications', i], APPLICATION_TEXT_RULE);
      });
    }

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
        if (q.customFilterTemplate !== undefined && q.customInlineTemplate === undefined && !Object.hasOwn(c.templates ?? {}, q.customFilterTemplate)) {
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

  return {
    prometheusQuerySchema,
    cloudWatchQuerySchema,
    canaryMetricConfigSchema,
    canaryConfigSchema,
    storableCanaryConfigSchema,
  };
}

let builtSchemas: ReturnType<typeof build> | undefined;
const built = () => (builtSchemas ??= build());

export const prometheusQuerySchema = z.lazy(() => built().prometheusQuerySchema);
export const cloudWatchQuerySchema = z.lazy(() => built().cloudWatchQuerySchema);
/** cloudWatchQuerySchema's metricDataQueries (the metric routes' fetch body). */
export const metricDataQueriesSchema = z.lazy(() => built().cloudWatchQuerySchema.shape.metricDataQueries);
export const canaryMetricConfigSchema = z.lazy(() => built().canaryMetricConfigSchema);
export const canaryConfigSchema = z.lazy(() => built().canaryConfigSchema);
/** What POST/PUT /canaryConfig accept. */
export const storableCanaryConfigSchema = z.lazy(() => built().storableCanaryConfigSchema);

export type CanaryConfig = z.output<typeof canaryConfigSchema>;
export type CanaryMetricConfig = CanaryConfig['metrics'][number];

