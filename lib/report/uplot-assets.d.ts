// The virtual module lib/report/esbuild-plugins.cjs provides in Lambda bundles.
declare module 'canaria:uplot-assets' {
  export const js: string;
  export const css: string;
}
