// Debian's chromium for the report browser tests, driven by playwright-core: a fresh profile, no
// request leaving 127.0.0.1 (each one elsewhere is refused and recorded), console errors recorded.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { describeWithPrometheus } from '../support/prometheus.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go. */
export const OUT = fileURLToPath(new URL('../../test-output/report/', import.meta.url));

/** Without chromium the suite is skipped, or fails under CANARIA_REQUIRE_CHROMIUM=1 (set by .ci/run, which installs it). */
export const chromiumSuite = existsSync(CHROMIUM)
  ? describeWithPrometheus
  : (name: string, _fn: () => void) =>
      describe(name, () => {
        const why = `${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`;
        if (process.env.CANARIA_REQUIRE_CHROMIUM === '1') it('needs chromium', () => expect.fail(why));
        else it.skip(`needs chromium (${why})`, () => undefined);
      });

export interface Browser {
  context: BrowserContext;
  userDataDir: string;
  /** Requests to anywhere but 127.0.0.1 (refused). */
  foreign: string[];
  /** Console errors and uncaught exceptions, prefixed with the page's path. */
  errors: string[];
  /** A new page at `url` that must answer 200 with HTML. */
  open(url: string, viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'canaria-chromium-'));
  // A fresh --user-data-dir: playwright passes it from launchPersistentContext.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const foreign: string[] = [];
  const errors: string[] = [];
  // Any request to another host fails the test (and is refused).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'blob:' || url.protocol === 'data:' || url.protocol === 'file:' || url.hostname === '127.0.0.1') return route.continue();
    foreign.push(route.request().url());
    return route.abort();
  });
  return {
    context,
    userDataDir,
    foreign,
    errors,
    async open(url, viewport = { width: 1280, height: 900 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      const path = new URL(url).pathname;
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${path}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`${path}: ${e.message}`));
      const res = await page.goto(url);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
