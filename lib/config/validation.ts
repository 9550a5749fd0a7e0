// Turning schema failures into one clear line per problem, naming the field path.
import * as z from 'zod';

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

// Plain-English messages for zod's generic issues; schemas may still set their own.
z.config({
  customError: (iss) => {
    switch (iss.code) {
      case 'invalid_type':
        if (iss.expected === 'boolean') return 'must be true or false';
        return `must be ${article(iss.expected === 'record' ? 'object' : String(iss.expected))}`;
      case 'invalid_value':
        return iss.values.length === 1
          ? `must be ${JSON.stringify(iss.values[0])}`
          : `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
      case 'too_small':
        if (iss.origin === 'string' && Number(iss.minimum) === 1) return 'must not be empty';
        if (iss.origin === 'array') return `must have at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`;
        if (iss.origin === 'number') return iss.inclusive ? `must be at least ${iss.minimum}` : `must be greater than ${iss.minimum}`;
        return undefined;
      case 'too_big':
        if (iss.origin === 'string') return `must be at most ${iss.maximum} characters long`;
        if (iss.origin === 'number') return iss.inclusive ? `must be at most ${iss.maximum}` : `must be less than ${iss.maximum}`;
        if (iss.origin === 'array') return `must have at most ${iss.maximum} items`;
        return undefined;
      default:
        return undefined;
    }
  },
});

export class ValidationError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(issues[0] ?? 'invalid input');
    this.issues = issues;
  }
}

/** Keys longer than this are cut in paths (a message stays short whatever a request sends). */
const MAX_KEY_SHOWN = 64;

const shownKey = (key: PropertyKey) => {
  const k = String(key);
  return k.length > MAX_KEY_SHOWN ? `${k.slice(0, MAX_KEY_SHOWN)}…` : k;
};

/** `metrics[2].analysisConfigurations.canary.direction` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? shownKey(key) : `.${shownKey(key)}`;
  }
  return out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: any = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[key as keyof typeof v];
  }
  return v;
}

/** One line for one problem; `input` is the value that was parsed (to tell missing from wrong). */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): string {
  const path = formatPath([...prefix, ...issue.path]);
  let message = issue.message;
  const missing = valueAt(input, issue.path) === undefined;
  // A schema's own message (e.g. Kayenta's wording) stays; the generic one becomes "is required".
  if (issue.code === 'invalid_type' && missing && message.startsWith('must be')) message = 'is required';
  else if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const options = (issue as { options?: unknown[] }).options ?? [];
    message = missing
      ? 'is required'
      : `unknown ${String(issue.path.at(-2) ?? '')} ${issue.discriminator} ${JSON.stringify(valueAt(input, issue.path))} (supported: ${options.map((o) => JSON.stringify(o)).join(', ')})`.replace('  ', ' ');
  }
  else if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  else if (issue.code === 'invalid_key') {
    // A record key that breaks the key rule: named by the record, the key shown cut.
    const key = issue.path.at(-1);
    const where = formatPath([...prefix, ...issue.path.slice(0, -1)]);
    const text = `key ${JSON.stringify(shownKey(key ?? ''))}${String(key).length > MAX_KEY_SHOWN ? ` (${String(key).length} characters)` : ''}: ${issue.issues[0]?.message ?? message}`;
    return where ? `${where}: ${text}` : text;
  }
  return path ? `${path}: ${message}` : message;
}

/** Parses or throws a ValidationError whose message names the first failing field. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => formatIssue(i, input, prefix)));
}
