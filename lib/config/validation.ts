// Turning schema failures into one clear line per problem, naming the field path.
import type { z } from 'zod';

export class ValidationError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(issues[0] ?? 'invalid input');
    this.issues = issues;
  }
}

/** `metrics[2].analysisConfigurations.canary.direction` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
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
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) message = 'is required';
  else if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return path ? `${path}: ${message}` : message;
}

/** Parses or throws a ValidationError whose message names the first failing field. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => formatIssue(i, input, prefix)));
}
