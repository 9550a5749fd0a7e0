// Putting series on a time grid (brief §1.1 step 1, §2.2 step 1): timestamps from
// `scopes.{control,experiment}.{startTimeMillis,stepMillis}`, NaN = missing; the range window of
// a PromQL query (`[5m]`) for blocking (§1.1 step 3); non-overlapping block means.
import type { MetricSetPair } from '../types.ts';

export type Side = 'control' | 'experiment';

export interface Grid {
  /** ms; 0 when the pair carries no scope */
  start: number;
  /** ms; null when unknown (no scope): points are then aligned by index */
  step: number | null;
}

/** The grid of one side of a pair; a pair without usable scopes gets index alignment. */
export function sideGrid(pair: MetricSetPair, side: Side): Grid {
  const scope = (pair.scopes as Record<string, unknown> | undefined)?.[side] as Record<string, unknown> | undefined;
  const start = scope?.startTimeMillis;
  const step = scope?.stepMillis;
  if (typeof start === 'number' && Number.isFinite(start) && typeof step === 'number' && step > 0) return { start, step };
  return { start: 0, step: null };
}

export interface TimedSeries {
  grid: Grid;
  values: readonly number[];
}

/** Step shared by every series (ms), null when unknown, 'mismatch' when they differ. */
function commonStep(series: readonly TimedSeries[]): number | null | 'mismatch' {
  const steps = new Set(series.map((s) => s.grid.step));
  if (steps.size !== 1) return 'mismatch';
  return series[0].grid.step;
}

export interface Timeline {
  /** timestamps (ms) or indices when the step is unknown */
  times: number[];
  /** one row per input series, NaN where that series has no value */
  rows: number[][];
  stepMillis: number | null;
}

/**
 * Aligns series on their timestamps (never by array index when timestamps are known): the union
 * grid from the earliest start to the latest end. Returns null when the series are not on one grid
 * (different steps, or starts not a whole number of steps apart) or are so far apart that the grid
 * would be mostly empty.
 */
export function alignOnTimestamps(series: readonly TimedSeries[]): Timeline | null {
  const step = commonStep(series);
  if (step === 'mismatch') return null;
  if (step === null) {
    const len = Math.max(0, ...series.map((s) => s.values.length));
    const times = Array.from({ length: len }, (_, i) => i);
    return { times, rows: series.map((s) => times.map((i) => (i < s.values.length ? toNumber(s.values[i]) : NaN))), stepMillis: null };
  }
  const origin = Math.min(...series.map((s) => s.grid.start));
  for (const s of series) {
    const k = (s.grid.start - origin) / step;
    if (!Number.isInteger(k)) return null;
  }
  const end = Math.max(...series.map((s) => s.grid.start + s.values.length * step));
  const len = Math.max(0, Math.round((end - origin) / step));
  // far-apart starts (a control offset of days at a fine step): no common grid worth building
  const points = series.reduce((n, s) => n + s.values.length, 0);
  if (len > 2 * points + 10_000) return null;
  const times = Array.from({ length: len }, (_, i) => origin + i * step);
  const rows = series.map((s) => {
    const row = new Array<number>(len).fill(NaN);
    const offset = Math.round((s.grid.start - origin) / step);
    for (let i = 0; i < s.values.length; i++) row[offset + i] = toNumber(s.values[i]);
    return row;
  });
  return { times, rows, stepMillis: step };
}

/** Values arrive as numbers; anything else (null, "NaN") is missing. */
function toNumber(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : NaN;
}

export function countFinite(values: readonly number[]): number {
  let n = 0;
  for (const v of values) if (Number.isFinite(v)) n++;
  return n;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** The largest range window (seconds) in a PromQL query: `[5m]`, `[1h30m]`, subquery `[10m:1m]`. */
export function parseRangeWindowSeconds(query: string): number | null {
  let best: number | null = null;
  for (const m of query.matchAll(/\[\s*((?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))+)\s*(?::[^\]]*)?\]/g)) {
    let seconds = 0;
    for (const p of m[1].matchAll(DURATION_PART)) seconds += Number(p[1]) * UNIT_SECONDS[p[2]];
    if (best === null || seconds > best) best = seconds;
  }
  return best;
}

/** The queries a pair carries: `attributes.{control,experiment}.query` (or a flat `attributes.query`). */
export function pairQueries(pair: MetricSetPair): string[] {
  const a = pair.attributes as Record<string, unknown> | undefined;
  if (!a) return [];
  const out: string[] = [];
  for (const side of ['control', 'experiment']) {
    const q = (a[side] as Record<string, unknown> | undefined)?.query;
    if (typeof q === 'string') out.push(q);
  }
  if (typeof a.query === 'string') out.push(a.query);
  return out;
}

/**
 * Block size b = ⌈w/s⌉ when the range window w exceeds the step s (brief §1.1 step 3), else 1.
 * `configured` (rangeWindowSeconds) wins over the parsed query.
 */
export function blockSize(pairs: readonly MetricSetPair[], stepMillis: number | null, configured?: number): { b: number; windowSeconds: number | null } {
  let w: number | null = configured ?? null;
  if (w === null) {
    for (const p of pairs) for (const q of pairQueries(p)) {
      const x = parseRangeWindowSeconds(q);
      if (x !== null && (w === null || x > w)) w = x;
    }
  }
  if (w === null || stepMillis === null) return { b: 1, windowSeconds: w };
  const s = stepMillis / 1000;
  return { b: w > s ? Math.ceil(w / s - 1e-9) : 1, windowSeconds: w };
}

/**
 * Means of non-overlapping blocks of b consecutive grid points (missing points skipped; a block
 * with no finite value is dropped). b = 1 returns the finite values.
 */
export function blockMeans(values: readonly number[], b: number): number[] {
  if (b <= 1) return values.filter(Number.isFinite);
  const out: number[] = [];
  for (let i = 0; i < values.length; i += b) {
    let s = 0;
    let k = 0;
    for (let j = i; j < Math.min(i + b, values.length); j++) {
      if (Number.isFinite(values[j])) {
        s += values[j];
        k++;
      }
    }
    if (k > 0) out.push(s / k);
  }
  return out;
}
