// Judge behaviour beyond the shared vectors: rounding, the Error and noise paths, output shape.
import { describe, expect, it } from 'vitest';
import { judge, serializeJudgeResult } from '../../lib/judge/judge.ts';
import { roundHalfUp, weightedSumScore } from '../../lib/judge/scorer.ts';
import type { CanaryAnalysisResult, JudgeCanaryConfig, MetricSetPair } from '../../lib/judge/types.ts';

const thresholds = { pass: 95, marginal: 75 };

function config(metrics: Array<{ name: string; groups?: string[]; canary?: object }>, groupWeights?: Record<string, number>): JudgeCanaryConfig {
  return {
    metrics: metrics.map((m) => ({ name: m.name, groups: m.groups ?? ['g'], analysisConfigurations: { canary: m.canary ?? {} } })),
    classifier: { groupWeights },
  };
}

function pair(name: string, control: number[], experiment: number[]): MetricSetPair {
  return { name, id: `${name}-id`, tags: {}, values: { control, experiment } };
}

describe('summary rounding (commons Precision.round, HALF_UP on the decimal string)', () => {
  it.each([
    [81.335, 81.34], // binary 81.33499999... but the decimal string is 81.335
    [2.675, 2.68],
    [1.005, 1.01],
    [0.125, 0.13],
    [66.66666666666667, 66.67],
    [33.33333333333333, 33.33],
    [100, 100],
    [1e-7, 0],
    [12345678.125, 12345678.13],
  ])('%d → %d', (x, want) => expect(roundHalfUp(x, 2)).toBe(want));

  it('keeps the sign of a negative value that rounds to zero', () => {
    expect(Object.is(roundHalfUp(-0.001, 2), -0)).toBe(true);
    expect(roundHalfUp(-2.675, 2)).toBe(-2.68);
  });
});

describe('judge', () => {
  it('reports Error for a metric the classifier cannot test, and keeps scoring the rest', () => {
    // One point per side, two different values: after the noise the interval endpoints tie
    // every observation, which Kayenta's Mann-Whitney rejects.
    const out = judge(
      config([{ name: 'one' }, { name: 'ok', groups: ['h'] }]),
      [pair('one', [0], [5]), pair('ok', [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])],
      thresholds,
      { tolerance: 0.25, confidenceLevel: 0.98, random: () => 0.5 },
    );
    expect(out.results[0]).toMatchObject({ classification: 'Error', classificationReason: 'Metric Classification Failed', critical: false });
    expect(out.results[0].resultMetadata).toBeUndefined();
    expect(JSON.parse(serializeJudgeResult(out)).results[0]).not.toHaveProperty('resultMetadata');
    // Error results are invisible to group scores: group g has nothing counted.
    expect(out.groupScores).toEqual([
      { name: 'g', score: 0, classification: '', classificationReason: '' },
      { name: 'h', score: 100, classification: '', classificationReason: '' },
    ]);
    expect(out.score.score).toBe(100);
  });

  it('adds noise to two different constants and classifies the noised samples', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const out = judge(config([{ name: 'pool' }]), [pair('pool', Array(10).fill(7.5), Array(10).fill(15))], thresholds, {
      tolerance: 0.25,
      confidenceLevel: 0.98,
      random,
    });
    const r = out.results[0];
    expect(r.classification).toBe('High');
    // Stats are taken before the noise; the ratio after it.
    expect(r.experimentMetadata.stats).toEqual({ min: 15, max: 15, mean: 15, std: 0, count: 10 });
    expect(r.resultMetadata!.ratio).not.toBe(2);
    expect(r.resultMetadata!.ratio).toBeCloseTo(2, 3);
  });

  it('fails a critical metric and names it in the summary reason', () => {
    const out = judge(
      config([{ name: 'errors', canary: { critical: true } }, { name: 'cpu' }]),
      [pair('errors', [1, 2.2, 1.1, 2.5, 3], [20, 22, 21, 25, 30]), pair('cpu', [1, 2, 3], [1, 2, 3])],
      thresholds,
    );
    expect(out.score).toEqual({ score: 0, classification: 'Fail', classificationReason: 'Canary Failed: The metric errors was classified as High (Critical)' });
  });

  it('leaves muted metrics in the results but out of the score', () => {
    const out = judge(
      config([{ name: 'noisy', canary: { muted: true, critical: true } }, { name: 'cpu' }]),
      [pair('noisy', [1, 2.2, 1.1, 2.5, 3], [20, 22, 21, 25, 30]), pair('cpu', [1, 2, 3], [1, 2, 3])],
      thresholds,
    );
    expect(out.results.map((r) => [r.name, r.classification, r.muted])).toEqual([
      ['noisy', 'High', true],
      ['cpu', 'Pass', false],
    ]);
    expect(out.score.score).toBe(100);
  });

  it('judges every pair of a metric with several tag combinations', () => {
    const out = judge(
      config([{ name: 'latency' }]),
      [
        { ...pair('latency', [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), tags: { region: 'a' } },
        { ...pair('latency', [1, 2.2, 1.1, 2.5, 3], [20, 22, 21, 25, 30]), tags: { region: 'b' } },
      ],
      thresholds,
    );
    expect(out.results.map((r) => [r.tags.region, r.classification])).toEqual([
      ['a', 'Pass'],
      ['b', 'High'],
    ]);
    expect(out.groupScores[0].score).toBe(50);
  });
});

describe('weighted sum', () => {
  const result = (name: string, classification: CanaryAnalysisResult['classification'], groups: string[]): CanaryAnalysisResult => ({
    name,
    tags: {},
    classification,
    groups,
    experimentMetadata: { stats: { min: 0, max: 0, mean: 0, std: 0, count: 0 } },
    controlMetadata: { stats: { min: 0, max: 0, mean: 0, std: 0, count: 0 } },
    critical: false,
    muted: false,
  });

  it('never normalizes weights: configured weights summing to 80 cap the score at 80', () => {
    const s = weightedSumScore([result('a', 'Pass', ['x']), result('b', 'Pass', ['y'])], { x: 40, y: 40 });
    expect(s.score).toBe(80);
  });

  it('gives unweighted groups an equal share of what the configured weights leave', () => {
    const s = weightedSumScore([result('a', 'Pass', ['x']), result('b', 'High', ['y']), result('c', 'Pass', ['z'])], { x: 50 });
    expect(s.score).toBe(75); // 100·0.5 + 0·0.25 + 100·0.25
  });

  it('scores 0 when half the metrics have no data', () => {
    const s = weightedSumScore([result('a', 'Pass', ['x']), result('b', 'Nodata', ['x'])]);
    expect(s).toMatchObject({ score: 0, reason: 'Canary Failed: 50% or more metrics returned NODATA' });
  });

  it('does not fire the no-data rule on an empty list', () => {
    expect(weightedSumScore([]).score).toBe(0);
  });
});
