// The rank sums merged by tie group must be bit-identical to ranking from scratch (judge-spec.md §14).
import { describe, expect, it } from 'vitest';
import { mannWhitneySorted, rankSumsOf } from '../../lib/judge/mann-whitney.ts';
import { sortedCopy } from '../../lib/judge/stats.ts';
import { sortPerEvaluationRankSums } from '../../bench/sort-per-evaluation.ts';

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

describe('sortedCopy', () => {
  it('orders as Float64Array.prototype.sort does: negatives, −0 before +0, infinities, subnormals, NaNs last', () => {
    const rnd = lcg(5);
    const special = [0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, NaN];
    for (let round = 0; round < 2000; round++) {
      const n = Math.floor(rnd() * 40);
      const xs = Array.from({ length: n }, () => {
        const r = rnd();
        if (r < 0.3) return special[Math.floor(rnd() * (special.length - (round % 2)))] // odd rounds: no NaN;
        return (rnd() - 0.5) * 10 ** (rnd() * 40 - 20);
      });
      expect(Array.from(sortedCopy(xs)).map((v) => Object.is(v, -0) ? '-0' : v)).toStrictEqual(
        Array.from(Float64Array.from(xs).sort()).map((v) => Object.is(v, -0) ? '-0' : v),
      );
    }
    expect(Array.from(sortedCopy([2, -0, -3, 0, -1]))).toStrictEqual([-3, -1, -0, 0, 2]);
    expect(Object.is(sortedCopy([0, -0])[0], -0)).toBe(true);
  });
});

describe('grouped rank sums', () => {
  it('equal ranking from scratch for many shifts on tied data', () => {
    const rnd = lcg(7);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rnd() * 40);
      const m = 1 + Math.floor(rnd() * 40);
      // Few distinct values (ties) at a scale where x − d rounds.
      const scale = [1, 0.1, 1e-6, 1e3][round % 4];
      const x = sortedCopy(Array.from({ length: n }, () => Math.floor(rnd() * 8) * scale + (round % 3 === 0 ? 0.1 : 0)));
      const y = sortedCopy(Array.from({ length: m }, () => Math.floor(rnd() * 8) * scale));
      // The last shifts are so large that distinct x become one x − d, alone or equal to a y.
      const shifts = [0, x[0] - y[m - 1], x[n - 1] - y[0], (rnd() - 0.5) * 8 * scale, scale, -scale, 1e17 * scale, -1e17 * scale];
      const grouped = rankSumsOf(x, y);
      for (const d of shifts) {
        expect(grouped(d)).toStrictEqual(sortPerEvaluationRankSums(x, y, d));
      }
    }
  });

  it('give the same interval, estimate and p-value as a sort per evaluation', () => {
    const rnd = lcg(11);
    for (let round = 0; round < 20; round++) {
      const x = sortedCopy(Array.from({ length: 200 }, () => Math.round((50 + rnd() * 20 + (round % 2) * 3) * 10) / 10));
      const y = sortedCopy(Array.from({ length: 180 }, () => Math.round((50 + rnd() * 20) * 10) / 10));
      expect(mannWhitneySorted(x, y, 0.98)).toStrictEqual(mannWhitneySorted(x, y, 0.98, (d) => sortPerEvaluationRankSums(x, y, d)));
    }
  });
});
