// JSON as Kayenta (Jackson) writes it: NaN and infinities as the strings "NaN", "Infinity",
// "-Infinity" rather than null; undefined fields left out.
export function kayentaJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), space);
}
