// Repeated looks over POST /v1/judgements with an analysisKey (Argo's interval/count loop made
// statistically valid; docs/argo/README.md, "Repeated looks"): the embedded service, a real
// Prometheus holding test/support/canaria-v1-data.ts, one call per look over a growing window
// (look k ends 20·k minutes after the data's start, lifetime 120 minutes: 6 planned looks).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CANARIA_V1_DATASET, REQUESTS } from '../support/canaria-v1-data.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const LOOK_MINUTES = 20;
const LIFETIME_MINUTES = 120;
/** Look k's scopes as Argo's template sends them; the service keeps the first look's start. */
const scopesAt = (k: number) => {
  const window = { start: iso(START + (k - 1) * LOOK_MINUTES * 60), end: iso(START + k * LOOK_MINUTES * 60), step: STEP };
  return { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
};

const metric = (name: string, promql: string, canaria: Record<string, unknown> = {}, canary: Record<string, unknown> = {}) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:${promql}` },
  groups: ['g'],
  analysisConfigurations: { canary, ...(Object.keys(canaria).length > 0 ? { canaria } : {}) },
  scopeName: 'default',
});
const requests = (job: string, errorsOnly = false) => `sum(increase(${REQUESTS.name}{job="${job}",${errorsOnly ? 'code=~"5..",' : ''}\${scope}}[60s]))`;
/** The errors metric of `job` and its muted denominator (canaria-v1's errors kind). */
const errorsConfig = (name: string, job: string, judge = 'canaria-v1') => ({
  name,
  applications: ['shop'],
  judge: { name: judge, judgeConfigurations: {} },
  metrics: [metric('errors', requests(job, true), { kind: 'errors', denominator: 'requests' }), metric('requests', requests(job), {}, { muted: true })],
  classifier: { groupWeights: { g: 100 } },
});

// ---- docs/argo: the AnalysisTemplates against Argo's schema, and the sequential one's limits under Argo's rules

const ARGO_DIR = new URL('../../docs/argo/', import.meta.url);
/** Argo Rollouts' AnalysisTemplate CRD schema (test/fixtures/argo/README.md). */
const CRD = JSON.parse(readFileSync(new URL('../fixtures/argo/analysis-template-schema.json', import.meta.url), 'utf8'));
const templates = () =>
  readdirSync(ARGO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, ARGO_DIR), 'utf8')).map((d) => [f, d.toJS()] as const))
    .filter(([, d]) => d?.kind === 'AnalysisTemplate');
const sequential = () => templates().find(([f]) => f === 'web-provider-sequential.yaml')![1];

/** What the API server's structural schema check says of `value` (unknown fields, types, required). */
function schemaErrors(value: unknown, schema: any, path: string): string[] {
  if (schema['x-kubernetes-int-or-string']) return Number.isInteger(value) || typeof value === 'string' ? [] : [`${path}: must be an integer or a string`];
  const kinds: Record<string, (v: unknown) => boolean> = {
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: Array.isArray,
    string: (v) => typeof v === 'string',
    boolean: (v) => typeof v === 'boolean',
    integer: Number.isInteger,
    number: (v) => typeof v === 'number',
  };
  if (schema.type && !kinds[schema.type](value)) return [`${path}: must be of type ${schema.type}`];
  if (schema.type === 'array') return (value as unknown[]).flatMap((v, i) => schemaErrors(v, schema.items, `${path}[${i}]`));
  // metadata (ObjectMeta: `type: object` alone, checked by the API server itself) and jsonBody are free.
  if (schema.type !== 'object' || schema['x-kubernetes-preserve-unknown-fields'] || (!schema.properties && !schema.additionalProperties)) return [];
  const o = value as Record<string, unknown>;
  return [
    ...(schema.required ?? []).filter((k: string) => !(k in o)).map((k: string) => `${path}.${k}: is required`),
    ...Object.entries(o).flatMap(([k, v]) =>
      schema.properties?.[k] ? schemaErrors(v, schema.properties[k], `${path}.${k}`) : schema.additionalProperties ? schemaErrors(v, schema.additionalProperties, `${path}.${k}`) : [`${path}.${k}: unknown field (Kubernetes drops it)`],
    ),
  ];
}

type Metric = { count?: number; failureLimit?: number; inconclusiveLimit?: number; consecutiveSuccessLimit?: number; consecutiveErrorLimit?: number; successCondition?: string; failureCondition?: string };
const DURATION = /^(\d+)([smh])$/;
const minutes = (d: string) => {
  const [, n, unit] = DURATION.exec(d)!;
  return (Number(n) * { s: 1, m: 60, h: 3600 }[unit as 's' | 'm' | 'h']) / 60;
};

/** A condition of the form `result.phase == "X"` (the only form the templates use) on a judgement. */
function condition(expr: string | undefined): (judgement: { phase: string }) => boolean {
  if (expr === undefined) return () => false;
  const m = /^result\.phase == "(\w+)"$/.exec(expr.trim());
  if (!m) throw new Error(`condition ${JSON.stringify(expr)}: the test evaluates only result.phase == "X"`);
  return (j) => j.phase === m[1];
}

/**
 * Argo Rollouts' metric assessment (analysis/analysis.go: assessMetricStatus and
 * assessMetricFailureInconclusiveOrError, v1.8+) over a series of judgements, measurement after
 * measurement: the metric's phase and after how many measurements, or Running if it would go on.
 */
function argoMetric(metric: Metric, judgements: Array<{ phase: string }>): { phase: string; after: number } {
  const success = condition(metric.successCondition);
  const failure = condition(metric.failureCondition);
  let successful = 0, failed = 0, inconclusive = 0, count = 0, consecutiveSuccess = 0;
  for (const [i, j] of judgements.entries()) {
    // webmetric.go: failureCondition first, then successCondition, else Inconclusive.
    const phase = failure(j) ? 'Failed' : success(j) ? 'Successful' : 'Inconclusive';
    count++;
    if (phase === 'Successful') (successful++, consecutiveSuccess++);
    else consecutiveSuccess = 0;
    if (phase === 'Failed') failed++;
    if (phase === 'Inconclusive') inconclusive++;
    const failureLimit = metric.failureLimit ?? 0;
    let verdict: string | undefined;
    if (failureLimit >= 0 && failed > failureLimit) verdict = 'Failed';
    if (inconclusive > (metric.inconclusiveLimit ?? 0)) verdict = 'Inconclusive';
    if (verdict) return { phase: verdict, after: i + 1 };
    const successLimit = metric.consecutiveSuccessLimit ?? 0;
    if (successLimit > 0 && consecutiveSuccess >= successLimit) return { phase: 'Successful', after: i + 1 };
    if (metric.count !== undefined && count >= metric.count) return { phase: successLimit > 0 ? 'Inconclusive' : 'Successful', after: i + 1 };
  }
  return { phase: 'Running', after: judgements.length };
}

describe('docs/argo AnalysisTemplates', () => {
  it("match Argo Rollouts' AnalysisTemplate schema and its metric rules", () => {
    const found = templates();
    expect(found.map(([f]) => f)).toContain('web-provider-sequential.yaml');
    for (const [file, template] of found) {
      expect(template.apiVersion, file).toBe(CRD.apiVersion);
      expect(schemaErrors(template, CRD.openAPIV3Schema, file)).toEqual([]);
      for (const m of template.spec.metrics as Metric[] & Array<{ interval?: string }>) {
        // utils/analysis/factory.go ValidateMetric
        const count = m.count ?? 0;
        expect(count >= (m.failureLimit ?? 0) + (m.consecutiveSuccessLimit ?? 0) || count === 0, file).toBe(true);
        if (count > 1) expect(m.interval, `${file}: count > 1 needs an interval`).toMatch(DURATION);
      }
    }
  });

  it('web-provider-sequential.yaml: its lifetime is count × interval, its first window one interval, and it sends an analysisKey', () => {
    const metric = sequential().spec.metrics[0];
    const body = metric.provider.web.jsonBody;
    expect(body.lifetimeMinutes).toBe(metric.count * minutes(metric.interval));
    expect(body.lookbackSeconds).toBe(minutes(metric.interval) * 60);
    expect(body.analysisKey).toMatch(/\{\{args\.canary-hash\}\}/);
    expect(metric.provider.web.timeoutSeconds).toBeGreaterThan(body.timeoutSeconds);
    expect(metric.provider.web.headers.map((h: { key: string }) => h.key.toLowerCase())).not.toContain('idempotency-key');
  });

  it('web-provider-sequential.yaml under Argo: fails fast on a stop-fail, keeps measuring on continue, pauses on Inconclusive, never passes without a Successful look', () => {
    const metric = sequential().spec.metrics[0];
    const n = metric.count;
    const looks = (...phases: string[]) => phases.map((phase) => ({ phase }));
    const running = (k: number) => Array.from({ length: k }, () => 'Running');
    expect(argoMetric(metric, looks(...running(2), 'Failed'))).toEqual({ phase: 'Failed', after: 3 });
    expect(argoMetric(metric, looks(...running(3), 'Successful'))).toEqual({ phase: 'Successful', after: 4 });
    expect(argoMetric(metric, looks(...running(n - 1)))).toEqual({ phase: 'Running', after: n - 1 });
    expect(argoMetric(metric, looks(...running(n - 1), 'Inconclusive'))).toEqual({ phase: 'Inconclusive', after: n });
    expect(argoMetric(metric, looks(...running(n)))).toEqual({ phase: 'Inconclusive', after: n }); // the last look still running
    expect(argoMetric(metric, looks('Failed'))).toEqual({ phase: 'Failed', after: 1 });
  });
});

describeWithPrometheus('repeated looks over /v1/judgements (analysisKey)', () => {
  let prom: RunningPrometheus;
  /** Prometheus behind a delay: a look through the `slow` account is still running when its call answers. */
  let slow: Server;
  let delayMs = 0;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARIA_V1_DATASET]);
    slow = createServer((req, res) => {
      setTimeout(async () => {
        const r = await fetch(prom.url + req.url);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      }, delayMs);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(async () => {
    slow?.closeAllConnections();
    await new Promise((resolve) => slow?.close(resolve));
    await prom?.stop();
  });
  const svc = useLocalService(() => ({
    accounts: [
      { name: 'prom', type: 'prometheus', endpoint: prom.url },
      { name: 'slow', type: 'prometheus', endpoint: `http://127.0.0.1:${(slow.address() as AddressInfo).port}` },
      { name: 'down', type: 'prometheus', endpoint: 'http://127.0.0.1:9' },
    ],
    sourceOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 5000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  beforeAll(async () => {
    for (const cfg of [errorsConfig('errors-worse', REQUESTS.errorsWorse.job), errorsConfig('errors-same', REQUESTS.errorsSame.job), errorsConfig('errors-kayenta', REQUESTS.errorsWorse.job, 'NetflixACAJudge-v1.0')]) {
      const r = await svc.call('POST', '/canaryConfig', { body: cfg });
      expect(r.status, r.text).toBe(200);
    }
  });

  /** Look k of the sequence `analysisKey`, as Argo's web provider sends it. */
  const look = (canaryConfigName: string, analysisKey: string, k: number, extra: Record<string, unknown> = {}): Promise<Reply> =>
    svc.call('POST', '/v1/judgements', {
      body: { application: 'shop', canaryConfigName, metricsAccountName: 'prom', scopes: scopesAt(k), thresholds: { pass: 95, marginal: 75 }, timeoutSeconds: 20, analysisKey, lifetimeMinutes: LIFETIME_MINUTES, ...extra },
    });
  const executionIds = async () => ((await svc.call('GET', '/canary/executions?application=shop&limit=100')).json as Array<{ id: string }>).map((e) => e.id);
  const waitComplete = async (id: string) => {
    for (let i = 0; i < 400; i++) {
      if ((await svc.call('GET', `/canary/${id}`)).json.complete) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`analysis ${id} never completed`);
  };

  it('a canary with 3× the errors is Running during burn-in, stops Failed at an early look, and later looks repeat that answer without a new analysis', async () => {
    const first = await look('errors-worse', 'shop-rollout/bad', 1);
    expect(first.status, first.text).toBe(200);
    // 21 points: before burn-in (30 points) nothing is decided.
    expect(first.json.judgement).toMatchObject({ phase: 'Running', complete: false, sequence: { analysisKey: 'shop-rollout/bad', look: 1, decision: 'continue', stoppedAtLook: null } });
    expect(first.json.judgement.reason).toMatch(/\S/);
    let stop: any;
    for (let k = 2; k <= 6 && !stop; k++) {
      const r = await look('errors-worse', 'shop-rollout/bad', k);
      expect(r.status, r.text).toBe(200);
      expect(r.json.judgement.sequence.look).toBe(k);
      if (r.json.judgement.phase !== 'Running') stop = r.json.judgement;
    }
    expect(stop).toMatchObject({ phase: 'Failed', complete: true, classification: 'Fail', sequence: { decision: 'fail' } });
    expect(stop.sequence.stoppedAtLook).toBe(stop.sequence.look);
    expect(stop.sequence.look).toBeLessThanOrEqual(3); // 3× the errors: decided within an hour of data
    expect(stop.reason).toMatch(/errors/);
    const before = await executionIds();
    for (const k of [stop.sequence.look + 1, 6]) {
      const again = await look('errors-worse', 'shop-rollout/bad', k);
      expect(again.status, again.text).toBe(200);
      expect(again.json.judgement).toEqual(stop);
    }
    expect(await executionIds()).toEqual(before);
  });

  it('a healthy canary (same error rate) is Running during burn-in, then stops Successful; a later look repeats it', async () => {
    const phases: string[] = [];
    let last: any;
    for (let k = 1; k <= 6; k++) {
      const r = await look('errors-same', 'shop-rollout/good', k);
      expect(r.status, r.text).toBe(200);
      last = r.json.judgement;
      phases.push(last.phase);
      expect(last.sequence).toMatchObject({ analysisKey: 'shop-rollout/good', look: k });
      if (last.phase !== 'Running') break;
    }
    // What the data gives: at look 2 (41 points, past burn-in) the errors' confidence sequence lies within the margin.
    expect(phases).toEqual(['Running', 'Successful']);
    expect(last).toMatchObject({ complete: true, classification: 'Pass', sequence: { decision: 'pass', stoppedAtLook: 2, plannedLooks: 6 } });
    const again = await look('errors-same', 'shop-rollout/good', 3);
    expect(again.json.judgement).toEqual(last);
  });

  it('ends Inconclusive at the planned last look when nothing was proven: the look whose window reaches start + lifetimeMinutes', async () => {
    // A 20-minute lifetime: look 1 (20 minutes, still in burn-in) is the last.
    const r = await look('errors-same', 'shop-rollout/short', 1, { lifetimeMinutes: LOOK_MINUTES });
    expect(r.status, r.text).toBe(200);
    expect(r.json.judgement).toMatchObject({ phase: 'Inconclusive', complete: true, sequence: { look: 1, decision: 'inconclusive', stoppedAtLook: 1, plannedLooks: 1 } });
    // The same data under the 2-hour lifetime continues.
    const long = await look('errors-same', 'shop-rollout/long', 1);
    expect(long.json.judgement).toMatchObject({ phase: 'Running', sequence: { look: 1, decision: 'continue', plannedLooks: 6 } });
  });

  it("Argo, measuring with web-provider-sequential.yaml's limits and conditions, ends the bad canary's metric Failed and the healthy one's Successful", async () => {
    const metric = sequential().spec.metrics[0];
    for (const [config, expected] of [['errors-worse', 'Failed'], ['errors-same', 'Successful']] as const) {
      const judgements = [];
      for (let k = 1; k <= metric.count && argoMetric(metric, judgements).phase === 'Running'; k++) {
        const r = await look(config, `argo/${config}`, k);
        expect(r.status, r.text).toBe(200);
        judgements.push(r.json.judgement); // jsonPath {$.judgement}
      }
      expect(argoMetric(metric, judgements), config).toEqual({ phase: expected, after: 2 });
    }
  });

  it("web-provider-sequential.yaml's body, its args filled in, is one /v1/judgements accepts (404: only its config is not stored here)", async () => {
    const web = sequential().spec.metrics[0].provider.web;
    const args: Record<string, string> = { 'stable-hash': 'a1', 'canary-hash': 'b2', 'rollout-name': 'guestbook' };
    const body = JSON.parse(JSON.stringify(web.jsonBody).replace(/\{\{args\.([\w-]+)\}\}/g, (_, name) => args[name]));
    expect(body.analysisKey).toBe('guestbook/b2');
    const r = await svc.call('POST', '/v1/judgements', { body });
    expect(r.status, r.text).toBe(404);
  });

  it('refuses an analysisKey with a judge that cannot keep a sequence, and a malformed one, naming analysisKey', async () => {
    const kayenta = await look('errors-kayenta', 'shop-rollout/kayenta', 1);
    expect(kayenta.status, kayenta.text).toBe(400);
    expect(kayenta.json.message).toMatch(/^analysisKey: /);
    // The judge= parameter and the body's judge choose the judge as usual.
    const overridden = await look('errors-worse', 'shop-rollout/kayenta', 1, { judge: 'NetflixACAJudge-v1.0' });
    expect(overridden.status, overridden.text).toBe(400);
    expect(overridden.json.message).toMatch(/^analysisKey: /);
    for (const analysisKey of ['', 'x'.repeat(201), 'tab\there', 'é']) {
      const r = await look('errors-worse', analysisKey, 1);
      expect(r.status, analysisKey).toBe(400);
      expect(r.json.message).toMatch(/^analysisKey: /);
    }
    const without = await look('errors-worse', 'unused', 1, { analysisKey: undefined });
    expect(without.status).toBe(400);
    expect(without.json.message).toMatch(/^lifetimeMinutes: /);
  });

  it('a look whose analysis ended terminal is not a look: 502 with phase Error, and the sequence is unchanged', async () => {
    const down = await look('errors-worse', 'shop-rollout/down', 1, { metricsAccountName: 'down' });
    expect(down.status, down.text).toBe(502);
    expect(down.json.judgement).toMatchObject({ phase: 'Error', complete: true, score: null });
    const next = await look('errors-worse', 'shop-rollout/down', 2);
    expect(next.status, next.text).toBe(200);
    expect(next.json.judgement.sequence).toMatchObject({ look: 1 });
  });

  it('a look still running at timeoutSeconds is applied exactly once, by the later calls that find it ended (two at once)', async () => {
    delayMs = 1500;
    const running = await look('errors-worse', 'shop-rollout/slow', 1, { metricsAccountName: 'slow', timeoutSeconds: 0.2 });
    delayMs = 0;
    expect(running.status, running.text).toBe(200);
    expect(running.json.judgement).toMatchObject({ phase: 'Running', complete: false, score: null, sequence: { look: 1, decision: 'continue', stoppedAtLook: null } });
    const pending = running.json.judgement.executionId;
    await waitComplete(pending);
    // Two calls find look 1 ended: one applies it, both answer look 2 (its own analysis, one of them).
    const [a, b] = await Promise.all([look('errors-worse', 'shop-rollout/slow', 2), look('errors-worse', 'shop-rollout/slow', 2)]);
    for (const r of [a, b]) {
      expect(r.status, r.text).toBe(200);
      expect(r.json.judgement.sequence.look).toBe(2);
      expect(r.json.judgement.executionId).not.toBe(pending);
    }
    expect(a.json.judgement).toEqual(b.json.judgement);
    const third = await look('errors-worse', 'shop-rollout/slow', 3);
    const { sequence } = third.json.judgement;
    // Look 1 counted once: the third call is look 3, or repeats a stop at look 2.
    expect(sequence.stoppedAtLook === 2 ? sequence.look : sequence.look - 1).toBe(2);
  });
});
