// What one request may hold, and the name and record shapes every schema builds on: apart from
// the canary config's schemas, so that a module needing only these (a metric set pair) does not
// build those.
import * as z from 'zod';

/**
 * What one request may hold (docs/api-limits.md). Generous for any real config; they keep a
 * hostile one from reaching a store or a loop unbounded.
 */
export const LIMITS = {
  /** Characters of a name: config, metric, scope, group, template, and the keys of records. */
  name: 255,
  /** Characters of an application: with a name it keys the name index, which DynamoDB caps at 1,024 bytes. */
  application: 200,
  applications: 100,
  metrics: 500,
  /** Groups of a metric, entries of groupWeights, of templates, labelBindings, groupByFields. */
  entries: 500,
  /** Scopes of an execution request, and extendedScopeParams entries of a scope. */
  scopes: 100,
  /** Seconds between points. */
  step: 7 * 24 * 3600,
  /** Points per side of one metric set pair (POST /judge). */
  series: 100_000,
  /** Metric set pairs in one POST /judge. */
  pairs: 10_000,
} as const;

/** A name of up to LIMITS.name characters (empty allowed: rules that refuse it say so themselves). */
export const nameText = z.string().max(LIMITS.name);
/** A record keyed by names, at most `entries` of them (maxProperties in the OpenAPI document). */
export const namedRecord = <T extends z.ZodType>(value: T, entries: number = LIMITS.entries, noun = 'entries') =>
  z
    .record(nameText, value)
    .refine((r) => Object.keys(r).length <= entries, { error: `must have at most ${entries} ${noun}` })
    .meta({ maxProperties: entries });
