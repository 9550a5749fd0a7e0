// The accounts file: the metric back-ends a request may name (never a URL from a request).
//   accounts:
//     - {name: prom, type: prometheus, endpoint: http://127.0.0.1:9090, auth?: ...}
//     - {name: cw, type: cloudwatch, region: eu-west-1, roleArn?: arn:aws:iam::...}
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { parseWith, ValidationError } from './validation.ts';

/** Where a secret comes from; the secret itself never sits in a file canaria stores. */
const secretRef = z.union(
  [
    z.strictObject({ env: z.string().min(1) }),
    z.strictObject({ secretArn: z.string().startsWith('arn:') }),
    z.strictObject({ ssmParameter: z.string().min(1) }),
  ],
  { error: 'must be {env: NAME}, {secretArn: ARN} or {ssmParameter: NAME}' },
);

const prometheusAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: secretRef }),
  z.strictObject({ type: z.literal('bearer'), token: secretRef }),
  z.strictObject({ type: z.literal('sigv4'), region: z.string().min(1).optional(), service: z.string().default('aps') }),
]);

const common = {
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'must contain only letters, digits, ".", "_" and "-"' }),
  locations: z.array(z.string()).optional(),
  recommendedLocations: z.array(z.string()).optional(),
};

export const accountSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...common,
    type: z.literal('prometheus'),
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    auth: prometheusAuth.optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('cloudwatch'),
    region: z.string().min(1),
    roleArn: z.string().startsWith('arn:', { error: 'must be an IAM role ARN' }).optional(),
    externalId: z.string().optional(),
    /** Tests and LocalStack only. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
  }),
]);

const limit = z.int().positive({ error: 'must be a whole number of at least 1' });

export const accountsFileSchema = z
  .strictObject({
    accounts: z.array(accountSchema),
    /** What one metric's answer may hold (lib/metrics/source.ts MetricLimits; defaults there). */
    limits: z.strictObject({ maxSeriesPerMetric: limit.optional(), maxBytesPerAnswer: limit.optional(), maxPointsPerAnalysis: limit.optional() }).optional(),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.accounts.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'name'], message: `duplicate account name "${a.name}"` });
      seen.add(a.name);
    });
  });

export type Account = z.output<typeof accountSchema>;
export type AccountsFile = z.output<typeof accountsFileSchema>;

/** Parses accounts YAML or JSON; errors start with `origin` (a file name, an env variable). */
export function parseAccounts(text: string, origin: string): AccountsFile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ValidationError([`${origin}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  try {
    return parseWith(accountsFileSchema, value);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(err.issues.map((i) => `${origin}: ${i}`));
    throw err;
  }
}

/** Reads a YAML or JSON accounts file; errors name the file and the field. */
export async function loadAccountsFile(path: string): Promise<AccountsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ValidationError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseAccounts(text, path);
}

/** Where a deployed function's accounts come from, for messages. */
export const DEPLOY_ACCOUNTS_HINT = 'set CANARIA_ACCOUNTS when deploying; see docs/deploy.md';

/** A deployed function's accounts: the YAML or JSON text of CANARIA_ACCOUNTS (none if unset). */
export function accountsFromEnvironment(env: NodeJS.ProcessEnv = process.env): AccountsFile {
  return env.CANARIA_ACCOUNTS ? parseAccounts(env.CANARIA_ACCOUNTS, 'CANARIA_ACCOUNTS') : { accounts: [] };
}
