// Analyses interrupted by a restart of canaria serve end `terminal` when it starts again,
// instead of reading `running` until they time out 5.5 minutes later.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore, type ExecutionRecord } from '../../lib/analysis/executions.ts';
import { endInterrupted, INTERRUPTED_REASON } from '../../lib/analysis/interrupted.ts';
import { executionStatus } from '../../lib/analysis/status.ts';
import { startEmulators } from '../../lib/local/emulators.ts';
import { finishedLine } from '../../lib/local/state-machine.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import type { Storage } from '../../lib/store/ports.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { exit, useProcesses } from './serve-process.ts';

const stores: Array<[string, () => Promise<{ storage: Storage; stop(): Promise<void> }>]> = [
  [
    'the embedded store (SQLite)',
    async () => {
      const s = openSqliteStorage(':memory:');
      return { storage: s, stop: async () => s.close() };
    },
  ],
  [
    'the emulators (s3rver, dynalite)',
    async () => {
      const e = await startEmulators();
      return { storage: createStorage(e), stop: () => e.stop() };
    },
  ],
];

const doc = { config: { name: 'c', metrics: [] }, executionRequest: { scopes: {}, thresholds: { pass: 95, marginal: 75 } } } as never;

describe.each(stores)('endInterrupted on %s', (_name, open) => {
  let executions: ExecutionStore;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const opened = await open();
    stop = opened.stop;
    executions = new ExecutionStore(opened.storage);
  }, 30_000);
  afterAll(() => stop?.());

  const started = Date.now() - 60_000;
  const record = (id: string, status: ExecutionRecord['status'], stage: ExecutionRecord['stage']): ExecutionRecord => ({
    id,
    application: 'shop',
    status,
    stage,
    canaryConfigId: 'c',
    metricCount: 1,
    buildTimeMillis: started,
    startTimeMillis: started,
  });

  it('ends every running analysis terminal in its stage, with the reason; leaves ended ones as they were', async () => {
    await executions.create(record('run-setup', 'running', 'setupContext'), doc);
    await executions.create(record('run-fetch', 'running', 'fetch'), doc);
    await executions.create(record('run-judge', 'running', 'judge'), doc);
    await executions.create({ ...record('done-pass', 'succeeded', 'done'), score: 100, classification: 'Pass', endTimeMillis: started + 1000 }, doc);
    await executions.create({ ...record('done-failed', 'terminal', 'fetch'), endTimeMillis: started + 1000 }, doc);
    const before = [await executions.get('done-pass'), await executions.get('done-failed')];

    const now = Date.now();
    const lines: string[] = [];
    const ended = await endInterrupted(executions, now, (id, r) => lines.push(finishedLine(id, r)));

    expect(ended).toBe(3);
    expect(lines.sort()).toEqual([
      `analysis run-fetch terminal in fetch: ${INTERRUPTED_REASON}`,
      `analysis run-judge terminal in judge: ${INTERRUPTED_REASON}`,
      `analysis run-setup terminal in setupContext: ${INTERRUPTED_REASON}`,
    ]);
    for (const [id, stage] of [['run-setup', 'setupContext'], ['run-fetch', 'fetch'], ['run-judge', 'judge']] as const) {
      expect(await executions.get(id)).toMatchObject({
        status: 'terminal',
        stage,
        endTimeMillis: now,
        exception: { timestamp: now, exceptionType: 'Interrupted', operation: stage, details: { error: INTERRUPTED_REASON, errors: [INTERRUPTED_REASON] }, shouldRetry: true },
      });
    }
    expect([await executions.get('done-pass'), await executions.get('done-failed')]).toEqual(before);
    expect(await executions.listRunning()).toEqual([]);

    // What GET /canary/{id} answers: complete, terminal in the stage it stopped in.
    expect(await executionStatus(executions, 'run-fetch', now)).toMatchObject({
      complete: true,
      status: 'terminal',
      stageStatus: { setupContext: 'succeeded', fetchControl0: 'terminal', fetchExperiment0: 'terminal', mixMetrics: 'not_started', judge: 'not_started' },
      exception: { details: { error: INTERRUPTED_REASON } },
      endTimeMillis: now,
    });
  });

  it('ends nothing a second time', async () => {
    expect(await endInterrupted(executions, Date.now())).toBe(0);
  });
});

// END TO END: needs endInterrupted wired into lib/local/service.ts (startLocalService, before
// startHttpServer):
//   await endInterrupted(executions, now(), (id, record) => options.analysisLog?.(finishedLine(id, record)));
// Until that line is there, this test fails at the status check ("running" after the restart).
describe('canaria serve, restarted after kill -9 during an analysis', () => {
  const { serve } = useProcesses();
  /** A Prometheus that takes every query and never answers. */
  let silent: Server;
  let silentUrl: string;
  const queries: IncomingMessage[] = [];
  let queried: () => void = () => {};
  beforeAll(async () => {
    silent = createServer((req) => {
      queries.push(req);
      queried();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('reads the analysis terminal, "interrupted by a restart of canaria serve", and logs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaria-interrupted-'));
    const accountsFile = join(dir, 'accounts.yaml');
    writeFileSync(accountsFile, `accounts:\n  - {name: silent, type: prometheus, endpoint: ${silentUrl}}\n`);
    const args = ['--data-dir', join(dir, 'data'), '--accounts', accountsFile];

    const first = await serve(args);
    const window = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', step: 60 };
    const started = await fetch(`${first.url}/canary?metricsAccountName=silent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        canaryConfig: {
          name: 'interrupted',
          applications: ['shop'],
          metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: 'PromQL:avg(latency{${scope}})' }, groups: ['latency'], analysisConfigurations: {}, scopeName: 'default' }],
          classifier: { groupWeights: { latency: 100 } },
        },
        executionRequest: {
          scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
          thresholds: { pass: 95, marginal: 75 },
        },
      }),
    });
    expect(started.status, await started.clone().text()).toBe(200);
    const { canaryExecutionId: id } = (await started.json()) as { canaryExecutionId: string };

    // The analysis is fetching (its queries hang at the silent Prometheus): kill -9 now.
    await new Promise<void>((resolve) => {
      queried = resolve;
      if (queries.length > 0) resolve();
    });
    const running = (await (await fetch(`${first.url}/canary/${id}`)).json()) as { status: string; complete: boolean };
    expect(running).toMatchObject({ status: 'running', complete: false });
    first.proc.kill('SIGKILL');
    expect(await exit(first.proc)).toBe('SIGKILL');

    const second = await serve(args);
    const status = (await (await fetch(`${second.url}/canary/${id}`)).json()) as Record<string, any>;
    expect(status).toMatchObject({
      complete: true,
      status: 'terminal',
      exception: { exceptionType: 'Interrupted', operation: 'fetch', details: { error: INTERRUPTED_REASON }, shouldRetry: true },
      stageStatus: { setupContext: 'succeeded', fetchControl0: 'terminal', fetchExperiment0: 'terminal' },
    });
    expect(second.stderr()).toContain(`canaria: analysis ${id} terminal in fetch: ${INTERRUPTED_REASON}\n`);
    second.proc.kill('SIGINT');
    expect(await exit(second.proc)).toBe(0);
  });
});
