// The report page: a pure view over the status document GET /canary/{id} serves (Kayenta's
// CanaryExecutionStatusResponse, result.judgeResult) and the execution's metric set pairs, as
// one self-contained HTML page: inline CSS and JS (uPlot inlined, MIT), no request anywhere.
import { chartAssets } from './assets.ts';
import { html, jsonForScript, raw, type Raw } from './escape.ts';
import { pageCsp } from './csp.ts';
import { PAGE_CSS } from './style.ts';

export interface ReportInput {
  /** The status document of GET /canary/{id} (parsed JSON or the in-process object). */
  status: Record<string, unknown>;
  /** The execution's metric set pair list (GET /metricSetPairList/{id}); absent when it has none. */
  pairs?: readonly unknown[];
}

export type Obj = Record<string, any>;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A number from data: numbers, or Kayenta's "NaN"/"Infinity" strings; undefined otherwise. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

/** A number for people: at most 4 significant digits. */
export function fmt(v: unknown, digits = 4): string {
  const n = numberOf(v);
  if (n === undefined) return '—';
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+∞' : '−∞';
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-4) return n.toExponential(2);
  return String(Number(n.toPrecision(digits)));
}

const fmtP = (v: unknown) => {
  const n = numberOf(v);
  if (n === undefined || !Number.isFinite(n)) return fmt(v);
  return n < 1e-4 && n > 0 ? n.toExponential(1) : String(Number(n.toPrecision(3)));
};

/** Text and icon for a classification: colour is never the only sign. */
const MARKS: Record<string, { icon: string; tone: string }> = {
  Pass: { icon: '✔', tone: 'good' },
  pass: { icon: '✔', tone: 'good' },
  Marginal: { icon: '◐', tone: 'warn' },
  Inconclusive: { icon: '?', tone: 'warn' },
  inconclusive: { icon: '?', tone: 'warn' },
  Fail: { icon: '✖', tone: 'bad' },
  fail: { icon: '✖', tone: 'bad' },
  High: { icon: '▲', tone: 'bad' },
  Low: { icon: '▼', tone: 'bad' },
  Nodata: { icon: '∅', tone: 'neutral' },
  nodata: { icon: '∅', tone: 'neutral' },
  NodataFailMetric: { icon: '∅', tone: 'bad' },
  Error: { icon: '⚠', tone: 'bad' },
  running: { icon: '…', tone: 'neutral' },
  terminal: { icon: '⚠', tone: 'bad' },
  Canceled: { icon: '⊘', tone: 'neutral' },
  continue: { icon: '→', tone: 'neutral' },
};

export function badge(label: unknown, extra = ''): Raw {
  const text = String(label ?? 'unknown');
  const mark = Object.hasOwn(MARKS, text) ? MARKS[text] : { icon: '•', tone: 'neutral' };
  return html`<span class="badge ${mark.tone}${extra ? ` ${extra}` : ''}"><span aria-hidden="true">${mark.icon}</span> ${text}</span>`;
}

/** Values of one side as numbers, NaN for a missing point ("NaN" in JSON). */
function sideValues(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => numberOf(x) ?? NaN) : [];
}

const tagKey = (tags: unknown) => JSON.stringify(Object.entries(isObj(tags) ? tags : {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `latency` or `latency{pod="a"}`. */
function seriesLabel(name: unknown, tags: unknown): string {
  const entries = Object.entries(isObj(tags) ? tags : {});
  return entries.length > 0 ? `${String(name)}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : String(name);
}

/** Failing first (canaria-v1 decisions when present), then inconclusive, no data, passes; muted last. */
function metricRank(r: Obj): number {
  const decision = r.resultMetadata?.canaria?.decision;
  let rank: number;
  if (typeof decision === 'string') rank = { fail: 0, inconclusive: 2, nodata: 3, pass: 4 }[decision] ?? 1;
  else rank = { High: 0, Low: 0, NodataFailMetric: 0, Error: 1, Nodata: 3, Pass: 4 }[String(r.classification)] ?? 1;
  if (rank === 0 && r.critical) rank = -1;
  return r.muted ? 10 + rank : rank;
}

interface Quartiles {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  n: number;
}

/** Min, quartiles (linear interpolation, R type 7) and max of the real values. */
export function quartiles(values: readonly number[]): Quartiles | undefined {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const q = (p: number) => {
    const h = (xs.length - 1) * p;
    const lo = Math.floor(h);
    return xs[lo] + (h - lo) * ((xs[Math.min(lo + 1, xs.length - 1)] ?? xs[lo]) - xs[lo]);
  };
  return { min: xs[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: xs[xs.length - 1], n: xs.length };
}

/** A box per side on one scale, drawn as SVG, with the numbers as text beside it. */
function boxPlot(control: readonly number[], experiment: readonly number[], title: string): Raw {
  const sides = [
    { name: 'control', q: quartiles(control), cls: 'ctl' },
    { name: 'experiment', q: quartiles(experiment), cls: 'exp' },
  ];
  const present = sides.filter((s) => s.q);
  if (present.length === 0) return html`<p class="muted">No data on either side to draw.</p>`;
  const lo = Math.min(...present.map((s) => s.q!.min));
  const hi = Math.max(...present.map((s) => s.q!.max));
  const span = hi - lo || Math.abs(hi) || 1;
  const W = 300;
  const L = 78;
  const R = 10;
  const x = (v: number) => L + ((v - (hi === lo ? lo - span / 2 : lo)) / span) * (W - L - R);
  const rows = sides.map((s, i) => {
    const y = 14 + i * 30;
    if (!s.q) return html`<text x="4" y="${y + 4}" class="lbl">${s.name}</text><text x="${L}" y="${y + 4}" class="lbl">no data</text>`;
    const q = s.q;
    return html`<text x="4" y="${y + 4}" class="lbl">${s.name}</text>
<line x1="${x(q.min).toFixed(1)}" x2="${x(q.max).toFixed(1)}" y1="${y}" y2="${y}" class="whisker"/>
<line x1="${x(q.min).toFixed(1)}" x2="${x(q.min).toFixed(1)}" y1="${y - 6}" y2="${y + 6}" class="whisker"/>
<line x1="${x(q.max).toFixed(1)}" x2="${x(q.max).toFixed(1)}" y1="${y - 6}" y2="${y + 6}" class="whisker"/>
<rect x="${x(q.q1).toFixed(1)}" y="${y - 9}" width="${Math.max(1, x(q.q3) - x(q.q1)).toFixed(1)}" height="18" class="box ${s.cls}"/>
<line x1="${x(q.median).toFixed(1)}" x2="${x(q.median).toFixed(1)}" y1="${y - 9}" y2="${y + 9}" class="median"/>`;
  });
  const desc = sides.map((s) => (s.q ? `${s.name}: min ${fmt(s.q.min)}, quartiles ${fmt(s.q.q1)} / ${fmt(s.q.median)} / ${fmt(s.q.q3)}, max ${fmt(s.q.max)} (${s.q.n} points)` : `${s.name}: no data`)).join('; ');
  return html`<figure class="dist"><svg viewBox="0 0 ${W} 66" role="img" aria-label="${title}: ${desc}" preserveAspectRatio="xMinYMid meet">${rows}
<text x="${L}" y="64" class="tick">${fmt(lo)}</text><text x="${W - R}" y="64" class="tick" text-anchor="end">${fmt(hi)}</text></svg>
<figcaption>${desc}</figcaption></figure>`;
}

interface IntervalRow {
  label: string;
  lower?: number;
  upper?: number;
  estimate?: number;
  band?: [number, number];
  reference: number;
  bandLabel?: string;
}

/** An interval (whiskers) and estimate (dot) against the allowed band (shaded) and the no-change line. */
function intervalChart(row: IntervalRow): Raw {
  const finite = [row.lower, row.upper, row.estimate, row.reference, ...(row.band ?? [])].filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (finite.length === 0) return html``;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  lo -= pad;
  hi += pad;
  const W = 300;
  const x = (v: number) => (Number.isFinite(v) ? 10 + ((v - lo) / (hi - lo)) * (W - 20) : v > 0 ? W - 4 : 4);
  const parts: Raw[] = [];
  if (row.band) {
    const [a, b] = row.band;
    parts.push(html`<rect x="${x(a).toFixed(1)}" y="6" width="${Math.max(2, x(b) - x(a)).toFixed(1)}" height="28" class="band"/>`);
  }
  parts.push(html`<line x1="${x(row.reference).toFixed(1)}" x2="${x(row.reference).toFixed(1)}" y1="2" y2="38" class="ref"/>`);
  if (row.lower !== undefined && row.upper !== undefined && !Number.isNaN(row.lower) && !Number.isNaN(row.upper)) {
    const [a, b] = [x(row.lower), x(row.upper)];
    parts.push(html`<line x1="${a.toFixed(1)}" x2="${b.toFixed(1)}" y1="20" y2="20" class="ci"/><line x1="${a.toFixed(1)}" x2="${a.toFixed(1)}" y1="13" y2="27" class="ci"/><line x1="${b.toFixed(1)}" x2="${b.toFixed(1)}" y1="13" y2="27" class="ci"/>`);
  }
  if (row.estimate !== undefined && !Number.isNaN(row.estimate)) parts.push(html`<circle cx="${x(row.estimate).toFixed(1)}" cy="20" r="4" class="est"/>`);
  const hasInterval = row.lower !== undefined || row.upper !== undefined;
  const text = `${row.label}:${hasInterval ? ` interval ${fmt(row.lower)} … ${fmt(row.upper)}` : ''}${row.estimate !== undefined ? `${hasInterval ? ',' : ''} estimate ${fmt(row.estimate)}` : ''}${row.band ? `; ${row.bandLabel ?? 'allowed'} ${fmt(row.band[0])} … ${fmt(row.band[1])}` : ''}; no change at ${fmt(row.reference)}`;
  return html`<figure class="ci-fig"><svg viewBox="0 0 ${W} 52" role="img" aria-label="${text}" preserveAspectRatio="xMinYMid meet">${parts}
<text x="10" y="50" class="tick">${fmt(lo)}</text><text x="${W - 10}" y="50" class="tick" text-anchor="end">${fmt(hi)}</text></svg><figcaption>${text}</figcaption></figure>`;
}

/** The analysis configuration of a metric in the config (for Kayenta's allowed band). */
function metricConfig(config: unknown, name: string): Obj {
  const metrics = isObj(config) && Array.isArray(config.metrics) ? config.metrics : [];
  return metrics.find((m: Obj) => isObj(m) && m.name === name) ?? {};
}

function kayentaIntervals(r: Obj, cfg: Obj): Raw[] {
  const m = isObj(r.resultMetadata) ? r.resultMetadata : {};
  const level = numberOf(m.confidenceLevel);
  const effect = cfg.analysisConfigurations?.canary?.effectSize ?? {};
  const inc = numberOf(effect.allowedIncrease) ?? 1;
  const dec = numberOf(effect.allowedDecrease) ?? 1;
  const rows: Raw[] = [];
  if (m.lowerConfidence !== undefined || m.upperConfidence !== undefined) {
    rows.push(
      intervalChart({
        label: `${level !== undefined ? `${fmt(level * 100)}% ` : ''}interval of the shift (experiment − control, Mann–Whitney)`,
        lower: numberOf(m.lowerConfidence),
        upper: numberOf(m.upperConfidence),
        estimate: numberOf(m.estimate),
        reference: 0,
      }),
    );
  }
  if (m.ratio !== undefined) {
    rows.push(intervalChart({ label: 'mean ratio (experiment / control)', estimate: numberOf(m.ratio), band: [Math.min(dec, 1), Math.max(inc, 1)], bandLabel: 'allowed ratio', reference: 1 }));
  }
  return rows;
}

function canariaIntervals(c: Obj): Raw[] {
  const e = isObj(c.effect) ? c.effect : {};
  const on = c.margin?.onScale ?? {};
  const ratio = e.scale === 'ratio';
  const up = numberOf(on.increase) ?? 0;
  const down = numberOf(on.decrease) ?? 0;
  const band: [number, number] = ratio ? [Math.exp(-down), Math.exp(up)] : [-down, up];
  return [
    intervalChart({
      label: `${numberOf(e.level) !== undefined ? `${fmt(numberOf(e.level)! * 100)}% ` : ''}interval of the ${e.measure ?? 'effect'} (${ratio ? 'ratio' : 'difference'})`,
      lower: numberOf(e.lower),
      upper: numberOf(e.upper),
      estimate: numberOf(e.estimate),
      band,
      bandLabel: 'allowed (margin)',
      reference: ratio ? 1 : 0,
    }),
  ];
}

export interface ChartData {
  id: string;
  label: string;
  x: number[];
  control: Array<number | null>;
  experiment: Array<number | null>;
  aligned: boolean;
}

function chartData(id: string, label: string, pair: Obj | undefined): ChartData | undefined {
  if (!pair || !isObj(pair.values)) return undefined;
  const control = sideValues(pair.values.control);
  const experiment = sideValues(pair.values.experiment);
  const n = Math.max(control.length, experiment.length);
  const es = pair.scopes?.experiment ?? {};
  const cs = pair.scopes?.control ?? {};
  const start = numberOf(es.startTimeMillis) ?? numberOf(cs.startTimeMillis);
  const step = numberOf(es.stepMillis) ?? numberOf(cs.stepMillis);
  const x = Array.from({ length: n }, (_, i) => (start !== undefined && step !== undefined ? (start + i * step) / 1000 : i));
  const toNull = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    id,
    label,
    x,
    control: Array.from({ length: n }, (_, i) => toNull(control[i] ?? NaN)),
    experiment: Array.from({ length: n }, (_, i) => toNull(experiment[i] ?? NaN)),
    aligned: start === undefined || numberOf(cs.startTimeMillis) === numberOf(es.startTimeMillis),
  };
}

function pointsLine(side: string, values: readonly number[], stats: Obj | undefined): string {
  const total = values.length;
  const nan = values.filter((v) => !Number.isFinite(v)).length;
  const used = numberOf(stats?.count);
  const outliers = used !== undefined ? Math.max(0, total - nan - used) : undefined;
  return `${side}: ${total} points, ${nan} missing (NaN)${outliers !== undefined ? `, ${outliers} removed as outliers, ${used} used` : ''}`;
}

function queryOf(pair: Obj | undefined, side: 'control' | 'experiment'): string | undefined {
  const a = pair?.attributes;
  const q = a?.[side]?.query ?? a?.query;
  if (q === undefined) return undefined;
  return typeof q === 'string' ? q : JSON.stringify(q, null, 2);
}

function canariaBlock(c: Obj, shownReason?: unknown): Raw {
  const s = c.sample ?? {};
  const p = c.power ?? {};
  const t = c.test ?? {};
  const dq = c.dataQuality ?? {};
  const warnings: unknown[] = Array.isArray(dq.warnings) ? dq.warnings : [];
  const mde = numberOf(p.mde);
  const mdeText = mde === undefined || Number.isNaN(mde) ? '—' : p.mdeScale === 'ratio' ? `${mde >= 1 ? '+' : '−'}${fmt(Math.abs(mde - 1) * 100)}% (ratio ${fmt(mde)})` : fmt(mde);
  return html`<h4>canaria-v1</h4>
<dl class="kv">
<dt>Decision</dt><dd>${badge(c.decision)}</dd>
<dt>Kind</dt><dd>${c.kind}</dd>
<dt>Harm direction</dt><dd>${c.harm}</dd>
<dt>Test</dt><dd>${t.name} (α ${fmt(t.alpha)}, ${t.adjustment} adjustment)</dd>
<dt>p (adjusted)</dt><dd>${fmtP(t.pValueAdjusted)}</dd>
<dt>n / n<sub>eff</sub></dt><dd>${fmt(s.n)} / ${fmt(s.nEffective)}${s.lag1Autocorrelation !== undefined && s.lag1Autocorrelation !== null ? ` (lag-1 autocorrelation ${fmt(s.lag1Autocorrelation, 2)})` : ''}</dd>
<dt>MDE</dt><dd>${mdeText}${p.power !== undefined ? ` at power ${fmt(p.power)}` : ''}</dd>
<dt>Warm-up points excluded</dt><dd>${fmt(s.warmupPointsExcluded)}</dd>
<dt>Gaps (control / experiment)</dt><dd>${fmt(dq.gapsControl)} / ${fmt(dq.gapsExperiment)}</dd>
</dl>
${warnings.length > 0 ? html`<div class="warnings" role="note"><strong><span aria-hidden="true">⚠</span> Data-quality warnings</strong><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>` : html`<p class="muted">No data-quality warnings.</p>`}
${c.reason && c.reason !== shownReason ? html`<p class="reason">${c.reason}</p>` : ''}`;
}

function metricSection(r: Obj, i: number, pair: Obj | undefined, config: unknown, chart: ChartData | undefined): Raw {
  const label = seriesLabel(r.name, r.tags);
  const m = isObj(r.resultMetadata) ? r.resultMetadata : {};
  const c = isObj(m.canaria) ? m.canaria : undefined;
  const control = sideValues(pair?.values?.control);
  const experiment = sideValues(pair?.values?.experiment);
  const cs = r.controlMetadata?.stats ?? {};
  const es = r.experimentMetadata?.stats ?? {};
  const flags = [r.critical ? 'critical' : '', r.muted ? 'muted' : '', ...(Array.isArray(r.groups) ? r.groups.map((g: unknown) => `group ${String(g)}`) : [])].filter(Boolean);
  const pValue = c ? c.test?.pValue : m.pValue;
  const effect = c ? c.effect?.estimate : (m.effectSize ?? m.ratio);
  const effectLabel = c ? `${c.effect?.measure ?? 'effect'}` : m.effectSizeMeasure ?? 'mean ratio';
  const cq = queryOf(pair, 'control');
  const eq = queryOf(pair, 'experiment');
  return html`<section class="metric" id="metric-${i}" aria-labelledby="metric-${i}-h" data-classification="${r.classification}">
<h3 id="metric-${i}-h"><a href="#metric-${i}" class="anchor">${label}</a> ${badge(r.classification)}${c ? html` <span class="decision">decision: ${badge(c.decision)}</span>` : ''}</h3>
${flags.length > 0 ? html`<p class="flags">${flags.join(' · ')}</p>` : ''}
${r.classificationReason ? html`<p class="reason">${r.classificationReason}</p>` : ''}
<h4>Time series</h4>
${
  chart
    ? html`<div class="legend" aria-hidden="true"><span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" class="ln ctl"/></svg> control (solid)</span><span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" class="ln exp"/></svg> experiment (dashed)</span></div>
<div class="chart" data-chart="${chart.id}" role="img" aria-label="Time series of ${label}: control and experiment"></div>
${chart.aligned ? '' : html`<p class="muted">The sides start at different times; control is drawn on the experiment's timeline, point by point, as the judge pairs them.</p>`}`
    : html`<p class="muted">No metric set pair for this metric.</p>`
}
<div class="grid2">
<div><h4>Distribution</h4>${boxPlot(control, experiment, `Distribution of ${label}`)}
<div class="scroll"><table class="stats"><caption class="sr">Summary statistics per side</caption><thead><tr><th scope="col">side</th><th scope="col">count</th><th scope="col">mean</th><th scope="col">min</th><th scope="col">max</th></tr></thead>
<tbody><tr><th scope="row">control</th><td>${fmt(cs.count)}</td><td>${fmt(cs.mean)}</td><td>${fmt(cs.min)}</td><td>${fmt(cs.max)}</td></tr>
<tr><th scope="row">experiment</th><td>${fmt(es.count)}</td><td>${fmt(es.mean)}</td><td>${fmt(es.min)}</td><td>${fmt(es.max)}</td></tr></tbody></table></div></div>
<div><h4>Interval against the allowed band</h4>${c ? canariaIntervals(c) : kayentaIntervals(r, metricConfig(config, String(r.name)))}
<dl class="kv"><dt>p-value</dt><dd>${fmtP(pValue)}</dd><dt>Effect size (${effectLabel})</dt><dd>${fmt(effect)}</dd>
<dt>Points used / removed</dt><dd>${pair ? html`${pointsLine('control', control, cs)}<br>${pointsLine('experiment', experiment, es)}` : '—'}</dd></dl></div>
</div>
${c ? canariaBlock(c, r.classificationReason) : ''}
<details class="queries"><summary>Rendered queries</summary>
<h5>control</h5><pre><code>${cq ?? 'not recorded'}</code></pre>
<h5>experiment</h5><pre><code>${eq ?? 'not recorded'}</code></pre>
${pair?.attributes?.pairing ? html`<p class="muted">Pairing: ${String(pair.attributes.pairing)}</p>` : ''}
</details>
</section>`;
}

function scopesTable(request: Obj): Raw {
  const scopes = isObj(request.scopes) ? request.scopes : {};
  const rows = Object.entries(scopes).flatMap(([name, pair]) =>
    (['control', 'experiment'] as const).map((side) => {
      const s: Obj = (isObj(pair) && pair[`${side}Scope`]) || {};
      return html`<tr><th scope="row">${name}</th><td>${side}</td><td><code>${s.scope ?? ''}</code></td><td>${s.location ?? ''}</td><td>${s.start ?? ''}</td><td>${s.end ?? ''}</td><td>${s.step ?? ''}</td></tr>`;
    }),
  );
  if (rows.length === 0) return html``;
  return html`<div class="scroll"><table><caption>Window and scopes</caption><thead><tr><th scope="col">scope</th><th scope="col">side</th><th scope="col">scope</th><th scope="col">location</th><th scope="col">start</th><th scope="col">end</th><th scope="col">step (s)</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Results matched to their pairs: by id, else by name and tags. */
function pairFor(r: Obj, pairs: readonly Obj[]): Obj | undefined {
  if (r.id !== undefined) {
    const byId = pairs.find((p) => p.id === r.id);
    if (byId) return byId;
  }
  return pairs.find((p) => p.name === r.name && tagKey(p.tags) === tagKey(r.tags)) ?? pairs.find((p) => p.name === r.name);
}

/** A judge result's metrics: the contents list, a section each (failing first) and their charts' data. */
export function metricParts(judge: Obj | undefined, pairs: readonly unknown[] | undefined, config: unknown): { count: number; nav: Raw; sections: Raw[]; charts: ChartData[] } {
  const results: Obj[] = judge && Array.isArray(judge.results) ? judge.results.filter(isObj) : [];
  const pairObjs = (pairs ?? []).filter(isObj);
  const order = results.map((r, i) => ({ r, i })).sort((a, b) => metricRank(a.r) - metricRank(b.r) || a.i - b.i);
  const charts: ChartData[] = [];
  const sections = order.map(({ r }, k) => {
    const pair = pairFor(r, pairObjs);
    const chart = chartData(`c${k}`, seriesLabel(r.name, r.tags), pair);
    if (chart) charts.push(chart);
    return metricSection(r, k, pair, config, chart);
  });
  const nav = html`<nav aria-label="Metrics"><h2>Contents</h2><ol>${order.map(({ r }, k) => html`<li><a href="#metric-${k}">${seriesLabel(r.name, r.tags)}</a> ${badge(r.classification, 'small')}</li>`)}</ol></nav>`;
  return { count: results.length, nav, sections, charts };
}

/** The whole page around `body`: the CSP, the stylesheets, the footer, uPlot and the script that draws `charts`. */
export function pageDocument(title: string, body: Raw, charts: readonly ChartData[]): string {
  const assets = chartAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${pageCsp("'none'")}">
<title>${html`${title}`}</title>
<style>${assets.css}</style>
<style>${PAGE_CSS}</style>
</head><body>
${body}
${html`<footer><p>Generated by canaria. ${assets.js ? html`Charts drawn with uPlot ${assets.version} (MIT licence, © Leon Sorokin, https://github.com/leeoniya/uPlot), bundled in this page.` : 'Charts unavailable: uPlot was not bundled with this canaria.'}</p></footer>`}
<script type="application/json" id="report-data">${jsonForScript({ charts })}</script>
${assets.js ? raw(`<script>/* uPlot ${assets.version} | MIT licence | (c) Leon Sorokin | https://github.com/leeoniya/uPlot */\n${assets.js}</script>`) : ''}
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}

export function renderReport(input: ReportInput): string {
  const s: Obj = input.status;
  const judge: Obj | undefined = isObj(s.result) && isObj(s.result.judgeResult) ? s.result.judgeResult : undefined;
  const request: Obj = isObj(s.canaryExecutionRequest) ? s.canaryExecutionRequest : {};
  const config: Obj = isObj(s.config) ? s.config : {};
  const thresholds: Obj = isObj(request.thresholds) ? request.thresholds : {};
  const id = String(s.pipelineId ?? '');
  const verdict = judge ? String(judge.score?.classification ?? 'unknown') : String(s.status ?? 'unknown');
  const metrics = metricParts(judge, input.pairs, config);
  const shadows: Obj[] = judge && Array.isArray(judge.shadowJudgeResults) ? judge.shadowJudgeResults.filter(isObj) : [];
  const groups: Obj[] = judge && Array.isArray(judge.groupScores) ? judge.groupScores.filter(isObj) : [];
  const title = `${verdict} · canary ${config.name ?? s.canaryConfigId ?? ''} · ${id}`;

  const body = html`<header class="top">
<p class="brand">canaria · canary report</p>
<h1>${badge(verdict, 'big')} <span class="sr">Verdict:</span> <span id="verdict">${verdict}</span></h1>
${judge ? html`<p class="score">Score <strong id="score">${fmt(judge.score?.score)}</strong> (pass ≥ ${fmt(thresholds.pass)}, marginal ≥ ${fmt(thresholds.marginal)})${judge.score?.uncappedScore !== undefined ? html`; ${fmt(judge.score.uncappedScore)} before strict capped it` : ''}</p>
${judge.score?.classificationReason ? html`<p class="reason">${judge.score.classificationReason}</p>` : ''}` : ''}
${s.status === 'terminal' ? html`<p class="reason" role="alert"><span aria-hidden="true">⚠</span> The analysis failed${s.exception?.operation ? ` in ${String(s.exception.operation)}` : ''}: ${s.exception?.details?.error ?? s.exception?.message ?? 'no reason recorded'}</p>` : ''}
${s.status === 'running' ? html`<p class="reason">The analysis is still running; reload for the verdict.</p>` : ''}
</header>
<main>
${metrics.nav}
<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>
<dl class="kv">
<dt>Execution</dt><dd><code>${id}</code></dd>
<dt>Status</dt><dd>${s.status}</dd>
<dt>Judge</dt><dd id="judge">${judge?.judgeName ?? request.judge ?? config.judge?.name ?? '—'}</dd>
<dt>Config</dt><dd>${config.name ?? '—'} (<code>${s.canaryConfigId ?? '—'}</code>)</dd>
<dt>Application</dt><dd>${s.application ?? '—'}</dd>
<dt>Started</dt><dd>${s.startTimeIso ?? s.buildTimeIso ?? '—'}</dd>
<dt>Ended</dt><dd>${s.endTimeIso ?? '—'}</dd>
<dt>Duration analysed</dt><dd>${isObj(s.result) ? (s.result.canaryDuration ?? '—') : '—'}</dd>
<dt>Metrics account</dt><dd>${s.metricsAccountName ?? 'default'}</dd>
${request.strict ? html`<dt>Strict</dt><dd>yes</dd>` : ''}
</dl>
${scopesTable(request)}
${groups.length > 0 ? html`<div class="scroll"><table><caption>Group scores</caption><thead><tr><th scope="col">group</th><th scope="col">score</th><th scope="col">classification</th><th scope="col">reason</th></tr></thead><tbody>${groups.map((g) => html`<tr><th scope="row">${g.name}</th><td>${fmt(g.score)}</td><td>${g.classification ? badge(g.classification, 'small') : '—'}</td><td>${g.classificationReason}</td></tr>`)}</tbody></table></div>` : ''}
${shadows.length > 0 ? html`<div class="scroll"><table><caption>Shadow judges (same pairs; not the verdict)</caption><thead><tr><th scope="col">judge</th><th scope="col">score</th><th scope="col">classification</th><th scope="col">reason</th></tr></thead><tbody>${shadows.map((sh) => html`<tr><th scope="row">${sh.judgeName}</th><td>${fmt(sh.score?.score)}</td><td>${sh.error ? badge('Error', 'small') : badge(sh.score?.classification, 'small')}</td><td>${sh.error ?? sh.score?.classificationReason ?? ''}</td></tr>`)}</tbody></table></div>` : ''}
${Array.isArray(judge?.dataGaps) && judge.dataGaps.length > 0 ? html`<div class="warnings" role="note"><strong><span aria-hidden="true">⚠</span> Data gaps</strong><ul>${judge.dataGaps.filter(isObj).map((g: Obj) => html`<li>${seriesLabel(g.metric, g.tags)}: control ${fmt(g.control)}, experiment ${fmt(g.experiment)} real points</li>`)}</ul></div>` : ''}
</section>
<section aria-labelledby="metrics-h"><h2 id="metrics-h">Metrics (${metrics.count}), failing first</h2>
${metrics.sections.length > 0 ? metrics.sections : html`<p class="muted">No metric results${judge ? '' : ': the execution has no judge result'}.</p>`}
</section>
</main>`;

  return pageDocument(title, body, metrics.charts);
}

/** Draws each chart from the JSON data block; sets data-series-drawn to the series with points. */
const CHART_SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var made = [];
  function fmtTime(ts) { return new Date(ts * 1000).toISOString().slice(11, 16); }
  data.charts.forEach(function (c) {
    var el = document.querySelector('[data-chart="' + c.id + '"]');
    if (!el) return;
    if (typeof uPlot !== 'function') { el.textContent = 'Chart library unavailable.'; return; }
    var drawn = [c.control, c.experiment].filter(function (s) { return s.some(function (v) { return v !== null; }); }).length;
    var opts = {
      width: Math.max(200, el.clientWidth), height: el.clientHeight || 220,
      legend: { show: false },
      scales: { x: { time: c.x.length > 1 && c.x[0] > 1e8 } },
      series: [
        {},
        { label: 'control', stroke: '#1f6fb4', width: 2, spanGaps: false },
        { label: 'experiment', stroke: '#c0560a', width: 2, dash: [6, 4], spanGaps: false }
      ],
      axes: [{ stroke: '#555' }, { stroke: '#555', size: 60 }]
    };
    var u = new uPlot(opts, [c.x, c.control, c.experiment], el);
    el.setAttribute('data-series-drawn', String(drawn));
    el.setAttribute('data-series', String(u.series.length - 1));
    made.push({ u: u, el: el });
  });
  var pending = 0;
  function resize() { made.forEach(function (m) { m.u.setSize({ width: Math.max(200, m.el.clientWidth), height: m.el.clientHeight || 220 }); }); }
  window.addEventListener('resize', function () { cancelAnimationFrame(pending); pending = requestAnimationFrame(resize); });
  document.documentElement.setAttribute('data-charts-ready', String(made.length));
})();`;
