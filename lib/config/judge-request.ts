// Kayenta's RemoteJudge body: {canaryConfig, metricSetPairList, scoreThresholds}.
import { z } from 'zod';
import { canaryConfigSchema } from './canary-config.ts';

/** A sample value: a number, or NaN written as the string "NaN" or null (Kayenta's JSON). */
const sample = z
  .union([z.number(), z.literal('NaN'), z.null()], { error: 'must be a number, "NaN" or null' })
  .transform((v) => (typeof v === 'number' ? v : NaN));

const series = z.array(sample, { error: 'must be an array of numbers' });

export const metricSetPairSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }),
  id: z.string({ error: 'must be a string' }).optional(),
  tags: z.record(z.string(), z.string({ error: 'must be a string' })).optional(),
  values: z.looseObject({ control: series, experiment: series }, { error: 'must be an object with control and experiment arrays' }),
  scopes: z.record(z.string(), z.unknown()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
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
      metricSetPairList: z.array(metricSetPairSchema, { error: 'must be an array of metric set pairs' }),
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
