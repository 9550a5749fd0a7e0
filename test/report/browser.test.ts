// The report page and the console in a real browser (Debian's chromium, driven by playwright-core):
// real analyses (a failing and a passing canary, and one judged by canaria-v1) run by the
// embedded service against a real Prometheus, then looked at as a person does: the verdict, the
// failing metric first, a chart per metric with both series drawn, nothing loaded from anywhere
// but 127.0.0.1, no console errors, no horizontal scroll at phone width, every metric reached with
// Tab. Screenshots go to test-output/report/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';
import { useLocalService } from '../support/service.ts';
import { canaria } from '../cli/run-canaria.ts';
import { chromiumSuite, launchChromium, OUT, type Browser } from './chromium.ts';

// Functions passed to page.evaluate run in the page; the project compiles without the DOM library.
declare const document: any;

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
const thresholds = { pass: 95, marginal: 75 };
const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['latency'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});
const config = (name: string, metrics: unknown[]) => ({ name, applications: ['shop'], judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} }, metrics, classifier: { groupWeights: { latency: 100 } } });

chromiumSuite('the report page and the console in chromium', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
  }, 60_000);
  afterAll(async () => prom?.stop());
  const svc = useLocalService(() => ({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));

  let browser: Browser;
  const ids: Record<string, string> = {};

  async function analyse(name: string, metrics: unknown[], query = ''): Promise<string> {
    const stored = await svc.call('POST', '/canaryConfig', { body: config(name, metrics) });
    expect(stored.status, stored.text).toBe(200);
    const started = await svc.call('POST', `/canary/${stored.json.canaryConfigId}?metricsAccountName=prom${query}`, { body: { scopes, thresholds } });
    expect(started.status, started.text).toBe(200);
    const id = started.json.canaryExecutionId;
    for (let i = 0; i < 400; i++) {
      const r = await svc.call('GET', `/canary/${id}`);
      if (r.json.complete) {
        expect(r.json.status, r.text).toBe('succeeded');
        return id;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`execution ${id} never completed`);
  }

  beforeAll(async () => {
    [ids.fail, ids.pass, ids.v1] = await Promise.all([
      analyse('checkout-bad', [metric('latency_ok', LATENCY.identical), metric('latency_p99', LATENCY.worse)]),
      analyse('checkout-good', [metric('latency_ok', LATENCY.identical), metric('latency_mean', LATENCY.identical)]),
      analyse('checkout-v1', [metric('latency_p99', LATENCY.worse), metric('latency_ok', LATENCY.identical)], '&judge=canaria-v1'),
    ]);
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => browser?.close());

  const open = (path: string, viewport?: { width: number; height: number }): Promise<Page> => browser.open(`${svc.url()}${path}`, viewport);

  const metricOrder = (page: Page) => page.$$eval('section.metric', (els) => els.map((e) => ({ id: e.id, classification: e.getAttribute('data-classification'), name: e.querySelector('h3 a')?.textContent })));

  it('shows a failing canary: verdict, score, the failing metric first, both series drawn on every chart', async () => {
    const page = await open(`/canary/${ids.fail}/report`);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#verdict')).toBe('Fail');
    expect(await page.textContent('h1')).toContain('✖');
    expect(await page.textContent('#judge')).toBe('NetflixACAJudge-v1.0');
    expect(await page.textContent('.score')).toContain('pass ≥ 95, marginal ≥ 75');
    const order = await metricOrder(page);
    expect(order.map((m) => [m.name, m.classification])).toEqual([
      ['latency_p99', 'High'],
      ['latency_ok', 'Pass'],
    ]);
    const charts = await page.$$eval('section.metric', (els) =>
      els.map((e) => ({ canvases: e.querySelectorAll('.chart canvas').length, drawn: e.querySelector('.chart')?.getAttribute('data-series-drawn'), series: e.querySelector('.chart')?.getAttribute('data-series') })),
    );
    expect(charts).toEqual(order.map(() => ({ canvases: 1, drawn: '2', series: '2' })));
    // The rendered queries, per side.
    await page.click('#metric-0 details.queries summary');
    expect(await page.textContent('#metric-0 details.queries')).toContain('avg(latency_worse{version="baseline"})'.replace('latency_worse', LATENCY.worse));
    await page.screenshot({ path: join(OUT, 'report-fail-laptop.png'), fullPage: true });
    await page.close();
  });

  it('reads at phone width without horizontal scrolling, and Tab reaches every metric', async () => {
    const page = await open(`/canary/${ids.fail}/report`, { width: 375, height: 740 });
    await page.waitForSelector('html[data-charts-ready]');
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.screenshot({ path: join(OUT, 'report-fail-phone.png'), fullPage: true });
    const metricIds = (await metricOrder(page)).map((m) => m.id);
    const reached = new Set<string>();
    for (let i = 0; i < 40 && reached.size < metricIds.length; i++) {
      await page.keyboard.press('Tab');
      const inMetric = await page.evaluate(() => document.activeElement?.closest('section.metric')?.id);
      if (inMetric) reached.add(inMetric);
    }
    expect([...reached].sort()).toEqual([...metricIds].sort());
    await page.close();
  });

  it('shows a passing canary', async () => {
    const page = await open(`/canary/${ids.pass}/report`);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#verdict')).toBe('Pass');
    expect(await page.textContent('#score')).toBe('100');
    expect((await metricOrder(page)).map((m) => m.classification)).toEqual(['Pass', 'Pass']);
    expect(await page.$$eval('.chart canvas', (els) => els.length)).toBe(2);
    await page.screenshot({ path: join(OUT, 'report-pass.png'), fullPage: true });
    await page.close();
  });

  it('shows what canaria-v1 decided: decision, n_eff, MDE, warnings', async () => {
    const page = await open(`/canary/${ids.v1}/report`);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('#judge')).toBe('canaria-v1');
    const first = await page.textContent('#metric-0');
    expect(first).toContain('latency_p99');
    expect(first).toContain('decision:');
    expect(first).toContain('neff');
    expect(first).toContain('MDE');
    await page.screenshot({ path: join(OUT, 'report-canaria-v1.png'), fullPage: true });
    await page.close();
  });

  it('the console lists executions and configs, links the reports, and previews queries', async () => {
    const page = await open('/');
    await page.waitForFunction(() => document.querySelectorAll('#executions-table tbody tr').length >= 3 && document.querySelectorAll('#configs-table tbody tr').length >= 3);
    const row = page.locator(`#executions-table tr[data-execution="${ids.fail}"]`);
    expect(await row.textContent()).toContain('Fail');
    expect(await row.textContent()).toContain('checkout-bad');
    expect(await row.locator('a.report-link').getAttribute('href')).toBe(`/canary/${ids.fail}/report`);
    await page.selectOption('#preview-config', { label: await page.locator('#preview-config option', { hasText: 'checkout-bad' }).textContent() ?? '' });
    await page.fill('#preview-start', window.start);
    await page.fill('#preview-end', window.end);
    await page.click('#preview-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('preview-status')?.textContent === 'Done.');
    const preview = await page.textContent('#preview-result');
    expect(preview).toContain('version="baseline"');
    expect(preview).toMatch(/points: 121 \(0 NaN\)/);
    await page.screenshot({ path: join(OUT, 'console.png'), fullPage: true });
    const phone = await open('/', { width: 375, height: 740 });
    await phone.waitForFunction(() => document.querySelectorAll('#executions-table tbody tr').length >= 3);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await phone.close();
    await page.close();
  });

  it('canaria report ID writes the page the service serves; an unknown execution is exit 2', async () => {
    const file = join(browser.userDataDir, 'cli-report.html');
    const run = await canaria(['report', ids.fail, '--url', svc.url(), '--out', file]);
    expect(run.code, run.stderr).toBe(0);
    const served = await fetch(`${svc.url()}/canary/${ids.fail}/report`).then((r) => r.text());
    expect(readFileSync(file, 'utf8')).toBe(served);
    const unknown = await canaria(['report', '01NOSUCHEXECUTION00000000000', '--url', svc.url()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^canaria report: .*01NOSUCHEXECUTION00000000000/);
    expect(unknown.stdout).toBe('');
  });

  it('canaria analyze --report FILE writes a page that works opened from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaria-analyze-report-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config('cli-bad', [metric('latency_p99', LATENCY.worse)])));
      writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ accounts: [{ name: 'prom', type: 'prometheus', endpoint: prom.url }] }));
      const file = join(dir, 'report.html');
      const run = await canaria(['analyze', '--config', join(dir, 'config.json'), '--accounts', join(dir, 'accounts.json'), '--control', 'version="baseline"', '--experiment', 'version="canary"', '--start', window.start, '--end', window.end, '--report', file]);
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toContain(`report written to ${file}`);
      const page = await browser.context.newPage();
      page.on('pageerror', (e) => browser.errors.push(`file: ${e.message}`));
      await page.goto(`file://${file}`);
      await page.waitForSelector('html[data-charts-ready]');
      expect(await page.textContent('#verdict')).toBe('Fail');
      expect(await page.getAttribute('.chart', 'data-series-drawn')).toBe('2');
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loaded nothing from anywhere but 127.0.0.1, with no console errors', () => {
    expect(browser.foreign).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
