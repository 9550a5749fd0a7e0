// The judging of an execution: its judge (the request's override, else the config's) on the
// metric set pairs, explained, and any shadow judges on the same pairs beside it.
import { metricSetPairSchema } from '../config/metric-set-pair.ts';
import { parseWith } from '../config/validation.ts';
import { JUDGE_NAME as KAYENTA_JUDGE } from '../judge/judge.ts';
import { chooseJudges, runJudge, type JudgedConfig, type JudgeName } from '../judge/judges.ts';
import type { MetricSetPair, ScoreThresholds } from '../judge/types.ts';
import { TimeSlice } from '../metrics/source.ts';
import { explainResult, type ExplainedResult } from './verdict.ts';

/**
 * A stored metric set pair list read back through the judge's input schema (stored as Kayenta
 * writes it, NaN as "NaN"), pair by pair, giving the event loop a turn when it has held it long.
 */
export async function readStoredPairs(stored: readonly unknown[]): Promise<MetricSetPair[]> {
  const pairs: MetricSetPair[] = [];
  const slice = new TimeSlice();
  for (let i = 0; i < stored.length; i++) {
    pairs.push(parseWith(metricSetPairSchema, stored[i], ['metricSetPairList', i]));
    if (slice.due()) await slice.pause();
  }
  return pairs;
}

/** A shadow judge that could not judge these pairs. */
export interface ShadowFailure {
  judgeName: string;
  error: string;
}

/** The primary judge's result, with each shadow judge's result (or failure) in `shadowJudgeResults`. */
export type JudgedExecution = ExplainedResult & { shadowJudgeResults?: Array<ExplainedResult | ShadowFailure> };

export interface JudgeSettings {
  thresholds: ScoreThresholds;
  strict?: boolean;
  /** Overrides canaryConfig.judge.name. */
  judge?: string;
}

/**
 * NetflixACAJudge-v1.0's result explained (lib/analysis/verdict.ts: data gaps, strict);
 * canaria-v1's explains itself (no data and too little data are its `nodata` and
 * `inconclusive`), so it is returned as it is.
 */
function judgeOne(name: JudgeName, config: JudgedConfig, pairs: readonly MetricSetPair[], s: JudgeSettings): ExplainedResult {
  const result = runJudge(name, config, pairs, s.thresholds);
  return name === KAYENTA_JUDGE ? explainResult(result, pairs, s.thresholds, s.strict) : result;
}

/** Throws JudgeChoiceError (a 400) for an unknown judge or a config the judge cannot use. */
export function judgeExecution(config: JudgedConfig, pairs: readonly MetricSetPair[], settings: JudgeSettings): JudgedExecution {
  const { primary, shadows } = chooseJudges(config, settings.judge);
  const result: JudgedExecution = judgeOne(primary, config, pairs, settings);
  if (shadows.length === 0) return result;
  result.shadowJudgeResults = shadows.map((name) => {
    try {
      return judgeOne(name, config, pairs, settings);
    } catch (err) {
      return { judgeName: name, error: (err as Error).message };
    }
  });
  return result;
}
