// Kayenta's RemoteJudge body: {canaryConfig, metricSetPairList, scoreThresholds}.
import * as z from 'zod';
import { canaryConfigSchema, LIMITS, namedRecord } from './canary-config.ts';

/** A sample value: a number, or NaN written as the string "NaN" or null (Kayenta's JSON). */
const sample = z
  .union([z.number(), z.literal('NaN'), z.null()], { error: 'must be a number, "NaN" or null' })
  .transform((v) => (typeof v === 'number' ? v : NaN));

/** A message for a value of the wrong type only (the generic ones name limits). */
const wrongType = (message: string) => (iss: { code: string }) => (iss.code === 'invalid_type' ? message : undefined);

const series = z.array(sample, { error: wrongType('must be an array of numbers') }).max(LIMITS.series);

export const metricSetPairSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }),
  id: z.string({ error: 'must be a string' }).optional(),
  tags: namedRecord(z.string({ error: 'must be a string' })).optional(),
  values: z.looseObject({ control: series, experiment: series }, { error: 'must be an object with control and experiment arrays' }),
  scopes: namedRecord(z.unknown()).optional(),
  attributes: namedRecord(z.unknown()).optional(),
});

export const scoreThresholdsSchema = z
  .looseObject(
    {
      pass: z.number({ error: 'must be a number' }),
      marginal: z.number({ error: 'must be a number' }),
    },
    { error: 'must be an object {pass, marginal}' },
  )
  .refine((t) => t.pass >= t.marginal, { error: 'pass must be greater than or equal to marginal', path: ['pass'] });

export const judgeRequestSchema = z
  .looseObject(
    {
      canaryConfig: canaryConfigSchema,
      metricSetPairList: z.array(metricSetPairSchema, { error: wrongType('must be an array of metric set pairs') }).max(LIMITS.pairs),
      scoreThresholds: scoreThresholdsSchema,
    },
    { error: 'must be a JSON object {canaryConfig, metricSetPairList, scoreThresholds}' },
  )
  .superRefine((req, ctx) => {
    const names = new Set(req.canaryConfig.metrics.map((m) => m.name));
    req.metricSetPairList.forEach((pair, i) => {
      if (!names.has(pair.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metricSetPairList', i, 'name'],
          message: `no metric named ${JSON.stringify(pair.name)} in canaryConfig.metrics`,
        });
      }
    });
  });

export type JudgeRequest = z.output<typeof judgeRequestSchema>;
