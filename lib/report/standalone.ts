// The report page of a standalone run: a pure view over the status document
// GET /standalone_canary_analysis/{id} serves (lib/analysis/standalone-status.ts) and the metric
// set pairs of its latest judged look. The run's verdict and settings, a row and a chart point per
// look (each look's own report linked), and that look's metrics as the execution report shows them.
import { lookWindow } from '../analysis/standalone.ts';
import { intervalMinutes, lifetimeMinutes, type StandaloneRequest } from '../config/standalone-request.ts';
import { instantString } from '../metrics/types.ts';
import { html, type Raw } from './escape.ts';
import { badge, fmt, isObj, metricParts, numberOf, pageDocument, type Obj } from './render.ts';

export interface StandaloneReportInput {
  /** The status document of GET /standalone_canary_analysis/{id}. */
  status: Record<string, unknown>;
  /** The metric set pairs of the latest judged look (latestJudgedLook), when it has them. */
  pairs?: readonly unknown[];
  /** The URL of a look's report; default relative to /standalone_canary_analysis/{id}/report. */
  lookHref?: (executionId: string) => string;
}

const looksOf = (s: Obj): Obj[] => (Array.isArray(s.canaryAnalysisExecutionResult?.canaryExecutionResults) ? s.canaryAnalysisExecutionResult.canaryExecutionResults.filter(isObj) : []);

/** The last look with a judge result: the one whose metrics the page shows. */
export function latestJudgedLook(status: Record<string, unknown>): Obj | undefined {
  return looksOf(status).findLast((l) => isObj(l.result?.judgeResult));
}

/** From the run's page (…/standalone_canary_analysis/{id}/report) to …/canary/{executionId}/report, under any path prefix. */
const relativeLookHref = (executionId: string) => `../../canary/${encodeURIComponent(executionId)}/report`;

/** Each look's window, as the run computes it (lib/analysis/standalone.ts lookWindow) from its analysis start. */
function windowOf(s: Obj, index: number): { start: string; end: string } | undefined {
  const request = s.canaryAnalysisExecutionRequest;
  const start = typeof s.canaria?.analysisStartIso === 'string' ? Date.parse(s.canaria.analysisStartIso) : NaN;
  if (!Array.isArray(request?.scopes) || lifetimeMinutes(request) === undefined || !Number.isFinite(start)) return undefined;
  const w = lookWindow(request as StandaloneRequest, start, index);
  return Number.isFinite(w.start) && Number.isFinite(w.end) ? { start: instantString(w.start), end: instantString(w.end) } : undefined;
}

/** The run's verdict in one word: Pass, Marginal, Inconclusive, Fail, Error (no verdict), Canceled or running. */
function verdictOf(s: Obj, looks: Obj[]): string {
  if (s.status === 'running') return 'running';
  if (s.status === 'canceled') return 'Canceled';
  if (s.canaryAnalysisExecutionResult?.didPassThresholds === true) return 'Pass';
  if (s.canaria?.sequence?.decision === 'inconclusive') return 'Inconclusive';
  if (s.status === 'succeeded') return 'Marginal';
  return looks.at(-1)?.executionStatus === 'SUCCEEDED' ? 'Fail' : 'Error';
}

const lookClassification = (l: Obj): string => (isObj(l.result?.judgeResult) ? String(l.result.judgeResult.score?.classification ?? 'unknown') : 'Error');

const SCORE_SHAPES: Record<string, string> = { Pass: 'circle', Marginal: 'square', Inconclusive: 'square', Fail: 'cross' };

/** Score per look (0–100) against the pass and marginal lines: shapes and labels as well as colour. */
function scoreChart(looks: Obj[], planned: number, thresholds: Obj): Raw {
  const W = 420;
  const H = 200;
  const L = 28;
  const R = 84;
  const T = 8;
  const B = 28;
  const n = Math.max(planned, looks.length, 1);
  const x = (i: number) => L + ((i - 0.5) / n) * (W - L - R);
  const y = (score: number) => T + ((100 - Math.min(100, Math.max(0, score))) / 100) * (H - T - B);
  const scored = looks.map((l, k) => ({ index: numberOf(l.canaria?.look) ?? k + 1, score: numberOf(l.result?.judgeResult?.score?.score), classification: lookClassification(l) }));
  const points = scored.filter((p): p is typeof p & { score: number } => p.score !== undefined && Number.isFinite(p.score));
  const pass = numberOf(thresholds.pass);
  const marginal = numberOf(thresholds.marginal);
  const lines = [
    { name: 'pass', value: pass },
    { name: 'marginal', value: marginal },
  ].filter((t): t is typeof t & { value: number } => t.value !== undefined);
  // labels at least 12 units apart when the two lines are close
  const labelY = lines.map((t) => y(t.value));
  if (labelY.length === 2 && Math.abs(labelY[0] - labelY[1]) < 12) labelY[1] = labelY[0] + 12;
  const every = Math.ceil(n / 20);
  const ticks = Array.from({ length: n }, (_, k) => k + 1).filter((i) => i === 1 || i === n || i % every === 0);
  const marker = (p: (typeof points)[number]) => {
    const cx = x(p.index);
    const cy = y(p.score);
    const shape = SCORE_SHAPES[p.classification] ?? 'circle';
    const tone = { Pass: 'good', Fail: 'bad' }[p.classification] ?? 'warn';
    const drawn =
      shape === 'square'
        ? html`<rect x="${(cx - 4.5).toFixed(1)}" y="${(cy - 4.5).toFixed(1)}" width="9" height="9"/>`
        : shape === 'cross'
          ? html`<path d="M${(cx - 4.5).toFixed(1)} ${(cy - 4.5).toFixed(1)}l9 9m0 -9l-9 9"/>`
          : html`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5"/>`;
    return html`<g class="pt ${tone}" data-look="${p.index}"><title>Look ${p.index}: score ${fmt(p.score)}, ${p.classification}</title>${drawn}</g>`;
  };
  const desc = [
    ...scored.map((p) => (p.score !== undefined ? `look ${p.index}: ${fmt(p.score)} (${p.classification})` : `look ${p.index}: no score`)),
    ...lines.map((t) => `${t.name} threshold ${fmt(t.value)}`),
  ].join('; ');
  return html`<div class="legend score-legend" aria-hidden="true"><span><svg width="12" height="12"><circle cx="6" cy="6" r="5" class="good"/></svg> Pass</span><span><svg width="12" height="12"><rect x="1" y="1" width="10" height="10" class="warn"/></svg> Marginal / inconclusive</span><span><svg width="12" height="12"><path d="M1 1l10 10m0 -10l-10 10" class="bad"/></svg> Fail</span><span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" class="threshold pass"/></svg> pass threshold</span><span><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" class="threshold marginal"/></svg> marginal threshold</span></div>
<figure class="scores" id="score-chart" data-points="${points.length}"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Score per look. ${desc}" preserveAspectRatio="xMinYMid meet">
${[0, 50, 100].map((v) => html`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${L - 4}" y="${(y(v) + 3).toFixed(1)}" class="tick" text-anchor="end">${v}</text>`)}
${lines.map((t, k) => html`<line x1="${L}" x2="${W - R}" y1="${y(t.value).toFixed(1)}" y2="${y(t.value).toFixed(1)}" class="threshold ${t.name}"/><text x="${W - R + 4}" y="${(labelY[k] + 3).toFixed(1)}" class="lbl">${t.name} ${fmt(t.value)}</text>`)}
${points.length > 1 ? html`<polyline points="${points.map((p) => `${x(p.index).toFixed(1)},${y(p.score).toFixed(1)}`).join(' ')}" class="score-line"/>` : ''}
${points.map(marker)}
${ticks.map((i) => html`<text x="${x(i).toFixed(1)}" y="${H - B + 14}" class="tick" text-anchor="middle">${i}</text>`)}
<text x="${(L + W - R) / 2}" y="${H - 2}" class="tick" text-anchor="middle">look</text>
</svg>
<figcaption>Score per look: ${desc}.</figcaption></figure>`;
}

function lookRows(s: Obj, looks: Obj[], sequential: boolean, href: (id: string) => string): Raw {
  const rows = looks.map((l, k) => {
    const index = numberOf(l.canaria?.look) ?? k + 1;
    const w = windowOf(s, index);
    const judge = isObj(l.result?.judgeResult) ? l.result.judgeResult : undefined;
    const id = String(l.executionId ?? '');
    const problem = l.exception?.details?.error ?? l.exception?.message;
    return html`<tr data-look="${index}"><th scope="row">${index}</th><td>${w ? html`<time>${w.start}</time> – <time>${w.end}</time>` : '—'}</td><td class="num">${fmt(judge?.score?.score)}</td>
<td>${badge(lookClassification(l), 'small')}${judge?.score?.classificationReason ? html`<br><span class="muted">${judge.score.classificationReason}</span>` : ''}${problem ? html`<br><span>${problem}</span>` : ''}</td>
${sequential ? html`<td>${l.canaria?.decision ? badge(l.canaria.decision, 'small') : '—'}</td>` : ''}
<td>${id ? html`<a href="${href(id)}" class="look-report" aria-label="Report of look ${index} (execution ${id})">look ${index} report</a>` : '—'}</td></tr>`;
  });
  return html`<div class="scroll"><table id="looks-table"><caption>Looks, in order</caption><thead><tr><th scope="col">look</th><th scope="col">window</th><th scope="col">score</th><th scope="col">result</th>${sequential ? html`<th scope="col">sequence</th>` : ''}<th scope="col">report</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function scopesTable(request: Obj): Raw {
  const scopes: Obj[] = Array.isArray(request.scopes) ? request.scopes.filter(isObj) : [];
  if (scopes.length === 0) return html``;
  return html`<div class="scroll"><table><caption>Scopes</caption><thead><tr><th scope="col">scope</th><th scope="col">control</th><th scope="col">experiment</th><th scope="col">control offset (min)</th><th scope="col">step (s)</th><th scope="col">start</th><th scope="col">end</th></tr></thead>
<tbody>${scopes.map((sc) => html`<tr><th scope="row">${sc.scopeName}</th><td><code>${sc.controlScope}</code>${sc.controlLocation ? html` (${sc.controlLocation})` : ''}</td><td><code>${sc.experimentScope}</code>${sc.experimentLocation ? html` (${sc.experimentLocation})` : ''}</td><td>${fmt(sc.controlOffsetInMinutes)}</td><td>${fmt(sc.step)}</td><td>${sc.startTimeIso ?? '—'}</td><td>${sc.endTimeIso ?? '—'}</td></tr>`)}</tbody></table></div>`;
}

/** Lifetime, interval and window kind, in words. */
function timing(request: Obj): Raw {
  const lifetime = isObj(request) && Array.isArray(request.scopes) && isObj(request.scopes[0]) ? lifetimeMinutes(request as StandaloneRequest) : undefined;
  if (lifetime === undefined) return html`<dt>Lifetime</dt><dd>—</dd>`;
  const lookback = numberOf(request.lookbackMins) ?? 0;
  const begin = numberOf(request.beginAfterMins) ?? 0;
  const past = typeof request.scopes[0].endTimeIso === 'string';
  return html`<dt>Lifetime</dt><dd id="lifetime">${lifetime} min${past ? ' (an analysis of the past: the first scope\'s start to end)' : ''}</dd>
<dt>Interval</dt><dd id="interval">${intervalMinutes(request as StandaloneRequest, lifetime)} min</dd>
<dt>Window</dt><dd>${lookback > 0 ? `sliding: each look's last ${lookback} min` : 'growing: each look from the start'}${begin > 0 && !past ? `; begins after ${begin} min` : ''}</dd>`;
}

export function renderStandaloneReport(input: StandaloneReportInput): string {
  const s: Obj = input.status;
  const result: Obj = isObj(s.canaryAnalysisExecutionResult) ? s.canaryAnalysisExecutionResult : {};
  const request: Obj = isObj(s.canaryAnalysisExecutionRequest) ? s.canaryAnalysisExecutionRequest : {};
  const config: Obj = isObj(s.canaryConfig) ? s.canaryConfig : {};
  const canaria: Obj = isObj(s.canaria) ? s.canaria : {};
  const thresholds: Obj = isObj(request.thresholds) ? request.thresholds : {};
  const looks = looksOf(s);
  const sequential = isObj(canaria.sequence);
  const id = String(s.pipelineId ?? '');
  const verdict = verdictOf(s, looks);
  const href = input.lookHref ?? relativeLookHref;
  const latest = latestJudgedLook(s);
  const latestIndex = latest ? (numberOf(latest.canaria?.look) ?? looks.indexOf(latest) + 1) : undefined;
  const metrics = metricParts(latest?.result?.judgeResult, latest ? input.pairs : undefined, config);
  const exception = s.exception?.details?.error ?? s.exception?.details?.errors?.[0] ?? s.exception?.message;
  const title = `${verdict} · standalone canary ${config.name ?? s.canaryConfigId ?? ''} · ${id}`;

  const body = html`<header class="top">
<p class="brand">canaria · standalone canary analysis report</p>
<h1>${badge(verdict, 'big')} <span class="sr">Verdict:</span> <span id="verdict">${verdict}</span></h1>
<p class="score">Passed thresholds: <strong id="did-pass">${result.didPassThresholds === true ? 'yes' : 'no'}</strong> · ${looks.length} of ${fmt(canaria.plannedLooks)} planned looks done · ${s.executionStatus ?? s.status}</p>
${result.canaryScoreMessage ? html`<p class="reason" id="message">${result.canaryScoreMessage}</p>` : ''}
${exception && s.status === 'terminal' ? html`<p class="reason" role="alert"><span aria-hidden="true">⚠</span> ${exception}</p>` : ''}
${s.status === 'running' ? html`<p class="reason">The run is still going on; reload for later looks.</p>` : ''}
</header>
<main>
<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>
<dl class="kv">
<dt>Run</dt><dd><code>${id}</code></dd>
<dt>Status</dt><dd id="status">${s.executionStatus ?? s.status}</dd>
<dt>Judge</dt><dd id="judge">${canaria.judge ?? request.judge ?? config.judge?.name ?? '—'}</dd>
<dt>Looks</dt><dd id="looks">${looks.length} done of ${fmt(canaria.plannedLooks)} planned</dd>
${sequential ? html`<dt>Sequence decision</dt><dd id="sequence">${canaria.sequence.decision ? badge(canaria.sequence.decision, 'small') : '—'}${canaria.sequence.stoppedAtLook ? ` stopped at look ${canaria.sequence.stoppedAtLook}` : ' not stopped'}</dd>` : ''}
<dt>Thresholds</dt><dd>pass ${fmt(thresholds.pass)}, marginal ${fmt(thresholds.marginal)}</dd>
${timing(request)}
<dt>Config</dt><dd>${config.name ?? '—'} (<code>${s.canaryConfigId ?? 'ad hoc'}</code>)</dd>
<dt>Application</dt><dd>${s.application ?? '—'}${s.user ? ` (started by ${String(s.user)})` : ''}</dd>
<dt>Started</dt><dd>${s.startTimeIso ?? s.buildTimeIso ?? '—'}</dd>
<dt>Ended</dt><dd>${s.endTimeIso ?? '—'}</dd>
<dt>Metrics account</dt><dd>${s.metricsAccountName ?? 'default'}</dd>
${request.strict ? html`<dt>Strict</dt><dd>yes</dd>` : ''}
</dl>
${scopesTable(request)}
</section>
<section aria-labelledby="looks-h"><h2 id="looks-h">Looks (${looks.length} of ${fmt(canaria.plannedLooks)})</h2>
${looks.length > 0 ? html`${scoreChart(looks, numberOf(canaria.plannedLooks) ?? looks.length, thresholds)}${lookRows(s, looks, sequential, href)}` : html`<p class="muted">No look has ended yet.</p>`}
</section>
<section aria-labelledby="metrics-h"><h2 id="metrics-h">${latest ? html`Metrics of look ${latestIndex}, the latest judged (${metrics.count}), failing first` : 'Metrics'}</h2>
${latest ? html`<p>The whole report of this look: <a href="${href(String(latest.executionId))}">look ${latestIndex} report</a>.</p>${metrics.nav}${metrics.sections}` : html`<p class="muted">No look has a judge result yet.</p>`}
</section>
</main>`;

  return pageDocument(title, body, metrics.charts);
}
