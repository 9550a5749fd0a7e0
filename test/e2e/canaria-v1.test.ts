// The canaria-v1 judge end to end: the embedded service runs the real state machine against a
// real Prometheus holding test/support/canaria-v1-data.ts, one analysis per metric kind
// (latency, errors with its denominator, counter, latency-histogram, throughput, saturation),
// gaps kept as NaN on the step grid for canaria-v1 (and Kayenta's drop-and-shift for
// NetflixACAJudge-v1.0), shadow judges, and the 400s for an unknown judge or a config
// canaria-v1 cannot use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { END, START, STEP } from '../support/prometheus-data.ts';
import {
  CANARIA_V1_DATASET,
  canariaV1Dataset,
  GAPPY,
  gappyMissingPoints,
  HISTOGRAM,
  LATENCY_GAUGE,
  MEMORY,
  REQUESTS,
  RESTARTS,
  WINDOW_POINTS,
  windowIncrease,
} from '../support/canaria-v1-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 95, marginal: 75 };

type Canaria = Record<string, unknown>;
const metric = (name: string, promql: string, canaria: Canaria = {}, canary: Record<string, unknown> = {}) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:${promql}` },
  groups: ['g'],
  analysisConfigurations: { canary, ...(Object.keys(canaria).length > 0 ? { canaria } : {}) },
  scopeName: 'default',
});
const config = (name: string, metrics: unknown[], judge: Record<string, unknown> = { name: 'canaria-v1' }) => ({
  name,
  applications: ['shop'],
  judge: { judgeConfigurations: {}, ...judge },
  metrics,
  classifier: { groupWeights: { g: 100 } },
});

/** `sum(increase(http_requests_total{job=…[, code=~"5.."]}[60s]))`: the brief's errors/requests templates. */
const requests = (job: string, errorsOnly = false) => `sum(increase(${REQUESTS.name}{job="${job}",${errorsOnly ? 'code=~"5..",' : ''}\${scope}}[60s]))`;
/** An errors metric and its muted denominator (kind throughput by default). */
const errorsPair = (name: string, job: string) => [
  metric(name, requests(job, true), { kind: 'errors', denominator: `${name}_requests` }),
  metric(`${name}_requests`, requests(job), {}, { muted: true }),
];
/** Counts as the judge's reason writes them: integers with thousands separators. */
const count = (x: number) => Math.round(x).toLocaleString('en-US');
const total = (name: string, labels: Record<string, string>) => windowIncrease(CANARIA_V1_DATASET, name, labels);

describe('the canaria-v1 dataset', () => {
  it('is deterministic', () => {
    expect(canariaV1Dataset()).toEqual(CANARIA_V1_DATASET);
  });
});

describeWithPrometheus('canaria-v1 end to end against a real Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARIA_V1_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({
    accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }],
    sourceOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 5000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  async function store(cfg: unknown): Promise<string> {
    const stored = await svc.call('POST', '/canaryConfig', { body: cfg });
    expect(stored.status, stored.text).toBe(200);
    return stored.json.canaryConfigId;
  }

  async function start(configId: string, query = '', body: Record<string, unknown> = {}): Promise<Reply> {
    return svc.call('POST', `/canary/${configId}?metricsAccountName=prom${query}`, { body: { scopes, thresholds, ...body } });
  }

  async function poll(id: string): Promise<Reply> {
    for (let i = 0; i < 400; i++) {
      const r = await svc.call('GET', `/canary/${id}`);
      expect(r.status, r.text).toBe(200);
      if (r.json.complete) return r;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`execution ${id} never completed`);
  }

  /** Stores `cfg`, runs it to the end and returns the status (succeeded). */
  async function run(cfg: unknown, query = '', body: Record<string, unknown> = {}): Promise<Reply> {
    const started = await start(await store(cfg), query, body);
    expect(started.status, started.text).toBe(200);
    const done = await poll(started.json.canaryExecutionId);
    expect(done.json, JSON.stringify(done.json.exception)).toMatchObject({ complete: true, status: 'succeeded' });
    return done;
  }

  const byName = (judgeResult: any, name: string) => {
    const found = judgeResult.results.filter((r: any) => r.name === name);
    expect(found, `one result for ${name}`).toHaveLength(1);
    return found[0];
  };

  /** The canaria-v1 verdict of a result (brief §2.5 field names). */
  const canaria = (result: any) => {
    const v = result.resultMetadata.canaria;
    for (const key of ['decision', 'reason', 'effect', 'sample', 'test', 'power', 'dataQuality']) expect(v, `${result.name}: resultMetadata.canaria.${key}`).toHaveProperty(key);
    return v;
  };
  /** Every result: Kayenta's label and canaria-v1's decision agree (fail → High/Low, pass → Pass). */
  const labelsAgree = (judgeResult: any) => {
    for (const r of judgeResult.results) {
      const d = canaria(r).decision;
      if (d === 'fail') expect(['High', 'Low'], r.name).toContain(r.classification);
      if (d === 'pass') expect(r.classification, r.name).toBe('Pass');
    }
  };
  /** The summary a user sees for what the metrics decided (docs/judge-canaria-v1.md, "Labels and the summary score"). */
  const summaryFor = (decisions: string[]) => (decisions.includes('fail') ? 'Fail' : decisions.includes('inconclusive') ? 'Marginal' : 'Pass');

  describe('one analysis per kind', () => {
    it('latency (the default kind): a canary 30% slower fails, selected by the execution request\'s judge field', async () => {
      const r = await run(config('latency', [metric('latency', `avg(${LATENCY_GAUGE.name}{\${scope}})`)], { name: 'NetflixACAJudge-v1.0' }), '', { judge: 'canaria-v1' });
      expect(r.json.canaryExecutionRequest.judge).toBe('canaria-v1');
      const judge = r.json.result.judgeResult;
      expect(judge.judgeName).toBe('canaria-v1');
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      expect(judge.score.classificationReason).toMatch(/^1 metric failed \(latency \+\d+(\.\d+)?%\)/);
      const latency = byName(judge, 'latency');
      expect(latency.classification).toBe('High');
      const v = canaria(latency);
      expect(v).toMatchObject({ judge: 'canaria-v1', kind: 'latency', decision: 'fail', harm: 'increase', effect: { measure: 'meanRatio', scale: 'ratio' } });
      expect(v.effect.estimate).toBeGreaterThan(1.25);
      expect(v.effect.estimate).toBeLessThan(1.35);
      expect(v.effect.lower).toBeGreaterThan(1.05);
      expect(v.sample).toMatchObject({ n: WINDOW_POINTS, paired: true, blockSize: 1 });
      expect(v.sample.nEffective).toBeGreaterThanOrEqual(8);
      expect(v.test.pValue).toBeLessThan(1e-6);
      expect(v.dataQuality).toMatchObject({ gapsControl: 0, gapsExperiment: 0 });
      // "+30% (90% CI +28% … +31%) on n_eff 32 of 121 points (lag-1 autocorrelation 0.48), p < 1e-6. Fails: …"
      expect(v.reason).toMatch(/^latency: \+\d+(\.\d+)?% \(90% CI \+\d+(\.\d+)?% … \+\d+(\.\d+)?%\) on n_eff \d+ of 121 points/);
      expect(v.reason).toMatch(/p < 1e-6\. Fails: the increase exceeds the allowed \+5% \(smallest detectable change [^)]+\)\.$/);
      expect(latency.classificationReason).toBe(v.reason);
    });

    it('errors with its denominator: a canary throwing 3× the 5xx fails, the muted denominator is reported', async () => {
      const r = await run(config('errors-worse', errorsPair('errors', REQUESTS.errorsWorse.job)));
      const judge = r.json.result.judgeResult;
      expect(judge.judgeName).toBe('canaria-v1');
      expect(judge.score).toEqual({ score: 0, classification: 'Fail', classificationReason: expect.stringMatching(/^1 metric failed \(errors ×\d/) });
      const errors = byName(judge, 'errors');
      expect(errors.classification).toBe('High');
      const v = canaria(errors);
      const job = REQUESTS.errorsWorse.job;
      const events = { experiment: total(REQUESTS.name, { job, code: '500', version: 'canary' }), control: total(REQUESTS.name, { job, code: '500', version: 'baseline' }) };
      const exposure = { experiment: total(REQUESTS.name, { job, version: 'canary' }), control: total(REQUESTS.name, { job, version: 'baseline' }) };
      expect(v).toMatchObject({ kind: 'errors', decision: 'fail', effect: { measure: 'rateRatio' }, sample: { n: WINDOW_POINTS, paired: true, events, exposure } });
      expect(v.effect.estimate).toBeCloseTo((events.experiment / exposure.experiment) / (events.control / exposure.control), 10);
      expect(v.effect.estimate).toBeGreaterThan(2.5);
      expect(v.effect.lower).toBeGreaterThan(1.2);
      expect(v.test.pValueAdjusted).toBeLessThan(1e-6);
      // "canary 3,830 errors / 252,450 requests (0.0152) vs baseline 1,231 / 252,377 (0.00488): ×3.11 (90% CI ×2.95–×3.28); …"
      expect(v.reason).toContain(`errors: canary ${count(events.experiment)} errors / ${count(exposure.experiment)} requests (`);
      expect(v.reason).toContain(`vs baseline ${count(events.control)} / ${count(exposure.control)} (`);
      expect(v.reason).toMatch(/: ×\d\.\d+ \(90% CI ×\d\.\d+–×\d\.\d+\); exact test p < 1e-6, per-bucket check p < 1e-6 \(n_eff \d+ of 121\)/);
      expect(v.reason).toMatch(/Fails: the increase exceeds the allowed ×1\.2 \(smallest detectable change [^)]+\)\.$/);
      const requests = byName(judge, 'errors_requests');
      expect(requests).toMatchObject({ muted: true, classification: 'Pass' });
      expect(canaria(requests)).toMatchObject({ kind: 'throughput', decision: 'pass' });
      labelsAgree(judge);
    });

    it('errors with its denominator: the same 5xx rate on both sides never fails', async () => {
      const r = await run(config('errors-same', errorsPair('errors', REQUESTS.errorsSame.job)));
      const judge = r.json.result.judgeResult;
      const v = canaria(byName(judge, 'errors'));
      expect(['pass', 'inconclusive']).toContain(v.decision);
      expect(judge.score.classification).toBe(summaryFor([v.decision]));
      // with ~1,250 errors a side the upper bound is well inside ×1.2: proven
      expect(v.decision).toBe('pass');
      expect(judge.score).toEqual({ score: 100, classification: 'Pass', classificationReason: 'all 1 metric passed' });
      const job = REQUESTS.errorsSame.job;
      const canaryErrors = total(REQUESTS.name, { job, code: '500', version: 'canary' });
      const baselineErrors = total(REQUESTS.name, { job, code: '500', version: 'baseline' });
      expect(v.sample.events).toEqual({ experiment: canaryErrors, control: baselineErrors });
      expect(v.effect.upper).toBeLessThan(1.2);
      expect(v.test.pValue).toBeGreaterThan(0.05);
      expect(v.reason).toContain(`canary ${count(canaryErrors)} errors / ${count(total(REQUESTS.name, { job, version: 'canary' }))} requests`);
      expect(v.reason).toMatch(/\(90% CI ×0\.\d+–×1\.\d+\).*Passes: any increase is within the allowed ×1\.2\.$/);
      labelsAgree(judge);
    });

    it('errors from a zero baseline: 0 baseline errors and ≥ 10 canary errors fail, whether the baseline 5xx series exists or not', async () => {
      const r = await run(config('errors-zero', [...errorsPair('errors_zero', REQUESTS.errorsZero.job), ...errorsPair('errors_absent', REQUESTS.errorsAbsent.job)]));
      const judge = r.json.result.judgeResult;
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      expect(judge.score.classificationReason).toMatch(/^2 metrics failed \(errors_(zero|absent) ×∞, errors_(zero|absent) ×∞\)/);
      for (const [name, job] of [
        ['errors_zero', REQUESTS.errorsZero.job],
        ['errors_absent', REQUESTS.errorsAbsent.job],
      ]) {
        const result = byName(judge, name);
        const v = canaria(result);
        const canaryErrors = total(REQUESTS.name, { job, code: '500', version: 'canary' });
        expect(canaryErrors, `${name}: the data has ≥ 10 canary errors`).toBeGreaterThanOrEqual(10);
        expect(total(REQUESTS.name, { job, code: '500', version: 'baseline' })).toBe(0);
        expect(result.classification, name).toBe('High');
        expect(v.decision, name).toBe('fail');
        expect(v.sample.events, name).toEqual({ experiment: canaryErrors, control: 0 });
        expect(v.power.minEventsIfZeroBaseline, name).toBeLessThanOrEqual(canaryErrors);
        expect(v.reason, name).toContain(`${name}: canary ${count(canaryErrors)} errors / `);
        expect(v.reason, name).toContain(`vs baseline 0 / ${count(total(REQUESTS.name, { job, version: 'baseline' }))} (0): ${canaryErrors} vs 0 errors`);
        expect(v.reason, name).toMatch(/at least ×\d+(\.\d+)? \(one-sided 95%, exact\), no baseline errors so no upper bound/);
        expect(v.reason, name).toMatch(/Fails: any increase from zero is a regression \(smallest detectable change [^)]+\)\.$/);
      }
      // the baseline without a 5xx series: its missing error counts are zeros where requests were counted
      expect(canaria(byName(judge, 'errors_absent')).dataQuality.structuralZeros).toBe(WINDOW_POINTS);
      labelsAgree(judge);
    });

    it('counter (restarts, expectedShare 0.5): 16× the baseline\'s restarts fail', async () => {
      const r = await run(config('counter', [metric('restarts', `sum(increase(${RESTARTS.name}{\${scope}}[60s]))`, { kind: 'counter', expectedShare: 0.5 })]));
      const judge = r.json.result.judgeResult;
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      const restarts = byName(judge, 'restarts');
      expect(restarts.classification).toBe('High');
      const v = canaria(restarts);
      const events = { experiment: total(RESTARTS.name, { version: 'canary' }), control: total(RESTARTS.name, { version: 'baseline' }) };
      expect(events.control).toBeGreaterThan(0);
      expect(v).toMatchObject({ kind: 'counter', decision: 'fail', sample: { n: WINDOW_POINTS, events, exposure: { experiment: 60.5, control: 60.5 } }, dataQuality: { expectedShare: 0.5 } });
      expect(v.effect.estimate).toBeCloseTo(events.experiment / events.control, 10);
      expect(v.effect.lower).toBeGreaterThan(1.5);
      expect(v.reason).toContain(`restarts: canary ${events.experiment} events / 60.5 exposure units (`);
      expect(v.reason).toContain(`vs baseline ${events.control} / 60.5 (`);
      expect(v.reason).toMatch(/Fails: the increase exceeds the allowed ×1\.5 \(smallest detectable change [^)]+\)\.$/);
    });

    it('latency-histogram (one pair per le): a canary with a slower tail fails, one result for the metric', async () => {
      const r = await run(config('histogram', [metric('latency_buckets', `sum by (le) (increase(${HISTOGRAM.name}{\${scope}}[60s]))`, { kind: 'latency-histogram' })]));
      const pairs = (await svc.call('GET', `/metricSetPairList/${r.json.metricSetPairListId}`)).json;
      expect(pairs.map((p: any) => p.tags.le).sort()).toEqual([...HISTOGRAM.buckets.map(String), '+Inf'].sort());
      const judge = r.json.result.judgeResult;
      expect(judge.results).toHaveLength(1);
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      expect(judge.score.classificationReason).toMatch(/^1 metric failed \(latency_buckets ×\d/);
      const buckets = byName(judge, 'latency_buckets');
      expect(buckets).toMatchObject({ classification: 'High', tags: {} });
      const v = canaria(buckets);
      expect(v).toMatchObject({ kind: 'latency-histogram', decision: 'fail', effect: { measure: 'exceedanceRatio' } });
      expect(v.effect.lower).toBeGreaterThan(1.2);
      // thresholds chosen on the baseline: p50 → le 0.1, p90 → le 0.25, p99 → le 0.5
      expect(v.quantiles.map((q: any) => [q.q, q.threshold])).toEqual([
        [0.5, 0.1],
        [0.9, 0.25],
        [0.99, 0.5],
      ]);
      const p99 = v.quantiles[2];
      expect(p99.experiment).toBeGreaterThan(2 * p99.control);
      const requests = total(HISTOGRAM.name, { le: '+Inf', version: 'canary' });
      expect(v.sample.exposure.experiment).toBe(requests);
      // "exceedance of le=0.25 (smallest p of 3 thresholds): canary 9,955 requests > 0.25 / 126,107 requests (…) vs baseline 1,417 / 126,107 (…): ×7.03 …; quantiles canary vs baseline: p50 …, p90 …, p99 0.755 vs 0.278"
      const le = v.reason.match(/exceedance of le=([\d.]+) \(smallest p of 3 thresholds\)/)?.[1];
      expect(le, v.reason).toBeDefined();
      const below = (version: string) => total(HISTOGRAM.name, { le: le!, version });
      const exceed = { canary: requests - below('canary'), baseline: total(HISTOGRAM.name, { le: '+Inf', version: 'baseline' }) - below('baseline') };
      expect(v.sample.events).toEqual({ experiment: exceed.canary, control: exceed.baseline });
      expect(v.reason).toContain(`canary ${count(exceed.canary)} requests > ${le} / ${count(requests)} requests (`);
      expect(v.reason).toContain(`vs baseline ${count(exceed.baseline)} / `);
      expect(v.reason).toMatch(/quantiles canary vs baseline: p50 [\d.]+ vs [\d.]+, p90 [\d.]+ vs [\d.]+, p99 [\d.]+ vs [\d.]+/);
      expect(v.reason).toMatch(/Fails: the increase exceeds the allowed ×1\.2 \(smallest detectable change [^)]+\)\.$/);
    });

    it('throughput: a canary receiving its expected 25% of the traffic passes', async () => {
      const r = await run(config('throughput', [metric('traffic', requests(REQUESTS.split.job), { kind: 'throughput', expectedShare: REQUESTS.expectedShare })]));
      const judge = r.json.result.judgeResult;
      expect(judge.score).toEqual({ score: 100, classification: 'Pass', classificationReason: 'all 1 metric passed' });
      const traffic = byName(judge, 'traffic');
      expect(traffic.classification).toBe('Pass');
      const v = canaria(traffic);
      const canaryRequests = total(REQUESTS.name, { job: REQUESTS.split.job, version: 'canary' });
      const all = total(REQUESTS.name, { job: REQUESTS.split.job });
      expect(v).toMatchObject({ kind: 'throughput', decision: 'pass', harm: 'either', dataQuality: { expectedShare: 0.25, srm: false } });
      expect(v.dataQuality.trafficShare).toBeCloseTo(canaryRequests / all, 12);
      expect(v.reason).toContain(`traffic: canary share ${+(100 * canaryRequests / all).toPrecision(3)}% vs expected 25% (${count(canaryRequests)} of ${count(all)} requests;`);
      expect(v.reason).toMatch(/Passes: any change is within the allowed ×1\.05 \/ ×0\.952\.$/);
    });

    it('throughput: a canary receiving 18% where 25% is expected fails (sample-ratio mismatch)', async () => {
      const r = await run(config('throughput-skewed', [metric('traffic', requests(REQUESTS.splitSkewed.job), { kind: 'throughput', expectedShare: REQUESTS.expectedShare })]));
      const judge = r.json.result.judgeResult;
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      const traffic = byName(judge, 'traffic');
      expect(traffic.classification).toBe('Low');
      const v = canaria(traffic);
      const canaryRequests = total(REQUESTS.name, { job: REQUESTS.splitSkewed.job, version: 'canary' });
      const all = total(REQUESTS.name, { job: REQUESTS.splitSkewed.job });
      expect(v).toMatchObject({ decision: 'fail', dataQuality: { srm: true } });
      expect(v.effect.upper).toBeLessThan(0.95);
      expect(v.reason).toContain(`(${count(canaryRequests)} of ${count(all)} requests;`);
      expect(v.reason).toMatch(/^traffic: canary share 1\d(\.\d)?% vs expected 25%/);
      expect(v.reason).toMatch(/Fails: the decrease exceeds the allowed ×0\.952 \(smallest detectable change [^)]+\)\.$/);
    });

    it('saturation: a leaking canary (memory rising 0.12%/min) fails on its trend', async () => {
      const r = await run(config('saturation', [metric('memory', `avg(${MEMORY.name}{\${scope}})`, { kind: 'saturation' })]));
      const judge = r.json.result.judgeResult;
      expect(judge.score).toMatchObject({ score: 0, classification: 'Fail' });
      expect(judge.score.classificationReason).toMatch(/^1 metric failed \(memory trend \+\d+(\.\d+)?%\)/);
      const memory = byName(judge, 'memory');
      expect(memory.classification).toBe('High');
      const v = canaria(memory);
      expect(v).toMatchObject({ kind: 'saturation', decision: 'fail' });
      const trend = v.subtests.find((s: any) => s.test === 'trend');
      const level = v.subtests.find((s: any) => s.test === 'level');
      expect(trend).toMatchObject({ decision: 'fail', effect: { measure: 'trendRatio' } });
      // +0.12%/min over the 121 analysed minutes: ×1.145
      expect(trend.effect.estimate).toBeGreaterThan(1.12);
      expect(trend.effect.estimate).toBeLessThan(1.18);
      expect(trend.effect.lower).toBeGreaterThan(1.1);
      // the average level (+7%) is inside the 10% margin: not what fails it
      expect(level.decision).not.toBe('fail');
      expect(v.reason).toMatch(/trend: trend \+1\d(\.\d+)?% over 121 min \(CI \+\d+(\.\d+)?% … \+\d+(\.\d+)?%\), p < 1e-6/);
      expect(v.reason).toMatch(/Fails: the increase exceeds the allowed \+10% \(smallest detectable change [^)]+\)\.$/);
    });
  });

  describe('gaps', () => {
    const gappy = () => config('gappy', [metric('latency', `avg(${GAPPY.name}{\${scope}})`)], { name: 'NetflixACAJudge-v1.0' });

    it('under canaria-v1 (judge= on POST /canary) missing steps stay NaN on the window\'s step grid; NetflixACAJudge-v1.0 keeps Kayenta\'s drop-and-shift', async () => {
      const missing = gappyMissingPoints();
      expect(missing.length).toBeGreaterThan(0);
      const id = await store(gappy());

      const startedV1 = await start(id, '&judge=canaria-v1');
      expect(startedV1.status, startedV1.text).toBe(200);
      const v1 = await poll(startedV1.json.canaryExecutionId);
      expect(v1.json.status).toBe('succeeded');
      expect(v1.json.result.judgeResult.judgeName).toBe('canaria-v1');
      const [pairV1] = (await svc.call('GET', `/metricSetPairList/${v1.json.metricSetPairListId}`)).json;
      expect(pairV1.values.control).toHaveLength(WINDOW_POINTS);
      expect(pairV1.values.experiment).toHaveLength(WINDOW_POINTS);
      const nanAt = pairV1.values.control.flatMap((x: unknown, k: number) => (x === 'NaN' ? [k] : []));
      expect(nanAt).toEqual(missing);
      expect(pairV1.values.control.filter((x: unknown) => typeof x !== 'number' && x !== 'NaN')).toEqual([]);
      expect(pairV1.values.experiment.every((x: unknown) => typeof x === 'number')).toBe(true);
      expect(pairV1.scopes.control).toMatchObject({ startTimeMillis: START * 1000, stepMillis: STEP * 1000 });
      expect(pairV1.scopes.experiment).toMatchObject({ startTimeMillis: START * 1000, stepMillis: STEP * 1000 });
      const v = canaria(byName(v1.json.result.judgeResult, 'latency'));
      expect(v.dataQuality).toMatchObject({ gapsControl: missing.length, gapsExperiment: 0 });
      expect(v.sample.n).toBe(WINDOW_POINTS - missing.length);
      expect(v.reason).toContain(`of ${WINDOW_POINTS - missing.length} points`);
      // a healthy canary: never a fail
      expect(v.decision).not.toBe('fail');

      const startedK = await start(id);
      expect(startedK.status, startedK.text).toBe(200);
      const kayenta = await poll(startedK.json.canaryExecutionId);
      expect(kayenta.json.status).toBe('succeeded');
      expect(kayenta.json.result.judgeResult.judgeName).toBe('NetflixACAJudge-v1.0');
      const [pairK] = (await svc.call('GET', `/metricSetPairList/${kayenta.json.metricSetPairListId}`)).json;
      expect(pairK.values.control).toHaveLength(WINDOW_POINTS - missing.length);
      expect(pairK.values.control).not.toContain('NaN');
      expect(pairK.values.control).toEqual(pairV1.values.control.filter((x: unknown) => x !== 'NaN'));
      expect(pairK.values.experiment).toEqual(pairV1.values.experiment);
    });
  });

  describe('shadow judges', () => {
    const metrics = () => [metric('latency', `avg(${LATENCY_GAUGE.name}{\${scope}})`), ...errorsPair('errors', REQUESTS.errorsSame.job)];

    it('canaria-v1 with NetflixACAJudge-v1.0 as its shadow: both results stored, the status shows them', async () => {
      const r = await run(config('shadow', metrics(), { name: 'canaria-v1', judgeConfigurations: { shadowJudges: ['NetflixACAJudge-v1.0'] } }));
      const primary = r.json.result.judgeResult;
      expect(primary.judgeName).toBe('canaria-v1');
      expect(primary.score.classification).toBe('Fail');
      expect(canaria(byName(primary, 'latency')).decision).toBe('fail');
      expect(canaria(byName(primary, 'errors')).decision).not.toBe('fail');
      expect(primary.shadowJudgeResults).toHaveLength(1);
      const shadow = primary.shadowJudgeResults[0];
      expect(shadow.judgeName).toBe('NetflixACAJudge-v1.0');
      expect(shadow.results.map((x: any) => x.name).sort()).toEqual(['errors', 'errors_requests', 'latency']);
      expect(byName(shadow, 'latency').classification).toBe('High');
      expect(byName(shadow, 'latency').resultMetadata?.canaria).toBeUndefined();
      expect(shadow.score).toMatchObject({ classification: expect.stringMatching(/^(Pass|Marginal|Fail)$/) });
      expect(shadow.shadowJudgeResults).toBeUndefined();
    });

    it('and the reverse: NetflixACAJudge-v1.0 with canaria-v1 as its shadow', async () => {
      const r = await run(config('shadow-reverse', metrics(), { name: 'NetflixACAJudge-v1.0', judgeConfigurations: { shadowJudges: ['canaria-v1'] } }));
      const primary = r.json.result.judgeResult;
      expect(primary.judgeName).toBe('NetflixACAJudge-v1.0');
      expect(byName(primary, 'latency').classification).toBe('High');
      expect(primary.shadowJudgeResults).toHaveLength(1);
      const shadow = primary.shadowJudgeResults[0];
      expect(shadow.judgeName).toBe('canaria-v1');
      expect(canaria(byName(shadow, 'latency')).decision).toBe('fail');
      expect(canaria(byName(shadow, 'errors'))).toMatchObject({ kind: 'errors' });
      expect(canaria(byName(shadow, 'errors')).decision).not.toBe('fail');
    });
  });

  describe('requests refused with a 400', () => {
    const cfg = () => config('refused', [metric('latency', `avg(${LATENCY_GAUGE.name}{\${scope}})`)]);

    it('an unknown judge, named in the answer (judge= parameter, judge field, canaryConfig.judge.name)', async () => {
      const id = await store(cfg());
      const byParam = await start(id, '&judge=canaria-v9');
      expect(byParam.status, byParam.text).toBe(400);
      expect(byParam.json.message).toContain("'canaria-v9'");
      expect(byParam.json.message).toMatch(/^judge: /);
      const byField = await start(id, '', { judge: 'NetflixACAJudge-v9.9' });
      expect(byField.status, byField.text).toBe(400);
      expect(byField.json.message).toContain("'NetflixACAJudge-v9.9'");
      const byConfig = await start(await store(config('unknown-judge', [metric('latency', `avg(${LATENCY_GAUGE.name}{\${scope}})`)], { name: 'DoesNotExist-v1' })));
      expect(byConfig.status, byConfig.text).toBe(400);
      expect(byConfig.json.message).toMatch(/^canaryConfig\.judge\.name: .*'DoesNotExist-v1'/);
      const adhoc = await svc.call('POST', '/canary?metricsAccountName=prom&judge=Nope-v1', { body: { canaryConfig: cfg(), executionRequest: { scopes, thresholds } } });
      expect(adhoc.status, adhoc.text).toBe(400);
      expect(adhoc.json.message).toContain("'Nope-v1'");
    });

    it('an errors metric whose denominator names no metric, naming canaryConfig.metrics[i].analysisConfigurations.canaria.denominator', async () => {
      const bad = (judge: string) =>
        config(
          `bad-denominator-${judge.replace(/\W/g, '_')}`,
          [metric('latency', `avg(${LATENCY_GAUGE.name}{\${scope}})`), metric('errors', requests(REQUESTS.errorsWorse.job, true), { kind: 'errors', denominator: 'reqs' })],
          { name: judge },
        );
      const field = 'canaryConfig.metrics[1].analysisConfigurations.canaria.denominator';
      // stored for NetflixACAJudge-v1.0 (which ignores analysisConfigurations.canaria), run with canaria-v1
      const id = await store(bad('NetflixACAJudge-v1.0'));
      const byParam = await start(id, '&judge=canaria-v1');
      expect(byParam.status, byParam.text).toBe(400);
      expect(byParam.json.message.startsWith(`${field}: `), byParam.json.message).toBe(true);
      expect(byParam.json.message).toContain('"reqs"');
      const adhoc = await svc.call('POST', '/canary?metricsAccountName=prom', { body: { canaryConfig: bad('canaria-v1'), executionRequest: { scopes, thresholds } } });
      expect(adhoc.status, adhoc.text).toBe(400);
      expect(adhoc.json.message.startsWith(`${field}: `), adhoc.json.message).toBe(true);
      // the same config runs under NetflixACAJudge-v1.0
      const kayenta = await start(id);
      expect(kayenta.status, kayenta.text).toBe(200);
      expect((await poll(kayenta.json.canaryExecutionId)).json.result.judgeResult.judgeName).toBe('NetflixACAJudge-v1.0');
    });
  });
});
