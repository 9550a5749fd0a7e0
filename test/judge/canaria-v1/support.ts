// Seeded data generators and config builders for the canaria-v1 tests (no vitest import here).
import type { MetricSetPair } from '../../../lib/judge/types.ts';
import type { CanariaCanaryConfig, CanariaJudgeConfigurations, CanariaMetricConfiguration } from '../../../lib/judge/canaria-v1/index.ts';
import type { CanaryAnalysisConfiguration } from '../../../lib/judge/types.ts';
import { mulberry32 } from '../../support/prometheus-data.ts';

/** A small seeded PRNG, uniform in [0, 1) (mulberry32). */
export const rng = mulberry32;

/** Standard normal draws (Box–Muller) from a uniform source. */
export function normal(u: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let x = 0;
    while (x === 0) x = u();
    const r = Math.sqrt(-2 * Math.log(x));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** Stationary AR(1) with marginal sd `sd` (Appendix A `ar1`). */
export function ar1(z: () => number, n: number, phi: number, sd: number, burn = 200): number[] {
  const x: number[] = [];
  let prev = z() * sd;
  const innov = sd * Math.sqrt(1 - phi * phi);
  for (let t = 0; t < n + burn; t++) {
    prev = phi * prev + innov * z();
    if (t >= burn) x.push(prev);
  }
  return x;
}

/** Poisson draw (Knuth for small means, normal approximation rounded for large). */
export function poisson(u: () => number, z: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * z()));
  const L = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= u();
  } while (p > L);
  return k - 1;
}

/** Binomial(n, p) draw: exact Bernoulli sum for small n·p via Poisson-thinning approximation when p is tiny. */
export function binomial(u: () => number, z: () => number, n: number, p: number): number {
  if (p <= 0 || n <= 0) return 0;
  if (n * p < 30 && p < 0.01) return Math.min(n, poisson(u, z, n * p));
  const m = n * p;
  return Math.min(n, Math.max(0, Math.round(m + Math.sqrt(m * (1 - p)) * z())));
}

export const START = Date.UTC(2026, 0, 1, 12, 0, 0);
export const STEP = 60_000;

export function scopes(startC = START, startE = START, step = STEP) {
  return { control: { startTimeMillis: startC, stepMillis: step }, experiment: { startTimeMillis: startE, stepMillis: step } };
}

export function pair(name: string, control: number[], experiment: number[], extra: Partial<MetricSetPair> = {}): MetricSetPair {
  return { name, id: `${name}-${JSON.stringify(extra.tags ?? {})}`, tags: {}, values: { control, experiment }, scopes: scopes(), ...extra };
}

export interface MetricSpec {
  name: string;
  groups?: string[];
  canary?: CanaryAnalysisConfiguration;
  canaria?: CanariaMetricConfiguration;
}

export function config(metrics: MetricSpec[], judgeConfigurations?: CanariaJudgeConfigurations, groupWeights?: Record<string, number>): CanariaCanaryConfig {
  return {
    metrics: metrics.map((m) => ({
      name: m.name,
      groups: m.groups ?? ['g'],
      analysisConfigurations: { canary: m.canary ?? {}, ...(m.canaria ? { canaria: m.canaria } : {}) },
    })),
    classifier: groupWeights ? { groupWeights } : {},
    judge: { name: 'canaria-v1', ...(judgeConfigurations ? { judgeConfigurations } : {}) },
  };
}

export const THRESHOLDS = { pass: 95, marginal: 75 };

/** Latency-like pair: level·exp(AR(1) noise) per side, multiplicative `effect` on the canary. */
export function latencyPair(seed: number, opts: { n?: number; phi?: number; sd?: number; effect?: number; name?: string; blip?: { size: number; tau: number } } = {}): MetricSetPair {
  const { n = 106, phi = 0.5, sd = 0.05, effect = 1, name = 'latency' } = opts;
  const z = normal(rng(seed));
  const c = ar1(z, n, phi, sd).map((x) => 100 * Math.exp(x));
  const e = ar1(z, n, phi, sd).map((x, t) => 100 * effect * Math.exp(x + (opts.blip ? opts.blip.size * sd * Math.exp(-t / opts.blip.tau) : 0)));
  return pair(name, c, e);
}

/** Errors and requests pairs, one-minute buckets. */
export function errorPairs(
  seed: number,
  opts: { n?: number; rps?: number; pControl: number; pExperiment: number; shareExperiment?: number; tags?: Record<string, string>; errors?: string; requests?: string },
): [MetricSetPair, MetricSetPair] {
  const { n = 106, rps = 50, pControl, pExperiment, shareExperiment = 0.5, tags = {}, errors = 'errors', requests = 'requests' } = opts;
  const u = rng(seed);
  const z = normal(u);
  const reqC: number[] = [];
  const reqE: number[] = [];
  const errC: number[] = [];
  const errE: number[] = [];
  for (let t = 0; t < n; t++) {
    const total = rps * 60 * 2;
    const nc = poisson(u, z, total * (1 - shareExperiment));
    const ne = poisson(u, z, total * shareExperiment);
    reqC.push(nc);
    reqE.push(ne);
    errC.push(binomial(u, z, nc, pControl));
    errE.push(binomial(u, z, ne, pExperiment));
  }
  return [pair(errors, errC, errE, { tags }), pair(requests, reqC, reqE, { tags })];
}

/** Prometheus default latency buckets (seconds). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Φ for the generators (a plain erf approximation is not precise enough for tails; use the judge-independent series). */
function phi(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7; generators need no more.
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * Histogram pairs, one per `le` (cumulative per-minute counts), lognormal latency with median
 * `median` s and log-sd `sigma`; the canary may have a fraction `slowShare` of requests × `slowFactor`,
 * or its own sigma. Counts per bucket are Poisson (Poisson splitting of the per-minute requests).
 */
export function histogramPairs(
  seed: number,
  opts: { n?: number; perMinute?: number; median?: number; sigma?: number; canarySigma?: number; slowShare?: number; slowFactor?: number; name?: string; tags?: Record<string, string> } = {},
): MetricSetPair[] {
  const { n = 106, perMinute = 3000, median = 0.1, sigma = 0.5, name = 'latency_buckets', tags = {} } = opts;
  const u = rng(seed);
  const z = normal(u);
  const bounds = [...DEFAULT_BUCKETS, Infinity];
  const cdf = (x: number, s: number, m: number) => (x === Infinity ? 1 : phi(Math.log(x / m) / s));
  const probs = (canary: boolean) => {
    const s = canary && opts.canarySigma !== undefined ? opts.canarySigma : sigma;
    const slow = canary ? (opts.slowShare ?? 0) : 0;
    const f = opts.slowFactor ?? 3;
    const F = bounds.map((b) => (1 - slow) * cdf(b, s, median) + slow * cdf(b, s, median * f));
    return F.map((v, i) => v - (i > 0 ? F[i - 1] : 0));
  };
  const pc = probs(false);
  const pe = probs(true);
  const cum = (p: number[]) => {
    const rows: number[][] = bounds.map(() => []);
    for (let t = 0; t < n; t++) {
      let acc = 0;
      p.forEach((pi, i) => {
        acc += poisson(u, z, perMinute * pi);
        rows[i].push(acc);
      });
    }
    return rows;
  };
  const rc = cum(pc);
  const re = cum(pe);
  return bounds.map((b, i) => pair(name, rc[i], re[i], { tags: { ...tags, le: b === Infinity ? '+Inf' : String(b) } }));
}
