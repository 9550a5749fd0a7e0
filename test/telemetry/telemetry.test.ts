// Telemetry of real analyses: the tasks' events through the Lambda sink (Powertools JSON lines and
// EMF metrics, captured from stdout and stderr as Lambda would ship them), against a real Prometheus behind
// a proxy that demands a bearer token and, for one query, echoes that token in its error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventLine } from '../../lib/telemetry/console.ts';
import { emfData } from '../../lib/telemetry/emf.ts';
import { redacted } from '../../lib/telemetry/events.ts';
import { rememberSecret } from '../../lib/metrics/known-secrets.ts';
import { powertoolsTelemetry } from '../../lib/telemetry/powertools.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService, type Reply } from '../support/service.ts';

const context = { executionId: '01JTEST', canaryConfigId: 'cfg-1', judge: 'NetflixACAJudge-v1.0' };

describe('events', () => {
  it('read as one line each, naming the analysis', () => {
    expect(eventLine(context, { event: 'analysisStarted', application: 'shop', metrics: 2 })).toBe(
      'analysis 01JTEST started: config cfg-1 of shop, 2 metrics, judge NetflixACAJudge-v1.0',
    );
    expect(eventLine(context, { event: 'judged', ms: 2.4, score: 50, verdict: 'Marginal', classifications: { Pass: 1, High: 1 } })).toBe(
      'analysis 01JTEST judged by NetflixACAJudge-v1.0 in 2 ms: Marginal, score 50 (1 Pass, 1 High)',
    );
    expect(eventLine(context, { event: 'analysisFinished', status: 'terminal', stage: 'fetch', error: 'no answer' })).toBe('analysis 01JTEST terminal in fetch: no answer');
    expect(eventLine(context, { event: 'fetchesTimed', source: 'prometheus', ms: [12, 3, 31, 9] })).toBe('analysis 01JTEST fetched 4 series from prometheus: median 9 ms, slowest 31 ms');
  });

  it('put the fetches of an analysis in one EMF line per source, at most 99 values a line', () => {
    expect(emfData(context, { event: 'metricFetched', source: 'prometheus', metric: 'm', side: 'control', points: 1, ms: 2 })).toEqual([]);
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      powertoolsTelemetry().emit(context, { event: 'fetchesTimed', source: 'cloudwatch', ms: Array.from({ length: 150 }, (_, i) => i) });
    } finally {
      process.stdout.write = write;
    }
    const emf = lines.join('').split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(emf.map((l) => [l.Source, l.FetchLatency.length])).toEqual([['cloudwatch', 99], ['cloudwatch', 51]]);
    expect(emf.flatMap((l) => l.FetchLatency)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('count as EMF metrics with few-valued dimensions, never ids', () => {
    const data = emfData(context, { event: 'judged', ms: 3, score: 100, verdict: 'Pass', classifications: { Pass: 2, Nodata: 1 } });
    expect(data).toEqual([
      { name: 'JudgeDuration', unit: 'Milliseconds', value: 3, dimensions: { Judge: 'NetflixACAJudge-v1.0' } },
      { name: 'MetricClassifications', unit: 'Count', value: 2, dimensions: { Classification: 'Pass' } },
      { name: 'MetricClassifications', unit: 'Count', value: 1, dimensions: { Classification: 'Nodata' } },
    ]);
    expect(emfData(context, { event: 'analysisFinished', status: 'terminal', stage: 'fetch', error: 'x' })[0].dimensions).toEqual({ Verdict: 'Terminal' });
  });

  it('lose every secret value the process has used, longest first', () => {
    rememberSecret('hunter2-abc');
    rememberSecret('hunter2-abc-longer');
    const e = redacted({ event: 'warning', message: 'auth hunter2-abc-longer and hunter2-abc failed' });
    expect(e).toEqual({ event: 'warning', message: 'auth *** and *** failed' });
  });
});

const TOKEN = 'tok-4f1c9b27e8a5d6';
const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const metric = (name: string, query: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:${query}` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});
const config = (name: string, metrics: unknown[]) => ({ name, applications: ['shop'], judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} }, metrics, classifier: { groupWeights: { latency: 100 } } });

describeWithPrometheus('telemetry of an analysis through the Lambda sink', () => {
  let prom: RunningPrometheus;
  let proxy: Server;
  let proxyUrl: string;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    // Demands the token; a query with "leaky" in it is refused with the Authorization header in the error.
    proxy = createServer(async (req, res) => {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      const url = new URL(req.url ?? '/', prom.url);
      if (url.searchParams.get('query')?.includes('leaky')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `refused the query sent with "${auth}"` }));
        return;
      }
      const upstream = await fetch(url);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.CANARIA_TELEMETRY_TEST_TOKEN = TOKEN;
  }, 60_000);
  afterAll(async () => {
    delete process.env.CANARIA_TELEMETRY_TEST_TOKEN;
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await prom?.stop();
  });
  const svc = useLocalService(() => ({
    accounts: [{ name: 'guarded', type: 'prometheus', endpoint: proxyUrl, auth: { type: 'bearer', token: { env: 'CANARIA_TELEMETRY_TEST_TOKEN' } } }],
    sourceOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2 } },
    stateMachine: { retryIntervalMs: 5 },
    telemetry: powertoolsTelemetry(),
  }));

  // What Lambda would ship: everything written to stdout and stderr (WARN lines) while a test runs
  // (kept from the test output).
  let output: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  beforeEach(() => {
    output = [];
    for (const stream of streams) {
      stream.write = ((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      }) as typeof stream.write;
    }
  });
  afterEach(() => {
    streams.forEach((stream, i) => (stream.write = writes[i]));
  });
  const jsonLines = () => output.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

  async function run(cfg: unknown): Promise<{ id: string; configId: string; status: Reply }> {
    const stored = await svc.call('POST', '/canaryConfig', { body: cfg });
    expect(stored.status, stored.text).toBe(200);
    const configId = stored.json.canaryConfigId as string;
    const started = await svc.call('POST', `/canary/${configId}?metricsAccountName=guarded`, { body: { scopes, thresholds: { pass: 75, marginal: 50 } } });
    expect(started.status, started.text).toBe(200);
    const id = started.json.canaryExecutionId as string;
    for (let i = 0; i < 200; i++) {
      const status = await svc.call('GET', `/canary/${id}`);
      // The finished event follows the record's end.
      if (status.json.complete && jsonLines().some((l) => l.executionId === id && l.event === 'analysisFinished')) return { id, configId, status };
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`execution ${id} never completed with a finished event`);
  }

  it('writes JSON lines carrying the execution id, config id and judge, and EMF metrics of the analysis', async () => {
    const { id, configId } = await run(config('told', [metric('latency', `avg(${LATENCY.identical}{\${scope}})`), metric('errors', `avg(${LATENCY.worse}{\${scope}})`)]));
    const lines = jsonLines();
    const logs = lines.filter((l) => l.executionId === id);
    expect(logs.map((l) => l.event)).toEqual(['analysisStarted', 'judged', 'analysisFinished']); // fetches are DEBUG
    for (const l of logs) expect(l).toMatchObject({ level: 'INFO', executionId: id, canaryConfigId: configId, judge: 'NetflixACAJudge-v1.0' });
    expect(logs[1]).toMatchObject({ verdict: 'Marginal', score: 50, classifications: { Pass: 1, High: 1 } });
    expect(logs[2]).toMatchObject({ status: 'succeeded', verdict: 'Marginal', message: `analysis ${id} succeeded: Marginal, score 50` });

    const emf = lines.filter((l) => l._aws);
    const named = (name: string) => emf.filter((l) => name in l);
    expect(named('AnalysesStarted').length).toBeGreaterThanOrEqual(1);
    expect(named('AnalysesFinished').map((l) => l.Verdict)).toContain('Marginal');
    // One line for the analysis' 4 fetches (2 metrics × 2 sides), their durations its values.
    const latency = named('FetchLatency');
    expect(latency.map((l) => l.Source)).toEqual(['prometheus']);
    expect(latency[0].FetchLatency).toHaveLength(4);
    for (const ms of latency[0].FetchLatency) expect(ms).toBeGreaterThanOrEqual(0);
    expect(named('JudgeDuration').map((l) => l.Judge)).toContain('NetflixACAJudge-v1.0');
    expect(named('MetricClassifications').map((l) => [l.Classification, l.MetricClassifications]).sort()).toEqual([['High', 1], ['Pass', 1]]);
    for (const l of emf) expect(l._aws.CloudWatchMetrics[0].Namespace).toBe('canaria');
    expect(output.join('')).not.toContain(TOKEN);
  });

  it('never writes a secret, not even one the metric store echoed in its error, nor records it', async () => {
    const { id, status } = await run(config('leaky', [metric('leaky', `avg(${LATENCY.identical}{\${scope}, leaky=""})`)]));
    expect(status.json.status).toBe('terminal');
    const out = output.join('');
    const ended = jsonLines().find((l) => l.executionId === id && l.event === 'analysisFinished');
    expect(ended).toMatchObject({ level: 'WARN', status: 'terminal', stage: 'fetch' });
    expect(ended!.error).toContain('refused the query sent with "Bearer ***"');
    expect(jsonLines().filter((l) => l.event === 'metricFetchFailed').length).toBeGreaterThanOrEqual(1);
    expect(metricCount(jsonLines(), 'FetchErrors')).toBeGreaterThanOrEqual(1);
    expect(out).not.toContain(TOKEN);
    expect(status.text).not.toContain(TOKEN);
    expect(status.text).toContain('Bearer ***');
  });
});

const metricCount = (lines: Array<Record<string, any>>, name: string) => lines.filter((l) => l._aws && name in l).length;
