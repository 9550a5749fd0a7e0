// uPlot's files read from node_modules (canaria serve, the CLI, tests). Lambda bundles replace
// this module with a stub (lib/report/esbuild-plugins.cjs): they embed the files instead.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function readUplotFiles(): { js: string; css: string } | undefined {
  try {
    const require = createRequire(import.meta.url);
    return { js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') };
  } catch {
    return undefined;
  }
}
