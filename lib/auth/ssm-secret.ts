// The secret of the /k/{secret}/ prefix on AWS: an SSM SecureString parameter. Its own module,
// imported only by the functions that serve the kayenta routes, so that no other bundle holds
// the SSM client (static imports let esbuild keep only the one command).
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SECRET_PATTERN, type SecretSource } from './kayenta-secret.ts';

/**
 * The secret in an SSM parameter (a SecureString, decrypted), re-read after `ttlMs` so that a
 * rotation reaches every function within that time. A parameter that cannot be read is an
 * error (the request gets a 500 and the log names the parameter), never "no secret".
 */
export function ssmSecretSource(
  parameterName: string,
  options: { ttlMs?: number; now?: () => number; region?: string; /** Another SSM endpoint (tests). */ endpoint?: string } = {},
): SecretSource {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; until: number } | undefined;
  let client: SSMClient | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    const asked = now();
    // Made on the first request under /k/: no other request needs the client.
    client ??= new SSMClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
    let value: string | undefined;
    try {
      value = (await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }))).Parameter?.Value;
    } catch (err) {
      throw new Error(`cannot read the kayenta path secret from SSM parameter ${parameterName}: ${(err as Error).name}: ${(err as Error).message}`);
    }
    if (value === undefined || !SECRET_PATTERN.test(value)) {
      throw new Error(`SSM parameter ${parameterName} must hold 16 to 128 URL-safe characters (A-Z a-z 0-9 _ -)`);
    }
    cached = { value, until: asked + ttlMs };
    return value;
  };
}

/** The source the stack configures (CANARIA_KAYENTA_SECRET_PARAMETER), or undefined: /k/ not served. */
export function kayentaSecretFromEnvironment(env: NodeJS.ProcessEnv = process.env): SecretSource | undefined {
  const parameter = env.CANARIA_KAYENTA_SECRET_PARAMETER;
  return parameter ? ssmSecretSource(parameter) : undefined;
}
