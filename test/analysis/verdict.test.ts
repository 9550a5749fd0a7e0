// What a verdict says beyond Kayenta's score (lib/analysis/verdict.ts), on the real judge's output.
import { describe, expect, it } from 'vitest';
import { explainResult } from '../../lib/analysis/verdict.ts';
import { judge } from '../../lib/judge/judge.ts';
import type { JudgeCanaryConfig, MetricSetPair } from '../../lib/judge/types.ts';
import { prng } from '../support/prometheus-data.ts';

const noise = (seed: number, n: number, shift = 0) => {
  const r = prng(seed);
  return Array.from({ length: n }, () => 100 + shift + r.normal() * 5);
};
const pair = (name: string, control: number[], experiment: number[], tags: Record<string, string> = {}): MetricSetPair => ({ name, tags, values: { control, experiment } });
const metric = (name: string, canary: Record<string, unknown> = {}) => ({ name, groups: ['g'], analysisConfigurations: { canary: { direction: 'increase' as const, ...canary } } });
const run = (config: JudgeCanaryConfig, pairs: MetricSetPair[], thresholds = { pass: 90, marginal: 60 }, strict = false) =>
  explainResult(judge(config, pairs, thresholds), pairs, thresholds, strict);

describe('explainResult', () => {
  it('leaves a clean Pass as Kayenta gave it', () => {
    const r = run({ metrics: [metric('a')] }, [pair('a', noise(1, 100), noise(2, 100))]);
    expect(r.score).toEqual({ score: 100, classification: 'Pass', classificationReason: '' });
    expect(r.dataGaps).toBeUndefined();
  });

  it('ignores a muted metric without data, even under strict', () => {
    const r = run({ metrics: [metric('a'), metric('m', { muted: true })] }, [pair('a', noise(1, 100), noise(2, 100)), pair('m', [], [])], undefined, true);
    expect(r.score).toEqual({ score: 100, classification: 'Pass', classificationReason: '' });
  });

  it('names each series of a metric with several, once', () => {
    const pairs = [
      pair('lat', noise(1, 100), noise(2, 100, 60), { region: 'a' }),
      pair('lat', noise(3, 100), noise(4, 100, 60), { region: 'b' }),
      pair('lat', noise(5, 100), [], { region: 'c' }),
      pair('ok', noise(6, 100), noise(7, 100)),
    ];
    const r = run({ metrics: [metric('lat'), metric('ok')] }, pairs);
    expect(r.score.classification).toBe('Fail');
    expect(r.score.classificationReason).toBe('not passing: lat{region="a"} (High), lat{region="b"} (High); 1 of 2 metrics had no data: lat{region="c"}');
    expect(r.dataGaps).toEqual([{ metric: 'lat', tags: { region: 'c' }, control: 100, experiment: 0 }]);
  });

  it('strict with pass equal to marginal caps just under pass: a Fail to Argo, Inconclusive to Kayenta clients', () => {
    const r = run({ metrics: [metric('a'), metric('thin')] }, [pair('a', noise(1, 100), noise(2, 100)), pair('thin', noise(3, 20), noise(4, 20))], { pass: 75, marginal: 75 }, true);
    expect(r.score).toEqual({
      score: 74.99,
      uncappedScore: 100,
      classification: 'Inconclusive',
      classificationReason: '1 of 2 metrics had fewer than 50 points on a side: thin (control 20, experiment 20); strict: metrics without enough data make the verdict Inconclusive (score 100 capped at 74.99)',
    });
  });

  it('keeps a Fail a Fail under strict', () => {
    const r = run({ metrics: [metric('a'), metric('gone')] }, [pair('a', noise(1, 100), noise(2, 100, 60)), pair('gone', [], [])], undefined, true);
    expect(r.score).toMatchObject({ score: 0, classification: 'Fail' });
    expect(r.score.uncappedScore).toBeUndefined();
  });
});
