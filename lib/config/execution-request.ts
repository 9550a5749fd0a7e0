// Kayenta's CanaryExecutionRequest scopes (api-spec.md §1.4): {scopeName: {controlScope, experimentScope}}.
import * as z from 'zod';
import { instantString } from '../metrics/types.ts';
import { LIMITS, namedRecord, nameText } from './canary-config.ts';

export const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /\dT\d/.test(s), { error: 'must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z' });
/** Argo Rollouts up to 1.8 sends `"start": ""` and `"end": ""` for a window it does not give. */
const optionalInstant = z.preprocess((v) => (v === '' || v === null ? undefined : v), instant.optional());

export const canaryScopeSchema = z
  .looseObject({
    scope: z.string().optional(),
    location: z.string().optional(),
    /** Argo Rollouts before v1.9 sent `region`; Kayenta dropped it, canaria reads it as location. */
    region: z.string().optional(),
    /** Both or neither; neither: the window ending now (see resolveWindow). */
    start: optionalInstant,
    end: optionalInstant,
    step: z.number().int().positive().max(LIMITS.step).default(60),
    extendedScopeParams: namedRecord(z.string(), LIMITS.scopes).optional(),
  })
  .refine((s) => (s.start === undefined) === (s.end === undefined), { error: 'give both start and end, or neither', path: ['start'] })
  .refine((s) => s.start === undefined || Date.parse(s.start) < Date.parse(s.end!), { error: 'end must be after start', path: ['end'] })
  .transform(({ region, start, end, ...s }) => ({ ...s, location: s.location || region, ...(start === undefined ? {} : { start, end }) }));

export const scopePairSchema = z.looseObject({ controlScope: canaryScopeSchema, experimentScope: canaryScopeSchema });

export const scopesSchema = namedRecord(scopePairSchema, LIMITS.scopes, 'scopes');

export type CanaryScopeInput = z.output<typeof canaryScopeSchema>;
export type ScopePairs = z.output<typeof scopesSchema>;

export const thresholdsSchema = z.looseObject(
  {
    pass: z.number(),
    marginal: z.number(),
  },
  { error: 'Execution request must contain thresholds' },
).refine((t) => t.pass >= t.marginal, { error: 'pass must be greater than or equal to marginal', path: ['pass'] });

/** Metrics accounts: one name, several separated by commas (one per query type), or a list. */
export const accountNamesSchema = z.union([z.string().max(LIMITS.name * 4), z.array(nameText).max(LIMITS.entries)], {
  error: 'must be an account name, names separated by commas, or a list of names',
});

/** Kayenta's CanaryExecutionRequest. */
/** canaria: a judge name given per execution (checked against the judges when the analysis starts). */
export const judgeOverrideSchema = z.string().max(64);

export const executionRequestSchema = z.looseObject({
  scopes: scopesSchema,
  thresholds: thresholdsSchema,
  /** canaria: metrics without data, or with fewer than 50 points on a side, make the verdict Inconclusive. */
  strict: z.boolean().optional(),
  /** canaria: the judge of this execution, instead of canaryConfig.judge.name (GET /judges lists them). */
  judge: judgeOverrideSchema.optional(),
  metadata: z.array(z.looseObject({ name: z.string(), value: z.string(), hidden: z.boolean().optional() })).max(LIMITS.entries).optional(),
  siteLocal: z.record(z.string(), z.unknown()).optional(),
});

export type ExecutionRequest = z.output<typeof executionRequestSchema>;

/** Points in the default window when a scope gives no start and end. */
export const DEFAULT_WINDOW_STEPS = 60;

/**
 * A scope with its window settled: as given, or, when it has neither start nor end, the
 * `lengthMs` ending `now` — by default DEFAULT_WINDOW_STEPS steps (Argo Rollouts before v1.9
 * sent no window).
 */
export function resolveWindow<T extends CanaryScopeInput>(scope: T, now: number, lengthMs?: number): T & { start: string; end: string } {
  if (scope.start !== undefined && scope.end !== undefined) return scope as T & { start: string; end: string };
  const end = Math.floor(now / 1000) * 1000;
  const length = lengthMs ?? DEFAULT_WINDOW_STEPS * scope.step * 1000;
  return { ...scope, start: instantString(end - length), end: instantString(end) };
}

export function resolveWindows(scopes: ScopePairs, now: number, lengthMs?: number): ScopePairs {
  return Object.fromEntries(
    Object.entries(scopes).map(([name, pair]) => [
      name,
      { ...pair, controlScope: resolveWindow(pair.controlScope, now, lengthMs), experimentScope: resolveWindow(pair.experimentScope, now, lengthMs) },
    ]),
  );
}
