// uPlot (MIT licence, https://github.com/leeoniya/uPlot), inlined into every report page: the
// page loads nothing from anywhere. Read once: from node_modules (canaria serve, the CLI), or,
// in a Lambda bundle, which has no node_modules, from the strings esbuild embedded there
// (lib/report/esbuild-plugins.cjs: the virtual module "canaria:uplot-assets").
import { readUplotFiles } from './assets-node.ts';

export interface ChartAssets {
  js: string;
  css: string;
  version: string;
}

let cached: ChartAssets | undefined;

function assetsOf(js: string, css: string): ChartAssets {
  const version = /\(v([\d.]+)\)/.exec(js)?.[1] ?? 'unknown';
  // Inlined in <script> and <style>: a literal "</script" or "</style" inside would end the element.
  return { js: js.replace(/<\/(script)/gi, '<\\/$1'), css: css.replace(/<\/(style)/gi, '<\\/$1'), version };
}

/**
 * Loads the assets once: the embedded copy when this code runs from a bundle built with the
 * plugin, else node_modules. Call (and await) before chartAssets() where it may be bundled.
 */
export async function loadChartAssets(): Promise<ChartAssets> {
  if (cached) return cached;
  try {
    const embedded = await import('canaria:uplot-assets');
    if (typeof embedded.js === 'string' && embedded.js) cached = assetsOf(embedded.js, embedded.css);
  } catch {
    // not bundled: node_modules below
  }
  return chartAssets();
}

/** uPlot's minified script and stylesheet; empty (the page then says charts are unavailable) when neither copy is there. */
export function chartAssets(): ChartAssets {
  if (!cached) {
    const files = readUplotFiles();
    cached = files ? assetsOf(files.js, files.css) : { js: '', css: '', version: '' };
  }
  return cached;
}
