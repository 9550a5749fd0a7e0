// JSON as Kayenta (Jackson) writes it: NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity" rather than null; undefined fields left out.
export function kayentaJson(value: unknown, space?: number): string {
  return kayentaJsonOf(value, space).text;
}

/** kayentaJson's text, and whether it is JSON.stringify's too (`value` holds no non-finite number, no toJSON). */
export function kayentaJsonOf(value: unknown, space?: number): { text: string; plain: boolean } {
  // A replacer costs a call per value (and a key string per array element): only when needed.
  return holdsNonFinite(value) ? { text: JSON.stringify(value, nonFiniteAsString, space), plain: false } : { text: JSON.stringify(value, null, space), plain: true };
}

const nonFiniteAsString = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/**
 * Whether JSON.stringify could meet a non-finite number in `value`: true for any object with
 * a toJSON (what it returns is not looked at) and below 100 levels (where a cycle would be, for
 * JSON.stringify to name), so a false is always right.
 */
function holdsNonFinite(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= 100 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsNonFinite(value[i], depth + 1)) return true;
    return false;
  }
  // The keys JSON.stringify writes: own and enumerable.
  for (const key of Object.keys(value)) if (holdsNonFinite((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}
