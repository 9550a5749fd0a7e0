// The embedded service: the embedded store (SQLite), the stores, and every route on one server.
import { canaryConfigHandlers } from '../api/canary-config-api.ts';
import { metaHandlers } from '../api/meta-api.ts';
import { metricsHandlers } from '../api/metrics-api.ts';
import { canaryHandlers } from '../api/canary-api.ts';
import { reportHandlers } from '../api/report-api.ts';
import { standaloneHandlers } from '../api/standalone-api.ts';
import { StandaloneStore } from '../analysis/standalone.ts';
import { SequenceStore } from '../analysis/sequences.ts';
import { LocalStandaloneMachine, realClock, type Clock } from './standalone-machine.ts';
import { ExecutionStore } from '../analysis/executions.ts';
import { endInterrupted } from '../analysis/interrupted.ts';
import { finishedLine, LocalStateMachine, type LocalRunOptions } from './state-machine.ts';
import type { Account } from '../config/accounts.ts';
import { MetricAccounts, type SourceOptions } from '../metrics/sources.ts';
import { MetricSetListStore } from '../store/metric-set-lists.ts';
import { withRequestLog } from '../api/request-log.ts';
import type { Telemetry } from '../telemetry/events.ts';
import { keyAuthenticator, withAuth, withKayentaPrefix } from '../api/auth.ts';
import { ApiKeyStore } from '../auth/api-keys.ts';
import { readStoredSecret } from '../auth/kayenta-secret.ts';
import { createApp } from '../api/router.ts';
import { ConfigStore } from '../store/config-store.ts';
import { openEmbeddedStorage } from './embedded-storage.ts';
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
  /** Fault injection and retry pacing for the local state machine (tests). */
  stateMachine?: LocalRunOptions;
  /** One line per request: `POST /canary/abc 200 12 ms` (path without query; no headers or bodies). */
  requestLog?: (line: string) => void;
  /** Told what opening the data directory did (a migration of an older release's files). */
  storageLog?: (line: string) => void;
  /**
   * Lines about analyses the events do not tell: one ended by a restart, one whose state machine
   * ended without recording its end, a standalone run that stopped on an error.
   */
  analysisLog?: (line: string) => void;
  /** Where the analyses' events go (canaria serve: consoleTelemetry on stderr). */
  telemetry?: Telemetry;
  /**
   * Require an API key of the store (`canaria keys create`) on every route but /health, as the
   * deployed stack does (canaria serve --auth). Off: every route is open.
   */
  auth?: boolean;
  /** The runtime's time (records, the waits of standalone runs); tests run lifetimes fast with their own. */
  clock?: Clock;
}

export interface LocalService {
  url: string;
  /** Resolves when no analysis is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const host = options.host ?? '127.0.0.1';
  const embedded = await openEmbeddedStorage({ dataDir: options.dataDir, log: options.storageLog });
  try {
    const { storage } = embedded;
    const configs = new ConfigStore(storage);
    const accounts = new MetricAccounts(options.accounts ?? [], { ...options.sourceOptions, howToConfigure: 'start canaria serve with --accounts FILE' });
    const executions = new ExecutionStore(storage);
    const clock = options.clock ?? realClock;
    const now = () => clock.now();
    // Nothing of an analysis survives the process: those a restart cut off end terminal now.
    await endInterrupted(executions, now(), (id, record) => options.analysisLog?.(finishedLine(id, record)));
    const machine = new LocalStateMachine({ executions, accounts, configs, now, telemetry: options.telemetry }, withAnalysisLog(options.stateMachine, options.analysisLog));
    // Standalone runs outlive a restart: each still recorded running resumes at its next look.
    const standalone = new StandaloneStore(storage);
    const standaloneMachine = new LocalStandaloneMachine({ executions, accounts, standalone, now }, machine, clock, {
      retryIntervalMs: options.stateMachine?.retryIntervalMs,
      onError: (id, err) => options.analysisLog?.(`standalone analysis ${id} stopped: ${err.message}`),
    });
    await standaloneMachine.resume();
    const routes = createApp({
      ...canaryConfigHandlers(configs),
      ...canaryHandlers({ configs, executions, accounts, starter: machine, sequences: new SequenceStore(storage.records), now }),
      ...standaloneHandlers({ configs, executions, standalone, accounts, starter: standaloneMachine, now }),
      ...reportHandlers({ executions, standalone, now }),
      ...metricsHandlers({ accounts, configs, metricSetLists: new MetricSetListStore(storage.objects) }),
      ...metaHandlers(),
    });
    // Keys are looked up in the store on every request (no cache): a revoked key stops at once.
    const keys = new ApiKeyStore(storage.records);
    const checked = options.auth ? withAuth(keyAuthenticator((key) => keys.verify(key)))(routes) : routes;
    const logged = options.requestLog ? withRequestLog(options.requestLog)(checked) : checked;
    // Outside the log: a path under /k/ is logged without its secret. The secret is read from
    // the store per request, so `canaria keys kayenta-secret --rotate` takes effect at once.
    const app = withKayentaPrefix(() => readStoredSecret(storage.records))(logged);
    const server = await startHttpServer(app, host, options.port ?? 8090, { log: options.requestLog });
    return {
      url: server.url,
      idle: async () => {
        await standaloneMachine.idle();
        await machine.idle();
      },
      async stop() {
        await server.close();
        await standaloneMachine.stop();
        await machine.idle();
        await embedded.stop();
      },
    };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

/**
 * The state machine's options with `log` told of every analysis that ended without recording its
 * end (after any onFinished of their own); Record and RecordFailure tell the others' ends.
 */
function withAnalysisLog(run: LocalRunOptions = {}, log?: (line: string) => void): LocalRunOptions {
  if (!log) return run;
  const own = run.onFinished;
  return {
    ...run,
    onFinished: (id, record, error) => {
      try {
        own?.(id, record, error);
      } finally {
        if (record?.status !== 'succeeded' && record?.status !== 'terminal') log(finishedLine(id, record, error));
      }
    },
  };
}
