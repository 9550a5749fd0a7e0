// The AWS SDK's default credential provider as the Lambda bundles have it: serverless.yml's
// custom.esbuild.alias bundles this module in place of @aws-sdk/credential-provider-node (only
// the Lambda bundles: tests, the CLI and `canaria serve` run the SDK's own).
//
// The SDK's chain is: environment variables, SSO, shared config files, a credential process, a
// web identity token file, then container credentials and instance metadata. A Lambda function
// has its role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN: set by Lambda, reserved), and no config file, SSO cache, credential process
// or token file, so the SDK's chain stops at its first link there. Here the chain is that first
// link, then the container and instance metadata links as the SDK has them; the links that read
// files are left out, and with them the code they load at every cold start (the STS, SSO, SSO-OIDC
// and sign-in clients among it: npm run bench:coldstart). AWS_PROFILE, which only those links
// would honour, is refused with a message rather than ignored.
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { chain, CredentialsProviderError, memoize } from '@smithy/core/config';
import { ENV_CMDS_FULL_URI, ENV_CMDS_RELATIVE_URI, fromContainerMetadata, fromInstanceMetadata, type RemoteProviderInit } from '@smithy/credential-provider-imds';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

export interface DefaultProviderInit extends RemoteProviderInit {
  profile?: string;
  logger?: Logger;
}

/** As the SDK's: credentials with an expiration are refreshed, within 5 minutes of it. */
export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity) => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;

/** The SDK's remote link: container credentials when the container variables say so, else instance metadata unless disabled. */
function remote(init: DefaultProviderInit): AwsCredentialIdentityProvider {
  if (process.env[ENV_CMDS_RELATIVE_URI] || process.env[ENV_CMDS_FULL_URI]) return chain(fromHttp(init), fromContainerMetadata(init));
  const disabled = process.env.AWS_EC2_METADATA_DISABLED;
  if (disabled && disabled !== 'false') {
    return async () => {
      throw new CredentialsProviderError('EC2 Instance Metadata Service access disabled', { logger: init.logger });
    };
  }
  return fromInstanceMetadata(init);
}

export const defaultProvider = (init: DefaultProviderInit = {}): AwsCredentialIdentityProvider =>
  memoize(
    chain(
      async () => {
        const profile = init.profile ?? process.env.AWS_PROFILE;
        if (profile) {
          throw new CredentialsProviderError(`profile '${profile}' is set (AWS_PROFILE), but the Lambda bundles read no shared config files: a function has its role's credentials in the environment (functions/lambda-credentials.ts)`, {
            logger: init.logger,
            tryNextLink: false,
          });
        }
        return fromEnv(init)();
      },
      async () => remote(init)(),
      async () => {
        throw new CredentialsProviderError('Could not load credentials from the environment, a container or instance metadata', { logger: init.logger, tryNextLink: false });
      },
    ),
    credentialsTreatedAsExpired,
    credentialsWillNeedRefresh,
  );
