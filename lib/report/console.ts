// GET /: a small console, static HTML with inline script, holding no data and no secret. It
// uses the API as any client does (fetch() to the same origin): recent executions with links to
// their reports, stored configs (view, download JSON), and a preview form (POST /v1/preview).
// With auth on, the person types an API key; it stays in sessionStorage and goes out as
// "Authorization: Bearer KEY" on the page's own requests.
import { pageCsp } from './csp.ts';
import { PAGE_CSS } from './style.ts';

export function renderConsole(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${pageCsp("'self'")}">
<title>canaria console</title>
<style>${PAGE_CSS}
.cfg-json { max-height: 24em; overflow: auto; }
#executions-table td, #configs-table td { font-size: 14px; }
</style>
</head><body>
<header class="top"><p class="brand">canaria</p><h1>Console</h1>
<p class="muted">Read-only, plus preview. It calls canaria's API from this page with the key below, if any.</p></header>
<main>
<section aria-labelledby="key-h"><h2 id="key-h">API key</h2>
<form id="key-form" autocomplete="off">
<label for="api-key">API key (only when the service requires one; kept in this tab's session storage)</label>
<input type="password" id="api-key" name="api-key" spellcheck="false">
<button type="submit">Use key</button><button type="button" id="forget-key">Forget key</button>
<p class="status-line muted" id="key-status" role="status"></p>
</form></section>

<section aria-labelledby="exec-h"><h2 id="exec-h">Recent executions</h2>
<button type="button" id="reload">Reload</button>
<p class="status-line" id="executions-status" role="status">Loading…</p>
<div class="scroll"><table id="executions-table"><caption class="sr">Recent executions, newest first</caption>
<thead><tr><th scope="col">started</th><th scope="col">status</th><th scope="col">verdict</th><th scope="col">score</th><th scope="col">config</th><th scope="col">report</th></tr></thead>
<tbody></tbody></table></div></section>

<section aria-labelledby="cfg-h"><h2 id="cfg-h">Stored configs</h2>
<p class="status-line" id="configs-status" role="status">Loading…</p>
<div class="scroll"><table id="configs-table"><caption class="sr">Stored canary configs</caption>
<thead><tr><th scope="col">name</th><th scope="col">applications</th><th scope="col">updated</th><th scope="col">actions</th></tr></thead>
<tbody></tbody></table></div>
<div id="config-view" hidden><h3 id="config-view-h">Config</h3><pre class="cfg-json" tabindex="0"><code id="config-json"></code></pre></div>
</section>

<section aria-labelledby="preview-h"><h2 id="preview-h">Preview queries</h2>
<form id="preview-form">
<label for="preview-config">Stored config</label>
<select id="preview-config" name="config"></select>
<label for="preview-control">Control scope</label><input type="text" id="preview-control" value='version="baseline"' spellcheck="false">
<label for="preview-experiment">Experiment scope</label><input type="text" id="preview-experiment" value='version="canary"' spellcheck="false">
<label for="preview-start">Start (ISO-8601; empty: the last hour)</label><input type="text" id="preview-start" spellcheck="false">
<label for="preview-end">End (ISO-8601)</label><input type="text" id="preview-end" spellcheck="false">
<label for="preview-step">Step (seconds)</label><input type="text" id="preview-step" value="60" inputmode="numeric">
<label for="preview-account">Metrics account (optional)</label><input type="text" id="preview-account" spellcheck="false">
<button type="submit">Preview</button>
</form>
<p class="status-line" id="preview-status" role="status"></p>
<div id="preview-result"></div>
</section>
</main>
<footer><p>canaria console. The report of an execution is at /canary/ID/report, of a standalone run at /standalone_canary_analysis/ID/report; the API is described at /openapi.json.</p></footer>
<script>${CONSOLE_SCRIPT}</script>
</body></html>
`;
}

const CONSOLE_SCRIPT = `(function () {
  'use strict';
  var KEY = 'canaria.apiKey';
  var base = location.pathname.replace(/\\/+$/, '');
  function key() { try { return sessionStorage.getItem(KEY) || ''; } catch (e) { return ''; } }
  function headers(extra) {
    var h = Object.assign({ accept: 'application/json' }, extra || {});
    if (key()) h.authorization = 'Bearer ' + key();
    return h;
  }
  function api(method, path, body) {
    var init = { method: method, headers: headers(body ? { 'content-type': 'application/json' } : null) };
    if (body) init.body = JSON.stringify(body);
    return fetch(base + path, init).then(function (res) {
      return res.text().then(function (text) {
        var json; try { json = JSON.parse(text); } catch (e) { json = undefined; }
        if (!res.ok) {
          var msg = (json && json.message) || ('HTTP ' + res.status);
          if (res.status === 401) msg += ' (enter an API key above)';
          throw new Error(msg);
        }
        return json;
      });
    });
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  var ICONS = { Pass: '✔', Marginal: '◐', Fail: '✖', Inconclusive: '?', succeeded: '✔', running: '…', terminal: '⚠' };
  var TONES = { Pass: 'good', succeeded: 'good', Marginal: 'warn', Inconclusive: 'warn', Fail: 'bad', terminal: 'bad' };
  function badge(text) { return el('span', { 'class': 'badge small ' + (TONES[text] || 'neutral') }, [el('span', { 'aria-hidden': 'true', text: ICONS[text] || '•' }), ' ' + text]); }
  function say(id, text, bad) { var s = document.getElementById(id); s.textContent = text; s.className = 'status-line' + (bad ? ' bad' : ''); }

  function openReport(path, ev) {
    if (!key()) return; // a plain link works without auth
    ev.preventDefault();
    fetch(base + path, { headers: headers({ accept: 'text/html' }) })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.blob(); })
      .then(function (blob) { window.open(URL.createObjectURL(blob), '_blank', 'noopener'); })
      .catch(function (e) { say('executions-status', 'Report: ' + e.message, true); });
  }

  function loadExecutions() {
    say('executions-status', 'Loading…');
    api('GET', '/canary/executions?limit=50').then(function (list) {
      var body = document.querySelector('#executions-table tbody');
      body.textContent = '';
      list.forEach(function (x) {
        var judge = x.result && x.result.judgeResult;
        var verdict = judge ? judge.score.classification : '';
        function reportLink(path, cls, text, label) {
          var a = el('a', { href: base + path, 'class': cls, text: text, 'aria-label': label });
          a.addEventListener('click', function (ev) { openReport(path, ev); });
          return a;
        }
        var name = (x.config && x.config.name) || x.canaryConfigId;
        var links = [reportLink('/canary/' + encodeURIComponent(x.pipelineId) + '/report', 'report-link', 'report', 'Report of ' + name + ', execution ' + x.pipelineId)];
        // a look of a standalone run (id {run id}-{i}[-{attempt}]): its run's report too
        var run = x.parentPipelineExecutionId;
        if (run && x.pipelineId.indexOf(run + '-') === 0) links.push(' · ', reportLink('/standalone_canary_analysis/' + encodeURIComponent(run) + '/report', 'run-report-link', 'run', 'Report of the standalone run ' + run + ' of ' + name));
        body.appendChild(el('tr', { 'data-execution': x.pipelineId }, [
          el('td', { text: x.startTimeIso || x.buildTimeIso || '' }),
          el('td', {}, [badge(x.status)]),
          el('td', {}, verdict ? [badge(verdict)] : []),
          el('td', { text: judge ? String(judge.score.score) : '' }),
          el('td', { text: (x.config && x.config.name ? x.config.name + ' ' : '') + '(' + x.canaryConfigId + ')' }),
          el('td', {}, links)
        ]));
      });
      say('executions-status', list.length ? list.length + ' execution(s), newest first.' : 'No executions yet.');
    }).catch(function (e) { say('executions-status', 'Executions: ' + e.message, true); });
  }

  function showConfig(id, name) {
    api('GET', '/canaryConfig/' + encodeURIComponent(id)).then(function (cfg) {
      document.getElementById('config-view').hidden = false;
      document.getElementById('config-view-h').textContent = 'Config ' + name;
      document.getElementById('config-json').textContent = JSON.stringify(cfg, null, 2);
    }).catch(function (e) { say('configs-status', 'Config: ' + e.message, true); });
  }
  function downloadConfig(id, name) {
    api('GET', '/canaryConfig/' + encodeURIComponent(id)).then(function (cfg) {
      var a = el('a', { href: URL.createObjectURL(new Blob([JSON.stringify(cfg, null, 2) + '\\n'], { type: 'application/json' })), download: (name || id).replace(/[^\\w.-]+/g, '_') + '.json' });
      document.body.appendChild(a); a.click(); a.remove();
    }).catch(function (e) { say('configs-status', 'Download: ' + e.message, true); });
  }

  function loadConfigs() {
    say('configs-status', 'Loading…');
    api('GET', '/canaryConfig').then(function (list) {
      var body = document.querySelector('#configs-table tbody');
      var select = document.getElementById('preview-config');
      body.textContent = ''; select.textContent = '';
      list.forEach(function (c) {
        var view = el('button', { type: 'button', text: 'View' });
        view.addEventListener('click', function () { showConfig(c.id, c.name); });
        var dl = el('button', { type: 'button', text: 'Download JSON' });
        dl.addEventListener('click', function () { downloadConfig(c.id, c.name); });
        body.appendChild(el('tr', {}, [el('td', { text: c.name }), el('td', { text: (c.applications || []).join(', ') }), el('td', { text: c.updatedTimestampIso || '' }), el('td', {}, [view, dl])]));
        select.appendChild(el('option', { value: c.id, text: c.name + ' (' + c.id + ')' }));
      });
      say('configs-status', list.length ? list.length + ' config(s).' : 'No stored configs.');
    }).catch(function (e) { say('configs-status', 'Configs: ' + e.message, true); });
  }

  function renderPreview(out) {
    var box = document.getElementById('preview-result');
    box.textContent = '';
    (out.metrics || []).forEach(function (m) {
      var sec = el('section', { 'class': 'metric' }, [el('h3', { text: m.name || m.metric || 'metric' })]);
      ['control', 'experiment'].forEach(function (side) {
        var s = m[side] || {};
        var points = (s.series || []).map(function (x) { return x.points + ' (' + x.nan + ' NaN)'; });
        sec.appendChild(el('h4', { text: side }));
        sec.appendChild(el('pre', {}, [el('code', { text: typeof s.query === 'string' ? s.query : JSON.stringify(s.query, null, 2) })]));
        sec.appendChild(el('p', { text: (s.series ? s.series.length + ' series' : 'not fetched') + (points.length ? '; points: ' + points.join(', ') : '') + (s.error ? '; error: ' + s.error : '') }));
      });
      (m.problems || []).forEach(function (p) { sec.appendChild(el('p', { 'class': 'warn', text: '⚠ ' + p })); });
      box.appendChild(sec);
    });
    var raw = el('details', {}, [el('summary', { text: 'Whole answer (JSON)' }), el('pre', {}, [el('code', { text: JSON.stringify(out, null, 2) })])]);
    box.appendChild(raw);
  }

  document.getElementById('preview-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var v = function (id) { return document.getElementById(id).value.trim(); };
    var end = v('preview-end') || new Date().toISOString();
    var start = v('preview-start') || new Date(Date.parse(end) - 3600e3).toISOString();
    var step = Number(v('preview-step') || '60');
    var side = function (scope) { return { scope: scope, start: start, end: end, step: step }; };
    var body = { canaryConfigId: v('preview-config'), executionRequest: { scopes: { default: { controlScope: side(v('preview-control')), experimentScope: side(v('preview-experiment')) } } } };
    if (v('preview-account')) body.metricsAccountName = v('preview-account');
    say('preview-status', 'Previewing…');
    api('POST', '/v1/preview', body).then(function (out) { renderPreview(out); say('preview-status', 'Done.'); })
      .catch(function (e) { say('preview-status', 'Preview: ' + e.message, true); });
  });

  document.getElementById('key-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var k = document.getElementById('api-key').value.trim();
    try { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); } catch (e) {}
    document.getElementById('api-key').value = '';
    say('key-status', k ? 'Key set for this tab.' : 'No key.');
    loadExecutions(); loadConfigs();
  });
  document.getElementById('forget-key').addEventListener('click', function () {
    try { sessionStorage.removeItem(KEY); } catch (e) {}
    say('key-status', 'Key forgotten.');
  });
  document.getElementById('reload').addEventListener('click', loadExecutions);
  say('key-status', key() ? 'A key is set for this tab.' : 'No key set.');
  loadExecutions(); loadConfigs();
})();`;
