// GET/POST /canaryConfig, GET/PUT/DELETE /canaryConfig/{canaryConfigId}
import { canaryConfigHandlers } from '../../lib/api/canary-config-api.ts';
import { httpApiHandler, lambdaErrorLog } from '../../lib/api/lambda.ts';
import { kayentaSecretFromEnvironment } from '../../lib/auth/ssm-secret.ts';
import { createApp } from '../../lib/api/router.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';

export const handler = httpApiHandler(createApp(canaryConfigHandlers(new ConfigStore(storageFromEnvironment())), lambdaErrorLog), {
  kayentaSecret: kayentaSecretFromEnvironment(),
});
