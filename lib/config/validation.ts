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

export function formatIssue(issue: z.core.$ZodIssue, prefix: ReadonlyArray<PropertyKey> = []): string {
  const path = formatPath([...prefix, ...issue.path]);
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  else if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return path ? `${path}: ${message}` : message;
}

/** Parses or throws a ValidationError whose message names the first failing field. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown, prefix: ReadonlyArray<PropertyKey> = []): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => formatIssue(i, prefix)));
}
