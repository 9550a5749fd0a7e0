// serverless-esbuild plugins (serverless.yml custom.esbuild.plugins). A Lambda zip holds only
// its bundle, no node_modules: the report page's chart library (uPlot, MIT licence) is read
// from node_modules at build time and embedded as strings in the bundles that import the
// virtual module "canaria:uplot-assets" (lib/report/assets.ts). Locally that import fails and
// the same files are read from node_modules at run time (lib/report/assets-node.ts, which
// bundles replace with a stub).
const { readFileSync } = require('node:fs');

const uplotAssets = {
  name: 'canaria-uplot-assets',
  setup(build) {
    build.onResolve({ filter: /^canaria:uplot-assets$/ }, (args) => ({ path: args.path, namespace: 'canaria-uplot-assets' }));
    // The node_modules reader is not needed (and uses import.meta, which a CommonJS bundle lacks).
    build.onResolve({ filter: /\/assets-node\.ts$/ }, () => ({ path: 'assets-node', namespace: 'canaria-uplot-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'canaria-uplot-stub' }, () => ({ contents: 'export function readUplotFiles() { return undefined; }\n', loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: 'canaria-uplot-assets' }, () => {
      const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
      const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
      return { contents: `export const js = ${JSON.stringify(js)};\nexport const css = ${JSON.stringify(css)};\n`, loader: 'js' };
    });
  },
};

module.exports = [uplotAssets];
