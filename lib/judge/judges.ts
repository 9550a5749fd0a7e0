// The judges canaria runs, by name: NetflixACAJudge-v1.0 (the Kayenta port, the default) and
// canaria-v1. Which one judges: the execution's override (`judge` field, `judge=` parameter),
// else `canaryConfig.judge.name`, else the default, as Kayenta's CanaryJudgeTask resolves
// `overrideJudgeName` before `judge.name`. `judge.judgeConfigurations.shadowJudges` names
// judges run beside it on the same pairs. Pure.
import { BadRequestError } from '../errors.ts';
import * as canariaV1 from './canaria-v1/index.ts';
import { judge as kayentaJudge } from './judge.ts';
import { CANARIA_V1_JUDGE, DEFAULT_JUDGE, isJudgeName, JUDGE_NAMES, KAYENTA_JUDGE, type JudgeName } from './names.ts';
import type { CanaryJudgeResult, JudgeCanaryConfig, MetricSetPair, ScoreThresholds } from './types.ts';

const JUDGES: Record<JudgeName, (c: JudgeCanaryConfig, p: readonly MetricSetPair[], t: ScoreThresholds) => CanaryJudgeResult> = {
  [KAYENTA_JUDGE]: kayentaJudge,
  [CANARIA_V1_JUDGE]: canariaV1.judge,
};

export { JUDGE_NAMES, type JudgeName };

/** The judge-related part of a canary config. */
export interface JudgedConfig extends JudgeCanaryConfig {
  judge?: { name?: string; judgeConfigurations?: Record<string, unknown> };
}

/**
 * A judge name, judge setting or pair canaria cannot use (a 400 in the API, exit 2 in the CLI):
 * the message starts with the field; `issues` lists every problem as "field: message".
 */
export class JudgeChoiceError extends BadRequestError {}

const unknownJudge = (field: string, name: string) => new JudgeChoiceError(`${field}: Unable to resolve canary judge '${name}'. canaria runs: ${JUDGE_NAMES.join(', ')}.`);

/** Throws every problem at once, the first as the message. */
function refuse(problems: Array<{ field: string; message: string }>): void {
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  if (lines.length > 0) throw new JudgeChoiceError(lines[0], lines);
}

/**
 * The judge of an analysis: `override` (field `overrideField`) if given, else the config's
 * `judge.name`, else NetflixACAJudge-v1.0. Throws JudgeChoiceError for a name canaria does not run.
 */
export function primaryJudge(config: JudgedConfig, override?: string, overrideField = 'judge'): JudgeName {
  if (override !== undefined && override !== '') {
    if (!isJudgeName(override)) throw unknownJudge(overrideField, override);
    return override;
  }
  const name = config.judge?.name;
  if (name === undefined || name === '') return DEFAULT_JUDGE;
  if (!isJudgeName(name)) throw unknownJudge('canaryConfig.judge.name', name);
  return name;
}

/** `judge.judgeConfigurations.shadowJudges` without the primary judge; throws JudgeChoiceError on a bad entry. */
function shadowJudges(config: JudgedConfig, primary: JudgeName): JudgeName[] {
  const field = 'canaryConfig.judge.judgeConfigurations.shadowJudges';
  const list = config.judge?.judgeConfigurations?.shadowJudges;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new JudgeChoiceError(`${field}: must be a list of judge names, e.g. ["${KAYENTA_JUDGE}"]`);
  const out: JudgeName[] = [];
  list.forEach((name, i) => {
    if (typeof name !== 'string' || !isJudgeName(name)) throw unknownJudge(`${field}[${i}]`, String(name));
    if (name !== primary && !out.includes(name)) out.push(name);
  });
  return out;
}

/**
 * What a config must fix before `judges` can judge it, each problem naming its field within
 * the request (`canaryConfig.metrics[2]...`): canaria-v1's own checks when it is one of them.
 */
function configProblems(config: JudgedConfig, judges: readonly JudgeName[]): Array<{ field: string; message: string }> {
  if (!judges.includes(CANARIA_V1_JUDGE)) return [];
  return canariaV1.checkConfig(config).map((p) => ({ field: `canaryConfig.${p.field}`, message: p.message }));
}

/** Runs one judge. */
export function runJudge(name: JudgeName, config: JudgedConfig, pairs: readonly MetricSetPair[], thresholds: ScoreThresholds): CanaryJudgeResult {
  return JUDGES[name](config, pairs, thresholds);
}

/**
 * The judges of an analysis (primary and shadows), with the config checked for each: throws
 * JudgeChoiceError naming the field of the first problem (and listing all).
 */
export function chooseJudges(config: JudgedConfig, override?: string, overrideField = 'judge'): { primary: JudgeName; shadows: JudgeName[] } {
  const primary = primaryJudge(config, override, overrideField);
  const shadows = shadowJudges(config, primary);
  refuse(configProblems(config, [primary, ...shadows]));
  return { primary, shadows };
}

/**
 * Kayenta's RemoteJudge body judged (POST /judge, canaria judge, the judge Lambda invoked
 * directly): the judge chosen and checked as for an analysis, and, the caller having supplied
 * the pairs, the pairs checked too (JudgeChoiceError naming the field).
 */
export function judgeSuppliedPairs(config: JudgedConfig, pairs: readonly MetricSetPair[], thresholds: ScoreThresholds, override?: string, overrideField = 'judge'): CanaryJudgeResult {
  const { primary, shadows } = chooseJudges(config, override, overrideField);
  if (primary === CANARIA_V1_JUDGE || shadows.includes(CANARIA_V1_JUDGE)) refuse(canariaV1.checkPairs(config, pairs));
  return runJudge(primary, config, pairs, thresholds);
}
