// The report page of a standalone run as text: its links reach each look's report from wherever
// the API is served, data is escaped, and a run without looks or with a failed look still reads.
import { describe, expect, it } from 'vitest';
import { renderStandaloneReport } from '../../lib/report/standalone.ts';

const evil = '<script>alert(1)</script>';
const RUN = '01TESTRUN00000000000000000';

const look = (i: number, score: number | undefined, extra: Record<string, unknown> = {}) => ({
  executionId: `${RUN}-${i}`,
  executionStatus: score === undefined ? 'TERMINAL' : 'SUCCEEDED',
  result: score === undefined ? undefined : { judgeResult: { judgeName: 'NetflixACAJudge-v1.0', results: [], score: { score, classification: score >= 95 ? 'Pass' : score > 75 ? 'Marginal' : 'Fail', classificationReason: `reason ${evil}` } } },
  metricSetPairListId: `pairs-${i}`,
  warnings: [],
  ...extra,
});

function status(looks: unknown[], extra: Record<string, unknown> = {}) {
  return {
    pipelineId: RUN,
    application: 'shop',
    status: 'succeeded',
    executionStatus: 'SUCCEEDED',
    complete: true,
    buildTimeMillis: Date.parse('2026-01-01T00:00:00.700Z'),
    canaryConfig: { name: `cfg ${evil}`, metrics: [] },
    canaryAnalysisExecutionRequest: {
      scopes: [{ scopeName: 'default', controlScope: `version="${evil}"`, experimentScope: 'version="canary"', controlOffsetInMinutes: 0, step: 60 }],
      thresholds: { pass: 95, marginal: 75 },
      lifetimeDurationMins: 60,
      analysisIntervalMins: 20,
      beginAfterMins: 5,
      lookbackMins: 0,
    },
    canaryAnalysisExecutionResult: { didPassThresholds: true, canaryScoreMessage: `Final canary score 100.0 met or exceeded the pass score threshold. ${evil}`, canaryScores: [], canaryExecutionResults: looks },
    canaria: { judge: 'NetflixACAJudge-v1.0', plannedLooks: 3, looks: looks.length, analysisStartIso: '2026-01-01T00:00:00Z' },
    ...extra,
  };
}

const hrefs = (page: string) => [...page.matchAll(/<a href="([^"]+)" class="look-report"/g)].map((m) => m[1]);

describe('the report page of a standalone run', () => {
  it("links each look's report relative to the page: right at the root and behind a stage path", () => {
    const page = renderStandaloneReport({ status: status([look(1, 100), look(2, 100), look(3, 100)]) });
    const links = hrefs(page);
    expect(links).toHaveLength(3);
    // nothing that would load from elsewhere
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(page).toContain("default-src 'none'");
    for (const [base, prefix] of [
      ['http://127.0.0.1:8090', ''],
      ['https://abc.execute-api.eu-west-1.amazonaws.com/prod', '/prod'],
    ]) {
      expect(links.map((h) => new URL(h, `${base}/standalone_canary_analysis/${RUN}/report`).pathname)).toEqual([1, 2, 3].map((i) => `${prefix}/canary/${RUN}-${i}/report`));
    }
  });

  it('shows each look\'s window as the run computes it: after the warm-up, from the analysis start, growing', () => {
    const page = renderStandaloneReport({ status: status([look(1, 100), look(2, 100)]) });
    expect(page).toContain('<time>2026-01-01T00:05:00Z</time> – <time>2026-01-01T00:25:00Z</time>');
    expect(page).toContain('<time>2026-01-01T00:05:00Z</time> – <time>2026-01-01T00:45:00Z</time>');
  });

  it('escapes data: the config name, a scope, the result message, reasons', () => {
    const page = renderStandaloneReport({ status: status([look(1, 40, { exception: { details: { error: `boom ${evil}` } } })]) });
    expect(page.match(/<script\b/g)).toHaveLength(3);
    expect(page).not.toContain(evil);
    expect(page).toContain('version=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
  });

  it('a run stopped by a look without a verdict: Error, the look\'s reason in its row, no point drawn for it', () => {
    const failed = look(2, undefined, { exception: { details: { error: 'prometheus answered 503' } } });
    const page = renderStandaloneReport({
      status: status([look(1, 100), failed], { status: 'terminal', executionStatus: 'TERMINAL', canaryAnalysisExecutionResult: { didPassThresholds: false, canaryScoreMessage: 'Look 2 ended without a verdict: prometheus answered 503', canaryExecutionResults: [look(1, 100), failed] } }),
    });
    expect(page).toContain('<span id="verdict">Error</span>');
    expect(page).toContain('<strong id="did-pass">no</strong>');
    expect(page).toMatch(/<tr data-look="2">[\s\S]*?prometheus answered 503[\s\S]*?<\/tr>/);
    expect(page).toContain('data-points="1"');
    expect(page).toContain('look 2: no score');
    // the metrics shown are the latest judged look's
    expect(page).toContain('Metrics of look 1, the latest judged');
  });

  it('a run with no look yet says so', () => {
    const page = renderStandaloneReport({ status: status([], { status: 'running', executionStatus: 'RUNNING', complete: false, canaryAnalysisExecutionResult: { didPassThresholds: false, canaryScoreMessage: '0 of 3 judgements done', canaryExecutionResults: [] } }) });
    expect(page).toContain('<span id="verdict">running</span>');
    expect(page).toContain('No look has ended yet.');
    expect(page).toContain('<dd id="looks">0 done of 3 planned</dd>');
    expect(page).not.toContain('id="score-chart"');
  });
});
