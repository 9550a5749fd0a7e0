// Secrets named by the accounts file: an environment variable, or on AWS a Secrets Manager
// secret or an SSM SecureString parameter. Values are cached for the life of the process.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export type SecretRef = { env: string } | { secretArn: string } | { ssmParameter: string };

export type SecretResolver = (ref: SecretRef) => Promise<string>;

const cache = new Map<string, Promise<string>>();

/** The region an ARN names (arn:aws:secretsmanager:REGION:...). */
const arnRegion = (arn: string) => arn.split(':')[3] || undefined;

export const resolveSecret: SecretResolver = (ref) => {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined) return Promise.reject(new Error(`environment variable ${ref.env} is not set`));
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
  const client = new SecretsManagerClient({ region: arnRegion(arn) });
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
  return out.SecretString;
}

async function fromSsm(name: string): Promise<string> {
  const client = new SSMClient({ region: name.startsWith('arn:') ? arnRegion(name) : undefined });
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  if (out.Parameter?.Value === undefined) throw new Error(`SSM parameter ${name} has no value`);
  return out.Parameter.Value;
}
