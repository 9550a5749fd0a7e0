// Kayenta's MetricSetMixerService cases (metric-sources-spec.md §2) and canaria's reporting.
import { describe, expect, it } from 'vitest';
import { expectedDataPoints, mixAll, mixAllYielding } from '../../lib/metrics/mixer.ts';
import { TimeSlice } from '../../lib/metrics/source.ts';
import { instantString, type MetricSet } from '../../lib/metrics/types.ts';

function set(name: string, tags: Record<string, string>, values: number[], o: { start?: number; end?: number; step?: number } = {}): MetricSet {
  const start = o.start ?? 0;
  const step = o.step ?? 60_000;
  const end = o.end ?? start + values.length * step;
  return { name, tags, startTimeMillis: start, startTimeIso: instantString(start), endTimeMillis: end, endTimeIso: instantString(end), stepMillis: step, values, attributes: { query: `q-${name}` } };
}
let n = 0;
const ids = () => `pair-${++n}`;

describe('mixAll', () => {
  it('pairs equal tags as they are', () => {
    const { pairs, problems } = mixAll(['cpu'], [set('cpu', {}, [1, 3, 5, 7])], [set('cpu', {}, [2, 4, 6, 8])], ids);
    expect(pairs).toHaveLength(1);
    expect(pairs[0].values).toEqual({ control: [1, 3, 5, 7], experiment: [2, 4, 6, 8] });
    expect(pairs[0].attributes).toEqual({ control: { query: 'q-cpu' }, experiment: { query: 'q-cpu' } });
    expect(problems).toEqual([]);
  });

  it('fills empty placeholders with NaN to their expected length', () => {
    const { pairs } = mixAll(['cpu'], [set('cpu', {}, [], { end: 240_000 })], [set('cpu', {}, [], { end: 240_000 })], ids);
    expect(pairs[0].values.control).toEqual([NaN, NaN, NaN, NaN]);
    expect(pairs[0].values.experiment).toEqual([NaN, NaN, NaN, NaN]);
  });

  it('pads each side at the end to its own expected length, never truncates', () => {
    const c = set('cpu', {}, [1, 2], { end: 4 * 60_000 });
    const e = set('cpu', {}, [1, 2, 3, 4, 5], { end: 3 * 60_000 });
    const { pairs } = mixAll(['cpu'], [c], [e], ids);
    expect(pairs[0].values.control).toEqual([1, 2, NaN, NaN]);
    expect(pairs[0].values.experiment).toEqual([1, 2, 3, 4, 5]);
    expect(expectedDataPoints(c)).toBe(4);
  });

  it("discards the tagged side's partner when the other side has only {} — and says so", () => {
    const control = set('cpu', { tagNameA: 'a', tagNameB: 'b' }, [10, 20, 30]);
    const experiment = set('cpu', {}, [70, 80, 90], { step: 0, end: 0 });
    const { pairs, problems } = mixAll(['cpu'], [control], [experiment], ids);
    expect(pairs).toHaveLength(1);
    expect(pairs[0].tags).toEqual({ tagNameA: 'a', tagNameB: 'b' });
    expect(pairs[0].values).toEqual({ control: [10, 20, 30], experiment: [] });
    expect(pairs[0].attributes.experiment?.pairing).toBe('no experiment series with tags {tagNameA="a", tagNameB="b"}: the experiment side is NaN (3 experiment values without matching tags discarded)');
    expect(problems).toEqual([`metric 'cpu': ${pairs[0].attributes.experiment?.pairing}; the control series has no experiment counterpart`]);
  });

  it('pairs different label values as two half-empty pairs, control tags first', () => {
    const { pairs, problems } = mixAll(
      ['errors'],
      [set('errors', { version: 'baseline' }, [1, 2])],
      [set('errors', { version: 'canary' }, [3, 4])],
      ids,
    );
    expect(pairs.map((p) => [p.tags, p.values])).toEqual([
      [{ version: 'baseline' }, { control: [1, 2], experiment: [NaN, NaN] }],
      [{ version: 'canary' }, { control: [NaN, NaN], experiment: [3, 4] }],
    ]);
    expect(problems).toHaveLength(2);
  });

  it('fails on different tag keys', () => {
    expect(() => mixAll(['m'], [set('m', { pod: 'a' }, [1])], [set('m', { instance: 'a' }, [1])], ids)).toThrow(
      'Control metrics have different tag keys than the experiment tag set ([pod] != [instance]).',
    );
  });

  it('fails when a side has no set at all', () => {
    expect(() => mixAll(['m'], [], [set('m', {}, [1])], ids)).toThrow('No control metrics found for m and the metric service did not create a placeholder.');
  });

  it('emits metrics in config order', () => {
    const { pairs } = mixAll(['b', 'a'], [set('a', {}, [1]), set('b', {}, [2])], [set('b', {}, [3]), set('a', {}, [4])], ids);
    expect(pairs.map((p) => p.name)).toEqual(['b', 'a']);
  });

  it('pairs tags whatever their key order, and thousands of series one to one', () => {
    const n = 4000;
    const control = Array.from({ length: n }, (_, i) => set('latency', { pod: `p${i}`, zone: `z${i % 3}` }, [i]));
    // The experiment lists its series in reverse, each with its tag keys in the other order.
    const experiment = Array.from({ length: n }, (_, i) => set('latency', { zone: `z${(n - 1 - i) % 3}`, pod: `p${n - 1 - i}` }, [-(n - 1 - i)]));
    const { pairs, problems } = mixAll(['latency'], control, experiment, ids);
    expect(problems).toEqual([]);
    expect(pairs).toHaveLength(n);
    expect(pairs.every((p) => p.values.control[0] === -p.values.experiment[0])).toBe(true);
    expect(pairs.map((p) => p.tags.pod).slice(0, 3)).toEqual(['p0', 'p1', 'p2']);
  });

  it('keeps the first of two sets with the same tags, as before', () => {
    const { pairs } = mixAll(['m'], [set('m', { a: '1' }, [1]), set('m', { a: '1' }, [2])], [set('m', { a: '1' }, [3])], ids);
    expect(pairs.map((p) => p.values)).toEqual([{ control: [1], experiment: [3] }]);
  });
});

describe('mixAllYielding', () => {
  it('gives the same pairs as mixAll', async () => {
    const control = [set('a', { pod: 'x' }, [1, 2]), set('b', {}, [5])];
    const experiment = [set('a', { pod: 'y' }, [3, 4]), set('b', {}, [6])];
    let k = 0;
    const sync = mixAll(['b', 'a'], control, experiment, () => `id-${++k}`);
    k = 0;
    const yielding = await mixAllYielding(['b', 'a'], control, experiment, () => `id-${++k}`);
    expect(yielding).toEqual(sync);
  });

  it('lets other work run between pairs once its time slice is used up', async () => {
    const control = Array.from({ length: 50 }, (_, i) => set('m', { pod: `p${i}` }, [i]));
    // Other work: a task that asks for a turn of the event loop again each time it gets one.
    let turns = 0;
    let stopped = false;
    const other = () => {
      turns++;
      if (!stopped) setImmediate(other);
    };
    setImmediate(other);
    try {
      // A slice of 0 ms is always used up: every pair gives the loop a turn.
      const { pairs } = await mixAllYielding(['m'], control, control, ids, new TimeSlice(0));
      expect(pairs).toHaveLength(50);
    } finally {
      stopped = true;
    }
    expect(turns).toBeGreaterThan(25);
  });
});
