// Secrets named by the accounts file: an environment variable, or on AWS a Secrets Manager
// secret or an SSM SecureString parameter. Values are cached for the life of the process.
//
// A secret that cannot be read is a configuration error, not a network one: SecretError names
// the secret and why (the metric sources do not retry it, and the analysis ends terminal with
// that reason). Reading one takes at most SECRET_TIMEOUT_MS (the SDK's own retries included).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export type SecretRef = { env: string } | { secretArn: string } | { ssmParameter: string };

export type SecretResolver = (ref: SecretRef) => Promise<string>;

/** How long reading one secret from Secrets Manager or SSM may take. */
export const SECRET_TIMEOUT_MS = 5_000;

/** A secret that cannot be read: "secret arn:… cannot be read: AccessDeniedException: …", "environment variable X is not set". */
export class SecretError extends Error {
  override readonly name = 'SecretError';
}

const cache = new Map<string, Promise<string>>();

/** The region an ARN names (arn:aws:secretsmanager:REGION:...). */
const arnRegion = (arn: string) => arn.split(':')[3] || undefined;

/** "AccessDeniedException: User … is not authorized", "TimeoutError: no answer within 5 s". */
function why(err: unknown): string {
  const e = err as { name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `no answer within ${SECRET_TIMEOUT_MS / 1000} s`;
  return [e?.name && e.name !== 'Error' ? e.name : undefined, e?.message].filter(Boolean).join(': ') || String(err);
}

export const resolveSecret: SecretResolver = (ref) => {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined) return Promise.reject(new SecretError(`environment variable ${ref.env} is not set`));
    return Promise.resolve(value);
  }
  const key = JSON.stringify(ref);
  let pending = cache.get(key);
  if (!pending) {
    pending = 'secretArn' in ref ? fromSecretsManager(ref.secretArn) : fromSsm(ref.ssmParameter);
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
};

async function fromSecretsManager(arn: string): Promise<string> {
  let out;
  try {
    const client = new SecretsManagerClient({ region: arnRegion(arn) });
    out = await client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal: AbortSignal.timeout(SECRET_TIMEOUT_MS) });
  } catch (err) {
    throw new SecretError(`secret ${arn} cannot be read: ${why(err)}`);
  }
  if (out.SecretString === undefined) throw new SecretError(`secret ${arn} has no string value`);
  return out.SecretString;
}

async function fromSsm(name: string): Promise<string> {
  let out;
  try {
    const client = new SSMClient({ region: name.startsWith('arn:') ? arnRegion(name) : undefined });
    out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal: AbortSignal.timeout(SECRET_TIMEOUT_MS) });
  } catch (err) {
    throw new SecretError(`SSM parameter ${name} cannot be read: ${why(err)}`);
  }
  if (out.Parameter?.Value === undefined) throw new SecretError(`SSM parameter ${name} has no value`);
  return out.Parameter.Value;
}
