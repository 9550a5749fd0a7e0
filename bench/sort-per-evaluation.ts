// Reference rank sums (judge-spec.md §4.3), computed the way Kayenta does: on every call,
// concatenate [x − d, y], sort, and give tie groups their average rank. O(N log N) per call.
// It is the yardstick for groupedRankSums (lib/judge/mann-whitney.ts), which must agree bit for bit.
import type { RankSums } from '../lib/judge/mann-whitney.ts';

/** Does not rely on x or y being sorted. */
export function sortPerEvaluationRankSums(x: Float64Array, y: Float64Array, d: number): RankSums {
  const n = x.length;
  const total = n + y.length;
  const values = new Float64Array(total);
  for (let i = 0; i < n; i++) values[i] = x[i] - d;
  values.set(y, n);

  const order = Array.from({ length: total }, (_, i) => i);
  order.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));

  // A tie group at 0-based sorted positions p..p+t−1 holds 1-based ranks p+1..p+t: average p + (t+1)/2.
  const ranks = new Float64Array(total);
  let tieTerm = 0;
  for (let p = 0; p < total; ) {
    let t = 1;
    while (p + t < total && values[order[p + t]] === values[order[p]]) t++;
    for (let k = p; k < p + t; k++) ranks[order[k]] = p + (t + 1) / 2;
    tieTerm += t * t * t - t;
    p += t;
  }

  let rankSumX = 0;
  for (let i = 0; i < n; i++) rankSumX += ranks[i];
  return { rankSumX, tieTerm };
}
