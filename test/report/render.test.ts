// The report page as text: data is escaped (metric names, queries and reasons are user input),
// failing metrics come first, and the page loads nothing from anywhere.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonForScript } from '../../lib/report/escape.ts';
import { quartiles, renderReport } from '../../lib/report/render.ts';

const evil = '<script>alert(1)</script>';

function status(results: unknown[], extra: Record<string, unknown> = {}) {
  return {
    pipelineId: '01TESTEXECUTION0000000000',
    application: 'shop',
    status: 'succeeded',
    complete: true,
    canaryConfigId: 'cfg-1',
    config: { name: `cfg ${evil}`, metrics: [] },
    canaryExecutionRequest: { scopes: { default: { controlScope: { scope: `version="${evil}"`, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', step: 60 }, experimentScope: { scope: 'version="canary"', step: 60 } } }, thresholds: { pass: 95, marginal: 75 } },
    result: {
      judgeResult: {
        judgeName: 'NetflixACAJudge-v1.0',
        results,
        groupScores: [{ name: `g${evil}`, score: 0, classification: 'Fail', classificationReason: evil }],
        score: { score: 0, classification: 'Fail', classificationReason: `not passing: ${evil}` },
      },
    },
    ...extra,
  };
}

const result = (name: string, classification: string) => ({
  name,
  tags: {},
  classification,
  classificationReason: `${classification} because ${evil}`,
  groups: [],
  controlMetadata: { stats: { count: 3, mean: 1, min: 0, max: 2, std: 1 } },
  experimentMetadata: { stats: { count: 3, mean: 2, min: 1, max: 3, std: 1 } },
  resultMetadata: { ratio: 2, lowerConfidence: 0.5, upperConfidence: 1.5, confidenceLevel: 0.95, pValue: 0.01 },
  critical: false,
  muted: false,
});

const pair = (name: string) => ({
  name,
  tags: {},
  values: { control: [0, 1, 'NaN', 2], experiment: [1, 2, 3, 'NaN'] },
  scopes: { control: { startTimeMillis: 1_700_000_000_000, stepMillis: 60_000 }, experiment: { startTimeMillis: 1_700_000_000_000, stepMillis: 60_000 } },
  attributes: { control: { query: `avg(x{${evil}})` }, experiment: { query: 'avg(x{version="canary"})' } },
});

describe('HTML escaping', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(html`<p title="${'"><x'}">${evil}</p>`.html).toBe('<p title="&quot;&gt;&lt;x">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('embeds JSON in a script element without a way out, and reads back the same', () => {
    const value = { s: `</script><!-- ${evil} & \u2028` };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('renders a <script> in a metric name, a query, a reason and a scope as text', () => {
    const page = renderReport({ status: status([result(evil, 'High'), result('ok', 'Pass')]), pairs: [pair(evil), pair('ok')] });
    // Only canaria's own script elements: the data block, uPlot, the chart code.
    expect(page.match(/<script\b/g)).toHaveLength(3);
    expect(page).not.toContain(evil);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('avg(x{&lt;script&gt;alert(1)&lt;/script&gt;})');
  });
});

describe('the report page', () => {
  it('puts failing metrics first', () => {
    const page = renderReport({ status: status([result('fine', 'Pass'), result('nodata', 'Nodata'), result('bad', 'High')]), pairs: [pair('fine'), pair('bad')] });
    const order = [...page.matchAll(/<section class="metric" id="metric-\d+" aria-labelledby="[^"]+" data-classification="(\w+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['High', 'Nodata', 'Pass']);
    expect(page).toContain('<span id="verdict">Fail</span>');
  });

  it('loads nothing: no src or href to another place, a CSP that forbids it, uPlot and its licence inline', () => {
    const page = renderReport({ status: status([result('a', 'Pass')]), pairs: [pair('a')] });
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(page).toContain("default-src 'none'");
    expect(page).toMatch(/uPlot [\d.]+ \| MIT licence/);
  });

  it('reports a terminal execution with its reason and no metrics', () => {
    const page = renderReport({ status: { ...status([]), status: 'terminal', result: undefined, exception: { operation: 'fetch', details: { error: `boom ${evil}` } } } });
    expect(page).toContain('<span id="verdict">terminal</span>');
    expect(page).toContain(`boom &lt;script&gt;`);
  });

  it('computes quartiles as R type 7 over the real values', () => {
    expect(quartiles([1, 2, 3, 4, NaN])).toEqual({ min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4, n: 4 });
    expect(quartiles([NaN])).toBeUndefined();
  });
});
