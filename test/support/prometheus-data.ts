// Synthetic Prometheus series for tests: builders, a deterministic PRNG, the OpenMetrics
// text that `promtool tsdb create-blocks-from openmetrics` backfills, and CANARY_DATASET,
// the ready-made data the Prometheus suites query (see test/support/prometheus.ts).
// Pure data: no I/O, no vitest.

/** One series: a metric name, its labels and its samples ([seconds, value], increasing time). */
export interface OpenMetricsSeries {
  name: string;
  labels: Record<string, string>;
  samples: Array<[timestampSec: number, value: number]>;
  /** Written as `# TYPE`; a counter only when the name ends in `_total` (OpenMetrics rule). */
  type?: 'gauge' | 'counter' | 'unknown';
}

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

/** A gauge: values[i] at startSec + i·stepSec; a NaN value is a gap (the sample is omitted). */
export function gauge(
  name: string,
  labels: Record<string, string>,
  startSec: number,
  stepSec: number,
  values: readonly number[],
): OpenMetricsSeries {
  const samples: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (!Number.isNaN(v)) samples.push([startSec + i * stepSec, v]);
  });
  return { name, labels: { ...labels }, samples, type: 'gauge' };
}

/**
 * A counter from per-step increments: the sample at startSec + i·stepSec is
 * `initial + increments[0] + … + increments[i]`. A NaN increment is a gap: that sample
 * is omitted and adds nothing.
 */
export function counter(
  name: string,
  labels: Record<string, string>,
  startSec: number,
  stepSec: number,
  increments: readonly number[],
  initial = 0,
): OpenMetricsSeries {
  const samples: Array<[number, number]> = [];
  let total = initial;
  increments.forEach((inc, i) => {
    if (Number.isNaN(inc)) return;
    total += inc;
    samples.push([startSec + i * stepSec, total]);
  });
  return { name, labels: { ...labels }, samples, type: name.endsWith('_total') ? 'counter' : 'unknown' };
}

/** mulberry32: a small deterministic PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator with the distributions the dataset uses. */
export function prng(seed: number) {
  const next = mulberry32(seed);
  const normal = (mean = 0, sd = 1): number => {
    // Box–Muller; 1 - u keeps log() away from 0.
    const u = 1 - next();
    const v = next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const poisson = (lambda: number): number => {
    if (lambda <= 0) return 0;
    if (lambda > 50) return Math.max(0, Math.round(normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = next();
    while (p > limit) {
      k++;
      p *= next();
    }
    return k;
  };
  return {
    next,
    uniform: (lo: number, hi: number): number => lo + (hi - lo) * next(),
    normal,
    poisson,
    /** n values of f(i). */
    array: (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i)),
  };
}

/** Rounds to `digits` decimals, so the OpenMetrics text and Prometheus' replies are exact. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------
// OpenMetrics text
// ---------------------------------------------------------------------------------------

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/**
 * The OpenMetrics text promtool backfills: series grouped by metric name (one `# TYPE`
 * per family), timestamps in seconds, ends with `# EOF`. Throws on decreasing timestamps.
 */
export function toOpenMetrics(series: readonly OpenMetricsSeries[]): string {
  const families = new Map<string, OpenMetricsSeries[]>();
  for (const s of series) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s.name)) throw new Error(`invalid metric name ${JSON.stringify(s.name)}`);
    const list = families.get(s.name) ?? [];
    list.push(s);
    families.set(s.name, list);
  }
  const lines: string[] = [];
  for (const [name, list] of families) {
    const type = list[0].type ?? 'unknown';
    if (type === 'counter' && name.endsWith('_total')) lines.push(`# TYPE ${name.slice(0, -'_total'.length)} counter`);
    else if (type === 'gauge') lines.push(`# TYPE ${name} gauge`);
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => {
          if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)} on ${name}`);
          return `${k}="${escapeLabelValue(v)}"`;
        })
        .join(',');
      const head = labels ? `${name}{${labels}}` : name;
      let last = -Infinity;
      for (const [t, v] of s.samples) {
        if (!(t > last)) throw new Error(`${head}: timestamps must increase (${t} after ${last})`);
        last = t;
        lines.push(`${head} ${formatValue(v)} ${t}`);
      }
    }
  }
  lines.push('# EOF');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------
// What Prometheus answers
// ---------------------------------------------------------------------------------------

/** Prometheus' default `--query.lookback-delta`, which startPrometheus keeps. */
export const DEFAULT_LOOKBACK_SEC = 300;

/**
 * The points Prometheus 2.x returns for a plain selector (`name{labels}`) of one series in a
 * query_range from `start` to `end` by `step` (seconds): at each evaluation time t, the
 * latest sample in [t − lookback, t]; no point when there is none. So a run of missing
 * samples shows as missing points only after the lookback (5 min by default) has passed.
 */
export function selectorPoints(
  series: OpenMetricsSeries,
  start: number,
  end: number,
  step: number,
  lookbackSec = DEFAULT_LOOKBACK_SEC,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let j = -1;
  for (let t = start; t <= end; t += step) {
    while (j + 1 < series.samples.length && series.samples[j + 1][0] <= t) j++;
    if (j >= 0 && series.samples[j][0] >= t - lookbackSec) out.push([t, series.samples[j][1]]);
  }
  return out;
}

/** The series of `dataset` named `name` whose labels include every label in `labels`. */
export function findSeries(
  dataset: readonly OpenMetricsSeries[],
  name: string,
  labels: Record<string, string> = {},
): OpenMetricsSeries[] {
  return dataset.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Exactly one series, or an error naming what was asked. */
export function oneSeries(dataset: readonly OpenMetricsSeries[], name: string, labels: Record<string, string> = {}): OpenMetricsSeries {
  const found = findSeries(dataset, name, labels);
  if (found.length !== 1) throw new Error(`expected one series ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0];
}

// ---------------------------------------------------------------------------------------
// CANARY_DATASET
// ---------------------------------------------------------------------------------------

/** 1-minute resolution. */
export const STEP = 60;
/** Length of the analysis window: 2 h. */
export const WINDOW_SEC = 7200;
/** Samples written before the window, so `rate(…[5m])` has full ranges from START on. */
export const WARMUP_SEC = 600;
/** 2024-01-15T10:00:00Z, a fixed window in the past (aligned to 2 h, as promtool's blocks). */
export const START = 1705312800;
/** 2024-01-15T12:00:00Z. */
export const END = START + WINDOW_SEC;
/** First sample of every series in CANARY_DATASET (START − 10 min). */
export const DATA_START = START - WARMUP_SEC;
/** Points per series in a query_range START..END with step STEP (both ends included). */
export const POINTS = WINDOW_SEC / STEP + 1;
/** A metric name with no series at all. */
export const MISSING_METRIC = 'does_not_exist';

/** The two sides, as most metrics in the dataset label them (`version`). */
export const VERSIONS = ['baseline', 'canary'] as const;
export type Version = (typeof VERSIONS)[number];

/** Seed config (fixtures/seed-canary-config.json): `${scope}` is `version="baseline"` / `version="canary"`. */
export const HTTP_REQUESTS = {
  name: 'http_requests_total',
  job: 'my-app',
  codes: ['200', '500'],
  /** Mean increments per minute (Poisson). */
  perMinute: { baseline: { '200': 600, '500': 3 }, canary: { '200': 600, '500': 30 } },
  scopes: { control: 'version="baseline"', experiment: 'version="canary"' },
  /** The seed config's query with a scope put in. */
  seedQuery: (scope: string) => `sum(rate(http_requests_total{job="my-app", code=~"[45]..",${scope}}[5m]))`,
} as const;

/** Kayenta's integration fixture (fixtures/kayenta-integration-test-cpu.json, template `namespace='${namespace}', scope='${scope}'`). */
export const INTEGRATION_TEST_CPU = {
  name: 'integration_test_cpu',
  namespace: 'prod-namespace-1',
  controlScope: 'myapp-prod-control-1',
  experimentScope: 'myapp-prod-experiment-1',
  /** Both sides: normal(mean 60, sd 5), independent seeds: a healthy canary. */
  mean: 60,
  sd: 5,
} as const;

/**
 * Kayenta's scratch config (fixtures/kayenta-prometheus_canary_config.json) with
 * resourceType aws_ec2_instance, location us-west-2: `avg(node_cpu{mode=~"user|system",
 * job="node",asg_groupName="<scope>",zone=~"us-west-2.{1}"})`. Gauges (percent), one
 * series per mode and ASG in zone us-west-2a. Decoys that the zone filter must drop:
 * the same labels with zone="eu-west-1a", constant value 1000.
 */
export const NODE_CPU = {
  name: 'node_cpu',
  job: 'node',
  modes: ['user', 'system', 'idle'],
  controlScope: 'myapp-v001',
  experimentScope: 'myapp-v002',
  location: 'us-west-2',
  zone: 'us-west-2a',
  decoyZone: 'eu-west-1a',
  decoyValue: 1000,
  /** user ~ normal(40, 4), system ~ normal(10, 1.5), idle = 100 − user − system; both ASGs alike. */
} as const;

/**
 * Counters by instance, labels {job="my-app", version, instance}: the mean latency is
 * `rate(_sum[5m]) / rate(_count[5m])` per instance, ~0.100 s baseline and ~0.130 s canary;
 * `_count` grows by ~200 per minute per instance.
 */
export const REQUEST_DURATION = {
  sum: 'http_request_duration_seconds_sum',
  count: 'http_request_duration_seconds_count',
  job: 'my-app',
  instances: {
    baseline: ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'],
    canary: ['10.0.1.1:8080', '10.0.1.2:8080'],
  },
  meanLatency: { baseline: 0.1, canary: 0.13 },
} as const;

/**
 * A gauge with gaps, labels {version}: normal(20, 3) baseline, normal(22, 3) canary.
 * `omitted` are indices into the window (0 = START) whose samples are absent. With the
 * default 5-minute lookback, the first 5 minutes of a run of missing samples still show the
 * last value; use selectorPoints() for the exact points Prometheus returns.
 */
export const QUEUE_DEPTH = {
  name: 'queue_depth',
  omitted: {
    baseline: [...range(30, 44), 80],
    canary: [...range(60, 71), 100, 101],
  },
} as const;

/**
 * Judge scenarios, gauges labelled {version}:
 * - latency_identical: canary values === baseline values (normal(100, 10)).
 * - latency_worse: baseline normal(100, 5), canary normal(150, 5): clearly worse.
 * - latency_marginal: baseline normal(100, 10), canary normal(104, 10) (separate seeds): a
 *   small increase, near the edge of what Mann–Whitney detects with 121 points.
 */
export const LATENCY = {
  identical: 'latency_identical',
  worse: 'latency_worse',
  marginal: 'latency_marginal',
} as const;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * The dataset for a window starting at `start` (seconds; a multiple of 60): samples every
 * minute from start − 10 min to start + 2 h inclusive. Deterministic: the same start gives
 * the same series. CANARY_DATASET is canaryDataset(START).
 */
export function canaryDataset(start: number = START): OpenMetricsSeries[] {
  if (start % STEP !== 0) throw new Error(`start must be a multiple of ${STEP} s`);
  const dataStart = start - WARMUP_SEC;
  const n = (WARMUP_SEC + WINDOW_SEC) / STEP + 1; // 131 samples
  const warm = WARMUP_SEC / STEP; // index of `start`
  const out: OpenMetricsSeries[] = [];

  // http_requests_total
  let seed = 1000;
  for (const version of VERSIONS) {
    for (const code of HTTP_REQUESTS.codes) {
      const r = prng(seed++);
      const lambda = HTTP_REQUESTS.perMinute[version][code];
      out.push(
        counter('http_requests_total', { job: HTTP_REQUESTS.job, code, version }, dataStart, STEP, r.array(n, () => r.poisson(lambda)), 1000 * r.poisson(5)),
      );
    }
  }

  // integration_test_cpu
  for (const [scope, s] of [
    [INTEGRATION_TEST_CPU.controlScope, 2001],
    [INTEGRATION_TEST_CPU.experimentScope, 2002],
  ] as const) {
    const r = prng(s);
    out.push(
      gauge(
        'integration_test_cpu',
        { namespace: INTEGRATION_TEST_CPU.namespace, scope },
        dataStart,
        STEP,
        r.array(n, () => round(r.normal(INTEGRATION_TEST_CPU.mean, INTEGRATION_TEST_CPU.sd))),
      ),
    );
  }

  // node_cpu
  seed = 3000;
  for (const asg of [NODE_CPU.controlScope, NODE_CPU.experimentScope]) {
    const r = prng(seed++);
    const user = r.array(n, () => round(r.normal(40, 4)));
    const system = r.array(n, () => round(r.normal(10, 1.5)));
    const idle = user.map((u, i) => round(100 - u - system[i]));
    const byMode: Record<string, number[]> = { user, system, idle };
    for (const mode of NODE_CPU.modes) {
      out.push(gauge('node_cpu', { mode, job: NODE_CPU.job, asg_groupName: asg, zone: NODE_CPU.zone }, dataStart, STEP, byMode[mode]));
    }
    for (const mode of NODE_CPU.modes) {
      out.push(
        gauge('node_cpu', { mode, job: NODE_CPU.job, asg_groupName: asg, zone: NODE_CPU.decoyZone }, dataStart, STEP, new Array(n).fill(NODE_CPU.decoyValue)),
      );
    }
  }

  // http_request_duration_seconds_{sum,count}
  seed = 4000;
  for (const version of VERSIONS) {
    for (const instance of REQUEST_DURATION.instances[version]) {
      const r = prng(seed++);
      const counts = r.array(n, () => r.poisson(200));
      const sums = counts.map((c) => round(c * Math.max(0.001, r.normal(REQUEST_DURATION.meanLatency[version], 0.01)), 6));
      const labels = { job: REQUEST_DURATION.job, version, instance };
      out.push(counter(REQUEST_DURATION.count, labels, dataStart, STEP, counts));
      out.push(counter(REQUEST_DURATION.sum, labels, dataStart, STEP, sums));
    }
  }
  // Cumulative sums of rounded floats drift in the last bits: round the running totals too.
  for (const s of out) if (s.name === REQUEST_DURATION.sum) s.samples = s.samples.map(([t, v]) => [t, round(v, 6)]);

  // queue_depth (gaps)
  for (const [version, s, mean] of [
    ['baseline', 5001, 20],
    ['canary', 5002, 22],
  ] as const) {
    const r = prng(s);
    const omitted = new Set<number>(QUEUE_DEPTH.omitted[version].map((i) => i + warm));
    out.push(gauge('queue_depth', { version }, dataStart, STEP, r.array(n, (i) => (omitted.has(i) ? (r.next(), NaN) : round(Math.max(0, r.normal(mean, 3)))))));
  }

  // latency_identical / latency_worse / latency_marginal
  {
    const r = prng(6001);
    const values = r.array(n, () => round(r.normal(100, 10)));
    for (const version of VERSIONS) out.push(gauge(LATENCY.identical, { version }, dataStart, STEP, values));
  }
  {
    const rb = prng(6011);
    const rc = prng(6012);
    out.push(gauge(LATENCY.worse, { version: 'baseline' }, dataStart, STEP, rb.array(n, () => round(rb.normal(100, 5)))));
    out.push(gauge(LATENCY.worse, { version: 'canary' }, dataStart, STEP, rc.array(n, () => round(rc.normal(150, 5)))));
  }
  {
    const rb = prng(6021);
    const rc = prng(6022);
    out.push(gauge(LATENCY.marginal, { version: 'baseline' }, dataStart, STEP, rb.array(n, () => round(rb.normal(100, 10)))));
    out.push(gauge(LATENCY.marginal, { version: 'canary' }, dataStart, STEP, rc.array(n, () => round(rc.normal(104, 10)))));
  }
  return out;
}

/** The dataset the Prometheus suites load: canaryDataset(START), window START..END. */
export const CANARY_DATASET: readonly OpenMetricsSeries[] = canaryDataset(START);

/**
 * A window that ends at least a minute before `nowSec` (minute-aligned), for tests that
 * need recent data (e.g. times relative to now): `canaryDataset(recentStart())`.
 */
export function recentStart(nowSec: number = Date.now() / 1000): number {
  return Math.floor(nowSec / STEP) * STEP - STEP - WINDOW_SEC;
}
