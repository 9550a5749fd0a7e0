// The Prometheus harness itself: CANARY_DATASET backfilled into a real Prometheus answers
// query_range as the later suites expect (points, rate(), gaps, missing metric).
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrometheus, queryRange, startPrometheus, type RunningPrometheus } from './prometheus.ts';
import {
  CANARY_DATASET,
  END,
  HTTP_REQUESTS,
  INTEGRATION_TEST_CPU,
  LATENCY,
  MISSING_METRIC,
  NODE_CPU,
  POINTS,
  QUEUE_DEPTH,
  REQUEST_DURATION,
  START,
  STEP,
  canaryDataset,
  gauge,
  oneSeries,
  recentStart,
  selectorPoints,
  toOpenMetrics,
} from './prometheus-data.ts';

const num = (values: Array<[number, string]>) => values.map(([t, v]) => [t, Number(v)]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

it('writes OpenMetrics as promtool wants it', () => {
  const text = toOpenMetrics([gauge('g', { a: 'x"y' }, 100, 60, [1, NaN, 2.5])]);
  expect(text).toBe('# TYPE g gauge\ng{a="x\\"y"} 1 100\ng{a="x\\"y"} 2.5 220\n# EOF\n');
  expect(CANARY_DATASET.every((s) => s.samples.length >= POINTS - 30)).toBe(true);
  expect(POINTS).toBe(121);
});

describeWithPrometheus('Prometheus harness', () => {
  let prom: RunningPrometheus;

  beforeAll(async () => {
    prom = await startPrometheus(CANARY_DATASET);
    const { backfillMs, readyMs, totalMs } = prom.timings;
    console.log(
      `Prometheus harness: ${CANARY_DATASET.length} series backfilled in ${backfillMs.toFixed(0)} ms, ready in ${readyMs.toFixed(0)} ms, total ${totalMs.toFixed(0)} ms (${prom.url})`,
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it('starts within a few seconds, on 127.0.0.1 only', () => {
    expect(prom.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(prom.timings.totalMs).toBeLessThan(5_000);
  });

  it('returns every point of a gauge, with the values written', async () => {
    const labels = { namespace: INTEGRATION_TEST_CPU.namespace, scope: INTEGRATION_TEST_CPU.controlScope };
    const result = await queryRange(prom.url, `avg(integration_test_cpu{namespace='prod-namespace-1', scope='myapp-prod-control-1'})`, START, END, STEP);
    expect(result).toHaveLength(1);
    expect(result[0].values).toHaveLength(POINTS);
    expect(num(result[0].values)).toEqual(selectorPoints(oneSeries(CANARY_DATASET, 'integration_test_cpu', labels), START, END, STEP));
    expect(result[0].values[0][0]).toBe(START);
    expect(result[0].values[POINTS - 1][0]).toBe(END);
  });

  it('computes rate() over the counter: the canary has clearly more errors (seed query)', async () => {
    const rates: Record<string, number[]> = {};
    for (const [side, scope] of Object.entries(HTTP_REQUESTS.scopes)) {
      const result = await queryRange(prom.url, HTTP_REQUESTS.seedQuery(scope), START, END, STEP);
      expect(result).toHaveLength(1);
      expect(result[0].metric).toEqual({});
      expect(result[0].values).toHaveLength(POINTS);
      rates[side] = result[0].values.map(([, v]) => Number(v));
    }
    // ~3 and ~30 errors a minute.
    expect(mean(rates.control)).toBeGreaterThan(0.03);
    expect(mean(rates.control)).toBeLessThan(0.08);
    expect(mean(rates.experiment)).toBeGreaterThan(0.4);
    expect(mean(rates.experiment)).toBeLessThan(0.6);
    expect(Math.min(...rates.experiment)).toBeGreaterThan(Math.max(...rates.control));
  });

  it('keeps the gaps of queue_depth (beyond the 5-minute lookback)', async () => {
    for (const version of ['baseline', 'canary'] as const) {
      const result = await queryRange(prom.url, `queue_depth{version="${version}"}`, START, END, STEP);
      expect(result).toHaveLength(1);
      const expected = selectorPoints(oneSeries(CANARY_DATASET, QUEUE_DEPTH.name, { version }), START, END, STEP);
      expect(num(result[0].values)).toEqual(expected);
      expect(result[0].values.length).toBeLessThan(POINTS);
    }
    // baseline: samples 30..44 and 80 omitted → points 35..44 missing (80 is covered by the lookback).
    const baseline = (await queryRange(prom.url, 'queue_depth{version="baseline"}', START, END, STEP))[0].values;
    expect(baseline).toHaveLength(POINTS - 10);
    const times = new Set(baseline.map(([t]) => t));
    expect(times.has(START + 34 * STEP)).toBe(true);
    expect(times.has(START + 35 * STEP)).toBe(false);
    expect(times.has(START + 44 * STEP)).toBe(false);
    expect(times.has(START + 45 * STEP)).toBe(true);
    expect(times.has(START + 80 * STEP)).toBe(true);
    // canary: 60..71 omitted → 65..71 missing; 100, 101 covered.
    const canary = (await queryRange(prom.url, 'queue_depth{version="canary"}', START, END, STEP))[0].values;
    expect(canary).toHaveLength(POINTS - 7);
  });

  it('returns an empty result for the missing metric', async () => {
    expect(await queryRange(prom.url, MISSING_METRIC, START, END, STEP)).toEqual([]);
    expect(await queryRange(prom.url, `avg(${MISSING_METRIC}{version="canary"})`, START, END, STEP)).toEqual([]);
  });

  it("answers Kayenta's node_cpu query for the aws_ec2_instance scope, without the decoy zone", async () => {
    for (const asg of [NODE_CPU.controlScope, NODE_CPU.experimentScope]) {
      const result = await queryRange(prom.url, `avg(node_cpu{mode=~"user|system",job="node",asg_groupName="${asg}",zone=~"us-west-2.{1}"})`, START, END, STEP);
      expect(result).toHaveLength(1);
      expect(result[0].values).toHaveLength(POINTS);
      const values = result[0].values.map(([, v]) => Number(v));
      expect(Math.max(...values)).toBeLessThan(100);
      expect(mean(values)).toBeGreaterThan(20);
      expect(mean(values)).toBeLessThan(30);
    }
  });

  it('has one latency series per instance (3 baseline, 2 canary)', async () => {
    for (const version of ['baseline', 'canary'] as const) {
      const q = `rate(${REQUEST_DURATION.sum}{version="${version}"}[5m]) / rate(${REQUEST_DURATION.count}{version="${version}"}[5m])`;
      const result = await queryRange(prom.url, q, START, END, STEP);
      expect(result.map((r) => r.metric.instance).sort()).toEqual([...REQUEST_DURATION.instances[version]].sort());
      for (const r of result) {
        expect(r.values).toHaveLength(POINTS);
        expect(mean(r.values.map(([, v]) => Number(v)))).toBeCloseTo(REQUEST_DURATION.meanLatency[version], 2);
      }
    }
  });

  it('has identical, worse and marginal latency pairs', async () => {
    const get = async (name: string, version: string) =>
      (await queryRange(prom.url, `${name}{version="${version}"}`, START, END, STEP))[0].values.map(([, v]) => Number(v));
    expect(await get(LATENCY.identical, 'canary')).toEqual(await get(LATENCY.identical, 'baseline'));
    expect(mean(await get(LATENCY.worse, 'canary')) - mean(await get(LATENCY.worse, 'baseline'))).toBeGreaterThan(40);
    const marginal = mean(await get(LATENCY.marginal, 'canary')) - mean(await get(LATENCY.marginal, 'baseline'));
    expect(marginal).toBeGreaterThan(0);
    expect(marginal).toBeLessThan(10);
  });
});

describeWithPrometheus('Prometheus harness: start and stop', () => {
  it('serves a recent window too, and stop() kills it and removes its files', async () => {
    const start = recentStart();
    const prom = await startPrometheus(canaryDataset(start));
    try {
      const result = await queryRange(prom.url, 'latency_worse{version="canary"}', start, start + 7200, STEP);
      expect(result[0].values).toHaveLength(POINTS);
    } finally {
      await prom.stop();
    }
    expect(existsSync(prom.dir)).toBe(false);
    await expect(fetch(`${prom.url}/-/ready`)).rejects.toThrow();
    await prom.stop(); // idempotent
  }, 60_000);

  it('moves to another port when the first one is taken', async () => {
    // Holds the port and hangs up on anyone who connects (so close() does not wait on them).
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const prom = await startPrometheus([gauge('one', {}, START, STEP, [1, 2, 3])], { port: taken });
      try {
        expect(prom.port).not.toBe(taken);
        const result = await queryRange(prom.url, 'one', START, START + 2 * STEP, STEP);
        expect(num(result[0].values)).toEqual([
          [START, 1],
          [START + STEP, 2],
          [START + 2 * STEP, 3],
        ]);
      } finally {
        await prom.stop();
      }
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  }, 60_000);

  it('starts with no series at all', async () => {
    const prom = await startPrometheus([]);
    try {
      expect(await queryRange(prom.url, MISSING_METRIC, START, END, STEP)).toEqual([]);
    } finally {
      await prom.stop();
    }
  }, 60_000);
});
