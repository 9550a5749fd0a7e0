// canaria-v1 repeated looks (brief §1.8): the always-valid numerics against R
// (test/fixtures/r/canaria-v1-sequential.json from scripts/r/canaria-v1-sequential-vectors.R, where
// every closed form is also re-derived by numerical integration / root finding), and judgeLook.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge, judgeLook, type CanaryLookResult, type CanariaResultMetadata, type SequenceState } from '../../../lib/judge/canaria-v1/index.ts';
import { essSummary } from '../../../lib/judge/canaria-v1/ess.ts';
import { pnorm } from '../../../lib/judge/canaria-v1/numerics.ts';
import {
  betaBinomialCs,
  betaBinomialLogE,
  csHalfwidth,
  csHalfwidthOneSided,
  eBH,
  mixtureKappa2,
  normalMixtureLogE,
  normalMixtureLogEOneSided,
  normalSequence,
  pastBurnIn,
  plannedEffectiveN,
  shareAt,
} from '../../../lib/judge/canaria-v1/sequential.ts';
import type { MetricSetPair } from '../../../lib/judge/types.ts';
import { ar1, config, errorPairs, histogramPairs, latencyPair, normal, pair, rng, THRESHOLDS } from './support.ts';

const R = JSON.parse(readFileSync(new URL('../../fixtures/r/canaria-v1-sequential.json', import.meta.url), 'utf8'));
type Row = Record<string, number>;

function close(got: number, want: number, rel: number, abs = 0): void {
  if (!Number.isFinite(want)) {
    expect(got).toBe(want);
    return;
  }
  const err = Math.abs(got - want);
  if (err > rel * Math.abs(want) + abs) throw new Error(`got ${got}, R ${want}: error ${err.toExponential(2)}`);
}

describe('normal mixture e-values (R closed form and numerical integration)', () => {
  it.each(R.normalMixture as Row[])('z=$z V=$V', (r) => {
    close(normalMixtureLogE(r.z, r.V), r.logE, 1e-13, 1e-14);
    close(normalMixtureLogE(r.z, r.V), r.logENumeric, 1e-10, 1e-12);
    close(normalMixtureLogEOneSided(r.z, r.V), r.logEOneSided, 1e-12, 1e-13);
    close(normalMixtureLogEOneSided(r.z, r.V), r.logEOneSidedNumeric, 1e-10, 1e-12);
  });
  it('one-sided far in the wrong direction stays finite (Mills-ratio tail)', () => {
    // ln Φ(x) ≈ −x²/2 − ln(−x) − ½ln 2π cancels the exponent: Λ₁ → 2(1+V)^(−½)·φ-tail, slowly to 0
    const v = normalMixtureLogEOneSided(-80, 5);
    const x = -80 * Math.sqrt(5 / 6);
    expect(v).toBeCloseTo(Math.LN2 - 0.5 * Math.log(6) - Math.log(-x) - 0.5 * Math.log(2 * Math.PI), 3);
  });
});

describe('mixture tuning and confidence-sequence half-widths', () => {
  it.each(R.kappa2 as Row[])('κ²(α=$alpha, n*=$nStar)', (r) => close(mixtureKappa2(r.alpha, r.nStar), r.kappa2, 1e-14));
  it.each(R.csHalfwidth as Row[])('se=$se V=$V α=$alpha', (r) => {
    close(csHalfwidth(r.se, r.V, r.alpha), r.twoSided, 1e-14);
    close(csHalfwidth(r.se, r.V, r.alpha), r.twoSidedRoot, 1e-10);
    close(csHalfwidthOneSided(r.se, r.V, r.alpha), r.oneSided, 1e-14);
  });
  it('brief §1.8: multiplier ≈ 3.04 at n_eff = n* = 30 (α = 0.05)', () => {
    const V = 30 * mixtureKappa2(0.05, 30);
    expect(csHalfwidth(1, V, 0.05)).toBeCloseTo(3.04, 2);
  });
  it('normalSequence: harm-side e-value and the one-sided bounds', () => {
    const s = normalSequence(0.5, 0.2, 20, 0.1, 0.05, 'increase');
    expect(s.logE).toBeCloseTo(normalMixtureLogEOneSided(2.5, 2), 14);
    expect(s.upper - 0.5).toBeCloseTo(csHalfwidthOneSided(0.2, 2, 0.05), 14);
    expect(normalSequence(0.5, 0.2, 20, 0.1, 0.05, 'decrease').logE).toBeCloseTo(normalMixtureLogEOneSided(-2.5, 2), 14);
    expect(normalSequence(0.5, 0.2, 20, 0.1, 0.05, 'either').logE).toBeCloseTo(normalMixtureLogE(2.5, 2), 14);
    expect(normalSequence(0.1, 0, 20, 0.1, 0.05, 'increase').logE).toBe(Infinity);
    expect(normalSequence(-0.1, 0, 20, 0.1, 0.05, 'increase').logE).toBe(0);
  });
});

describe('beta-binomial mixture e-process (R closed form and numerical integration)', () => {
  it.each(R.betaBinomial as Row[])('e_E=$eE e_C=$eC π=$pi k=$k', (r) => {
    close(betaBinomialLogE(r.eE, r.eC, r.pi, 'two-sided', r.k), r.logE, 1e-11, 1e-12);
    close(betaBinomialLogE(r.eE, r.eC, r.pi, 'increase', r.k), r.logEIncrease, 1e-10, 1e-11);
    close(betaBinomialLogE(r.eE, r.eC, r.pi, 'decrease', r.k), r.logEDecrease, 1e-10, 1e-11);
    close(betaBinomialLogE(r.eE, r.eC, r.pi, 'two-sided', r.k), r.logENumeric, 1e-9, 1e-10);
  });
  it.each(R.betaBinomialCs as Row[])('CS e_E=$eE e_C=$eC π0=$pi0 α=$alpha', (r) => {
    const cs = betaBinomialCs(r.eE, r.eC, r.pi0, r.alpha);
    close(cs.lower, r.lower, 1e-9, 1e-10);
    close(cs.upper, r.upper, 1e-9, 1e-10);
  });
  it('no events: E = 1 and an unbounded CS; zero baseline: no upper bound', () => {
    expect(betaBinomialLogE(0, 0, 0.5)).toBe(0);
    expect(betaBinomialCs(0, 0, 0.5, 0.05)).toEqual({ lower: -Infinity, upper: Infinity, estimate: 0 });
    expect(betaBinomialCs(9, 0, 0.5, 0.05).upper).toBe(Infinity);
    expect(shareAt(0, 0.3)).toBeCloseTo(0.3, 15);
    expect(shareAt(Math.log(2), 0.5)).toBeCloseTo(2 / 3, 15);
  });
});

describe('e-BH (R: BH on 1/e)', () => {
  it.each(R.eBH as Array<{ e: number[]; alpha: number; rejected: boolean[] }>)('e=$e α=$alpha', (r) => expect(eBH(r.e, r.alpha)).toEqual(r.rejected));
});

describe('burn-in and the planned n_eff', () => {
  it('decisions from 30 points and n_eff ≥ 8', () => {
    expect(pastBurnIn(29, 20)).toBe(false);
    expect(pastBurnIn(30, 7.9)).toBe(false);
    expect(pastBurnIn(30, 8)).toBe(true);
    expect(pastBurnIn(30, null)).toBe(false);
  });
  it('configured n*, else n_eff scaled to the planned looks, floor 15', () => {
    expect(plannedEffectiveN(40, 10, 3, 12)).toBe(40);
    expect(plannedEffectiveN(null, 10, 3, 12)).toBe(40);
    expect(plannedEffectiveN(undefined, 10, 3, undefined)).toBe(15);
    expect(plannedEffectiveN(undefined, 30, 12, 12)).toBe(30);
  });
});

// ---- judgeLook -------------------------------------------------------------------------------

const cfg = (margin: number, extra: Record<string, unknown> = {}) => config([{ name: 'latency', canaria: { margin } }], extra);

/** additive AR(1) latency around 100 (sd 5), canary shifted by `shift` sd; full 120-point series */
function series(seed: number, shift: number, phi = 0): { c: number[]; e: number[] } {
  const z = normal(rng(seed));
  return { c: ar1(z, 120, phi, 5).map((x) => 100 + x), e: ar1(z, 120, phi, 5).map((x) => 100 + 5 * shift + x) };
}

function runLooks(config: ReturnType<typeof cfg>, s: { c: number[]; e: number[] }, every = 10, planned = 12): Array<{ result: CanaryLookResult; state: SequenceState }> {
  const out: Array<{ result: CanaryLookResult; state: SequenceState }> = [];
  let state: SequenceState | undefined;
  for (let k = 1; k <= planned; k++) {
    const n = every * k;
    const r = judgeLook(config, [pair('latency', s.c.slice(0, n), s.e.slice(0, n))], THRESHOLDS, state, { plannedLooks: planned });
    state = JSON.parse(JSON.stringify(r.state)) as SequenceState; // what a caller stores
    out.push(r);
  }
  return out;
}

const meta = (r: CanaryLookResult, i = 0) => (r.results[i].resultMetadata as CanariaResultMetadata).canaria!;

describe('judgeLook', () => {
  it('a 1-sd shift stops failed after burn-in, and later looks repeat the answer', () => {
    const looks = runLooks(cfg(0.025), series(3, 1));
    const first = looks.findIndex((l) => l.result.canaria.stop === 'fail');
    expect(first).toBeGreaterThanOrEqual(2); // nothing before 30 points
    expect(first).toBeLessThanOrEqual(5);
    const stopped = looks[first];
    expect(stopped.result.score.classification).toBe('Fail');
    expect(stopped.result.canaria).toMatchObject({ stop: 'fail', lookIndex: first + 1, stoppedAtLook: first + 1 });
    expect(stopped.state.stoppedAtLook).toBe(first + 1);
    const m = meta(stopped.result);
    expect(m.test.sequential).toBe(true);
    expect(m.test.sequence).toMatchObject({ look: first + 1, looks: first + 1, decision: 'fail', pastBurnIn: true });
    expect(m.test.sequence!.eValue).toBeGreaterThanOrEqual(20);
    expect(m.test.sequence!.interval.lower).toBeGreaterThan(1);
    for (const later of looks.slice(first + 1)) {
      expect(later.result.canaria).toMatchObject({ stop: 'fail', stoppedAtLook: first + 1 });
      expect(later.result.score).toEqual(stopped.result.score);
      expect(later.result.results[0].classificationReason).toBe(stopped.result.results[0].classificationReason);
    }
    expect(JSON.stringify(looks[11].state).length).toBeLessThan(2000);
  });

  it('before burn-in every look continues, whatever the data', () => {
    const looks = runLooks(cfg(0), series(4, 3));
    expect(looks[0].result.canaria.stop).toBe('continue');
    expect(looks[1].result.canaria.stop).toBe('continue');
    expect(meta(looks[1].result).test.sequence!.pastBurnIn).toBe(false);
    expect(looks[0].result.score.classification).toBe('Marginal');
  });

  it('an A/A canary with a 1-sd margin stops passed before the end', () => {
    const looks = runLooks(cfg(0.05), series(5, 0));
    const first = looks.findIndex((l) => l.result.canaria.stop === 'pass');
    expect(first).toBeGreaterThanOrEqual(2);
    expect(first).toBeLessThan(11);
    expect(looks[first].result.score.classification).toBe('Pass');
    expect(meta(looks[first].result).test.sequence!.interval.upper).toBeLessThan(1.05);
  });

  it('nothing proven at the planned last look → inconclusive (Marginal); options.final does the same', () => {
    const looks = runLooks(cfg(0), series(6, 0));
    expect(looks.slice(0, 11).every((l) => l.result.canaria.stop === 'continue')).toBe(true);
    expect(looks[11].result.canaria).toMatchObject({ stop: 'inconclusive', stoppedAtLook: 12 });
    expect(looks[11].result.score.classification).toBe('Marginal');
    const s = series(6, 0);
    const r = judgeLook(cfg(0), [pair('latency', s.c.slice(0, 60), s.e.slice(0, 60))], THRESHOLDS, undefined, { final: true });
    expect(r.result.canaria.stop).toBe('inconclusive');
  });

  it('the e-value is the one-sided normal mixture on the ESS-t statistic, evaluated here from the brief', () => {
    const s = series(7, 0.6);
    const n = 60;
    const { result } = judgeLook(cfg(0, { sequential: { plannedEffectiveN: 40 } }), [pair('latency', s.c.slice(0, n), s.e.slice(0, n))], THRESHOLDS);
    const d = s.e.slice(0, n).map((x, i) => Math.log(x) - Math.log(s.c[i]));
    const es = essSummary(d);
    const l = 2 * Math.log(1 / 0.1); // κ tuned with 2α
    const V = es.nEff * ((l + Math.log(1 + l)) / 40);
    const z = es.mean / es.se;
    const lam = Math.pow(1 + V, -0.5) * Math.exp((z * z * V) / (2 * (1 + V))) * 2 * pnorm(z * Math.sqrt(V / (1 + V)));
    const seq = meta(result).test.sequence!;
    expect(seq.eValue / lam).toBeCloseTo(1, 9);
    const half = es.se * Math.sqrt(((2 * (1 + V)) / V) * Math.log(1 + Math.sqrt(1 + V) / 0.1));
    expect(Math.log(seq.interval.upper)).toBeCloseTo(es.mean + half, 9);
    expect(Math.log(seq.interval.lower)).toBeCloseTo(es.mean - half, 9);
    expect(seq.plannedEffectiveN).toBe(40);
  });

  it('A/A over 12 looks at ρ = 0.8 does not fail (40 seeded runs)', () => {
    let fails = 0;
    for (let seed = 100; seed < 140; seed++) if (runLooks(cfg(0), series(seed, 0, 0.8)).some((l) => l.result.canaria.stop === 'fail')) fails++;
    expect(fails).toBeLessThanOrEqual(3);
  });

  it('counts: the beta-binomial ∩ per-bucket e-process fails a ×2 error rate and reports its sequence', () => {
    const [e, q] = errorPairs(11, { n: 60, rps: 50, pControl: 1e-3, pExperiment: 2e-3 });
    const c = config([{ name: 'errors', canaria: { kind: 'errors', denominator: 'requests' } }, { name: 'requests', canary: { muted: true } }]);
    const { result, state } = judgeLook(c, [e, q], THRESHOLDS);
    expect(result.canaria.stop).toBe('fail');
    const m = meta(result);
    expect(m.test.sequence!.method).toBe('beta-binomial ∩ normal-mixture');
    expect(m.test.sequence!.interval.lower).toBeGreaterThan(1.2);
    const ev = m.sample.events!;
    const ex = m.sample.exposure!;
    const bb = Math.exp(betaBinomialLogE(ev.experiment, ev.control, ex.experiment / (ex.experiment + ex.control), 'increase'));
    expect(m.test.sequence!.eValue).toBeLessThanOrEqual(bb * (1 + 1e-12));
    expect(state.metrics.errors.decision).toBe('fail');
    // A/A counts do not fail
    const [e0, q0] = errorPairs(12, { n: 60, rps: 50, pControl: 1e-3, pExperiment: 1e-3 });
    expect(judgeLook(c, [e0, q0], THRESHOLDS).result.canaria.stop).not.toBe('fail');
  });

  it('e-BH across metrics: a fail needs e ≥ m/(α·k)', () => {
    const s = series(8, 1);
    const pairs: MetricSetPair[] = [pair('latency', s.c.slice(0, 40), s.e.slice(0, 40))];
    for (let i = 0; i < 9; i++) {
      const x = series(200 + i, 0);
      pairs.push(pair(`m${i}`, x.c.slice(0, 40), x.e.slice(0, 40)));
    }
    const c10 = config([{ name: 'latency', canaria: { margin: 0 } }, ...Array.from({ length: 9 }, (_, i) => ({ name: `m${i}`, canaria: { margin: 0 } }))]);
    const { result } = judgeLook(c10, pairs, THRESHOLDS);
    const e = result.results.map((r) => (r.resultMetadata as CanariaResultMetadata).canaria!.test.sequence!.eValue);
    const rejected = eBH(e, 0.05);
    result.results.forEach((r, i) => expect((r.resultMetadata as CanariaResultMetadata).canaria!.decision === 'fail').toBe(rejected[i]));
  });

  it('judge() (fixed horizon) is unchanged: sequential false, no sequence, no top-level canaria', () => {
    const s = series(9, 0);
    const r = judge(cfg(0.05), [pair('latency', s.c, s.e)], THRESHOLDS);
    expect(meta(r as CanaryLookResult).test.sequential).toBe(false);
    expect(meta(r as CanaryLookResult).test.sequence).toBeUndefined();
    expect('canaria' in r).toBe(false);
  });

  it('every kind goes through a look without Error labels; an errors sequence with the same seed does not fail A/A', () => {
    const [e, q] = errorPairs(21, { n: 60, rps: 50, pControl: 1e-3, pExperiment: 1e-3 });
    const hist = histogramPairs(22, { n: 60 });
    const sat = { ...latencyPair(23, { n: 60, name: 'memory' }) };
    const lat = latencyPair(24, { n: 60, name: 'latency', phi: 0.5 });
    const c = config([
      { name: 'errors', canaria: { kind: 'errors', denominator: 'requests' } },
      { name: 'requests', canaria: { kind: 'throughput' } },
      { name: 'latency_buckets', canaria: { kind: 'latency-histogram' } },
      { name: 'memory', canaria: { kind: 'saturation' } },
      { name: 'latency', canaria: { tests: ['level', 'spread'] } },
    ]);
    let state: SequenceState | undefined;
    for (const n of [20, 40, 60]) {
      const cut = (p: MetricSetPair) => ({ ...p, values: { control: p.values.control.slice(0, n), experiment: p.values.experiment.slice(0, n) } });
      const r = judgeLook(c, [e, q, ...hist, sat, lat].map(cut), THRESHOLDS, state, { plannedLooks: 3 });
      state = r.state;
      expect(r.result.results.map((x) => x.classification)).not.toContain('Error');
      expect(r.result.canaria.stop).not.toBe('fail');
      for (const x of r.result.results) {
        const m = (x.resultMetadata as CanariaResultMetadata).canaria!;
        expect(m.test.sequential).toBe(true);
        expect(m.test.sequence?.look).toBe(r.result.canaria.lookIndex);
      }
    }
    expect(state!.looks).toBe(3);
    expect(Object.keys(state!.metrics).sort()).toEqual(['errors', 'latency', 'latency_buckets', 'memory', 'requests']);
  });

  it('harm decrease: a drop fails, a rise never does', () => {
    const c = config([{ name: 'rps', canary: { direction: 'decrease' }, canaria: { margin: 0 } }]);
    const down = series(31, -1.5);
    const up = series(32, 1.5);
    const at = (s: { c: number[]; e: number[] }) => judgeLook(c, [pair('rps', s.c.slice(0, 60), s.e.slice(0, 60))], THRESHOLDS).result;
    expect(at(down).canaria.stop).toBe('fail');
    expect(at(down).results[0].classification).toBe('Low');
    expect(at(up).canaria.stop).not.toBe('fail');
  });
});
