// One metric set pair as Kayenta's judge takes it (the values of both sides of one series), apart
// from the RemoteJudge body (judge-request.ts), so that the judge task reads stored pairs without
// building the canary config's schemas.
import * as z from 'zod';
import { LIMITS, namedRecord } from './limits.ts';

/** A sample value: a number, or NaN written as the string "NaN" or null (Kayenta's JSON). */
const sample = z
  .union([z.number(), z.literal('NaN'), z.null()], { error: 'must be a number, "NaN" or null' })
  .transform((v) => (typeof v === 'number' ? v : NaN));

/** A message for a value of the wrong type only (the generic ones name limits). */
export const wrongType = (message: string) => (iss: { code: string }) => (iss.code === 'invalid_type' ? message : undefined);

const checkedSeries = z.array(sample, { error: wrongType('must be an array of numbers') }).max(LIMITS.series);

/**
 * A series: what checkedSeries accepts, with the same values and the same issues. An array of
 * finite numbers within the limit (the common case) is checked by built-in scans and returned as
 * it is, not copied (half the time of checking it in a loop and copying it); anything else goes
 * through checkedSeries for its messages.
 */
const series = z.unknown().transform((value, ctx): number[] => {
  // every() skips the holes of a sparse array, includes() sees them: such an array goes the long way.
  if (Array.isArray(value) && value.length <= LIMITS.series && value.every(Number.isFinite) && !value.includes(undefined)) return value;
  const checked = checkedSeries.safeParse(value);
  if (checked.success) return checked.data;
  for (const issue of checked.error.issues) ctx.addIssue({ ...issue } as never);
  return z.NEVER;
}).meta({
  // What checkedSeries documents (/openapi.json is generated from these schemas).
  maxItems: LIMITS.series,
  type: 'array',
  items: { anyOf: [{ type: 'number' }, { type: 'string', const: 'NaN' }, { type: 'null' }] },
});

export const metricSetPairSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }),
  id: z.string({ error: 'must be a string' }).optional(),
  tags: namedRecord(z.string({ error: 'must be a string' })).optional(),
  values: z.looseObject({ control: series, experiment: series }, { error: 'must be an object with control and experiment arrays' }),
  scopes: namedRecord(z.unknown()).optional(),
  attributes: namedRecord(z.unknown()).optional(),
});
