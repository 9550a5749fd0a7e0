// canaria-v1 settings: defaults, Kayenta keys mapped (brief §2.3), and checkConfig, which lists
// every problem detectable from the config alone, each naming its field.
import type { CanaryAnalysisConfiguration, Direction } from '../types.ts';
import {
  METRIC_KINDS,
  SUB_TESTS,
  type CanariaCanaryConfig,
  type CanariaMetricConfig,
  type ConfigProblem,
  type InconclusivePolicy,
  type MetricKind,
  type MultipleTesting,
  type NoTrafficPolicy,
  type ScoringMode,
  type SequentialMode,
  type SubTestName,
} from './types.ts';

export interface JudgeSettings {
  alpha: number;
  power: number;
  multipleTesting: MultipleTesting;
  warmupMinutes: number;
  persistence: boolean;
  onNoTraffic: NoTrafficPolicy;
  inconclusive: InconclusivePolicy;
  scoring: ScoringMode;
  minEffectiveN: number;
  sequentialMode: SequentialMode;
  /** judge-level notes copied into every metric's dataQuality.warnings */
  warnings: string[];
}

/** Kind defaults for the relative margin (brief §2.3). */
export const DEFAULT_MARGIN: Record<MetricKind, number> = {
  latency: 0.05,
  'latency-histogram': 0.2,
  errors: 0.2,
  counter: 0.5,
  saturation: 0.1,
  throughput: 0.05,
};

export const DEFAULT_QUANTILES = [0.5, 0.9, 0.99];

export interface MetricSettings {
  kind: MetricKind;
  harm: Direction;
  critical: boolean;
  mustHaveData: boolean;
  muted: boolean;
  /** relative margin actually used (canaria.margin or kind default) */
  margin: number;
  /** margins on the log scale, each ≥ 0: ln(max(allowed…, 1 + margin)) */
  logMarginUp: number;
  logMarginDown: number;
  /** relative allowances for difference-scale effects (e.g. 0.05 = 5% of the baseline level) */
  relMarginUp: number;
  relMarginDown: number;
  /** log of Kayenta's criticalIncrease / criticalDecrease (0 = any fail of a critical metric is critical) */
  logCriticalUp: number;
  logCriticalDown: number;
  absoluteFloor: number;
  denominator?: string;
  quantiles: number[];
  thresholds?: number[];
  expectedShare?: number;
  tests: SubTestName[];
  rangeWindowSeconds?: number;
  horizonMinutes?: number;
  nanReplace: boolean;
  warnings: string[];
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const oneOf = <T extends string>(values: readonly T[]) => values.map((v) => `"${v}"`).join(', ');

const JUDGE_KEYS = ['alpha', 'power', 'multipleTesting', 'sequential', 'warmupMinutes', 'persistence', 'onNoTraffic', 'inconclusive', 'scoring', 'shadowJudges'];
const METRIC_KEYS = ['kind', 'denominator', 'margin', 'absoluteFloor', 'quantiles', 'thresholds', 'expectedShare', 'tests', 'rangeWindowSeconds', 'horizonMinutes'];

/** Problems of `judge.judgeConfigurations`. */
function checkJudgeConfigurations(config: CanariaCanaryConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const jc = config.judge?.judgeConfigurations as Record<string, unknown> | undefined;
  if (jc === undefined || jc === null) return out;
  const f = (k: string) => `judge.judgeConfigurations.${k}`;
  if (typeof jc !== 'object' || Array.isArray(jc)) return [{ field: 'judge.judgeConfigurations', message: 'must be an object' }];
  for (const k of Object.keys(jc)) if (!JUDGE_KEYS.includes(k)) out.push({ field: f(k), message: `unknown key; canaria-v1 reads ${JUDGE_KEYS.join(', ')}` });
  if (jc.alpha !== undefined && !(isNumber(jc.alpha) && jc.alpha > 0 && jc.alpha < 0.5)) out.push({ field: f('alpha'), message: `must be a number in (0, 0.5), got ${JSON.stringify(jc.alpha)}` });
  if (jc.power !== undefined && !(isNumber(jc.power) && jc.power > 0 && jc.power < 1)) out.push({ field: f('power'), message: `must be a number in (0, 1), got ${JSON.stringify(jc.power)}` });
  const enumCheck = <T extends string>(key: string, values: readonly T[]) => {
    const v = jc[key];
    if (v !== undefined && !(typeof v === 'string' && (values as readonly string[]).includes(v))) {
      out.push({ field: f(key), message: `must be one of ${oneOf(values)}, got ${JSON.stringify(v)}` });
    }
  };
  enumCheck('multipleTesting', ['bh', 'by', 'none'] as const);
  enumCheck('onNoTraffic', ['pass', 'inconclusive', 'fail'] as const);
  enumCheck('inconclusive', ['marginal', 'nodata', 'pass'] as const);
  enumCheck('scoring', ['canaria', 'kayenta'] as const);
  if (jc.warmupMinutes !== undefined && !(isNumber(jc.warmupMinutes) && jc.warmupMinutes >= 0)) out.push({ field: f('warmupMinutes'), message: `must be a number ≥ 0, got ${JSON.stringify(jc.warmupMinutes)}` });
  if (jc.persistence !== undefined && typeof jc.persistence !== 'boolean') out.push({ field: f('persistence'), message: `must be true or false, got ${JSON.stringify(jc.persistence)}` });
  if (jc.shadowJudges !== undefined && !(Array.isArray(jc.shadowJudges) && jc.shadowJudges.every((s) => typeof s === 'string'))) out.push({ field: f('shadowJudges'), message: 'must be a list of judge names' });
  const seq = jc.sequential as Record<string, unknown> | undefined;
  if (seq !== undefined) {
    if (seq === null || typeof seq !== 'object' || Array.isArray(seq)) out.push({ field: f('sequential'), message: 'must be an object' });
    else {
      const sf = (k: string) => f(`sequential.${k}`);
      for (const k of Object.keys(seq)) if (!['mode', 'plannedEffectiveN', 'burnInPoints', 'minEffectiveN'].includes(k)) out.push({ field: sf(k), message: 'unknown key; canaria-v1 reads mode, plannedEffectiveN, burnInPoints, minEffectiveN' });
      if (seq.mode !== undefined && !['always-valid', 'gst', 'off'].includes(seq.mode as string)) out.push({ field: sf('mode'), message: `must be one of "always-valid", "gst", "off", got ${JSON.stringify(seq.mode)}` });
      if (seq.plannedEffectiveN !== undefined && seq.plannedEffectiveN !== null && !(isNumber(seq.plannedEffectiveN) && seq.plannedEffectiveN > 0)) out.push({ field: sf('plannedEffectiveN'), message: 'must be a number > 0 or null' });
      if (seq.burnInPoints !== undefined && !(isNumber(seq.burnInPoints) && seq.burnInPoints >= 0)) out.push({ field: sf('burnInPoints'), message: 'must be a number ≥ 0' });
      if (seq.minEffectiveN !== undefined && !(isNumber(seq.minEffectiveN) && seq.minEffectiveN >= 2)) out.push({ field: sf('minEffectiveN'), message: 'must be a number ≥ 2' });
    }
  }
  return out;
}

/** Problems of one metric's `analysisConfigurations.canaria` (and the Kayenta keys canaria-v1 cannot honour). */
function checkMetric(config: CanariaCanaryConfig, index: number): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const metric = config.metrics[index];
  const base = `metrics[${index}].analysisConfigurations.canaria`;
  const c = metric.analysisConfigurations?.canaria as Record<string, unknown> | undefined;
  if (c === undefined || c === null) return out;
  if (typeof c !== 'object' || Array.isArray(c)) return [{ field: base, message: 'must be an object' }];
  const f = (k: string) => `${base}.${k}`;
  for (const k of Object.keys(c)) if (!METRIC_KEYS.includes(k)) out.push({ field: f(k), message: `unknown key; canaria-v1 reads ${METRIC_KEYS.join(', ')}` });
  const kindValid = c.kind === undefined || (typeof c.kind === 'string' && (METRIC_KINDS as readonly string[]).includes(c.kind));
  if (!kindValid) out.push({ field: f('kind'), message: `must be one of ${oneOf(METRIC_KINDS)}, got ${JSON.stringify(c.kind)}` });
  const kind = (kindValid ? (c.kind as MetricKind | undefined) : undefined) ?? 'latency';
  if (c.margin !== undefined && !(isNumber(c.margin) && c.margin >= 0)) out.push({ field: f('margin'), message: `must be a number ≥ 0 (a relative allowance, 0.2 = +20%), got ${JSON.stringify(c.margin)}` });
  if (c.absoluteFloor !== undefined && !(isNumber(c.absoluteFloor) && c.absoluteFloor >= 0)) out.push({ field: f('absoluteFloor'), message: `must be a number ≥ 0, got ${JSON.stringify(c.absoluteFloor)}` });
  if (c.quantiles !== undefined) {
    if (!Array.isArray(c.quantiles) || c.quantiles.length === 0) out.push({ field: f('quantiles'), message: 'must be a non-empty list of numbers in (0, 1)' });
    else c.quantiles.forEach((q, i) => {
      if (!(isNumber(q) && q > 0 && q < 1)) out.push({ field: f(`quantiles[${i}]`), message: `must be a number in (0, 1), got ${JSON.stringify(q)}` });
    });
  }
  if (c.thresholds !== undefined) {
    if (!Array.isArray(c.thresholds) || c.thresholds.length === 0) out.push({ field: f('thresholds'), message: 'must be a non-empty list of numbers > 0' });
    else c.thresholds.forEach((u, i) => {
      if (!(isNumber(u) && u > 0)) out.push({ field: f(`thresholds[${i}]`), message: `must be a number > 0, got ${JSON.stringify(u)}` });
    });
  }
  if (c.expectedShare !== undefined && !(isNumber(c.expectedShare) && c.expectedShare > 0 && c.expectedShare < 1)) out.push({ field: f('expectedShare'), message: `must be a number in (0, 1), got ${JSON.stringify(c.expectedShare)}` });
  if (c.tests !== undefined) {
    if (!Array.isArray(c.tests) || c.tests.length === 0) out.push({ field: f('tests'), message: `must be a non-empty list of ${oneOf(SUB_TESTS)}` });
    else c.tests.forEach((t, i) => {
      if (!(SUB_TESTS as readonly unknown[]).includes(t)) out.push({ field: f(`tests[${i}]`), message: `must be one of ${oneOf(SUB_TESTS)}, got ${JSON.stringify(t)}` });
    });
    if (kindValid && Array.isArray(c.tests) && !['latency', 'saturation'].includes(kind)) out.push({ field: f('tests'), message: `applies to kinds "latency" and "saturation" only, this metric is "${kind}"` });
  }
  if (c.rangeWindowSeconds !== undefined && !(isNumber(c.rangeWindowSeconds) && c.rangeWindowSeconds > 0)) out.push({ field: f('rangeWindowSeconds'), message: `must be a number > 0, got ${JSON.stringify(c.rangeWindowSeconds)}` });
  if (c.horizonMinutes !== undefined && !(isNumber(c.horizonMinutes) && c.horizonMinutes > 0)) out.push({ field: f('horizonMinutes'), message: `must be a number > 0, got ${JSON.stringify(c.horizonMinutes)}` });
  if (c.denominator !== undefined) {
    if (typeof c.denominator !== 'string' || c.denominator === '') out.push({ field: f('denominator'), message: 'must be the name of another metric of this config' });
    else if (c.denominator === metric.name) out.push({ field: f('denominator'), message: 'names this metric itself' });
    else if (!config.metrics.some((m) => m.name === c.denominator)) out.push({ field: f('denominator'), message: `names no metric of this config: ${JSON.stringify(c.denominator)}` });
    if (kindValid && kind !== 'errors') out.push({ field: f('denominator'), message: `applies to kind "errors" only, this metric is "${kind}"` });
  } else if (kind === 'errors') {
    out.push({ field: f('denominator'), message: 'kind "errors" needs the name of the metric that counts the requests (the exposure)' });
  }
  if (kind === 'counter' && c.expectedShare === undefined) {
    out.push({ field: f('expectedShare'), message: 'kind "counter" needs the canary\'s expected share of the exposure (e.g. 0.5 for equal replica counts): without it the counts are not comparable' });
  }
  if (kindValid && (c.quantiles !== undefined || c.thresholds !== undefined) && kind !== 'latency-histogram') {
    out.push({ field: f(c.quantiles !== undefined ? 'quantiles' : 'thresholds'), message: `applies to kind "latency-histogram" only, this metric is "${kind}"` });
  }
  return out;
}

/** Config problems a user must fix, each naming the field. Empty when fine. Pure. */
export function checkConfig(canaryConfig: CanariaCanaryConfig): ConfigProblem[] {
  const out = checkJudgeConfigurations(canaryConfig);
  const metrics = Array.isArray(canaryConfig.metrics) ? canaryConfig.metrics : [];
  const names = new Map<string, number>();
  metrics.forEach((m, i) => {
    out.push(...checkMetric(canaryConfig, i));
    if (names.has(m.name)) out.push({ field: `metrics[${i}].name`, message: `duplicates metrics[${names.get(m.name)}]: canaria-v1 finds a metric's config and its denominator by name` });
    else names.set(m.name, i);
  });
  return out;
}

/** Problems of one metric only (used at judge time to turn that metric into Error). */
export function checkMetricConfig(canaryConfig: CanariaCanaryConfig, index: number): ConfigProblem[] {
  return checkMetric(canaryConfig, index);
}

export class CanariaConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`canary config is not valid for canaria-v1: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.problems = problems;
  }
}

/** Judge-level settings with defaults; throws CanariaConfigError on a judge-level problem. */
export function resolveJudgeSettings(canaryConfig: CanariaCanaryConfig): JudgeSettings {
  const problems = checkJudgeConfigurations(canaryConfig);
  if (problems.length > 0) throw new CanariaConfigError(problems);
  const jc = canaryConfig.judge?.judgeConfigurations ?? {};
  const warnings: string[] = [];
  const sequentialMode = jc.sequential?.mode ?? 'off';
  if (sequentialMode !== 'off') warnings.push(`sequential.mode=${sequentialMode} is not implemented yet: fixed-horizon tests were used (valid for one look only)`);
  return {
    alpha: jc.alpha ?? 0.05,
    power: jc.power ?? 0.8,
    multipleTesting: jc.multipleTesting ?? 'bh',
    warmupMinutes: jc.warmupMinutes ?? 0,
    persistence: jc.persistence ?? true,
    onNoTraffic: jc.onNoTraffic ?? 'inconclusive',
    inconclusive: jc.inconclusive ?? 'marginal',
    scoring: jc.scoring ?? 'canaria',
    minEffectiveN: jc.sequential?.minEffectiveN ?? 8,
    sequentialMode,
    warnings,
  };
}

/** Per-metric settings. Assumes checkMetricConfig found no problem. */
export function resolveMetricSettings(canaryConfig: CanariaCanaryConfig, metric: CanariaMetricConfig): MetricSettings {
  const k: CanaryAnalysisConfiguration = metric.analysisConfigurations?.canary ?? {};
  const c = metric.analysisConfigurations?.canaria ?? {};
  const isDenominator = canaryConfig.metrics.some((m) => m.analysisConfigurations?.canaria?.denominator === metric.name);
  const kind: MetricKind = c.kind ?? (isDenominator ? 'throughput' : 'latency');
  const warnings: string[] = [];
  const margin = c.margin ?? DEFAULT_MARGIN[kind];
  const cles = k.effectSize?.measure === 'cles';
  if (cles) warnings.push('effectSize.measure=cles is not supported: the effect is a ratio of means/rates, and allowed/critical CLES bounds are ignored');
  if (k.outliers?.strategy === 'remove') warnings.push('outliers.strategy=remove ignored: removing outliers hides error bursts and slow spikes');
  const allowedUp = cles ? 1 : (k.effectSize?.allowedIncrease ?? 1);
  const allowedDown = cles ? 1 : (k.effectSize?.allowedDecrease ?? 1);
  const critUp = cles ? 1 : (k.effectSize?.criticalIncrease ?? 1);
  const critDown = cles ? 1 : (k.effectSize?.criticalDecrease ?? 1);
  const lnPos = (x: number) => (x > 0 ? Math.log(x) : -Infinity);
  const logMarginUp = Math.max(lnPos(allowedUp), Math.log1p(margin), 0);
  // A decrease to allowedDecrease·baseline is allowed; symmetric in log with the relative margin.
  const logMarginDown = Math.max(-lnPos(allowedDown), Math.log1p(margin), 0);
  const defaultHarm: Direction = kind === 'throughput' ? 'either' : 'increase';
  // Kayenta's default direction is "either"; canaria-v1 uses the kind's harm unless the config says otherwise.
  const harm: Direction = k.direction ?? defaultHarm;
  return {
    kind,
    harm,
    critical: k.critical ?? false,
    mustHaveData: k.mustHaveData ?? false,
    muted: k.muted ?? false,
    margin,
    logMarginUp,
    logMarginDown,
    relMarginUp: Math.expm1(logMarginUp),
    relMarginDown: -Math.expm1(-logMarginDown),
    logCriticalUp: Math.max(lnPos(critUp), 0),
    logCriticalDown: Math.max(-lnPos(critDown), 0),
    absoluteFloor: c.absoluteFloor ?? 0,
    denominator: c.denominator,
    quantiles: c.quantiles ?? DEFAULT_QUANTILES,
    thresholds: c.thresholds,
    expectedShare: c.expectedShare ?? (kind === 'throughput' ? 0.5 : undefined),
    tests: c.tests ?? (kind === 'saturation' ? ['level', 'trend'] : ['level']),
    rangeWindowSeconds: c.rangeWindowSeconds,
    horizonMinutes: c.horizonMinutes,
    nanReplace: k.nanStrategy === 'replace',
    warnings,
  };
}
