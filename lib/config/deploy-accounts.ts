// The deploy-time check of CANARIA_ACCOUNTS (run by serverless-accounts.cjs before osls
// packages or deploys): the text every function receives must parse exactly as the Lambdas
// will parse it (accountsFromEnvironment), and must fit Lambda's 4 KB environment.
import { parseAccounts, type AccountsFile } from './accounts.ts';
import { ValidationError } from './validation.ts';

/** Lambda's limit on all of one function's environment variables together. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** What a value CloudFormation fills in at deploy time (a !Ref, an ARN) is counted as. */
export const DEPLOY_TIME_VALUE_BYTES = 128;

export const NO_ACCOUNTS_WARNING =
  "CANARIA_ACCOUNTS is empty or unset: no metric accounts: every analysis is refused with a 400 'No prometheus metrics account is configured'; " +
  'set CANARIA_ACCOUNTS to the text of an accounts file (YAML or JSON) when packaging or deploying, ' +
  'e.g. CANARIA_ACCOUNTS="$(cat accounts.yaml)" npx serverless deploy (see docs/deploy.md)';

/** A function's environment as osls resolved it: strings, or CloudFormation intrinsics. */
export type FunctionEnvironments = Record<string, Record<string, unknown> | undefined>;

export interface DeployAccountsCheck {
  /** Any error fails the package or deploy. */
  errors: string[];
  warnings: string[];
}

/**
 * Checks the CANARIA_ACCOUNTS of every function that has one (provider and function
 * environment merged, as osls writes them into the template).
 */
export function checkDeployAccounts(environments: FunctionEnvironments): DeployAccountsCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const receiving = Object.entries(environments).filter(([, env]) => env && 'CANARIA_ACCOUNTS' in env) as [string, Record<string, unknown>][];

  // Every distinct text, with the functions that get it (all of them, unless serverless.yml changes).
  const texts = new Map<unknown, string[]>();
  for (const [fn, env] of receiving) texts.set(env.CANARIA_ACCOUNTS, [...(texts.get(env.CANARIA_ACCOUNTS) ?? []), fn]);

  let anyAccount = false;
  for (const [text, fns] of texts) {
    if (typeof text !== 'string') {
      errors.push(`CANARIA_ACCOUNTS: must be text (the accounts file's YAML or JSON), in the environment of ${fns.join(', ')}`);
      continue;
    }
    // As accountsFromEnvironment does on Lambda: empty means no accounts; anything else must parse.
    if (text === '') continue;
    let file: AccountsFile;
    try {
      file = parseAccounts(text, 'CANARIA_ACCOUNTS');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors.push(...err.issues);
      continue;
    }
    if (file.accounts.length > 0) anyAccount = true;
    warnings.push(...unreachableEndpoints(file), ...missingEnvSecrets(file, fns, environments));
  }
  if (!anyAccount && errors.length === 0) warnings.unshift(NO_ACCOUNTS_WARNING);

  const tooBig = receiving
    .map(([fn, env]) => ({ fn, bytes: environmentBytes(env) }))
    .filter((f) => f.bytes > LAMBDA_ENVIRONMENT_LIMIT);
  if (tooBig.length > 0) {
    const textBytes = Math.max(...receiving.map(([, env]) => (typeof env.CANARIA_ACCOUNTS === 'string' ? Buffer.byteLength(env.CANARIA_ACCOUNTS) : 0)));
    errors.push(
      `CANARIA_ACCOUNTS: ${textBytes} bytes is too long: Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes (4 KB) for all of a function's ` +
        `environment variables together, and with it the environment of ${tooBig.map((f) => f.fn).join(', ')} ` +
        `would be about ${Math.max(...tooBig.map((f) => f.bytes))} bytes. ` +
        'Shorten the text (drop comments and line breaks: one line of YAML flow style, accounts: [{name: ..., type: ...}], ' +
        'is the smallest form, as every quote of JSON counts twice) or configure fewer accounts',
    );
  }
  return { errors, warnings };
}

/**
 * An estimate of the size Lambda counts: the variables as JSON text (names, values, quotes,
 * escapes and separators), each value CloudFormation fills in at deploy time counted as
 * DEPLOY_TIME_VALUE_BYTES (the bucket and table names and the state machine ARN are shorter).
 */
export function environmentBytes(env: Record<string, unknown>): number {
  const measured = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : 'x'.repeat(DEPLOY_TIME_VALUE_BYTES)]),
  );
  return Buffer.byteLength(JSON.stringify(measured), 'utf8');
}

const LOOPBACK = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/** Prometheus endpoints on the deployer's own machine: a Lambda cannot reach them. */
function unreachableEndpoints(file: AccountsFile): string[] {
  return file.accounts.flatMap((a, i) =>
    a.type === 'prometheus' && LOOPBACK.test(new URL(a.endpoint).hostname)
      ? [
          `CANARIA_ACCOUNTS: accounts[${i}].endpoint: ${a.endpoint} is this machine; a Lambda cannot reach it. ` +
            'Use an address the Lambda can reach (a public HTTPS endpoint, a private one from a VPC-attached function, ' +
            'or Amazon Managed Service for Prometheus with auth {type: sigv4})',
        ]
      : [],
  );
}

/** {env: NAME} secrets read the function's own environment, which the stack must then set. */
function missingEnvSecrets(file: AccountsFile, fns: string[], environments: FunctionEnvironments): string[] {
  const out: string[] = [];
  file.accounts.forEach((a, i) => {
    if (a.type !== 'prometheus' || !a.auth || a.auth.type === 'sigv4') return;
    const [field, ref] = a.auth.type === 'basic' ? ['password', a.auth.password] : ['token', a.auth.token];
    if (!('env' in ref)) return;
    const without = fns.filter((fn) => !(ref.env in (environments[fn] ?? {})));
    if (without.length > 0) {
      out.push(
        `CANARIA_ACCOUNTS: accounts[${i}].auth.${field}: {env: ${ref.env}} is not set in the environment of ${without.join(', ')}; ` +
          'on AWS keep the secret in Secrets Manager ({secretArn: ...}) or SSM ({ssmParameter: ...})',
      );
    }
  });
  return out;
}
