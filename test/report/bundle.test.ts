// A Lambda zip holds its bundle and nothing else: the report page's uPlot must be inside it.
// The esbuild plugin serverless.yml names embeds uPlot's files and drops the node_modules reader.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const plugins = require('../../lib/report/esbuild-plugins.cjs');

describe('lib/report/assets.ts bundled as the Lambda functions bundle it', () => {
  it('embeds uPlot, reads nothing from node_modules and has no import.meta', async () => {
    const out = await build({ entryPoints: ['lib/report/assets.ts'], bundle: true, format: 'cjs', platform: 'node', target: 'node22', write: false, logLevel: 'silent', plugins });
    expect(out.warnings).toEqual([]);
    const code = out.outputFiles[0].text;
    expect(code).not.toContain('import.meta');
    expect(code).not.toContain('uPlot.iife.min.js');
    const mod = { exports: {} as Record<string, any> };
    new Function('module', 'exports', 'require', code)(mod, mod.exports, require);
    const assets = await mod.exports.loadChartAssets();
    expect(assets.js).toBe(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'));
    expect(assets.css).toBe(readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'));
    expect(assets.version).toMatch(/^1\.\d+\.\d+$/);
  });
});
