// Warm-up transients (brief §1.5): the MSER-5 truncation point, used only as a persistence rule
// for fails (a fail must hold on the full series and on the series after the truncation point).

/**
 * MSER-5 (White 1997): batch means z_1..z_k of `batch` points; for j = 0..⌊k/2⌋
 * MSER(j) = Σ_{i>j}(z_i − z̄_{>j})² / (k − j)²; returns batch·argmin (the first minimum), in points.
 * Series shorter than 6 batches are not trimmed (0).
 */
export function mser5Trim(d: readonly number[], batch = 5): number {
  const k = Math.floor(d.length / batch);
  if (k < 6) return 0;
  const z: number[] = [];
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < batch; j++) s += d[i * batch + j];
    z.push(s / batch);
  }
  let best = 0;
  let bestValue = Infinity;
  for (let j = 0; j <= Math.floor(k / 2); j++) {
    let m = 0;
    for (let i = j; i < k; i++) m += z[i];
    m /= k - j;
    let ss = 0;
    for (let i = j; i < k; i++) ss += (z[i] - m) * (z[i] - m);
    const v = ss / ((k - j) * (k - j));
    if (v < bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return batch * best;
}
