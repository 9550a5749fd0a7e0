// kayentaJson writes what JSON.stringify with the NaN-as-string replacer writes, fast path or not.
import { describe, expect, it } from 'vitest';
import { kayentaJson, kayentaJsonBound } from '../../lib/json.ts';

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

describe('kayentaJsonBound', () => {
  const bytes = (value: unknown) => Buffer.byteLength(kayentaJson(value) ?? '', 'utf8');
  /** Strings of what JSON escapes or writes in several UTF-8 bytes. */
  const strings = ['', 'a"b\\c', '\u0000\u001f\n\t', 'é€😀', '\ud800', '\u2028', 'x'.repeat(40)];
  const numbers = [-1.2345678901234567e-6, -2.2250738585072014e-308, -1.7976931348623157e308, 5e-324, -123456789012345680000, 0.1 + 0.2];

  it('is never below what kayentaJson writes, and plain only when JSON.stringify writes the same', () => {
    const rnd = lcg(11);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (r < 0.2) return pick(strings);
      if (r < 0.4) return pick(numbers);
      if (depth <= 0 || r < 0.55) return randomValue(rnd, 0);
      if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 6) }, () => value(depth - 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(strings), value(depth - 1)]));
    };
    let plain = 0;
    for (let i = 0; i < 3000; i++) {
      const v = value(4);
      const bound = kayentaJsonBound(v);
      expect(bound.bytes).toBeGreaterThanOrEqual(bytes(v));
      if (bound.plain) {
        plain++;
        expect(JSON.stringify(v)).toBe(kayentaJson(v));
      }
    }
    expect(plain).toBeGreaterThan(500); // the walk says plain for most
  });

  it('takes the longest number and string forms at their full length', () => {
    for (const n of numbers) expect(kayentaJsonBound(n).bytes).toBeGreaterThanOrEqual(bytes(n));
    expect(kayentaJsonBound('\u0001').bytes).toBe(bytes('\u0001'));
    expect(kayentaJsonBound([NaN])).toMatchObject({ plain: false });
    expect(kayentaJsonBound({ toJSON: () => 1 })).toEqual({ bytes: Infinity, plain: false });
    expect(kayentaJsonBound([1n])).toEqual({ bytes: Infinity, plain: false });
  });
});
