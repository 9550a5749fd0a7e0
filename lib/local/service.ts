// The embedded service: emulated S3 and DynamoDB, the stores, and every route on one server.
import { canaryConfigHandlers } from '../api/canary-config-api.ts';
import { metaHandlers } from '../api/meta-api.ts';
import { metricsHandlers } from '../api/metrics-api.ts';
import type { Account } from '../config/accounts.ts';
import { MetricAccounts, type SourceOptions } from '../metrics/sources.ts';
import { MetricSetListStore } from '../store/metric-set-lists.ts';
import { createApp } from '../api/router.ts';
import { createStorage } from '../store/aws-clients.ts';
import { ConfigStore } from '../store/config-store.ts';
import { startEmulators } from './emulators.ts';
import { startHttpServer } from './http-server.ts';

export interface LocalServiceOptions {
  host?: string;
  port?: number;
  /** Keep data here across restarts; undefined keeps it only while running. */
  dataDir?: string;
  /** Metric back-ends (the accounts file). */
  accounts?: readonly Account[];
  /** Timeouts and retries of the metric sources. */
  sourceOptions?: SourceOptions;
}

export interface LocalService {
  url: string;
  stop(): Promise<void>;
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const host = options.host ?? '127.0.0.1';
  const emulators = await startEmulators({ host: '127.0.0.1', dataDir: options.dataDir });
  try {
    const storage = createStorage(emulators);
    const configs = new ConfigStore(storage);
    const accounts = new MetricAccounts(options.accounts ?? [], options.sourceOptions);
    const app = createApp({
      ...canaryConfigHandlers(configs),
      ...metricsHandlers({ accounts, configs, metricSetLists: new MetricSetListStore(storage.objects) }),
      ...metaHandlers(),
    });
    const server = await startHttpServer(app, host, options.port ?? 8090);
    return {
      url: server.url,
      async stop() {
        await server.close();
        await emulators.stop();
      },
    };
  } catch (err) {
    await emulators.stop();
    throw err;
  }
}
