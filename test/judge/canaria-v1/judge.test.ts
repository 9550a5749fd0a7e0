// canaria-v1 behaviour: per kind a clear regression fails and a clean A/A passes or is
// inconclusive; zero baselines; denominators by tags; histograms per `le`; warm-up and the
// persistence rule; BH; margin 0; the summary rules; determinism; checkConfig.
// Data come from seeded generators (support.ts); expectations are statistical facts of the
// brief (§1–§2), never numbers copied from the implementation's output.
import { describe, expect, it } from 'vitest';
import { checkConfig, judge, JUDGE_NAME, UnknownMetricError, type CanariaVerdict } from '../../../lib/judge/canaria-v1/index.ts';
import { adjustPValues } from '../../../lib/judge/canaria-v1/multiplicity.ts';
import type { CanaryAnalysisResult, CanaryJudgeResult, MetricSetPair } from '../../../lib/judge/types.ts';
import { ar1, config, errorPairs, histogramPairs, latencyPair, normal, pair, rng, scopes, START, STEP, THRESHOLDS } from './support.ts';

const verdict = (r: CanaryAnalysisResult) => (r.resultMetadata as unknown as { canaria: CanariaVerdict }).canaria;
const byName = (res: CanaryJudgeResult, name: string, tags?: Record<string, string>) =>
  res.results.find((r) => r.name === name && (!tags || JSON.stringify(r.tags) === JSON.stringify(tags)))!;

const errorsConfig = (extra: object = {}, judgeConfigurations?: object) =>
  config([{ name: 'errors', canaria: { kind: 'errors', denominator: 'requests', ...extra } }, { name: 'requests', canary: { muted: true } }], judgeConfigurations);

describe('result shape', () => {
  it('is a Kayenta CanaryJudgeResult named canaria-v1 with the decision in resultMetadata.canaria', () => {
    const res = judge(config([{ name: 'latency' }]), [latencyPair(1)], THRESHOLDS);
    expect(res.judgeName).toBe(JUDGE_NAME);
    expect(JUDGE_NAME).toBe('canaria-v1');
    const r = res.results[0];
    expect(['Pass', 'High', 'Low', 'Nodata', 'NodataFailMetric', 'Error']).toContain(r.classification);
    expect(typeof r.resultMetadata!.ratio).toBe('number');
    const v = verdict(r);
    expect(['pass', 'fail', 'inconclusive', 'nodata']).toContain(v.decision);
    for (const k of ['estimate', 'lower', 'upper', 'scale'] as const) expect(v.effect).toHaveProperty(k);
    expect(v.sample.n).toBe(106);
    expect(v.sample.nEffective).toBeGreaterThan(0);
    expect(v.test).toHaveProperty('pValue');
    expect(v.test).toHaveProperty('pValueAdjusted');
    expect(v.power).toHaveProperty('mde');
    expect(Array.isArray(v.dataQuality.warnings)).toBe(true);
    expect(v.reason).toMatch(/^latency: /);
    expect(v.effect.lower).toBeLessThanOrEqual(v.effect.estimate);
    expect(v.effect.upper).toBeGreaterThanOrEqual(v.effect.estimate);
  });

  it('throws UnknownMetricError for a pair naming no metric, as the Kayenta port', () => {
    expect(() => judge(config([{ name: 'latency' }]), [latencyPair(1, { name: 'other' })], THRESHOLDS)).toThrow(UnknownMetricError);
  });
});

describe('latency (paired ESS-t on log ratios)', () => {
  it('a +20% regression fails (High) and the canary fails', () => {
    const res = judge(config([{ name: 'latency' }]), [latencyPair(2, { effect: 1.2 })], THRESHOLDS);
    const v = verdict(res.results[0]);
    expect(res.results[0].classification).toBe('High');
    expect(v.decision).toBe('fail');
    expect(v.effect.scale).toBe('ratio');
    expect(v.effect.lower).toBeGreaterThan(1.05);
    expect(res.score.classification).toBe('Fail');
    expect(v.reason).toMatch(/Fails/);
  });

  it('a −20% change with direction "decrease" fails Low; with the default (increase) it passes', () => {
    const p = latencyPair(3, { effect: 0.8 });
    expect(judge(config([{ name: 'latency', canary: { direction: 'decrease' } }]), [p], THRESHOLDS).results[0].classification).toBe('Low');
    expect(verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]).decision).toBe('pass');
  });

  it('clean A/A (ρ = 0.5, 106 points) never fails over 30 seeds and mostly proves the 5% margin', () => {
    let passes = 0;
    for (let seed = 100; seed < 130; seed++) {
      const v = verdict(judge(config([{ name: 'latency' }]), [latencyPair(seed)], THRESHOLDS).results[0]);
      expect(v.decision).not.toBe('fail');
      if (v.decision === 'pass') passes++;
    }
    // SE of the mean log ratio ≈ 0.05·√2/√(106/3) ≈ 0.012: the 90% upper bound is well below ln 1.05
    expect(passes).toBeGreaterThanOrEqual(25);
  });

  it('pairs by timestamp, not by index: a canary series starting 3 steps later is aligned', () => {
    const z = normal(rng(7));
    const load = ar1(z, 109, 0.95, 0.3); // large common-mode swings
    const control = load.slice(0, 109).map((x) => 100 * Math.exp(x));
    const experiment = load.slice(3).map((x) => 100 * Math.exp(x)); // same times, 3 steps later start
    const p = pair('latency', control, experiment, { scopes: scopes(START, START + 3 * STEP) });
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.n).toBe(106);
    expect(v.sample.paired).toBe(true);
    expect(v.effect.estimate).toBeCloseTo(1, 12); // identical at every common timestamp
  });

  it('falls back to an unpaired comparison when the sides do not overlap (control offset), and says so', () => {
    const p = latencyPair(8);
    p.scopes = scopes(START - 86_400_000, START);
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.paired).toBe(false);
    expect(v.dataQuality.warnings.join(' ')).toMatch(/unpaired/);
    expect(v.decision).not.toBe('fail');
  });

  it('counts NaN as missing and reports the gaps', () => {
    const p = latencyPair(9);
    p.values.experiment[10] = NaN;
    p.values.experiment[11] = NaN;
    p.values.control[50] = NaN;
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.dataQuality.gapsExperiment).toBe(2);
    expect(v.dataQuality.gapsControl).toBe(1);
    expect(v.sample.n).toBe(103);
  });

  it('aligns by index when a pair has no scopes', () => {
    const p = latencyPair(10, { effect: 1.3 });
    delete p.scopes;
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.n).toBe(106);
    expect(v.decision).toBe('fail');
  });

  it('blocks by ⌈w/s⌉ when the query range window exceeds the step ([5m] at 60 s → 5), or as configured', () => {
    const p = latencyPair(11);
    p.attributes = { control: { query: 'sum(rate(http_request_duration_seconds_sum{job="x"}[5m]))' }, experiment: { query: 'sum(rate(http_request_duration_seconds_sum{job="x"}[5m]))' } };
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.blockSize).toBe(5);
    expect(v.dataQuality.warnings.join(' ')).toMatch(/blocks of 5/);
    expect(v.sample.nEffective!).toBeLessThanOrEqual(106 / 5);
    const w = verdict(judge(config([{ name: 'latency', canaria: { rangeWindowSeconds: 120 } }]), [p], THRESHOLDS).results[0]);
    expect(w.sample.blockSize).toBe(2);
    const none = verdict(judge(config([{ name: 'latency' }]), [latencyPair(11)], THRESHOLDS).results[0]);
    expect(none.sample.blockSize).toBe(1);
  });

  it('refuses a decision below n_eff = 8 (inconclusive, "insufficient effective sample")', () => {
    const v = verdict(judge(config([{ name: 'latency' }]), [latencyPair(12, { n: 12, effect: 1.5 })], THRESHOLDS).results[0]);
    expect(v.sample.nEffective!).toBeLessThan(8);
    expect(v.decision).toBe('inconclusive');
    expect(v.reason).toMatch(/insufficient effective sample/);
  });
});

describe('errors (exact conditional ∩ per-bucket ESS-t)', () => {
  it('zero baseline with 10 expected canary errors fails in ≥ 90% of 200 runs (brief goal; Kayenta 0%)', () => {
    // 50 req/s per side, 106 one-minute buckets: 318,000 canary requests × 10/318,000 = 10 expected errors
    let fails = 0;
    for (let seed = 0; seed < 200; seed++) {
      const pairs = errorPairs(1000 + seed, { pControl: 0, pExperiment: 10 / 318_000 });
      if (verdict(byName(judge(errorsConfig(), pairs, THRESHOLDS), 'errors')).decision === 'fail') fails++;
    }
    expect(fails / 200).toBeGreaterThanOrEqual(0.9);
  });

  it('zero baseline: the reason names the counts ("N vs 0") and the fail is High', () => {
    const pairs = errorPairs(5, { pControl: 0, pExperiment: 20 / 318_000 });
    const r = byName(judge(errorsConfig(), pairs, THRESHOLDS), 'errors');
    expect(r.classification).toBe('High');
    expect(verdict(r).reason).toMatch(/\d+ vs 0 errors/);
    expect(verdict(r).sample.events!.control).toBe(0);
  });

  it('×1.5 at 1e-3 fails; A/A at 1e-3 does not (10 seeds)', () => {
    for (let seed = 0; seed < 10; seed++) {
      expect(verdict(byName(judge(errorsConfig(), errorPairs(2000 + seed, { pControl: 1e-3, pExperiment: 1.5e-3 }), THRESHOLDS), 'errors')).decision).toBe('fail');
      expect(verdict(byName(judge(errorsConfig(), errorPairs(3000 + seed, { pControl: 1e-3, pExperiment: 1e-3 }), THRESHOLDS), 'errors')).decision).not.toBe('fail');
    }
  });

  it('structural zeros: an errors series absent (NaN) where requests exist counts as 0 errors', () => {
    const [e, r] = errorPairs(6, { pControl: 0, pExperiment: 20 / 318_000 });
    e.values.control = e.values.control.map(() => NaN); // no error series on the baseline at all
    const v = verdict(byName(judge(errorsConfig(), [e, r], THRESHOLDS), 'errors'));
    expect(v.dataQuality.structuralZeros).toBe(106);
    expect(v.decision).toBe('fail');
  });

  it('pairs each errors tag set with the denominator pair of the same tags', () => {
    const [ea, ra] = errorPairs(7, { pControl: 1e-3, pExperiment: 1e-3, tags: { region: 'a' } });
    const [eb, rb] = errorPairs(8, { pControl: 1e-3, pExperiment: 3e-3, tags: { region: 'b' } });
    // requests of region b listed first: lookup must be by tags, not by order
    const res = judge(errorsConfig(), [ea, eb, rb, ra], THRESHOLDS);
    expect(verdict(byName(res, 'errors', { region: 'a' })).decision).not.toBe('fail');
    expect(verdict(byName(res, 'errors', { region: 'b' })).decision).toBe('fail');
    expect(verdict(byName(res, 'errors', { region: 'a' })).sample.exposure!.experiment).toBe(ra.values.experiment.reduce((s, x) => s + x, 0));
  });

  it('a denominator pair that is missing, or has other tags, makes the metric Error naming the field', () => {
    const [e] = errorPairs(9, { pControl: 1e-3, pExperiment: 1e-3, tags: { region: 'a' } });
    const [, rOther] = errorPairs(9, { pControl: 1e-3, pExperiment: 1e-3, tags: { region: 'z' } });
    for (const pairs of [[e], [e, rOther]]) {
      const r = byName(judge(errorsConfig(), pairs, THRESHOLDS), 'errors');
      expect(r.classification).toBe('Error');
      expect(r.classificationReason).toMatch(/metrics\[0\]\.analysisConfigurations\.canaria\.denominator/);
    }
  });

  it('no canary traffic: inconclusive by default, Pass with onNoTraffic = pass, fail with onNoTraffic = fail', () => {
    const [e, r] = errorPairs(10, { pControl: 1e-3, pExperiment: 1e-3 });
    r.values.experiment = r.values.experiment.map(() => 0);
    e.values.experiment = e.values.experiment.map(() => 0);
    expect(verdict(byName(judge(errorsConfig(), [e, r], THRESHOLDS), 'errors')).decision).toBe('inconclusive');
    expect(byName(judge(errorsConfig({}, { onNoTraffic: 'pass' }), [e, r], THRESHOLDS), 'errors').classification).toBe('Pass');
    const failed = judge(errorsConfig({}, { onNoTraffic: 'fail' }), [e, r], THRESHOLDS);
    expect(verdict(byName(failed, 'errors')).decision).toBe('fail');
    expect(failed.score.classification).toBe('Fail');
  });
});

describe('counter (exact conditional test with the configured exposure share)', () => {
  const counterConfig = (share?: number) => config([{ name: 'restarts', canaria: { kind: 'counter', ...(share !== undefined ? { expectedShare: share } : {}) } }]);
  const counts = (seed: number, rateC: number, rateE: number): MetricSetPair => {
    const u = rng(seed);
    const z = normal(u);
    const draw = (m: number) => Array.from({ length: 106 }, () => {
      // Poisson by inversion for small means
      let k = 0;
      let p = Math.exp(-m);
      let s = p;
      const x = u();
      while (x > s) {
        k++;
        p *= m / k;
        s += p;
      }
      void z;
      return k;
    });
    return pair('restarts', draw(rateC), draw(rateE));
  };
  it('fails on 5× the events at equal exposure, not on equal rates', () => {
    expect(verdict(judge(counterConfig(0.5), [counts(1, 0.1, 0.5)], THRESHOLDS).results[0]).decision).toBe('fail');
    expect(verdict(judge(counterConfig(0.5), [counts(2, 0.3, 0.3)], THRESHOLDS).results[0]).decision).not.toBe('fail');
  });
  it('without expectedShare it is refused (Error), and checkConfig names the field', () => {
    const cfg = counterConfig();
    expect(judge(cfg, [counts(3, 0.1, 0.5)], THRESHOLDS).results[0].classification).toBe('Error');
    expect(checkConfig(cfg).map((p) => p.field)).toContain('metrics[0].analysisConfigurations.canaria.expectedShare');
  });
  it('uses the share: the same counts with a canary share of 0.9 are not a regression', () => {
    // canary has 5× baseline events but 9× the exposure
    expect(verdict(judge(counterConfig(0.9), [counts(4, 0.1, 0.5)], THRESHOLDS).results[0]).decision).not.toBe('fail');
  });
});

describe('latency-histogram (exceedances per le, Bonferroni over thresholds)', () => {
  const hcfg = (extra: object = {}) => config([{ name: 'latency_buckets', canaria: { kind: 'latency-histogram', ...extra } }]);
  it('groups the per-le pairs into one result (tags without le)', () => {
    const res = judge(hcfg(), histogramPairs(1, { tags: { route: '/a' } }), THRESHOLDS);
    expect(res.results).toHaveLength(1);
    expect(res.results[0].tags).toEqual({ route: '/a' });
  });
  it('tail-only regression (2% of requests 3× slower) fails; A/A does not (5 seeds)', () => {
    for (let seed = 0; seed < 5; seed++) {
      expect(verdict(judge(hcfg(), histogramPairs(10 + seed, { slowShare: 0.02 }), THRESHOLDS).results[0]).decision).toBe('fail');
      expect(verdict(judge(hcfg(), histogramPairs(20 + seed), THRESHOLDS).results[0]).decision).not.toBe('fail');
    }
  });
  it('spread regression (σ 0.5 → 0.6, same median) fails', () => {
    expect(verdict(judge(hcfg(), histogramPairs(30, { canarySigma: 0.6 }), THRESHOLDS).results[0]).decision).toBe('fail');
  });
  it('thresholds come from the baseline: the pooled baseline exceedance of the chosen le is ≤ 1 − q', () => {
    const pairs = histogramPairs(31, { slowShare: 0.5 }); // the canary's shape must not move the thresholds
    const v = verdict(judge(hcfg({ quantiles: [0.9] }), pairs, THRESHOLDS).results[0]);
    const le = Number(/exceedance of le=([\d.]+)/.exec(v.reason)![1]);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    const inf = pairs.find((p) => p.tags!.le === '+Inf')!;
    const at = pairs.find((p) => p.tags!.le === String(le))!;
    const below = pairs.filter((p) => p.tags!.le !== '+Inf' && Number(p.tags!.le) < le).at(-1)!;
    expect(1 - sum(at.values.control) / sum(inf.values.control)).toBeLessThanOrEqual(0.1);
    expect(1 - sum(below.values.control) / sum(inf.values.control)).toBeGreaterThan(0.1);
  });
  it('without an le="+Inf" bucket the metric is Error', () => {
    const pairs = histogramPairs(32).filter((p) => p.tags!.le !== '+Inf');
    const r = judge(hcfg(), pairs, THRESHOLDS).results[0];
    expect(r.classification).toBe('Error');
    expect(r.classificationReason).toMatch(/\+Inf/);
  });
});

describe('throughput (sample-ratio mismatch)', () => {
  const share = (seed: number, canaryShare: number) => {
    const u = rng(seed);
    const z = normal(u);
    const c: number[] = [];
    const e: number[] = [];
    for (let t = 0; t < 106; t++) {
      const total = 6000 * (1 + 0.3 * Math.sin(t / 10));
      c.push(Math.round(total * (1 - canaryShare) + Math.sqrt(total) * z()));
      e.push(Math.round(total * canaryShare + Math.sqrt(total) * z()));
    }
    return pair('requests', c, e);
  };
  it('a canary share of 40% against an expected 50% fails and sets dataQuality.srm', () => {
    const v = verdict(judge(config([{ name: 'requests', canaria: { kind: 'throughput' } }]), [share(1, 0.4)], THRESHOLDS).results[0]);
    expect(v.decision).toBe('fail');
    expect(v.dataQuality.srm).toBe(true);
    expect(v.dataQuality.trafficShare!).toBeCloseTo(0.4, 2);
  });
  it('the expected share is honoured (10% canary)', () => {
    const v = verdict(judge(config([{ name: 'requests', canaria: { kind: 'throughput', expectedShare: 0.1 } }]), [share(2, 0.1)], THRESHOLDS).results[0]);
    expect(v.decision).not.toBe('fail');
    expect(v.dataQuality.srm).toBe(false);
  });
});

describe('saturation (level + trend)', () => {
  it('a leak (canary +0.3% per minute, relative) fails on the trend', () => {
    const p = latencyPair(40, { name: 'memory', sd: 0.01, phi: 0.5 });
    p.values.experiment = p.values.experiment.map((x, t) => x * Math.exp(0.003 * t));
    const v = verdict(judge(config([{ name: 'memory', canaria: { kind: 'saturation' } }]), [p], THRESHOLDS).results[0]);
    expect(v.decision).toBe('fail');
    expect(v.subtests!.find((s) => s.test === 'trend')!.decision).toBe('fail');
  });
  it('A/A saturation does not fail (10 seeds) and reports both sub-tests', () => {
    for (let seed = 50; seed < 60; seed++) {
      const v = verdict(judge(config([{ name: 'cpu', canaria: { kind: 'saturation' } }]), [latencyPair(seed, { name: 'cpu' })], THRESHOLDS).results[0]);
      expect(v.decision).not.toBe('fail');
      expect(v.subtests!.map((s) => s.test)).toEqual(['level', 'trend']);
    }
  });
});

describe('warm-up and the MSER-5 persistence rule', () => {
  // brief §1.5 scenario, made strong enough that the full series alone often rejects:
  // canary + A·e^{−t/τ} with A = 10 sd (log sd 0.05 → +65% at t = 0), τ = 15 points, iid noise
  const blipped = (seed: number, effect = 1) => latencyPair(600 + seed, { phi: 0, sd: 0.05, blip: { size: 10, tau: 15 }, effect });
  const run = (p: MetricSetPair, jc?: object) => verdict(judge(config([{ name: 'latency' }], jc as never), [p], THRESHOLDS).results[0]);

  it('a decaying start-up blip on an A/A canary: never a fail with the persistence rule, often "transient"', () => {
    let transient = 0;
    for (let seed = 0; seed < 20; seed++) {
      const v = run(blipped(seed));
      expect(v.decision).not.toBe('fail');
      if (/Transient at start/.test(v.reason)) {
        transient++;
        expect(v.sample.transientPointsTrimmed!).toBeGreaterThan(0);
      }
    }
    expect(transient).toBeGreaterThanOrEqual(5);
  });
  it('with persistence off, the same blips fail where they were transient', () => {
    let fails = 0;
    for (let seed = 0; seed < 20; seed++) {
      const on = run(blipped(seed));
      const off = run(blipped(seed), { persistence: false });
      if (/Transient at start/.test(on.reason)) expect(off.decision).toBe('fail');
      if (off.decision === 'fail') fails++;
    }
    expect(fails).toBeGreaterThanOrEqual(5);
  });
  it('a persistent +20% regression with the same blip still fails (≥ 18 of 20 seeds)', () => {
    let fails = 0;
    for (let seed = 0; seed < 20; seed++) if (run(blipped(seed, 1.2)).decision === 'fail') fails++;
    expect(fails).toBeGreaterThanOrEqual(18);
  });
  // a canary 50% slower for its first 15 minutes, then like the baseline
  const blip = () => {
    const p = latencyPair(70, { sd: 0.02 });
    p.values.experiment = p.values.experiment.map((x, t) => x * (t < 15 ? 1.5 : 1));
    return p;
  };
  it('a configured warm-up of 20 minutes drops the blip: the rest passes', () => {
    const v = verdict(judge(config([{ name: 'latency' }], { warmupMinutes: 20 }), [blip()], THRESHOLDS).results[0]);
    expect(v.sample.warmupPointsExcluded).toBe(20);
    expect(v.sample.n).toBe(86);
    expect(v.decision).toBe('pass');
  });
  it('count kinds use the configured warm-up only', () => {
    const [e, r] = errorPairs(71, { pControl: 1e-3, pExperiment: 1e-3 });
    const v = verdict(byName(judge(errorsConfig({}, { warmupMinutes: 10 }), [e, r], THRESHOLDS), 'errors'));
    expect(v.sample.warmupPointsExcluded).toBe(10);
    expect(v.sample.n).toBe(96);
    expect(v.sample.transientPointsTrimmed).toBeUndefined();
  });
});

describe('Benjamini–Hochberg across metrics', () => {
  // d_t = μ ± a alternating: lag-1 r ≈ −1 → ρ̃ = 0, n_eff = n = 100, ν = 99, t = μ√99/a.
  // μ = 2.1·a/√99 gives a one-sided p ≈ 0.02: significant alone, not after BH over 10 metrics.
  const a = 0.01;
  const mu = (2.1 * a) / Math.sqrt(99);
  const moderate = pair('m0', Array(100).fill(100), Array.from({ length: 100 }, (_, t) => 100 * Math.exp(mu + (t % 2 ? a : -a))));
  const flat = (i: number) => pair(`m${i}`, Array(100).fill(100), Array(100).fill(100));
  const metrics = Array.from({ length: 10 }, (_, i) => ({ name: `m${i}`, canaria: { margin: 0 } }));
  const pairs = [moderate, ...Array.from({ length: 9 }, (_, i) => flat(i + 1))];

  it('the moderate metric alone (multipleTesting none) fails; with BH over 10 metrics it does not', () => {
    const none = judge(config(metrics, { multipleTesting: 'none' }), pairs, THRESHOLDS);
    const bh = judge(config(metrics), pairs, THRESHOLDS);
    const vNone = verdict(byName(none, 'm0'));
    const vBh = verdict(byName(bh, 'm0'));
    expect(vNone.test.pValue!).toBeGreaterThan(0.005);
    expect(vNone.test.pValue!).toBeLessThan(0.05);
    expect(vNone.decision).toBe('fail');
    expect(vBh.decision).not.toBe('fail');
    expect(vBh.test.pValueAdjusted!).toBeGreaterThan(0.05);
  });

  it('the reported adjusted p-values are BH of the raw ones over the non-muted metrics', () => {
    const res = judge(config([...metrics, { name: 'muted', canary: { muted: true } }]), [...pairs, latencyPair(5, { name: 'muted', effect: 2 })], THRESHOLDS);
    const raw = metrics.map((m) => verdict(byName(res, m.name)).test.pValue!);
    const adj = adjustPValues(raw, 'bh');
    metrics.forEach((m, i) => expect(verdict(byName(res, m.name)).test.pValueAdjusted).toBe(adj[i]));
    expect(verdict(byName(res, 'muted')).test.pValueAdjusted).toBeNull();
  });
});

describe('margin 0', () => {
  it('identical series: inconclusive, not pass, not fail', () => {
    const p = latencyPair(80);
    p.values.experiment = [...p.values.control];
    const v = verdict(judge(config([{ name: 'latency', canaria: { margin: 0 } }]), [p], THRESHOLDS).results[0]);
    expect(v.decision).toBe('inconclusive');
    expect(v.reason).toMatch(/margin of 0/);
  });
  it('A/A fails at most at the α rate (40 seeds: ≤ 6, i.e. 5% + 3 binomial sd) and never passes; a real +10% still fails', () => {
    let fails = 0;
    for (let seed = 0; seed < 40; seed++) {
      const d = verdict(judge(config([{ name: 'latency', canaria: { margin: 0 } }]), [latencyPair(300 + seed)], THRESHOLDS).results[0]).decision;
      if (d === 'fail') fails++;
      // pass with margin 0 would need the upper bound below 0: a significant improvement, ≤ α of A/A runs
    }
    expect(fails).toBeLessThanOrEqual(6);
    expect(verdict(judge(config([{ name: 'latency', canaria: { margin: 0 } }]), [latencyPair(320, { effect: 1.1 })], THRESHOLDS).results[0]).decision).toBe('fail');
  });
});

describe('summary rules', () => {
  const proven = (name: string, seed: number) => latencyPair(seed, { name, sd: 0.01 }); // tight: proves the 5% margin
  const undecided = (name: string) => latencyPair(7, { name, n: 10 }); // n_eff < 8 → inconclusive
  const failing = (name: string, seed: number) => latencyPair(seed, { name, effect: 1.3 });
  const four = ['a', 'b', 'c', 'd'];

  it('(3) every non-muted metric proven within its margin → Pass, score 100', () => {
    const res = judge(config(four.map((name) => ({ name }))), four.map((n, i) => proven(n, 400 + i)), THRESHOLDS);
    res.results.forEach((r) => expect(verdict(r).decision).toBe('pass'));
    expect(res.score.score).toBe(100);
    expect(res.score.classification).toBe('Pass');
  });

  it('(2) no fail but one inconclusive → Marginal, score in [marginal, pass)', () => {
    for (const thresholds of [THRESHOLDS, { pass: 80, marginal: 50 }]) {
      const pairs = [proven('a', 410), proven('b', 411), proven('c', 412), undecided('d')];
      const res = judge(config(four.map((name) => ({ name }))), pairs, thresholds);
      expect(verdict(byName(res, 'd')).decision).toBe('inconclusive');
      expect(res.score.classification).toBe('Marginal');
      expect(res.score.score).toBeGreaterThanOrEqual(thresholds.marginal);
      expect(res.score.score).toBeLessThan(thresholds.pass);
      expect(res.score.classificationReason).toMatch(/1 inconclusive/);
    }
  });

  it('(2) a single inconclusive metric alone is Marginal too (not the brief\'s 0.5 → Fail)', () => {
    const res = judge(config([{ name: 'd' }]), [undecided('d')], THRESHOLDS);
    expect(res.score.classification).toBe('Marginal');
  });

  it('inconclusive policy "pass" makes it Pass; "nodata" labels it Nodata', () => {
    const pairs = [proven('a', 410), proven('b', 411), proven('c', 412), undecided('d')];
    expect(judge(config(four.map((name) => ({ name })), { inconclusive: 'pass' }), pairs, THRESHOLDS).score.classification).toBe('Pass');
    const nd = judge(config(four.map((name) => ({ name })), { inconclusive: 'nodata' }), pairs, THRESHOLDS);
    expect(byName(nd, 'd').classification).toBe('Nodata');
  });

  it('(4) a critical metric that fails → score 0; a non-critical fail → below marginal but above 0', () => {
    const pairs = [proven('a', 420), proven('b', 421), proven('c', 422), failing('d', 423)];
    const plain = judge(config(four.map((name) => ({ name }))), pairs, THRESHOLDS);
    expect(plain.score.classification).toBe('Fail');
    expect(plain.score.score).toBeGreaterThan(0);
    expect(plain.score.score).toBeLessThan(THRESHOLDS.marginal);
    expect(plain.score.classificationReason).toMatch(/1 metric failed \(d /);
    const crit = judge(config(four.map((name) => ({ name, canary: name === 'd' ? { critical: true } : {} }))), pairs, THRESHOLDS);
    expect(crit.score.score).toBe(0);
    expect(byName(crit, 'd').critical).toBe(true);
  });

  it('criticalIncrease: a critical metric failing below its critical bound counts as a plain fail', () => {
    const pairs = [proven('a', 420), proven('b', 421), proven('c', 422), failing('d', 423)];
    const res = judge(config(four.map((name) => ({ name, canary: name === 'd' ? { critical: true, effectSize: { criticalIncrease: 3 } } : {} }))), pairs, THRESHOLDS);
    expect(verdict(byName(res, 'd')).decision).toBe('fail');
    expect(byName(res, 'd').critical).toBe(false);
    expect(res.score.score).toBeGreaterThan(0);
  });

  it('muted metrics are reported but neither scored nor part of BH', () => {
    const res = judge(config([{ name: 'a' }, { name: 'm', canary: { muted: true } }]), [proven('a', 430), failing('m', 431)], THRESHOLDS);
    expect(byName(res, 'm').muted).toBe(true);
    expect(verdict(byName(res, 'm')).decision).toBe('fail');
    expect(res.score.classification).toBe('Pass');
  });

  it('no data: Nodata is not scored; mustHaveData makes it NodataFailMetric and fails; all nodata → 0', () => {
    const empty = (name: string) => pair(name, [], []);
    const res = judge(config([{ name: 'a' }, { name: 'b' }]), [proven('a', 440), empty('b')], THRESHOLDS);
    expect(byName(res, 'b').classification).toBe('Nodata');
    expect(verdict(byName(res, 'b')).decision).toBe('nodata');
    expect(res.score.classification).toBe('Pass');
    const must = judge(config([{ name: 'a' }, { name: 'b', canary: { mustHaveData: true } }]), [proven('a', 440), empty('b')], THRESHOLDS);
    expect(byName(must, 'b').classification).toBe('NodataFailMetric');
    expect(must.score.classification).toBe('Fail');
    expect(judge(config([{ name: 'b' }]), [empty('b')], THRESHOLDS).score.score).toBe(0);
  });

  it('group weights: the score is normalised by the weights of the groups present', () => {
    const cfg = config([{ name: 'a', groups: ['x'] }, { name: 'b', groups: ['y'] }], undefined, { x: 30, y: 30 });
    const res = judge(cfg, [proven('a', 450), undecided('b')], THRESHOLDS);
    // f = (30·1 + 30·0)/60 = 0.5 → marginal + (pass − marginal)·0.5
    expect(res.score.score).toBe(85);
    expect(res.groupScores.map((g) => [g.name, g.score])).toEqual([['x', 100], ['y', 0]]);
  });

  it('scoring "kayenta" runs the WeightedSumScorer port on the labels', () => {
    const pairs = [proven('a', 420), proven('b', 421), proven('c', 422), failing('d', 423)];
    const res = judge(config(four.map((name) => ({ name })), { scoring: 'kayenta' }), pairs, THRESHOLDS);
    expect(res.score.score).toBe(75); // 3 of 4 Pass in one group
  });
});

describe('Kayenta options canaria-v1 does not support', () => {
  it('cles and outliers.strategy=remove are reported in dataQuality.warnings', () => {
    const res = judge(config([{ name: 'latency', canary: { effectSize: { measure: 'cles' }, outliers: { strategy: 'remove' } } }]), [latencyPair(1)], THRESHOLDS);
    const w = verdict(res.results[0]).dataQuality.warnings.join(' | ');
    expect(w).toMatch(/cles/);
    expect(w).toMatch(/outliers\.strategy=remove ignored/);
  });
  it('an unimplemented sequential mode is reported, not silently dropped', () => {
    const res = judge(config([{ name: 'latency' }], { sequential: { mode: 'always-valid' } }), [latencyPair(1)], THRESHOLDS);
    expect(verdict(res.results[0]).dataQuality.warnings.join(' ')).toMatch(/sequential\.mode=always-valid is not implemented/);
  });
});

describe('determinism and purity', () => {
  it('the same input gives the same result, and the input is not modified', () => {
    const make = () => [latencyPair(1), ...errorPairs(2, { pControl: 1e-3, pExperiment: 2e-3 }), ...histogramPairs(3)];
    const cfg = config([
      { name: 'latency' },
      { name: 'errors', canaria: { kind: 'errors', denominator: 'requests' } },
      { name: 'requests' },
      { name: 'latency_buckets', canaria: { kind: 'latency-histogram' } },
    ]);
    const input = make();
    const before = JSON.stringify(input);
    const a = judge(cfg, input, THRESHOLDS);
    const b = judge(cfg, make(), THRESHOLDS);
    expect(JSON.stringify(input)).toBe(before);
    expect(a).toEqual(b);
  });
});

describe('checkConfig', () => {
  const problems = (metrics: Parameters<typeof config>[0], jc?: object) => checkConfig(config(metrics, jc as never));
  it('is empty for a good config', () => {
    expect(problems([{ name: 'errors', canaria: { kind: 'errors', denominator: 'requests' } }, { name: 'requests' }], { alpha: 0.01 })).toEqual([]);
  });
  it.each([
    [{ name: 'm', canaria: { kind: 'latencyy' } }, 'metrics[0].analysisConfigurations.canaria.kind', /must be one of/],
    [{ name: 'm', canaria: { margin: -0.1 } }, 'metrics[0].analysisConfigurations.canaria.margin', /≥ 0/],
    [{ name: 'm', canaria: { kind: 'errors' } }, 'metrics[0].analysisConfigurations.canaria.denominator', /needs/],
    [{ name: 'm', canaria: { kind: 'errors', denominator: 'reqs' } }, 'metrics[0].analysisConfigurations.canaria.denominator', /names no metric of this config: "reqs"/],
    [{ name: 'm', canaria: { kind: 'counter' } }, 'metrics[0].analysisConfigurations.canaria.expectedShare', /counter/],
    [{ name: 'm', canaria: { kind: 'latency-histogram', quantiles: [0.5, 1] } }, 'metrics[0].analysisConfigurations.canaria.quantiles[1]', /\(0, 1\)/],
    [{ name: 'm', canaria: { kind: 'latency-histogram', quantiles: [0] } }, 'metrics[0].analysisConfigurations.canaria.quantiles[0]', /\(0, 1\)/],
    [{ name: 'm', canaria: { expectedShare: 1.5 } }, 'metrics[0].analysisConfigurations.canaria.expectedShare', /\(0, 1\)/],
    [{ name: 'm', canaria: { tests: ['level', 'slope'] } }, 'metrics[0].analysisConfigurations.canaria.tests[1]', /must be one of/],
    [{ name: 'm', canaria: { kindd: 'errors' } }, 'metrics[0].analysisConfigurations.canaria.kindd', /unknown key/],
  ])('%j → %s', (metric, field, message) => {
    const got = problems([metric as never]);
    const hit = got.find((p) => p.field === field);
    expect(hit, JSON.stringify(got)).toBeDefined();
    expect(hit!.message).toMatch(message);
  });
  it.each([
    [{ alpha: 0 }, 'judge.judgeConfigurations.alpha'],
    [{ alpha: 0.7 }, 'judge.judgeConfigurations.alpha'],
    [{ power: 1 }, 'judge.judgeConfigurations.power'],
    [{ multipleTesting: 'holm' }, 'judge.judgeConfigurations.multipleTesting'],
    [{ inconclusive: 'fail' }, 'judge.judgeConfigurations.inconclusive'],
    [{ scoring: 'weighted' }, 'judge.judgeConfigurations.scoring'],
    [{ onNoTraffic: 'skip' }, 'judge.judgeConfigurations.onNoTraffic'],
    [{ warmupMinutes: -1 }, 'judge.judgeConfigurations.warmupMinutes'],
    [{ sequential: { mode: 'always' } }, 'judge.judgeConfigurations.sequential.mode'],
  ])('%j → %s', (jc, field) => {
    expect(problems([{ name: 'm' }], jc).map((p) => p.field)).toContain(field);
  });
  it('the judge refuses an invalid judge-level config, and turns a metric-level problem into Error naming the field', () => {
    expect(() => judge(config([{ name: 'latency' }], { alpha: 2 }), [latencyPair(1)], THRESHOLDS)).toThrow(/judge\.judgeConfigurations\.alpha/);
    const r = judge(config([{ name: 'latency', canaria: { kind: 'nope' as never } }]), [latencyPair(1)], THRESHOLDS).results[0];
    expect(r.classification).toBe('Error');
    expect(r.classificationReason).toMatch(/metrics\[0\]\.analysisConfigurations\.canaria\.kind/);
  });
});

describe('alignment edge cases', () => {
  it('sides a year apart at a one-minute step: unpaired, without building a year-long grid', () => {
    const p = latencyPair(90);
    p.scopes = scopes(START - 365 * 86_400_000, START);
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.paired).toBe(false);
    expect(v.decision).not.toBe('fail');
  });
  it('sides on different steps: unpaired', () => {
    const p = latencyPair(91);
    p.scopes = { control: { startTimeMillis: START, stepMillis: 60_000 }, experiment: { startTimeMillis: START, stepMillis: 30_000 } };
    expect(verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]).sample.paired).toBe(false);
  });
  it('null and string values are missing, like NaN', () => {
    const p = latencyPair(92);
    (p.values.experiment as unknown[])[3] = null;
    (p.values.control as unknown[])[4] = 'NaN';
    const v = verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]);
    expect(v.sample.n).toBe(104);
  });
});

describe('spread (Brown–Forsythe on rolling-median deviations)', () => {
  const wider = (seed: number) => {
    const z = normal(rng(seed));
    const c = ar1(z, 106, 0.3, 0.05).map((x) => 100 * Math.exp(x));
    const e = ar1(z, 106, 0.3, 0.15).map((x) => 100 * Math.exp(x)); // 3× the spread, same median
    return pair('latency', c, e);
  };
  it('reported (not tested) by default: spreadRatio well above 1, the level test alone decides', () => {
    const v = verdict(judge(config([{ name: 'latency' }]), [wider(95)], THRESHOLDS).results[0]);
    expect(v.dataQuality.spreadRatio!).toBeGreaterThan(2);
    expect(v.subtests).toBeUndefined();
  });
  it('with tests ["level", "spread"] a pure spread increase fails on the spread sub-test', () => {
    const v = verdict(judge(config([{ name: 'latency', canaria: { tests: ['level', 'spread'] } }]), [wider(96)], THRESHOLDS).results[0]);
    expect(v.decision).toBe('fail');
    expect(v.subtests!.find((s) => s.test === 'spread')!.decision).toBe('fail');
  });
});

describe('display quantiles and one-sided data', () => {
  it('histogram quantiles per side: lognormal median 0.1 s, a 1.5× slower canary shows a higher p50 on the canary side', () => {
    const pairs = histogramPairs(97, { perMinute: 3000 });
    const slower = histogramPairs(97, { perMinute: 3000, slowShare: 1, slowFactor: 1.5 });
    const merged = pairs.map((p, i) => ({ ...p, values: { control: p.values.control, experiment: slower[i].values.experiment } }));
    const v = verdict(judge(config([{ name: 'latency_buckets', canaria: { kind: 'latency-histogram' } }]), merged, THRESHOLDS).results[0]);
    const p50 = v.quantiles!.find((x) => x.q === 0.5)!;
    // baseline p50 ≈ 0.1 s (interpolated inside the 0.05–0.1 or 0.1–0.25 bucket)
    expect(p50.control).toBeGreaterThan(0.05);
    expect(p50.control).toBeLessThan(0.25);
    expect(p50.experiment).toBeGreaterThan(p50.control);
    expect(v.reason).toMatch(/quantiles canary vs baseline: p50/);
  });
  it('a metric with data on one side only: inconclusive, or NodataFailMetric with mustHaveData', () => {
    const p = latencyPair(98);
    p.values.experiment = p.values.experiment.map(() => NaN);
    expect(verdict(judge(config([{ name: 'latency' }]), [p], THRESHOLDS).results[0]).decision).toBe('inconclusive');
    const must = judge(config([{ name: 'latency', canary: { mustHaveData: true } }]), [p], THRESHOLDS);
    expect(must.results[0].classification).toBe('NodataFailMetric');
    expect(must.score.classification).toBe('Fail');
  });
});

describe('no events on either side', () => {
  it('passes an errors metric with no errors on either side, giving the bound on the canary rate', () => {
    const res = judge(errorsConfig(), errorPairs(41, { pControl: 0, pExperiment: 0 }), THRESHOLDS);
    const v = verdict(byName(res, 'errors'));
    expect(v.decision).toBe('pass');
    const requests = v.sample.exposure!.experiment;
    // Exact one-sided 95% bound with no events: 1 − 0.05^(1/N), about 3/N.
    const bound = 1 - Math.pow(0.05, 1 / requests);
    const shown = Number(/no errors on either side: the canary's rate is below ([0-9.e-]+) \(one-sided 95%, exact\)/.exec(v.reason)![1]);
    expect(Math.abs(shown / bound - 1)).toBeLessThan(0.005);
    expect(res.score.classification).toBe('Pass');
  });

  it('still fails the canary that throws errors where the baseline threw none', () => {
    const res = judge(errorsConfig(), errorPairs(42, { pControl: 0, pExperiment: 10 / (50 * 60 * 106) }), THRESHOLDS);
    expect(verdict(byName(res, 'errors')).decision).not.toBe('pass');
  });
});

describe('every reason that is not a pass names the smallest detectable change', () => {
  it('in a fail, an inconclusive and a transient', () => {
    const fail = judge(config([{ name: 'latency' }]), [latencyPair(7, { effect: 1.3 })], THRESHOLDS);
    const inconclusive = judge(config([{ name: 'latency' }]), [latencyPair(8, { phi: 0.95, n: 30 })], THRESHOLDS);
    const transient = judge(config([{ name: 'latency', canaria: { margin: 0 } }]), [latencyPair(9, { blip: { size: 40, tau: 3 } })], THRESHOLDS);
    for (const res of [fail, inconclusive, transient]) {
      const v = verdict(res.results[0]);
      expect(v.decision).not.toBe('pass');
      expect(v.reason).toMatch(/smallest detectable change [+−×]?[0-9]/);
    }
  });
});
