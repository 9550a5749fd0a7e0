// kayentaJson writes what JSON.stringify with the NaN-as-string replacer writes, fast path or not.
import { describe, expect, it } from 'vitest';
import { kayentaJson } from '../../lib/json.ts';

const reference = (value: unknown, space?: number) =>
  JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), space);

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const specials = [NaN, Infinity, -Infinity, -0, 0, 1.5, null, undefined, 'NaN', true];

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth <= 0 || r < 0.35) return specials[Math.floor(rnd() * specials.length)];
  if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth - 1));
  if (r < 0.65) {
    const inner = randomValue(rnd, depth - 1);
    return { toJSON: () => ({ inner }) };
  }
  if (r < 0.7) return new Date(0);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(rnd() * 5); i++) out[`k${i}`] = randomValue(rnd, depth - 1);
  return out;
}

describe('kayentaJson', () => {
  it('writes non-finite numbers as strings and everything else as JSON.stringify does', () => {
    expect(kayentaJson({ a: [1, NaN, Infinity, -Infinity], b: undefined, c: -0 })).toBe('{"a":[1,"NaN","Infinity","-Infinity"],"c":0}');
    expect(kayentaJson({ a: [1, 2], b: 'x' }, 2)).toBe(JSON.stringify({ a: [1, 2], b: 'x' }, null, 2));
    expect(kayentaJson({ toJSON: () => ({ v: NaN }) })).toBe('{"v":"NaN"}');
    expect(kayentaJson([Object.assign([1], { toJSON: () => [NaN] })])).toBe('[["NaN"]]');
    expect(kayentaJson(NaN)).toBe('"NaN"');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => kayentaJson(cyclic)).toThrow(/circular/);
  });

  it('agrees with the replacer on random nested values', () => {
    const rnd = lcg(5);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(rnd, 4);
      expect(kayentaJson(value)).toBe(reference(value));
      expect(kayentaJson(value, 1)).toBe(reference(value, 1));
    }
  });
});
