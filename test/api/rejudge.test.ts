// POST /judges/judge through the real local service: Kayenta's form (a stored config and pair
// list, thresholds in the query) and canaria's replay of a past execution (canaryExecutionId),
// on an analysis run against the real Prometheus harness. Nothing is fetched when re-judging.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 75, marginal: 50 };

const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});
const config = (name: string, judge: string, metrics = [metric('identical', LATENCY.identical), metric('worse', LATENCY.worse)]) => ({
  name,
  applications: ['shop'],
  judge: { name: judge, judgeConfigurations: {} },
  metrics,
  classifier: { groupWeights: { latency: 100 } },
});

describeWithPrometheus('POST /judges/judge: judging stored metric set pairs again', () => {
  let prom: RunningPrometheus;
  let downUrl: string;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    downUrl = `http://127.0.0.1:${await freePort()}`;
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({
    accounts: [
      { name: 'prom', type: 'prometheus', endpoint: prom.url },
      { name: 'prom-down', type: 'prometheus', endpoint: downUrl },
    ],
    sourceOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 2000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  const judge = (query: string) => svc.call('POST', `/judges/judge?${query}`);

  async function analyse(cfg: unknown, account = 'prom'): Promise<Reply> {
    const stored = await svc.call('POST', '/canaryConfig', { body: cfg });
    expect(stored.status, stored.text).toBe(200);
    const started = await svc.call('POST', `/canary/${stored.json.canaryConfigId}?metricsAccountName=${account}`, { body: { scopes, thresholds } });
    expect(started.status, started.text).toBe(200);
    for (let i = 0; i < 200; i++) {
      const r = await svc.call('GET', `/canary/${started.json.canaryExecutionId}`);
      if (r.json.complete) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('the analysis never completed');
  }

  /** One analysis under NetflixACAJudge-v1.0: one identical metric, one clearly worse: 50, Marginal at 75/50. */
  let past: Reply;
  let executionId: string;
  beforeAll(async () => {
    past = await analyse(config('rejudge-past', 'NetflixACAJudge-v1.0'));
    executionId = past.json.pipelineId;
    expect(past.json.status).toBe('succeeded');
    expect(past.json.result.judgeResult.score).toMatchObject({ score: 50, classification: 'Marginal' });
  }, 30_000);

  it("judges an execution again with its own judge and thresholds: the result it stored", async () => {
    const r = await judge(`canaryExecutionId=${executionId}`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual(past.json.result.judgeResult);
    expect(r.json.judgeName).toBe('NetflixACAJudge-v1.0');
  });

  it('judges it again with canaria-v1 without touching the execution', async () => {
    const r = await judge(`canaryExecutionId=${executionId}&judge=canaria-v1`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.judgeName).toBe('canaria-v1');
    const byName = Object.fromEntries(r.json.results.map((m: any) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['identical', 'worse']);
    expect(byName.worse.classification).toBe('High');
    expect(byName.worse.resultMetadata.canaria.decision).toBe('fail');
    expect(byName.worse.resultMetadata.canaria.reason).toEqual(expect.any(String));
    expect(r.json.score.classification).toBe('Fail');
    // Nothing stored changes: the execution keeps its verdict.
    const after = await svc.call('GET', `/canary/${executionId}`);
    expect(after.json.result.judgeResult).toEqual(past.json.result.judgeResult);
  });

  it("takes other thresholds than the execution's", async () => {
    const r = await judge(`canaryExecutionId=${executionId}&passThreshold=50&marginalThreshold=25`);
    expect(r.json.score).toMatchObject({ score: 50, classification: 'Pass' });
    const onlyPass = await judge(`canaryExecutionId=${executionId}&passThreshold=90`);
    expect(onlyPass.json.score).toMatchObject({ score: 50, classification: 'Marginal' }); // marginal stays the execution's 50
    const below = await judge(`canaryExecutionId=${executionId}&passThreshold=40`);
    expect(below.status).toBe(400);
    expect(below.json.message).toBe('passThreshold: must be greater than or equal to marginalThreshold (40 < 50)');
  });

  it("is Kayenta's CanaryJudgesController on a stored config and pair list", async () => {
    const pairListId = past.json.metricSetPairListId;
    const kayenta = await svc.call('POST', '/canaryConfig', { body: config('rejudge-kayenta', 'NetflixACAJudge-v1.0') });
    const r = await judge(`canaryConfigId=${kayenta.json.canaryConfigId}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50&configurationAccountName=x&storageAccountName=y`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.judgeName).toBe('NetflixACAJudge-v1.0');
    expect(r.json.score.score).toBe(past.json.result.judgeResult.score.score);
    expect(r.json.results.map((m: any) => [m.name, m.classification])).toEqual([['identical', 'Pass'], ['worse', 'High']]);
    // The judge is the config's judge.name, unless judge= names another.
    const v1 = await svc.call('POST', '/canaryConfig', { body: config('rejudge-kayenta-v1', 'canaria-v1') });
    const byConfig = await judge(`canaryConfigId=${v1.json.canaryConfigId}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50`);
    expect(byConfig.status, byConfig.text).toBe(200);
    expect(byConfig.json.judgeName).toBe('canaria-v1');
    const overridden = await judge(`canaryConfigId=${v1.json.canaryConfigId}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50&judge=NetflixACAJudge-v1.0`);
    expect(overridden.json.judgeName).toBe('NetflixACAJudge-v1.0');
    // A stored config naming a judge canaria does not run (stored with a warning): Kayenta's message, a 400.
    const dredd = await svc.call('POST', '/canaryConfig', { body: config('rejudge-kayenta-dredd', 'dredd-v1.0') });
    expect(dredd.status, dredd.text).toBe(200);
    const unresolved = await judge(`canaryConfigId=${dredd.json.canaryConfigId}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50`);
    expect(unresolved.status).toBe(400);
    expect(unresolved.json.message).toBe("canaryConfig.judge.name: Unable to resolve canary judge 'dredd-v1.0'. canaria runs: NetflixACAJudge-v1.0, canaria-v1.");
  });

  it('refuses bad or missing parameters with a 400 naming the parameter', async () => {
    const pairListId = past.json.metricSetPairListId;
    const stored = await svc.call('POST', '/canaryConfig', { body: config('rejudge-bad', 'NetflixACAJudge-v1.0') });
    const id = stored.json.canaryConfigId;
    const cases: Array<[string, string | RegExp]> = [
      [`canaryConfigId=${id}&metricSetPairListId=${pairListId}`, 'passThreshold: is required'],
      [`canaryConfigId=${id}&metricSetPairListId=${pairListId}&passThreshold=75`, 'marginalThreshold: is required'],
      ['passThreshold=75&marginalThreshold=50', 'canaryConfigId: is required (or give canaryExecutionId to judge a past execution again)'],
      [`canaryConfigId=${id}&passThreshold=75&marginalThreshold=50`, 'metricSetPairListId: is required (or give canaryExecutionId to judge a past execution again)'],
      [`canaryConfigId=${id}&metricSetPairListId=${pairListId}&passThreshold=high&marginalThreshold=50`, 'passThreshold: must be a number, e.g. 95'],
      [`canaryExecutionId=${executionId}&judge=NetflixACAJudge-v2`, "judge: Unable to resolve canary judge 'NetflixACAJudge-v2'. canaria runs: NetflixACAJudge-v1.0, canaria-v1."],
      [`canaryConfigId=${id}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50&judge=dredd-v1.0`, /^judge: Unable to resolve canary judge 'dredd-v1.0'\./],
      [`canaryExecutionId=${executionId}&canaryConfigId=${id}`, 'canaryConfigId: give either canaryExecutionId, or canaryConfigId and metricSetPairListId, not both'],
      ['canaryExecutionId=..', /^canaryExecutionId: must be 1 to 128 URL-safe characters/],
    ];
    for (const [query, message] of cases) {
      const r = await judge(query);
      expect(r.status, `${query}: ${r.text}`).toBe(400);
      if (typeof message === 'string') expect(r.json.message, query).toBe(message);
      else expect(r.json.message, query).toMatch(message);
    }
    // A pair list of other metrics than the config's.
    const other = await svc.call('POST', '/canaryConfig', { body: config('rejudge-other', 'NetflixACAJudge-v1.0', [metric('cpu', LATENCY.identical)]) });
    const mismatch = await judge(`canaryConfigId=${other.json.canaryConfigId}&metricSetPairListId=${pairListId}&passThreshold=75&marginalThreshold=50`);
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.message).toBe(`metricSetPairListId: metric set pair list '${pairListId}' has pairs of "identical", "worse", which canary config '${other.json.canaryConfigId}' has no metric of`);
  });

  it('answers 404 with a message for an unknown execution, config or pair list, and for an execution without pairs', async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: config('rejudge-404', 'NetflixACAJudge-v1.0') });
    const cases: Array<[string, string]> = [
      ['canaryExecutionId=01NOSUCHEXECUTION000000000', "Canary execution '01NOSUCHEXECUTION000000000' was not found."],
      [`canaryConfigId=no-such-config&metricSetPairListId=${past.json.metricSetPairListId}&passThreshold=75&marginalThreshold=50`, "Canary config 'no-such-config' was not found."],
      [`canaryConfigId=${stored.json.canaryConfigId}&metricSetPairListId=no-such-list&passThreshold=75&marginalThreshold=50`, "Metric set pair list 'no-such-list' was not found."],
    ];
    for (const [query, message] of cases) {
      const r = await judge(query);
      expect(r.status, `${query}: ${r.text}`).toBe(404);
      expect(r.json.message).toBe(message);
    }
    // An analysis that failed fetching has no pairs to judge.
    const failed = await analyse(config('rejudge-down', 'NetflixACAJudge-v1.0'), 'prom-down');
    expect(failed.json.status).toBe('terminal');
    const r = await judge(`canaryExecutionId=${failed.json.pipelineId}`);
    expect(r.status).toBe(404);
    expect(r.json.message).toBe(`Canary execution '${failed.json.pipelineId}' has no metric set pair list to judge: it ended terminal in stage fetch before its metrics were paired.`);
  });
});
