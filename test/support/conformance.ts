// Loading the conformance vectors (test/fixtures/conformance) and comparing judge output with them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { judgeRequestSchema } from '../../lib/config/judge-request.ts';
import { parseWith } from '../../lib/config/validation.ts';

/** Test data copied into the repository, with its origin in README.md there. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function loadFixture<T = any>(relativePath: string): T {
  return JSON.parse(readFileSync(FIXTURES_DIR + relativePath, 'utf8')) as T;
}

/** A conformance case's input, parsed at the edge exactly as the CLI and API parse it. */
export function parseCase(c: { canaryConfig: unknown; metricSetPairList: unknown; scoreThresholds: unknown }) {
  return parseWith(judgeRequestSchema, {
    canaryConfig: c.canaryConfig,
    metricSetPairList: c.metricSetPairList,
    scoreThresholds: c.scoreThresholds,
  });
}

/** JSON "NaN" → NaN, so that numbers compare as numbers. */
export function num(v: unknown): number {
  return v === 'NaN' ? NaN : (v as number);
}

/**
 * Asserts every field of `expected` in `actual` (extra fields in actual are ignored).
 * Numbers compare exactly (Object.is, NaN equal to NaN) unless `tolerance` has a number at
 * the same path.
 */
export function expectPartial(actual: unknown, expected: unknown, tolerance: unknown = undefined, path = '$'): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    expect(actual, `${path} should be an object`).toBeTypeOf('object');
    for (const [k, v] of Object.entries(expected)) {
      expectPartial((actual as any)?.[k], v, (tolerance as any)?.[k], `${path}.${k}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} should be an array`).toBe(true);
    expected.forEach((v, i) => expectPartial((actual as any[])[i], v, (tolerance as any)?.[i], `${path}[${i}]`));
    return;
  }
  if (typeof expected === 'number' || expected === 'NaN') {
    const a = num(actual);
    const e = num(expected);
    if (typeof tolerance === 'number') {
      expect(Math.abs(a - e), `${path}: ${a} within ${tolerance} of ${e}`).toBeLessThanOrEqual(tolerance);
    } else {
      expect(Object.is(a, e) || (a === 0 && e === 0), `${path}: got ${a}, expected ${e}`).toBe(true);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}
