// Argo Rollouts' two providers, replayed call for call against the embedded service
// (api-spec.md §2.3 for `kayenta`, §3.2 for `web`), with a real Prometheus behind it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
/** The exact bytes Argo's kayenta provider POSTs (test/fixtures/argo/README.md). */
const argoBody = (name: string) => readFileSync(new URL(`../fixtures/argo/${name}`, import.meta.url), 'utf8');
const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});

/** The AnalysisTemplate's kayenta provider block (docs/argo/kayenta-provider.yaml). */
const template = {
  application: 'guestbook',
  metricsAccountName: 'prom',
  configurationAccountName: 'canary-store',
  storageAccountName: 'canary-store',
  threshold: { pass: 90, marginal: 60 },
};

describeWithPrometheus('Argo Rollouts replay', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));

  beforeAll(async () => {
    for (const [name, metrics] of [
      ['guestbook-identical', [metric('a', LATENCY.identical)]],
      ['guestbook-worse', [metric('a', LATENCY.worse)]],
      ['guestbook-marginal', [metric('a', LATENCY.identical), metric('b', LATENCY.identical), metric('c', LATENCY.worse)]],
    ] as const) {
      const r = await svc.call('POST', '/canaryConfig', { body: { name, applications: ['guestbook'], metrics, classifier: { groupWeights: { latency: 100 } } } });
      expect(r.status).toBe(200);
    }
  });

  /** kayenta.go#Run and #Resume, with the strict checks Argo makes; returns Argo's phase. */
  async function kayentaProvider(canaryConfigName: string, body: string): Promise<{ phase: string; value: string; executionId: string }> {
    const address = svc.url();
    // 1. Lookup: storageAccountName is sent as configurationAccountName (Argo's quirk).
    const lookup = await fetch(`${address}/canaryConfig?application=${template.application}&configurationAccountName=${template.storageAccountName}`);
    expect(lookup.status).toBe(200);
    const configs = (await lookup.json()) as Array<Record<string, unknown>>;
    expect(Array.isArray(configs)).toBe(true);
    for (const c of configs) {
      expect(typeof c.id).toBe('string');
      expect(typeof c.name).toBe('string');
      expect(Number.isInteger(c.updatedTimestamp)).toBe(true);
      expect(typeof c.updatedTimestampIso).toBe('string');
      expect(Array.isArray(c.applications)).toBe(true);
    }
    const config = configs.find((c) => c.name === canaryConfigName);
    expect(config, 'Canary config not found').toBeDefined();
    // 2. Start: exactly 200 with canaryExecutionId.
    const start = await fetch(
      `${address}/canary/${config!.id}?application=${template.application}&metricsAccountName=${template.metricsAccountName}&configurationAccountName=${template.configurationAccountName}&storageAccountName=${template.storageAccountName}`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body },
    );
    expect(start.status).toBe(200);
    const { canaryExecutionId } = (await start.json()) as { canaryExecutionId: unknown };
    expect(typeof canaryExecutionId).toBe('string');
    expect(String(canaryExecutionId)).toMatch(/^[A-Za-z0-9_-]+$/);
    // 3. Resume: poll (Argo waits 15 s; the replay does not) until complete.
    for (let i = 0; i < 400; i++) {
      const poll = await fetch(`${address}/canary/${canaryExecutionId}`);
      expect(poll.status).toBe(200);
      const status = (await poll.json()) as { complete?: unknown; result?: { judgeResult?: { score?: { score?: unknown } } } };
      expect(typeof status.complete, 'Missing Complete Status').toBe('boolean');
      if (status.complete) {
        const score = status.result?.judgeResult?.score?.score;
        if (typeof score !== 'number') return { phase: 'Error', value: 'Missing Score', executionId: String(canaryExecutionId) };
        const s = Math.trunc(score);
        const phase = s >= template.threshold.pass ? 'Successful' : s >= template.threshold.marginal ? 'Inconclusive' : 'Failed';
        return { phase, value: String(s), executionId: String(canaryExecutionId) };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('never completed');
  }

  const v19Body = argoBody('kayenta-v1.9.json');
  it('replays the bytes of the window the fixtures were made for', () => {
    expect(JSON.parse(v19Body).scopes.default.controlScope).toMatchObject({ start: iso(START), end: iso(END), step: STEP });
    expect(JSON.parse(v19Body).thresholds).toEqual(template.threshold);
  });

  describe('kayenta provider (v1.9+ body)', () => {
    it.each([
      ['guestbook-identical', 'Successful', '100'],
      ['guestbook-worse', 'Failed', '0'],
      ['guestbook-marginal', 'Inconclusive', '66'],
    ])('%s → %s', async (name, phase, value) => {
      expect(await kayentaProvider(name, v19Body)).toMatchObject({ phase, value });
    });
  });

  describe('kayenta provider (≤ 1.8 body: region, and "start": "" / "end": "" when the template gives none)', () => {
    it('judges the window the template gives', async () => {
      expect(await kayentaProvider('guestbook-worse', argoBody('kayenta-v1.8-window.json'))).toMatchObject({ phase: 'Failed', value: '0' });
      expect(await kayentaProvider('guestbook-identical', argoBody('kayenta-v1.8-window.json'))).toMatchObject({ phase: 'Successful', value: '100' });
    });

    it('reads empty start and end as not given: the default window', async () => {
      const { executionId, phase } = await kayentaProvider('guestbook-identical', argoBody('kayenta-v1.8-no-window.json'));
      expect(phase).not.toBe('Error');
      const status = (await svc.call('GET', `/canary/${executionId}`)).json;
      expect(status.canaryExecutionRequest.scopes.default.controlScope).toMatchObject({ location: 'us-east-1', step: STEP });
      const { start, end } = status.canaryExecutionRequest.scopes.default.controlScope;
      expect((Date.parse(end) - Date.parse(start)) / 1000).toBe(60 * STEP); // the documented default window
    });
  });

  describe('web provider (pattern A: judge now)', () => {
    /** webmetric.go: 2xx or Error; JSON; jsonPath {$.judgement}; success/failure conditions. */
    async function webProvider(jsonBody: Record<string, unknown>): Promise<{ phase: string; result?: any; status: number }> {
      const res = await fetch(`${svc.url()}/v1/judgements`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(jsonBody) });
      if (res.status < 200 || res.status >= 300) return { phase: 'Error', status: res.status };
      const text = await res.text();
      expect(text.length).toBeGreaterThan(0);
      const body = JSON.parse(text); // a non-JSON 2xx would be scored Successful by Argo: it must never happen
      const result = '$.judgement'.split('.').slice(1).reduce((v, k) => v[k], body);
      if (result === undefined) return { phase: 'Error', status: res.status };
      const success = result.phase === 'Successful' && result.score >= 90;
      const failure = result.phase === 'Failed' || result.score < 75;
      return { phase: failure ? 'Failed' : success ? 'Successful' : 'Inconclusive', result, status: res.status };
    }
    const body = (canaryConfigName: string, extra: Record<string, unknown> = {}) => ({
      application: 'guestbook',
      canaryConfigName,
      scopes: JSON.parse(v19Body).scopes,
      thresholds: { pass: 90, marginal: 75 },
      timeoutSeconds: 20,
      ...extra,
    });

    it.each([
      ['guestbook-identical', 'Successful', 'Successful'],
      ['guestbook-worse', 'Failed', 'Failed'],
      ['guestbook-marginal', 'Failed', 'Failed'], // 66.67 < marginal 75
    ])('%s → judgement %s → measurement %s', async (name, judgementPhase, measurement) => {
      const r = await webProvider(body(name));
      expect(r.status).toBe(200);
      expect(r.result).toMatchObject({ phase: judgementPhase, complete: true, pass: 90, marginal: 75 });
      expect(typeof r.result.score).toBe('number');
      expect(r.result.executionId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(r.phase).toBe(measurement);
    });

    it('answers Running (neither condition true: Inconclusive) when the timeout ends first', async () => {
      const r = await webProvider(body('guestbook-marginal', { timeoutSeconds: 0.001 }));
      expect(r.status).toBe(200);
      expect(r.result).toMatchObject({ phase: 'Running', complete: false, score: null });
      await svc.call('GET', `/canary/${r.result.executionId}`);
    });

    it('gives a non-2xx (an Argo Error, measured again) for an analysis that could not run', async () => {
      const r = await webProvider(body('guestbook-identical', { metricsAccountName: 'nope' }));
      expect(r).toMatchObject({ phase: 'Error', status: 400 });
      expect((await webProvider(body('no-such-config'))).status).toBe(404);
    });
  });
});
