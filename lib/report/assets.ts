// uPlot (MIT licence, https://github.com/leeoniya/uPlot), read once from node_modules and
// inlined into every report page: the page loads nothing from anywhere.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ChartAssets {
  js: string;
  css: string;
  version: string;
}

let cached: ChartAssets | undefined;

/** uPlot's minified script and stylesheet; empty (charts then say so) when the package is absent. */
export function chartAssets(): ChartAssets {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const version = /\(v([\d.]+)\)/.exec(js)?.[1] ?? 'unknown';
    // Inlined in <script>: a literal "</script" inside would end the element.
    cached = { js: js.replace(/<\/(script)/gi, '<\\/$1'), css: css.replace(/<\/(style)/gi, '<\\/$1'), version };
  } catch {
    cached = { js: '', css: '', version: '' };
  }
  return cached;
}
