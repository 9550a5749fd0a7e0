// test/fixtures/conformance/judge-cases.json: full judge inputs and the complete expected output.
import { describe, expect, it } from 'vitest';
import { judge, serializeJudgeResult } from '../../lib/judge/judge.ts';
import { loadFixture, num, parseCase } from '../support/conformance.ts';

const suite = loadFixture('conformance/judge-cases.json');
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

// pValue is R's wilcox.test p-value; R's pnorm runs on the platform's libm, so the last
// bits may differ. Everything else (stats, ratio, CI, estimate, effect size, labels,
// scores) must be bit for bit.
const P_VALUE_RELATIVE_TOLERANCE = 1e-14;

describe('public judge conformance cases', () => {
  it('has the cases', () => expect(suite.cases.length).toBeGreaterThanOrEqual(30));

  for (const c of suite.cases) {
    it(`${c.id} ${c.scenario}: ${c.description}`, () => {
      const req = parseCase(c);
      const actual = JSON.parse(serializeJudgeResult(judge(req.canaryConfig, req.metricSetPairList, req.scoreThresholds)));
      const expected = structuredClone(c.expected);
      const labelOnly = new Set<number>(c.labelOnlyResults ?? []);

      expect(actual.results).toHaveLength(expected.results.length);
      actual.results.forEach((result: any, i: number) => {
        const want = expected.results[i];
        const gotMeta = result.resultMetadata;
        const wantMeta = want.resultMetadata;
        if (gotMeta && wantMeta && 'pValue' in wantMeta) {
          const rel = Math.abs(gotMeta.pValue - wantMeta.pValue) / wantMeta.pValue;
          expect(rel, `results[${i}].resultMetadata.pValue ${gotMeta.pValue} vs ${wantMeta.pValue}`).toBeLessThanOrEqual(
            P_VALUE_RELATIVE_TOLERANCE,
          );
          delete gotMeta.pValue;
          delete wantMeta.pValue;
        }
        if (labelOnly.has(i) && gotMeta) {
          for (const k of Object.keys(gotMeta)) if (!(k in wantMeta)) delete gotMeta[k];
        }
        expect(result, `results[${i}] (${want.name})`).toStrictEqual(want);
      });
      expect([...actual.groupScores].sort(byName)).toStrictEqual([...expected.groupScores].sort(byName));
      expect(actual.score).toStrictEqual(expected.score);
      expect(actual.judgeName).toBe(expected.judgeName);
    });
  }

  it('agrees with R on every confidence interval and p-value it lists', () => {
    let checked = 0;
    for (const c of suite.cases) {
      const labelOnly = new Set<number>(c.labelOnlyResults ?? []);
      const req = parseCase(c);
      const out = judge(req.canaryConfig, req.metricSetPairList, req.scoreThresholds);
      for (const r of c.r ?? []) {
        if (labelOnly.has(r.index)) continue;
        const meta = out.results[r.index].resultMetadata!;
        // R prints 15 significant digits.
        expect(meta.lowerConfidence).toBeCloseTo(num(r.confInt[0]), 12);
        expect(meta.upperConfidence).toBeCloseTo(num(r.confInt[1]), 12);
        expect(Math.abs(meta.pValue! - r.pValue) / r.pValue).toBeLessThan(1e-13);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
