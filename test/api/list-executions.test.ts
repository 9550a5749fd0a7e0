// GET /canary/executions on a data directory of an earlier canaria (executions recorded without
// the application indexes): it lists them as before, newest first, by page and status.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore, type ExecutionRecord } from '../../lib/analysis/executions.ts';
import { ulid } from '../../lib/analysis/ids.ts';
import { canaryConfigSchema, type CanaryConfig } from '../../lib/config/canary-config.ts';
import { startLocalService, type LocalService } from '../../lib/local/service.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { httpCall } from '../support/http.ts';

const window = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', step: 60 };
const scopes = { default: { controlScope: { ...window, scope: 'v="a"' }, experimentScope: { ...window, scope: 'v="b"' } } };
const config = canaryConfigSchema.parse({
  name: 'c',
  applications: ['shop'],
  metrics: [{ name: 'm', query: { type: 'prometheus', customInlineTemplate: 'PromQL:up' }, groups: ['g'], analysisConfigurations: {} }],
  classifier: { groupWeights: { g: 100 } },
}) as CanaryConfig;

describe('GET /canary/executions on a data directory from before the application indexes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'canaria-list-'));
  const built: ExecutionRecord[] = [];
  let service: LocalService;

  beforeAll(async () => {
    const storage = openSqliteStorage(join(dataDir, 'canaria.db'));
    const executions = new ExecutionStore(storage);
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 40; i++) {
      const r: ExecutionRecord = {
        id: ulid(t0 + i * 1000),
        application: i % 2 ? 'shop' : 'cart',
        status: 'running',
        stage: 'setupContext',
        canaryConfigId: 'c',
        metricCount: 1,
        buildTimeMillis: t0 + i * 1000,
      };
      await executions.create(r, { config, executionRequest: { scopes, thresholds: { pass: 75, marginal: 50 } } as never });
      const status = i % 3 ? 'succeeded' : 'terminal';
      await executions.update(r.id, { status, endTimeMillis: t0 + i * 1000 + 1 });
      built.push({ ...r, status });
    }
    // As an earlier canaria left it: no index entries, no mark.
    for (const r of built) expect(await storage.records.delete({ pk: `canaryExecutionByApp#${r.application}`, sk: r.id })).toBe(true);
    await storage.close();
    service = await startLocalService({ port: 0, dataDir });
  }, 30_000);
  afterAll(() => service?.stop());

  const list = async (query: string) => {
    const r = await httpCall(service.url, 'GET', `/canary/executions?${query}`);
    expect(r.status).toBe(200);
    return (r.json as Array<{ pipelineId: string; status: string; application: string }>).map((s) => [s.pipelineId, s.application, s.status.toLowerCase()].join(' '));
  };
  const expected = (keep: (r: ExecutionRecord) => boolean, from: number, to: number) =>
    built
      .filter(keep)
      .reverse()
      .slice(from, to)
      .map((r) => [r.id, r.application, r.status].join(' '));

  it('lists an application\'s newest first, by page and status', async () => {
    expect(await list('application=shop&limit=5')).toEqual(expected((r) => r.application === 'shop', 0, 5));
    expect(await list('application=shop&limit=5&page=3')).toEqual(expected((r) => r.application === 'shop', 10, 15));
    expect(await list('application=cart&statuses=terminal,running&limit=4&page=2')).toEqual(expected((r) => r.application === 'cart' && r.status === 'terminal', 4, 8));
    expect(await list('application=shop&limit=100&page=2')).toEqual([]);
  });

  it('lists every application\'s newest first without one, and none for an application no execution can have', async () => {
    expect(await list('limit=7&page=2')).toEqual(expected(() => true, 7, 14));
    expect(await list('statuses=succeeded&limit=100')).toEqual(expected((r) => r.status === 'succeeded', 0, 100));
    expect(await list(`application=${'x'.repeat(3000)}`)).toEqual([]);
  });
});
