// In chromium: data that tries to be markup stays text on the report page, and the console works
// with auth on (the key typed by its user, kept in sessionStorage, sent as a Bearer token; no
// secret in the page). No Prometheus needed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../lib/report/render.ts';
import { dataDirWithKeys } from '../auth/support.ts';
import { fixture, useLocalService } from '../support/service.ts';
import { freePort } from '../support/prometheus.ts';

// Functions passed to page.evaluate run in the page; the project compiles without the DOM library.
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.CANARIA_REQUIRE_CHROMIUM === '1';

const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

describe.skipIf(!existsSync(CHROMIUM) && !required)('report and console safety in chromium', () => {
  let context: BrowserContext;
  let dir: string;
  let setup: Awaited<ReturnType<typeof dataDirWithKeys>>;
  let downUrl: string;
  const errors: string[] = [];
  beforeAll(async () => {
    setup = await dataDirWithKeys();
    downUrl = `http://127.0.0.1:${await freePort()}`;
    dir = mkdtempSync(join(tmpdir(), 'canaria-report-safety-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'file:' || url.hostname === '127.0.0.1') return route.continue();
      errors.push(`request to ${route.request().url()}`);
      return route.abort();
    });
  }, 30_000);
  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // A metrics account nobody listens on: an analysis there ends terminal, quickly.
  const svc = useLocalService(() => ({
    dataDir: setup.dataDir,
    auth: true,
    accounts: [{ name: 'down', type: 'prometheus', endpoint: downUrl }],
    sourceOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 1000 },
    stateMachine: { retryIntervalMs: 5 },
  }));

  it('shows a <script> and an onerror in a metric name, reason and query as text, and runs neither', async () => {
    const result = {
      name: evil,
      tags: { pod: evil },
      classification: 'High',
      classificationReason: evil,
      groups: [evil],
      controlMetadata: { stats: { count: 2, mean: 1, min: 0, max: 2, std: 1 } },
      experimentMetadata: { stats: { count: 2, mean: 2, min: 1, max: 3, std: 1 } },
      resultMetadata: { ratio: 2, lowerConfidence: 0.5, upperConfidence: 1.5, confidenceLevel: 0.95, pValue: 0.01 },
      critical: false,
      muted: false,
    };
    const status = {
      pipelineId: 'X1',
      status: 'succeeded',
      canaryConfigId: evil,
      config: { name: evil, metrics: [] },
      canaryExecutionRequest: { scopes: { [evil]: { controlScope: { scope: evil }, experimentScope: { scope: evil } } }, thresholds: { pass: 95, marginal: 75 } },
      result: { judgeResult: { judgeName: evil, results: [result], groupScores: [], score: { score: 0, classification: 'Fail', classificationReason: evil } } },
    };
    const pairs = [{ name: evil, tags: { pod: evil }, values: { control: [0, 2], experiment: [1, 3] }, attributes: { control: { query: evil }, experiment: { query: evil } } }];
    const file = join(dir, 'evil.html');
    writeFileSync(file, renderReport({ status, pairs }));
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => errors.push(`dialog: ${d.message()}`));
    await page.goto(`file://${file}`);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.$$eval('img', (els) => els.length)).toBe(0);
    expect(await page.textContent('#metric-0 h3 a')).toBe(`${evil}{pod=${JSON.stringify(evil)}}`);
    expect(await page.textContent('#metric-0 .reason')).toBe(evil);
    expect(await page.textContent('#metric-0 details.queries pre code')).toBe(evil);
    expect(await page.$$eval('script', (els) => els.length)).toBe(3);
    await page.close();
  });

  it('with auth on: the console says a key is needed, takes one typed in, keeps it in sessionStorage only, and lists with it', async () => {
    const stored = await svc.call('POST', '/canaryConfig', { body: { ...fixture('seed-canary-config.json'), name: 'console-auth' }, headers: { authorization: `Bearer ${setup.keys.admin}` } });
    expect(stored.status, stored.text).toBe(200);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${svc.url()}/`);
    expect(res?.status()).toBe(200);
    await page.waitForFunction(() => /401|API key/.test(document.getElementById('configs-status')?.textContent ?? ''));
    expect(await page.textContent('#configs-status')).toContain('enter an API key above');
    const bearer: string[] = [];
    page.on('request', (r) => {
      const auth = r.headers().authorization;
      if (auth) bearer.push(auth);
    });
    await page.fill('#api-key', setup.keys.read);
    await page.press('#api-key', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#configs-table tbody tr').length === 1);
    expect(await page.textContent('#configs-table tbody')).toContain('console-auth');
    expect(await page.textContent('#executions-status')).toBe('No executions yet.');
    expect(bearer.length).toBeGreaterThan(0);
    expect(new Set(bearer)).toEqual(new Set([`Bearer ${setup.keys.read}`]));
    expect(await page.evaluate(() => sessionStorage.getItem('canaria.apiKey'))).toBe(setup.keys.read);
    expect(await page.inputValue('#api-key')).toBe('');
    expect(await page.content()).not.toContain(setup.keys.read);
    // The page itself carries no secret: the same bytes with or without auth.
    expect(await fetch(`${svc.url()}/`).then((r) => r.text())).not.toMatch(/cnr_/);
    await page.close();
  });

  it('with auth on: a report link opens the report fetched with the key (a plain link could not send it)', async () => {
    const admin = { authorization: `Bearer ${setup.keys.admin}` };
    const stored = await svc.call('POST', '/canaryConfig', { body: { ...fixture('seed-canary-config.json'), name: 'console-report' }, headers: admin });
    expect(stored.status, stored.text).toBe(200);
    const window = { start: '2024-01-15T10:00:00Z', end: '2024-01-15T11:00:00Z', step: 60 };
    const scopes = { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } };
    const started = await svc.call('POST', `/canary/${stored.json.canaryConfigId}?metricsAccountName=down`, { body: { scopes, thresholds: { pass: 95, marginal: 75 } }, headers: admin });
    expect(started.status, started.text).toBe(200);
    const id = started.json.canaryExecutionId;
    for (let i = 0; i < 200 && !(await svc.call('GET', `/canary/${id}`, { headers: admin })).json.complete; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await svc.call('GET', `/canary/${id}/report`)).status).toBe(401);

    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${svc.url()}/`);
    await page.fill('#api-key', setup.keys.read);
    await page.press('#api-key', 'Enter');
    const link = page.locator(`#executions-table tr[data-execution="${id}"] a.report-link`);
    await link.waitFor();
    const [report] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await report.waitForSelector('#verdict');
    expect(await report.textContent('#verdict')).toBe('terminal');
    expect(await report.textContent('header')).toContain('The analysis failed in fetch');
    await report.close();
    await page.close();
  });

  it('had no page errors and no request off 127.0.0.1', () => {
    expect(errors).toEqual([]);
  });
});
