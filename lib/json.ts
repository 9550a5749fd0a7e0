// JSON as Kayenta (Jackson) writes it: NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity" rather than null; undefined fields left out.
export function kayentaJson(value: unknown, space?: number): string {
  // A replacer costs a call per value (and a key string per array element): only when needed.
  return holdsNonFinite(value) ? JSON.stringify(value, nonFiniteAsString, space) : JSON.stringify(value, null, space);
}

/**
 * At least as many UTF-8 bytes as kayentaJson(value) writes (no `space`), and whether that JSON is
 * JSON.stringify's too, found without writing it (writing numbers is what costs): a number takes
 * at most 25 bytes ("-0.0000012345678901234567"), a string's code unit at most 6 ("\u001f"; UTF-8
 * takes at most 3). Infinity (and not plain) for what it cannot bound: a toJSON, a bigint, more
 * than 100 levels.
 */
export function kayentaJsonBound(value: unknown): { bytes: number; plain: boolean } {
  const out = { bytes: 0, plain: true };
  out.bytes = boundOf(value, 0, out);
  if (out.bytes === Infinity) out.plain = false;
  return out;
}

function boundOf(value: unknown, depth: number, out: { plain: boolean }): number {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) out.plain = false;
      return 25;
    case 'string':
      return 2 + 6 * value.length;
    case 'boolean':
      return 5;
    case 'bigint':
      return Infinity;
    case 'object':
      break;
    default:
      return 4; // undefined, a function or a symbol: left out, or null in an array
  }
  if (value === null) return 4;
  if (depth >= 100 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let bytes = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += boundOf(value[i], depth + 1, out) + 1;
    return bytes;
  }
  for (const key of Object.keys(value)) bytes += 2 + 6 * key.length + 1 + boundOf((value as Record<string, unknown>)[key], depth + 1, out) + 1;
  return bytes;
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
