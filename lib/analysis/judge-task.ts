// The Judge state (functions/canary.asl.yml): the pair list judged, the explained result stored.
// A module of its own, so that the judge function's bundle holds neither the PromQL parser nor
// the canary config's schemas, which only a RemoteJudge body needs (loaded then).
import type { CanaryConfig } from '../config/canary-config.ts';
import { parseWith } from '../config/validation.ts';
import { kayentaJson } from '../json.ts';
import { judgeSuppliedPairs } from '../judge/judges.ts';
import { judgeExecution, readStoredPairs } from './judging.ts';
import { bounded, tell, type TaskDeps } from './task-support.ts';

export const judgeTask = /* @__PURE__ */ bounded(async (
  { executionId, metricSetPairListId }: { executionId: string; metricSetPairListId: string },
  deps: TaskDeps,
): Promise<{ score: number; classification: string }> => {
  const { config, executionRequest } = await deps.executions.document(executionId);
  const pairs = await readStoredPairs(await deps.executions.pairList(metricSetPairListId));
  const began = performance.now();
  const result = judgeExecution(config as CanaryConfig, pairs, executionRequest);
  const ms = performance.now() - began;
  await deps.executions.putResult(executionId, result);
  const classifications: Record<string, number> = {};
  for (const r of result.results) classifications[r.classification] = (classifications[r.classification] ?? 0) + 1;
  await tell(deps, executionId, { event: 'judged', ms, score: result.score.score, verdict: result.score.classification, classifications });
  return { score: result.score.score, classification: result.score.classification };
});

/**
 * The judge task also takes Kayenta's RemoteJudge body ({canaryConfig, metricSetPairList,
 * scoreThresholds}), so `aws lambda invoke` on it judges directly. NaN stays "NaN".
 */
export async function judgeRemoteBody(body: unknown): Promise<unknown> {
  const { judgeRequestSchema } = await import('../config/judge-request.ts');
  const request = parseWith(judgeRequestSchema, body);
  return JSON.parse(kayentaJson(judgeSuppliedPairs(request.canaryConfig, request.metricSetPairList, request.scoreThresholds)));
}
