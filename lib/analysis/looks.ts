// Repeated looks at one canary (a standalone run's intervals, or /v1/judgements calls sharing an
// analysisKey): each look is an execution that ended succeeded; under canaria-v1 its pairs are
// judged again as one look of an always-valid sequence (docs/judge.md, "Repeated looks").
import { BadRequestError } from '../errors.ts';
import { judgeLook, type CanaryLookResult, type SequenceState } from '../judge/canaria-v1/index.ts';
import { chooseJudges, type JudgedConfig } from '../judge/judges.ts';
import { CANARIA_V1_JUDGE } from '../judge/names.ts';
import type { ExecutionStore } from './executions.ts';
import { readStoredPairs } from './judging.ts';

export type { SequenceState };

/** True when the analysis's judge (override, else the config's) is canaria-v1; throws a 400 for an unknown judge. */
export function judgesSequentially(config: JudgedConfig, judgeOverride?: string): boolean {
  return chooseJudges(config, judgeOverride).primary === CANARIA_V1_JUDGE;
}

/** Refuses a repeated-look request whose judge cannot keep a sequence (`field` names what asked for one). */
export function requireSequentialJudge(config: JudgedConfig, judgeOverride: string | undefined, field: string): void {
  if (!judgesSequentially(config, judgeOverride)) {
    throw new BadRequestError(`${field}: repeated looks that stay valid need the ${CANARIA_V1_JUDGE} judge; set canaryConfig.judge.name, or give judge: "${CANARIA_V1_JUDGE}"`);
  }
}

export interface LookOutcome {
  result: CanaryLookResult;
  state: SequenceState;
}

/**
 * The next look of a sequence at a succeeded execution: its stored pairs (the growing window
 * from the sequence's start) judged by canaria-v1's judgeLook with the execution's own config
 * and thresholds. `plannedLooks` tunes the mixture and marks the last look (never validity).
 */
export async function lookAt(executions: ExecutionStore, executionId: string, previous: SequenceState | undefined, plannedLooks: number | undefined): Promise<LookOutcome> {
  const record = await executions.get(executionId);
  if (!record.metricSetPairListId) throw new Error(`analysis ${executionId} has no metric set pair list (${record.status} in ${record.stage})`);
  const { config, executionRequest } = await executions.document(executionId);
  const pairs = await readStoredPairs(await executions.pairList(record.metricSetPairListId));
  return judgeLook(config, pairs, executionRequest.thresholds, previous, { plannedLooks });
}
