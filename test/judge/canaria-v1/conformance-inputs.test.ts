// canaria-v1 on every public conformance input of the Kayenta port (test/fixtures/conformance/
// judge-cases.json): real Kayenta-shaped configs and pairs (no timestamps, NaN, empty sides,
// constants, critical and muted metrics, group weights). The numbers differ from Kayenta's by
// design; what must hold is the shape and the internal consistency of every result.
import { describe, expect, it } from 'vitest';
import { judge, type CanariaVerdict } from '../../../lib/judge/canaria-v1/index.ts';
import { serializeJudgeResult } from '../../../lib/judge/judge.ts';
import { classifyScore } from '../../../lib/judge/scorer.ts';
import { loadFixture, parseCase } from '../../support/conformance.ts';

const suite = loadFixture('conformance/judge-cases.json');
const LABELS = ['Pass', 'High', 'Low', 'Nodata', 'NodataFailMetric', 'Error'];

describe('canaria-v1 on the Kayenta conformance inputs', () => {
  for (const c of suite.cases) {
    it(`${c.id} ${c.scenario}`, () => {
      const req = parseCase(c);
      let res;
      try {
        res = judge(req.canaryConfig, req.metricSetPairList, req.scoreThresholds);
      } catch (e) {
        // the only throw the Kayenta port shares: a pair naming no metric
        expect((e as Error).message).toMatch(/Could not find metric config/);
        return;
      }
      expect(res.judgeName).toBe('canaria-v1');
      expect(res.results).toHaveLength(req.metricSetPairList.length);
      expect(res.score.score).toBeGreaterThanOrEqual(0);
      expect(res.score.score).toBeLessThanOrEqual(100);
      expect(res.score.classification).toBe(classifyScore(res.score.score, req.scoreThresholds));
      const decisions = res.results.map((r) => {
        expect(LABELS).toContain(r.classification);
        const v = (r.resultMetadata as unknown as { canaria: CanariaVerdict }).canaria;
        expect(v.reason.length).toBeGreaterThan(0);
        if (v.decision === 'fail') expect(['High', 'Low', 'NodataFailMetric']).toContain(r.classification);
        if (r.classification === 'High' || r.classification === 'Low') expect(v.decision).toBe('fail');
        if (v.decision === 'pass') expect(r.classification).toBe('Pass');
        if (v.decision === 'nodata') expect(['Nodata', 'NodataFailMetric']).toContain(r.classification);
        return { v, muted: r.muted, critical: r.critical };
      });
      const live = decisions.filter((d) => !d.muted);
      if (live.some((d) => d.critical)) expect(res.score.score).toBe(0);
      if (live.some((d) => d.v.decision === 'fail')) expect(res.score.score).toBeLessThan(req.scoreThresholds.marginal || 0.01);
      if (live.length > 0 && live.every((d) => d.v.decision === 'pass')) expect(res.score.score).toBe(100);
      // serialisable the Kayenta way, and deterministic
      expect(() => JSON.parse(serializeJudgeResult(res))).not.toThrow();
      expect(judge(req.canaryConfig, req.metricSetPairList, req.scoreThresholds)).toEqual(res);
    });
  }
});
