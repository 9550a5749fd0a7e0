// GET /health, GET /openapi.json
import { httpApiHandler, lambdaErrorLog } from '../../lib/api/lambda.ts';
import { metaHandlers } from '../../lib/api/meta-api.ts';
import { createApp } from '../../lib/api/router.ts';

export const handler = httpApiHandler(createApp(metaHandlers(), lambdaErrorLog));
