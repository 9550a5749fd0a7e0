// Kayenta's CanaryAnalysisExecutionRequest (api-spec.md §1.6): the request of a standalone canary
// analysis, which judges the canary at every interval of a lifetime. Scopes are a LIST here (the
// first one's times drive the run); its start/end are `startTimeIso`/`endTimeIso`.
import * as z from 'zod';
import { canaryConfigSchema, LIMITS, nameText } from './canary-config.ts';
import { instant, judgeOverrideSchema, thresholdsSchema } from './execution-request.ts';

/** The longest lifetime (30 days; a Standard Step Functions execution may run a year). */
export const MAX_LIFETIME_MINUTES = 30 * 24 * 60;
/** The most looks one run takes (each is one canary analysis; the history stays far under 25,000 events). */
export const MAX_LOOKS = 500;

const minutes = (max: number) => z.number().int().nonnegative().max(max);

export const standaloneScopeSchema = z.looseObject({
  scopeName: nameText.default('default'),
  controlScope: z.string().max(LIMITS.name * 4),
  controlLocation: z.string().max(LIMITS.name * 4).optional(),
  controlOffsetInMinutes: minutes(MAX_LIFETIME_MINUTES).default(0),
  experimentScope: z.string().max(LIMITS.name * 4),
  experimentLocation: z.string().max(LIMITS.name * 4).optional(),
  startTimeIso: instant.optional(),
  endTimeIso: instant.optional(),
  step: z.number().int().positive().max(LIMITS.step).default(60),
  extendedScopeParams: z.record(z.string(), z.string()).optional(),
});

export const standaloneRequestSchema = z
  .looseObject({
    scopes: z.array(standaloneScopeSchema).min(1, { error: 'must contain at least one scope' }).max(LIMITS.scopes),
    thresholds: thresholdsSchema,
    lifetimeDurationMins: z.number().int().positive().max(MAX_LIFETIME_MINUTES).optional(),
    beginAfterMins: minutes(24 * 60).default(0),
    lookbackMins: minutes(MAX_LIFETIME_MINUTES).default(0),
    /** 0 or absent: one judgement at the lifetime's end (Kayenta). */
    analysisIntervalMins: minutes(MAX_LIFETIME_MINUTES).optional(),
    siteLocal: z.record(z.string(), z.unknown()).optional(),
    /** canaria: the judge, instead of canaryConfig.judge.name. */
    judge: judgeOverrideSchema.optional(),
    /** canaria: metrics without data make a look's verdict Inconclusive (NetflixACAJudge-v1.0). */
    strict: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    const first = r.scopes[0];
    if (!first) return;
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (first.endTimeIso === undefined && r.lifetimeDurationMins === undefined) {
      issue(['lifetimeDurationMins'], 'give lifetimeDurationMins, or scopes[0].endTimeIso (with startTimeIso) for an analysis of the past');
      return;
    }
    if (first.endTimeIso !== undefined && first.startTimeIso === undefined) issue(['scopes', 0, 'startTimeIso'], 'give startTimeIso with endTimeIso');
    if (first.startTimeIso !== undefined && first.endTimeIso !== undefined && Date.parse(first.endTimeIso) - Date.parse(first.startTimeIso) < 60_000) {
      issue(['scopes', 0, 'endTimeIso'], 'must be at least one minute after startTimeIso');
    }
    const lifetime = lifetimeMinutes(r);
    if (lifetime === undefined) return;
    if (lifetime > MAX_LIFETIME_MINUTES) issue(['scopes', 0, 'endTimeIso'], `the lifetime (${lifetime} min) is longer than ${MAX_LIFETIME_MINUTES} min`);
    if (r.analysisIntervalMins !== undefined && r.analysisIntervalMins > lifetime) {
      issue(['analysisIntervalMins'], `${r.analysisIntervalMins} min is longer than the lifetime (${lifetime} min)`);
    }
    if (r.lookbackMins > lifetime) issue(['lookbackMins'], `${r.lookbackMins} min is longer than the lifetime (${lifetime} min)`);
    const looks = Math.floor(lifetime / intervalMinutes(r, lifetime));
    if (looks > MAX_LOOKS) issue(['analysisIntervalMins'], `${looks} judgements (lifetime ${lifetime} min / interval ${intervalMinutes(r, lifetime)} min): at most ${MAX_LOOKS}`);
  });

export type StandaloneRequest = z.output<typeof standaloneRequestSchema>;

/** Kayenta's POST /standalone_canary_analysis body. */
export const standaloneAdhocSchema = z.looseObject({
  canaryConfig: canaryConfigSchema,
  executionRequest: standaloneRequestSchema,
});

/** Whole minutes from the first scope's start to its end, else lifetimeDurationMins (Kayenta's calculateLifetime). */
export function lifetimeMinutes(r: Pick<StandaloneRequest, 'scopes' | 'lifetimeDurationMins'>): number | undefined {
  const { startTimeIso, endTimeIso } = r.scopes[0];
  if (startTimeIso !== undefined && endTimeIso !== undefined) return Math.floor((Date.parse(endTimeIso) - Date.parse(startTimeIso)) / 60_000);
  return r.lifetimeDurationMins;
}

/** analysisIntervalMins, or the lifetime when it is absent or 0 (Kayenta's calculateAnalysisInterval). */
export function intervalMinutes(r: Pick<StandaloneRequest, 'analysisIntervalMins'>, lifetime: number): number {
  const i = r.analysisIntervalMins;
  return i === undefined || i === 0 || i > lifetime ? lifetime : i;
}
