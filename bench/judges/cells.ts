// The cells of the judges benchmark (design brief §3.3, families 1–6; family 7, sequential looks,
// has its own runner in sequential.ts). A cell is one data-generating setting; every run of a cell draws one
// data set from its own seeded stream and hands it to both judges: NetflixACAJudge-v1.0 (the
// Kayenta port) and canaria-v1 in two configurations (margin 0, and the kind-default margins).
import type { CanariaCanaryConfig, CanariaJudgeConfigurations, CanariaMetricConfiguration } from '../../lib/judge/canaria-v1/index.ts';
import type { CanaryAnalysisConfiguration, CanaryAnalysisResult, JudgeCanaryConfig, MetricSetPair } from '../../lib/judge/types.ts';
import { ar1, BURST_MEAN, BURSTS_PER_MINUTE, countSide, DEFAULT_BUCKETS, histogramQuantile, histogramSide, latencyCdf, promRangeSeries, type LatencyLaw } from './generators.ts';
import type { Rng } from './rng.ts';

export type Truth = 'A/A' | 'A/A+blip' | 'regression';

export interface Configs {
  kayenta: JudgeCanaryConfig;
  /** canaria-v1 with margin 0 on every scored metric: any significant change in the harm direction fails */
  canariaM0: CanariaCanaryConfig;
  /** canaria-v1 with the kind-default margins (latency 5%, errors ×1.2, histogram exceedances ×1.2) */
  canariaDef: CanariaCanaryConfig;
}

export interface RunInput {
  kayentaPairs: MetricSetPair[];
  canariaPairs: MetricSetPair[];
}

/** Goals of brief §3.4 (as amended by issue 11) a cell feeds. */
export type GoalTag = 'zero-baseline-10' | 'errors-1.2' | 'warmup-5-10' | 'warmup-5-10-configured';

export interface Cell {
  id: string;
  family: number;
  familyName: string;
  /** human-readable parameters */
  params: string;
  truth: Truth;
  /** effect size of the regression, printed in the truth column */
  effect?: string;
  /** points per side (minutes) */
  points: number;
  configs: Configs;
  generate(rng: Rng): RunInput;
  /**
   * The true effect of a canaria-v1 metric result on the judge's reported scale (a ratio), or
   * undefined when the family does not know it (infinite, undefined or not defined for the result).
   */
  trueEffect?(result: CanaryAnalysisResult): number | undefined;
  goals?: GoalTag[];
}

// ---- pairs and configs -----------------------------------------------------------------------

export const START = Date.UTC(2026, 0, 1, 12, 0, 0);
export const STEP_MS = 60_000;
export const THRESHOLDS = { pass: 95, marginal: 75 };

function pair(name: string, control: number[], experiment: number[], query: string, tags: Record<string, string> = {}): MetricSetPair {
  return {
    name,
    id: `${name}${tags.le !== undefined ? `-le${tags.le}` : ''}`,
    tags,
    values: { control, experiment },
    scopes: { control: { startTimeMillis: START, stepMillis: STEP_MS }, experiment: { startTimeMillis: START, stepMillis: STEP_MS } },
    attributes: { control: { query: query.replace('${scope}', 'role="baseline"') }, experiment: { query: query.replace('${scope}', 'role="canary"') } },
  };
}

interface MetricSpec {
  name: string;
  canary?: CanaryAnalysisConfiguration;
  canaria?: CanariaMetricConfiguration;
  /** scored (not muted): margin 0 goes on it in the margin-0 configuration */
  scored?: boolean;
}

function canariaConfig(metrics: MetricSpec[], margin0: boolean, jc: CanariaJudgeConfigurations = {}): CanariaCanaryConfig {
  return {
    metrics: metrics.map((m) => ({
      name: m.name,
      groups: ['service'],
      analysisConfigurations: {
        canary: m.canary ?? {},
        ...(m.canaria || margin0 ? { canaria: { ...(m.canaria ?? {}), ...(margin0 && m.scored !== false ? { margin: 0 } : {}) } } : {}),
      },
    })),
    classifier: { groupWeights: { service: 100 } },
    judge: { name: 'canaria-v1', judgeConfigurations: jc },
  };
}

function kayentaConfig(metrics: MetricSpec[]): JudgeCanaryConfig {
  return {
    metrics: metrics.map((m) => ({ name: m.name, groups: ['service'], analysisConfigurations: { canary: m.canary ?? {} } })),
    classifier: { groupWeights: { service: 100 } },
  };
}

function configs(kayenta: MetricSpec[], canaria: MetricSpec[], jc: CanariaJudgeConfigurations = {}): Configs {
  return { kayenta: kayentaConfig(kayenta), canariaM0: canariaConfig(canaria, true, jc), canariaDef: canariaConfig(canaria, false, jc) };
}

const pct = (x: number) => `${Number((x * 100).toPrecision(3))}%`;

// ---- truths ----------------------------------------------------------------------------------

/**
 * E[ln(a + δ + Z) − ln(a + Z')] for independent Z, Z' with mean 0 and variance v, to second order:
 * ln((a + δ)/a) − (v/2)(1/(a + δ)² − 1/a²). The canaria-v1 latency kind estimates this (paired log
 * differences); returned as a ratio.
 */
function additiveTruth(a: number, delta: number, v: number): number {
  return Math.exp(Math.log((a + delta) / a) - (v / 2) * (1 / ((a + delta) * (a + delta)) - 1 / (a * a)));
}

// ---- family 1: continuous AR(1) --------------------------------------------------------------

const LEVEL = 100;
const SD = 5;
const LOG_SD = 0.05;

interface ContinuousOpts {
  rho: number;
  n: number;
  load?: boolean;
  lognormal?: boolean;
  /** canary level shift in marginal sd (additive: shift·5; lognormal: ×(1 + 0.05·shift)) */
  shift?: number;
}

const LATENCY_QUERY = 'avg(http_server_latency_ms{job="my-app",${scope}})';

function continuousCell(o: ContinuousOpts): Cell {
  const shift = o.shift ?? 0;
  const spec: MetricSpec[] = [{ name: 'latency' }];
  const params = `ρ=${o.rho} n=${o.n}${o.load ? ' +load' : ''}${o.lognormal ? ' lognormal' : ''}`;
  return {
    id: `ar1/${params}/shift=${shift}`,
    family: 1,
    familyName: 'AR(1)',
    params,
    truth: shift === 0 ? 'A/A' : 'regression',
    effect: shift === 0 ? undefined : `+${shift} sd (${pct(0.05 * shift)})`,
    points: o.n,
    configs: configs(spec, spec),
    generate(rng) {
      const { n, rho } = o;
      const load = o.load ? (o.lognormal ? ar1(rng, n, 0.98, 0.1) : ar1(rng, n, 0.98, 10)) : null;
      const xc = ar1(rng, n, rho, o.lognormal ? LOG_SD : SD);
      const xe = ar1(rng, n, rho, o.lognormal ? LOG_SD : SD);
      let c: number[];
      let e: number[];
      if (o.lognormal) {
        const f = 1 + 0.05 * shift;
        c = xc.map((x, t) => LEVEL * Math.exp(x + (load ? load[t] : 0)));
        e = xe.map((x, t) => LEVEL * f * Math.exp(x + (load ? load[t] : 0)));
      } else {
        c = xc.map((x, t) => LEVEL + x + (load ? load[t] : 0));
        e = xe.map((x, t) => LEVEL + shift * SD + x + (load ? load[t] : 0));
      }
      const p = [pair('latency', c, e, LATENCY_QUERY)];
      return { kayentaPairs: p, canariaPairs: p };
    },
    trueEffect: () => (o.lognormal ? 1 + 0.05 * shift : additiveTruth(LEVEL, shift * SD, SD * SD + (o.load ? 100 : 0))),
  };
}

// ---- family 2: Prometheus-shaped rate series -------------------------------------------------

function rateCell(windowSeconds: number, factor: number): Cell {
  const n = 106;
  const win = windowSeconds % 60 === 0 ? `${windowSeconds / 60}m` : `${windowSeconds}s`;
  const query = `sum(rate(http_server_requests_total{job="my-app",\${scope}}[${win}]))`;
  const spec: MetricSpec[] = [{ name: 'request_rate' }];
  const params = `sum(rate(x[${win}])) step 60s n=${n}`;
  return {
    id: `rate/${windowSeconds}/${factor}`,
    family: 2,
    familyName: 'Prom rate',
    params,
    truth: factor === 1 ? 'A/A' : 'regression',
    effect: factor === 1 ? undefined : `×${factor}`,
    points: n,
    configs: configs(spec, spec),
    generate(rng) {
      const c = promRangeSeries(rng, n, windowSeconds, 1);
      const e = promRangeSeries(rng, n, windowSeconds, factor);
      const p = [pair('request_rate', c, e, query)];
      return { kayentaPairs: p, canariaPairs: p };
    },
    // every canary increment is `factor` × a draw of the baseline's law: E ln rate_E − E ln rate_C = ln factor exactly
    trueEffect: () => factor,
  };
}

// ---- family 3: counts ------------------------------------------------------------------------

interface CountOpts {
  /** requests per second per side at a 50/50 split; total traffic is 2·rps */
  rps: number;
  /** canary share of the traffic */
  share?: number;
  pControl: number;
  pCanary: number;
  bursts?: boolean;
  /** label of the regression */
  effect?: string;
  goals?: GoalTag[];
  label?: string;
}

const ERRORS_QUERY = 'sum(increase(http_requests_total{job="my-app",code=~"5..",${scope}}[60s]))';
const REQUESTS_QUERY = 'sum(increase(http_requests_total{job="my-app",${scope}}[60s]))';
const RATIO_QUERY = 'sum(increase(http_requests_total{job="my-app",code=~"5..",${scope}}[60s])) / sum(increase(http_requests_total{job="my-app",${scope}}[60s]))';

function countCell(o: CountOpts): Cell {
  const n = 106;
  const share = o.share ?? 0.5;
  const total = 2 * o.rps;
  const rpsC = total * (1 - share);
  const rpsE = total * share;
  const canaria: MetricSpec[] = [
    { name: 'errors', canary: { direction: 'increase', nanStrategy: 'replace' }, canaria: { kind: 'errors', denominator: 'requests' } },
    { name: 'requests', canary: { muted: true }, canaria: { kind: 'throughput', expectedShare: share }, scored: false },
  ];
  const kayenta: MetricSpec[] = [{ name: 'error_ratio', canary: { direction: 'increase', nanStrategy: 'replace' } }];
  const split = share === 0.5 ? `${o.rps} req/s/side` : `${total} req/s ${Math.round(share * 100)}/${Math.round((1 - share) * 100)}`;
  const params = o.label ?? `${split} p=${o.pControl}${o.bursts ? ' bursty' : ''}`;
  // per-request error rate: p plus the side's bursts (share·0.04 per minute, mean 20) over its requests
  const rate = (rps: number, sideShare: number, p: number) => p + (o.bursts ? (BURSTS_PER_MINUTE * sideShare * BURST_MEAN) / (rps * 60) : 0);
  const rC = rate(rpsC, 1 - share, o.pControl);
  const rE = rate(rpsE, share, o.pCanary);
  return {
    id: `counts/${params}/${o.pCanary}`,
    family: 3,
    familyName: 'counts',
    params,
    truth: o.pCanary === o.pControl ? 'A/A' : 'regression',
    effect: o.effect,
    points: n,
    configs: configs(kayenta, canaria),
    goals: o.goals,
    generate(rng) {
      const c = countSide(rng, n, rpsC, o.pControl, o.bursts ? BURSTS_PER_MINUTE * (1 - share) : 0);
      const e = countSide(rng, n, rpsE, o.pCanary, o.bursts ? BURSTS_PER_MINUTE * share : 0);
      const ratio = (s: { requests: number[]; errors: number[] }) => s.errors.map((x, t) => (s.requests[t] > 0 ? x / s.requests[t] : NaN));
      return {
        kayentaPairs: [pair('error_ratio', ratio(c), ratio(e), RATIO_QUERY)],
        canariaPairs: [pair('errors', c.errors, e.errors, ERRORS_QUERY), pair('requests', c.requests, e.requests, REQUESTS_QUERY)],
      };
    },
    trueEffect: (r) => (r.name === 'errors' && rC > 0 ? rE / rC : undefined),
  };
}

// ---- family 4: latency histograms ------------------------------------------------------------

const BUCKET_QUERY = 'sum by (le) (increase(http_request_duration_seconds_bucket{job="my-app",${scope}}[60s]))';
const QUANTILES = [0.5, 0.9, 0.99];

function histogramCell(perMinute: number, canaryLaw: Partial<LatencyLaw>, effect?: string): Cell {
  const n = 106;
  const base: LatencyLaw = { median: 0.1, sigma: 0.5 };
  const canary: LatencyLaw = { ...base, ...canaryLaw };
  const canaria: MetricSpec[] = [{ name: 'latency_buckets', canaria: { kind: 'latency-histogram' } }];
  const kayenta: MetricSpec[] = QUANTILES.map((q) => ({ name: `latency_p${q * 100}` }));
  const params = `${perMinute} req/min/side`;
  const bounds = [...DEFAULT_BUCKETS, Infinity];
  return {
    id: `hist/${perMinute}/${JSON.stringify(canaryLaw)}`,
    family: 4,
    familyName: 'histogram',
    params,
    truth: effect ? 'regression' : 'A/A',
    effect,
    points: n,
    configs: configs(kayenta, canaria),
    generate(rng) {
      const c = histogramSide(rng, n, perMinute, base);
      const e = histogramSide(rng, n, perMinute, canary);
      const gauges = (rows: number[][], q: number) => rows[0].map((_, t) => histogramQuantile(q, DEFAULT_BUCKETS, rows.map((r) => r[t])));
      const kayentaPairs = QUANTILES.map((q) =>
        pair(`latency_p${q * 100}`, gauges(c, q), gauges(e, q), `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{job="my-app",\${scope}}[60s])))`),
      );
      const canariaPairs = bounds.map((b, i) => pair('latency_buckets', c[i], e[i], BUCKET_QUERY, { le: b === Infinity ? '+Inf' : String(b) }));
      return { kayentaPairs, canariaPairs };
    },
    // the reported effect is the exceedance ratio at the threshold named in the reason ("exceedance of le=0.25")
    trueEffect: (r) => {
      const m = /exceedance of le=([0-9.e+-]+)/.exec(r.classificationReason ?? '');
      if (!m) return undefined;
      const le = Number(m[1]);
      const pc = 1 - latencyCdf(base, le);
      const pe = 1 - latencyCdf(canary, le);
      return pc > 0 ? pe / pc : undefined;
    },
  };
}

// ---- family 5: warm-up -----------------------------------------------------------------------

interface WarmupOpts {
  /** blip height in marginal sd */
  a: number;
  /** decay constant in points (minutes) */
  tau: number;
  /** persistent shift in marginal sd */
  shift?: number;
  /** canaria-v1 judgeConfigurations.warmupMinutes (Kayenta gets the series without these minutes, as beginAfterMins) */
  warmupMinutes?: number;
  goals?: GoalTag[];
}

function warmupCell(o: WarmupOpts): Cell {
  const n = 106;
  const rho = 0.5;
  const shift = o.shift ?? 0;
  const w = o.warmupMinutes ?? 0;
  const spec: MetricSpec[] = [{ name: 'latency' }];
  const params = `${o.a > 0 ? `blip ${o.a} sd τ=${o.tau}` : 'no blip'} ρ=${rho} n=${n}${w > 0 ? ` warm-up ${w} min` : ''}`;
  const blip = (t: number) => (o.a > 0 ? o.a * SD * Math.exp(-t / o.tau) : 0);
  // the full-series mean of the paired log differences after the configured warm-up
  let theta = 0;
  for (let t = w; t < n; t++) theta += Math.log(additiveTruth(LEVEL, shift * SD + blip(t), SD * SD));
  theta /= n - w;
  return {
    id: `warmup/${params}/shift=${shift}`,
    family: 5,
    familyName: 'warm-up',
    params,
    truth: shift !== 0 ? 'regression' : o.a > 0 ? 'A/A+blip' : 'A/A',
    effect: shift !== 0 ? `+${shift} sd (${pct(0.05 * shift)})` : undefined,
    points: n,
    configs: configs(spec, spec, w > 0 ? { warmupMinutes: w } : {}),
    goals: o.goals,
    generate(rng) {
      const c = ar1(rng, n, rho, SD).map((x) => LEVEL + x);
      const e = ar1(rng, n, rho, SD).map((x, t) => LEVEL + shift * SD + blip(t) + x);
      const canariaPairs = [pair('latency', c, e, LATENCY_QUERY)];
      const kayentaPairs = w > 0 ? [pair('latency', c.slice(w), e.slice(w), LATENCY_QUERY)] : canariaPairs;
      return { kayentaPairs, canariaPairs };
    },
    trueEffect: () => Math.exp(theta),
  };
}

// ---- family 6: many metrics ------------------------------------------------------------------

function manyCell(m: number, corr: number, k: number): Cell {
  const n = 106;
  const rho = 0.5;
  const shift = 1;
  const names = Array.from({ length: m }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const spec: MetricSpec[] = names.map((name) => ({ name }));
  const params = `M=${m} ${corr > 0 ? `equicorr ${corr}` : 'independent'} ρ=${rho} n=${n}`;
  return {
    id: `many/${m}/${corr}/${k}`,
    family: 6,
    familyName: 'many metrics',
    params,
    truth: k === 0 ? 'A/A' : 'regression',
    effect: k === 0 ? undefined : `${k} of ${m} +${shift} sd (5%)`,
    points: n,
    configs: configs(spec, spec),
    generate(rng) {
      const side = (regressed: boolean) => {
        const common = corr > 0 ? ar1(rng, n, rho, SD) : null;
        return names.map((_, i) => {
          const own = ar1(rng, n, rho, SD);
          const s = regressed && i < k ? shift * SD : 0;
          return own.map((x, t) => LEVEL + s + (common ? Math.sqrt(corr) * common[t] + Math.sqrt(1 - corr) * x : x));
        });
      };
      const c = side(false);
      const e = side(true);
      const p = names.map((name, i) => pair(name, c[i], e[i], LATENCY_QUERY.replace('latency_ms', name)));
      return { kayentaPairs: p, canariaPairs: p };
    },
    trueEffect: (r) => {
      const i = names.indexOf(r.name);
      return i < 0 ? undefined : additiveTruth(LEVEL, i < k ? shift * SD : 0, SD * SD);
    },
  };
}

// ---- the grid --------------------------------------------------------------------------------

export function buildCells(): Cell[] {
  const cells: Cell[] = [];
  // 1. continuous AR(1): A/A over the ρ × n grid, shared load, lognormal; level-shift regressions
  for (const rho of [0, 0.5, 0.8, 0.9, 0.95]) for (const n of [30, 60, 106, 240]) cells.push(continuousCell({ rho, n }));
  for (const rho of [0.5, 0.9, 0.95]) cells.push(continuousCell({ rho, n: 106, load: true }));
  for (const rho of [0.5, 0.9]) cells.push(continuousCell({ rho, n: 106, lognormal: true }));
  for (const rho of [0, 0.5, 0.9]) for (const shift of [0.25, 0.5, 1]) cells.push(continuousCell({ rho, n: 106, shift }));
  cells.push(continuousCell({ rho: 0.5, n: 106, shift: 2 }));
  cells.push(continuousCell({ rho: 0.5, n: 30, shift: 0.5 }));
  cells.push(continuousCell({ rho: 0.5, n: 240, shift: 0.5 }));
  cells.push(continuousCell({ rho: 0.9, n: 106, load: true, shift: 0.5 }));
  cells.push(continuousCell({ rho: 0.5, n: 106, lognormal: true, shift: 0.5 }));
  // 2. Prometheus-shaped rate series
  for (const w of [60, 300]) for (const f of [1, 1.02, 1.05]) cells.push(rateCell(w, f));
  // 3. counts
  cells.push(countCell({ rps: 50, pControl: 1e-3, pCanary: 1e-3 }));
  cells.push(countCell({ rps: 50, pControl: 1e-3, pCanary: 1e-3, bursts: true }));
  cells.push(countCell({ rps: 5, pControl: 1e-2, pCanary: 1e-2 }));
  cells.push(countCell({ rps: 0.5, pControl: 1e-2, pCanary: 1e-2 }));
  cells.push(countCell({ rps: 500, pControl: 1e-4, pCanary: 1e-4 }));
  cells.push(countCell({ rps: 50, pControl: 2e-5, pCanary: 2e-5 }));
  cells.push(countCell({ rps: 50, pControl: 0, pCanary: 0 }));
  cells.push(countCell({ rps: 50, share: 0.1, pControl: 1e-3, pCanary: 1e-3 }));
  cells.push(countCell({ rps: 50, share: 0.1, pControl: 1e-3, pCanary: 1e-3, bursts: true }));
  cells.push(countCell({ rps: 50, pControl: 1e-3, pCanary: 1.2e-3, effect: '×1.2', goals: ['errors-1.2'] }));
  cells.push(countCell({ rps: 50, pControl: 1e-3, pCanary: 1.5e-3, effect: '×1.5' }));
  cells.push(countCell({ rps: 50, pControl: 1e-3, pCanary: 1.5e-3, bursts: true, effect: '×1.5' }));
  cells.push(countCell({ rps: 500, pControl: 1e-4, pCanary: 1.2e-4, effect: '×1.2' }));
  cells.push(countCell({ rps: 50, pControl: 1e-4, pCanary: 2e-4, effect: '×2' }));
  cells.push(countCell({ rps: 5, pControl: 1e-2, pCanary: 1.5e-2, effect: '×1.5' }));
  cells.push(countCell({ rps: 50, pControl: 2e-5, pCanary: 1e-4, effect: '×5' }));
  cells.push(countCell({ rps: 50, share: 0.1, pControl: 1e-3, pCanary: 2e-3, effect: '×2' }));
  for (const expected of [3, 10, 30]) {
    const p = expected / (50 * 60 * 106);
    cells.push(countCell({ rps: 50, pControl: 0, pCanary: p, effect: `0 → ${expected} exp. errors`, label: `50 req/s/side zero baseline`, goals: expected >= 10 ? ['zero-baseline-10'] : undefined }));
  }
  {
    const p = 10 / (10 * 60 * 106);
    cells.push(countCell({ rps: 50, share: 0.1, pControl: 0, pCanary: p, effect: '0 → 10 exp. errors', label: '100 req/s 10/90 zero baseline', goals: ['zero-baseline-10'] }));
  }
  // 4. latency histograms
  for (const perMinute of [3, 30, 300, 3000]) cells.push(histogramCell(perMinute, {}));
  for (const perMinute of [30, 300, 3000]) {
    cells.push(histogramCell(perMinute, { median: 0.11 }, 'median ×1.1'));
    cells.push(histogramCell(perMinute, { slowShare: 0.02, slowFactor: 3 }, 'tail: 2% ×3'));
    cells.push(histogramCell(perMinute, { sigma: 0.6 }, 'spread σ 0.5→0.6'));
  }
  // 5. warm-up
  for (const [a, tau] of [
    [3, 5],
    [3, 10],
    [5, 5],
    [5, 10],
  ]) {
    cells.push(warmupCell({ a, tau, goals: a === 5 && tau === 10 ? ['warmup-5-10'] : undefined }));
  }
  cells.push(warmupCell({ a: 5, tau: 10, warmupMinutes: 10, goals: ['warmup-5-10-configured'] }));
  cells.push(warmupCell({ a: 0, tau: 1, shift: 0.5 }));
  for (const [a, tau] of [
    [3, 5],
    [5, 10],
  ]) {
    cells.push(warmupCell({ a, tau, shift: 0.5 }));
  }
  // 6. many metrics: every A/A cell; regressions where they say most per CPU second (M = 20 costs 20 metrics a run)
  for (const corr of [0, 0.5]) for (const m of [5, 10, 20]) cells.push(manyCell(m, corr, 0));
  for (const corr of [0, 0.5]) for (const k of [1, 3]) cells.push(manyCell(10, corr, k));
  cells.push(manyCell(5, 0, 1));
  cells.push(manyCell(20, 0, 1));
  cells.push(manyCell(20, 0, 3));
  return cells;
}
