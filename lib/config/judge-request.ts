// Kayenta's RemoteJudge body: {canaryConfig, metricSetPairList, scoreThresholds}.
import * as z from 'zod';
import { canaryConfigSchema, LIMITS } from './canary-config.ts';
import { metricSetPairSchema, wrongType } from './metric-set-pair.ts';

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
