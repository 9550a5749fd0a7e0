// canaria-v1 statistics against an independent R implementation of the brief's formulas
// (test/fixtures/r/canaria-v1-statistics.json from scripts/r/canaria-v1-vectors.R): ESS-t (§1.1),
// the exact conditional count test with Clopper–Pearson bounds (§1.2), MSER-5 (§1.5), the trend test (§2.1).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exactConditional } from '../../../lib/judge/canaria-v1/counts.ts';
import { essT, trendTest } from '../../../lib/judge/canaria-v1/ess.ts';
import { mser5Trim } from '../../../lib/judge/canaria-v1/warmup.ts';

/** the R rows as tuples for it.each (their contents are checked at run time) */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const table = (rows: unknown[]) => rows as Array<[any, any, any, any, any]>;
const R = JSON.parse(readFileSync(new URL('../../fixtures/r/canaria-v1-statistics.json', import.meta.url), 'utf8'));

// Tolerance: relative 1e-10. The statistics are a few sums (R and JS sum in the same order, but
// R's mean() adds a correction pass) followed by pt/qt/pbinom/qbeta, which agree with R to
// ~1e-12 (numerics.test.ts); 1e-10 leaves room for the sums' rounding being amplified by qt.
function close(got: number, want: number, rel = 1e-10): void {
  if (want === 0 || !Number.isFinite(want)) {
    expect(got).toBe(want);
    return;
  }
  const err = Math.abs(got - want) / Math.abs(want);
  if (err > rel) throw new Error(`got ${got}, R ${want}: relative error ${err.toExponential(2)} > ${rel}`);
}

describe('ESS-t (paired differences, AR(1) effective n with bias correction, +1 SE on ρ, variance correction)', () => {
  it.each(table(R.ess.map((r: { label: string }) => [r.label, r])))('%s', (_label, r: any) => {
    const got = essT(r.d, r.alpha);
    close(got.summary.mean, r.mean);
    close(got.summary.lag1, r.r);
    close(got.summary.rhoTilde, r.rhoTilde);
    close(got.nEff, r.nEff);
    close(got.summary.sigma2, r.sigma2);
    close(got.se, r.se);
    close(got.nu, r.nu);
    close(got.pIncrease, r.pIncrease);
    close(got.pDecrease, r.pDecrease);
    close(got.lower, r.lower);
    close(got.upper, r.upper);
  });
});

describe('exact conditional test and Clopper–Pearson rate-ratio bounds', () => {
  it.each(table(R.exact.map((r: any) => [`${r.eventsExperiment}/${r.exposureExperiment} vs ${r.eventsControl}/${r.exposureControl}`, r])))('%s', (_l, r: any) => {
    const got = exactConditional(r.eventsExperiment, r.eventsControl, r.exposureExperiment, r.exposureControl, r.alpha);
    close(got.pIncrease, r.pIncrease);
    close(got.pDecrease, r.pDecrease);
    close(Math.exp(got.logLower), r.rateRatioLower);
    if (r.rateRatioUpper === 'Inf') expect(got.logUpper).toBe(Infinity);
    else close(Math.exp(got.logUpper), r.rateRatioUpper);
  });

  it('zero baseline, equal traffic: 5 events are the minimum to fail at 5% (0.5⁵ = 0.031 < 0.05 < 0.5⁴)', () => {
    expect(exactConditional(5, 0, 1000, 1000, 0.05).pIncrease).toBeCloseTo(0.03125, 15);
    expect(exactConditional(4, 0, 1000, 1000, 0.05).pIncrease).toBeGreaterThan(0.05);
  });
});

describe('MSER-5 truncation', () => {
  it.each(table(R.mser5.map((r: any) => [r.label, r.d, r.trim])))('%s → trims R\'s point count', (_l, d, trim) => {
    expect(mser5Trim(d as number[])).toBe(trim);
  });
  it('does not trim fewer than 6 batches', () => expect(mser5Trim([9, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(0));
});

describe('trend test (OLS slope, AR(1) residual n_eff)', () => {
  it.each(table(R.trend.map((r: any) => [r.label, r])))('%s', (_l, r: any) => {
    const got = trendTest(r.d, 1, 0.05);
    close(got.slope, r.beta);
    close(got.slopeSe, r.se);
    close(got.nEff, r.nEff);
    close(got.nu, r.nu);
    close(got.pIncrease, r.pIncrease);
  });
});
