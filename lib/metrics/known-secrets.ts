// Secret values this process has read (lib/metrics/secrets.ts) or built from them (an
// Authorization header), so that any text leaving it (a log line, an error a metric store echoed)
// can be cleaned of them. Dependency-free: every bundle that logs may import it.

/** Shorter values would mask ordinary words. */
const MIN_CHARS = 4;
const known = new Set<string>();

export function rememberSecret(value: string): void {
  if (value.length >= MIN_CHARS) known.add(value);
}

/** `text` with every remembered secret value replaced by `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  // Longest first: a secret inside another is masked with it.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}
