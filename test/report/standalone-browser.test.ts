// The report page of a standalone run in a real browser (chromium, as test/report/browser.test.ts):
// real standalone runs over a past window of a real Prometheus (a bad canary that fails at its
// first look, a healthy one judged at every look, and the bad one under canaria-v1), looked at
// as a person does: the verdict and result message, one row per look whose link opens that look's
// own report, the score chart with its threshold lines, the latest look's metrics charted; at
// phone width, with the keyboard, without layout shift, loading nothing but from 127.0.0.1.
// Screenshots go to test-output/report/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START } from '../support/prometheus-data.ts';
import { useLocalService } from '../support/service.ts';
import { canaria } from '../cli/run-canaria.ts';
import { chromiumSuite, launchChromium, OUT, type Browser } from './chromium.ts';

// Functions passed to page.evaluate run in the page; the project compiles without the DOM library.
declare const document: any;
declare const PerformanceObserver: any;

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const thresholds = { pass: 95, marginal: 75 };
/** The dataset's two hours, judged every 30 minutes: four looks, all at once (an analysis of the past). */
const request = (judge?: string) => ({
  scopes: [{ scopeName: 'default', controlScope: 'version="baseline"', experimentScope: 'version="canary"', step: 60, startTimeIso: iso(START), endTimeIso: iso(END) }],
  thresholds,
  analysisIntervalMins: 30,
  ...(judge ? { judge } : {}),
});
const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});
const config = (name: string, metrics: unknown[]) => ({ name, applications: ['shop'], judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} }, metrics, classifier: { groupWeights: { latency: 100 } } });
const BAD = [metric('latency_ok', LATENCY.identical), metric('latency_p99', LATENCY.worse)];
const GOOD = [metric('latency_ok', LATENCY.identical), metric('latency_mean', LATENCY.identical)];

chromiumSuite('the report page of a standalone run in chromium', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));

  let browser: Browser;
  /** Each run's status document, as GET /standalone_canary_analysis/{id} answered when it ended. */
  const runs: Record<'fail' | 'pass' | 'v1', any> = {} as never;

  async function run(name: string, metrics: unknown[], judge?: string): Promise<any> {
    const stored = await svc.call('POST', '/canaryConfig', { body: config(name, metrics) });
    expect(stored.status, stored.text).toBe(200);
    const started = await svc.call('POST', `/standalone_canary_analysis/${stored.json.canaryConfigId}?metricsAccountName=prom&application=shop`, { body: request(judge) });
    expect(started.status, started.text).toBe(200);
    const id = started.json.canaryAnalysisExecutionId;
    for (let i = 0; i < 600; i++) {
      const r = await svc.call('GET', `/standalone_canary_analysis/${id}`);
      if (r.json.complete) return r.json;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`standalone run ${id} never completed`);
  }

  beforeAll(async () => {
    [runs.fail, runs.pass, runs.v1] = await Promise.all([run('checkout-bad', BAD), run('checkout-good', GOOD), run('checkout-bad-v1', BAD, 'canaria-v1')]);
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
    // every page adds up its layout shifts from the start (globalThis.__shifts)
    await browser.context.addInitScript(() => {
      (globalThis as any).__shifts = 0;
      new PerformanceObserver((list: any) => list.getEntries().forEach((e: any) => ((globalThis as any).__shifts += e.value))).observe({ type: 'layout-shift', buffered: true });
    });
  }, 90_000);
  afterAll(async () => browser?.close());

  const reportPath = (id: string) => `/standalone_canary_analysis/${id}/report`;
  const open = (id: string, viewport?: { width: number; height: number }): Promise<Page> => browser.open(`${svc.url()}${reportPath(id)}`, viewport);
  const rows = (page: Page) =>
    page.$$eval('#looks-table tbody tr', (trs) =>
      trs.map((tr) => ({
        look: tr.querySelector('th')?.textContent,
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim()),
        href: tr.querySelector('a.look-report')?.getAttribute('href'),
      })),
    );
  /** The y of each drawn point and of the two threshold lines (SVG units: smaller is higher). */
  const chart = (page: Page) =>
    page.$eval('#score-chart', (fig) => ({
      points: [...fig.querySelectorAll('.pt')].map((g) => {
        const shape = g.querySelector('circle, rect, path')!;
        const box = shape.getBBox();
        return { look: g.getAttribute('data-look'), y: box.y + box.height / 2, title: g.querySelector('title')?.textContent };
      }),
      pass: Number(fig.querySelector('line.threshold.pass')?.getAttribute('y1')),
      marginal: Number(fig.querySelector('line.threshold.marginal')?.getAttribute('y1')),
      labels: [...fig.querySelectorAll('text.lbl')].map((t) => t.textContent),
    }));

  it('a bad canary: Fail at its first look, the one row linking to that look\'s report, its point under the marginal line', async () => {
    const s = runs.fail;
    expect(s.executionStatus).toBe('TERMINAL');
    const page = await open(s.pipelineId);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#verdict')).toBe('Fail');
    expect(await page.textContent('h1')).toContain('✖');
    expect(await page.textContent('#did-pass')).toBe('no');
    expect(await page.textContent('#message')).toBe(s.canaryAnalysisExecutionResult.canaryScoreMessage);
    expect(await page.textContent('#judge')).toBe('NetflixACAJudge-v1.0');
    expect(await page.textContent('#looks')).toBe('1 done of 4 planned');
    expect(await page.textContent('#lifetime')).toContain('120 min');
    expect(await page.textContent('#interval')).toBe('30 min');
    expect(await page.$('#sequence')).toBeNull();
    const [row] = await rows(page);
    expect(await rows(page)).toHaveLength(1);
    const score = s.canaryAnalysisExecutionResult.canaryScores[0];
    expect(row.look).toBe('1');
    expect(row.cells[0]).toBe(`${iso(START)} – ${iso(START + 1800)}`);
    expect(row.cells[1]).toBe(String(score));
    expect(row.cells[2]).toContain('Fail');
    expect(row.href).toBe(`../../canary/${s.pipelineId}-1/report`);
    // the chart: one point, under the marginal line, which is under the pass line
    const c = await chart(page);
    expect(c.labels).toEqual(['pass 95', 'marginal 75']);
    expect(c.marginal).toBeGreaterThan(c.pass);
    expect(c.points).toEqual([{ look: '1', y: expect.any(Number), title: `Look 1: score ${score}, Fail` }]);
    expect(c.points[0].y).toBeGreaterThan(c.marginal);
    // the latest look's metrics: the failing one first, both series drawn on each chart
    expect(await page.textContent('#metrics-h')).toContain('Metrics of look 1');
    const metrics = await page.$$eval('section.metric', (els) => els.map((e) => ({ name: e.querySelector('h3 a')?.textContent, drawn: e.querySelector('.chart')?.getAttribute('data-series-drawn') })));
    expect(metrics).toEqual([
      { name: 'latency_p99', drawn: '2' },
      { name: 'latency_ok', drawn: '2' },
    ]);
    await page.screenshot({ path: join(OUT, 'standalone-fail-laptop.png'), fullPage: true });
    // the link opens the look's own report
    await page.click('a.look-report');
    await page.waitForURL(`**/canary/${s.pipelineId}-1/report`);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#verdict')).toBe('Fail');
    expect(await page.textContent('#score')).toBe(String(score));
    await page.close();
  });

  it('a healthy canary: Pass after four looks, every row linking to its look\'s report, every point above the pass line', async () => {
    const s = runs.pass;
    expect(s.executionStatus).toBe('SUCCEEDED');
    const page = await open(s.pipelineId);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#verdict')).toBe('Pass');
    expect(await page.textContent('#did-pass')).toBe('yes');
    expect(await page.textContent('#message')).toMatch(/met or exceeded the pass score threshold\.$/);
    expect(await page.textContent('#looks')).toBe('4 done of 4 planned');
    const table = await rows(page);
    expect(table.map((r) => [r.look, r.cells[0], r.cells[1]])).toEqual(
      s.canaryAnalysisExecutionResult.canaryScores.map((score: number, i: number) => [String(i + 1), `${iso(START)} – ${iso(START + 1800 * (i + 1))}`, String(score)]),
    );
    // each link, resolved as the browser does, is the look's report; and that look judged the window the row shows
    for (const [i, r] of table.entries()) {
      const url = new URL(r.href!, page.url());
      expect(url.pathname).toBe(`/canary/${s.pipelineId}-${i + 1}/report`);
      const look = await svc.call('GET', `/canary/${s.pipelineId}-${i + 1}`);
      const w = look.json.canaryExecutionRequest.scopes.default.experimentScope;
      expect(`${w.start} – ${w.end}`).toBe(r.cells[0]);
      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(await served.text()).toContain('<span id="verdict">Pass</span>');
    }
    const c = await chart(page);
    expect(c.points.map((p) => p.look)).toEqual(['1', '2', '3', '4']);
    for (const p of c.points) expect(p.y).toBeLessThanOrEqual(c.pass);
    expect(await page.locator('#score-chart polyline.score-line').count()).toBe(1);
    expect(await page.textContent('#metrics-h')).toContain('Metrics of look 4');
    expect(await page.$$eval('section.metric .chart canvas', (els) => els.length)).toBe(2);
    expect(await page.evaluate(() => (globalThis as any).__shifts)).toBeLessThan(0.01);
    await page.screenshot({ path: join(OUT, 'standalone-pass-laptop.png'), fullPage: true });
    await page.close();
  });

  it('under canaria-v1: the sequence decision and where it stopped, a sequence column per look', async () => {
    const s = runs.v1;
    const page = await open(s.pipelineId);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#judge')).toBe('canaria-v1');
    const sequence = s.canaria.sequence;
    expect(await page.textContent('#sequence')).toBe(`${sequence.decision ? `${{ fail: '✖', pass: '✔', inconclusive: '?' }[sequence.decision as string]} ${sequence.decision}` : '—'}${sequence.stoppedAtLook ? ` stopped at look ${sequence.stoppedAtLook}` : ' not stopped'}`);
    const table = await rows(page);
    expect(table.map((r) => r.cells[3])).toEqual(s.canaryAnalysisExecutionResult.canaryExecutionResults.map((l: any) => expect.stringContaining(l.canaria.decision)));
    expect(await page.textContent('#verdict')).toBe(sequence.decision === 'fail' ? 'Fail' : sequence.decision === 'pass' ? 'Pass' : 'Inconclusive');
    await page.screenshot({ path: join(OUT, 'standalone-canaria-v1.png'), fullPage: true });
    await page.close();
  });

  it('reads at phone width without horizontal scrolling, and Tab reaches every look\'s link', async () => {
    const page = await open(runs.pass.pipelineId, { width: 375, height: 740 });
    await page.waitForSelector('html[data-charts-ready]');
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.screenshot({ path: join(OUT, 'standalone-pass-phone.png'), fullPage: true });
    const reached = new Set<string>();
    for (let i = 0; i < 60 && reached.size < 4; i++) {
      await page.keyboard.press('Tab');
      const look = await page.evaluate(() => (document.activeElement?.matches('a.look-report') ? document.activeElement.closest('tr')?.getAttribute('data-look') : undefined));
      if (look) reached.add(look);
    }
    expect([...reached].sort()).toEqual(['1', '2', '3', '4']);
    await page.close();
  });

  it('the console links a look\'s row to its run\'s report', async () => {
    const s = runs.fail;
    const page = await browser.open(`${svc.url()}/`);
    const row = page.locator(`#executions-table tr[data-execution="${s.pipelineId}-1"]`);
    await row.waitFor();
    expect(await row.locator('a.run-report-link').getAttribute('href')).toBe(reportPath(s.pipelineId));
    await row.locator('a.run-report-link').click();
    await page.waitForURL(`**${reportPath(s.pipelineId)}`);
    expect(await page.textContent('#verdict')).toBe('Fail');
    await page.close();
  });

  it('answers an unknown run with the JSON 404 of GET /standalone_canary_analysis/{id}', async () => {
    const r = await svc.call('GET', reportPath('01NOSUCHRUN000000000000000'));
    expect(r.status).toBe(404);
    expect(r.json.message).toMatch(/01NOSUCHRUN000000000000000/);
  });

  it('canaria report RUN_ID writes the run\'s page, its look links absolute to the service', async () => {
    const file = join(browser.userDataDir, 'cli-standalone.html');
    const s = runs.fail;
    const cli = await canaria(['report', s.pipelineId, '--url', svc.url(), '--out', file]);
    expect(cli.code, cli.stderr).toBe(0);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain('<span id="verdict">Fail</span>');
    expect(page).toContain(`href="${svc.url()}/canary/${s.pipelineId}-1/report"`);
    const served = await fetch(`${svc.url()}${reportPath(s.pipelineId)}`).then((r) => r.text());
    expect(page.replaceAll(`${svc.url()}/canary/`, '../../canary/')).toBe(served);
  });

  it('loaded nothing from anywhere but 127.0.0.1, with no console errors', () => {
    expect(browser.foreign).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
