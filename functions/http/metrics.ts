// POST /fetch/prometheus/query, POST /fetch/cloudwatch/query, GET /metricSetList/{id}, POST /v1/preview
import { httpApiHandler, lambdaErrorLog } from '../../lib/api/lambda.ts';
import { metricsHandlers } from '../../lib/api/metrics-api.ts';
import { createApp } from '../../lib/api/router.ts';
import { deployedAccounts } from '../../lib/metrics/sources.ts';
import { storageFromEnvironment } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { MetricSetListStore } from '../../lib/store/metric-set-lists.ts';

const storage = storageFromEnvironment();
export const handler = httpApiHandler(
  createApp(
    metricsHandlers({
      accounts: deployedAccounts(),
      configs: new ConfigStore(storage),
      metricSetLists: new MetricSetListStore(storage.objects),
    }),
    lambdaErrorLog,
  ),
);
