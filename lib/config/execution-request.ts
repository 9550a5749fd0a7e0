// Kayenta's CanaryExecutionRequest scopes (api-spec.md §1.4): {scopeName: {controlScope, experimentScope}}.
import { z } from 'zod';

const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /\dT\d/.test(s), { error: 'must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z' });

export const canaryScopeSchema = z
  .looseObject({
    scope: z.string().optional(),
    location: z.string().optional(),
    /** Argo Rollouts before v1.9 sent `region`; Kayenta dropped it, canaria reads it as location. */
    region: z.string().optional(),
    start: instant,
    end: instant,
    step: z.number().int().positive().default(60),
    extendedScopeParams: z.record(z.string(), z.string()).optional(),
  })
  .refine((s) => Date.parse(s.start) < Date.parse(s.end), { error: 'end must be after start', path: ['end'] })
  .transform(({ region, ...s }) => ({ ...s, location: s.location ?? region }));

export const scopePairSchema = z.looseObject({ controlScope: canaryScopeSchema, experimentScope: canaryScopeSchema });

export const scopesSchema = z.record(z.string(), scopePairSchema);

export type CanaryScopeInput = z.output<typeof canaryScopeSchema>;
export type ScopePairs = z.output<typeof scopesSchema>;
