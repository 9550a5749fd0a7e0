// Multiple testing across metrics (brief §1.7): Benjamini–Hochberg and Benjamini–Yekutieli
// adjusted p-values (as R's p.adjust); a hypothesis is rejected at level q iff its adjusted p ≤ q.
import type { MultipleTesting } from './types.ts';

/** Adjusted p-values in input order: p̃_(i) = min_{j ≥ i} min(1, c·m·p_(j)/j), c = 1 (BH) or Σ1/i (BY). */
export function adjustPValues(p: readonly number[], method: MultipleTesting): number[] {
  const m = p.length;
  if (method === 'none' || m === 0) return p.map((x) => Math.min(1, x));
  let c = 1;
  if (method === 'by') {
    c = 0;
    for (let i = 1; i <= m; i++) c += 1 / i;
  }
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || b - a); // descending p
  const out = new Array<number>(m);
  let running = Infinity;
  order.forEach((idx, r) => {
    const rank = m - r; // rank in ascending order
    running = Math.min(running, (c * m * p[idx]) / rank);
    out[idx] = Math.min(1, running);
  });
  return out;
}
