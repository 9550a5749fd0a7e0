// Start-up of the command line: Node 22 runs lib/ as TypeScript, but stripping the types of every
// module on each start costs a few hundred milliseconds (the type stripper itself, then each file).
// So the CLI runs from a JavaScript bundle of lib/cli/main.ts (esbuild, split per command, npm
// packages but zod left to Node), cached in node_modules/.cache/canaria-cli/ and used only while every
// source file it was built from is unchanged (path, size and mtime, checked on each start) and for
// the same Node version; otherwise it is built again first. Without esbuild (a production install),
// with CANARIA_NO_BUNDLE=1, or when anything here fails, the CLI runs from the sources as before.
// Built-in modules from process.getBuiltinModule: importing node:fs as an ES module loads all it
// exports lazily (streams, fs/promises, readline, ...), which costs every start a few milliseconds.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { enableCompileCache } = process.getBuiltinModule('node:module');
const { join } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE_ENTRY = new URL('../lib/cli/main.ts', import.meta.url);
/**
 * Builds older than this are removed when a new one is made: not sooner, since a process started
 * from an older build (a long `canaria serve`) still loads its chunks on demand.
 */
const STALE_BUILD_MS = 24 * 3600_000;
const FORMAT = 3;

/** Inside the project, so that the bundle's imports of npm packages resolve as the sources' do. */
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'canaria-cli');
/**
 * V8's compiled code of the modules the CLI loads (Node's compile cache), so that a start skips
 * compiling them: the bundle's and the npm packages'. Emptied by each new build, which leaves the
 * previous build's entries unused.
 */
const COMPILE_CACHE_DIR = join(CACHE_DIR, 'compile-cache');

/** The bundle's entry when the manifest's build is current; undefined otherwise. */
function currentBuild(dir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || manifest.node !== process.version || manifest.root !== ROOT) return undefined;
  // ROOT ends with a separator and the paths are relative: path.join, normalizing each of ~200
  // paths in not yet optimized code, cost ~10 ms here.
  for (const [path, size, mtimeMs] of manifest.inputs) {
    let s;
    try {
      s = statSync(ROOT + path);
    } catch {
      return undefined;
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return undefined;
  }
  return join(dir, manifest.build, 'main.mjs');
}

/** esbuild: every import.meta.url of a source file becomes that file's own URL, as when run unbundled. */
const sourceUrls = {
  name: 'canaria-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/** npm packages stay Node's to load, except these, bundled: zod is ~100 small modules on every start. */
const BUNDLED_PACKAGES = /^zod(\/|$)/;
const packagesExternal = {
  name: 'canaria-packages-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

/**
 * esbuild: the sources' imports of built-in modules read from process.getBuiltinModule, as above,
 * and only the names they import: a shim that stood for the whole module (CommonJS, then esbuild's
 * copy of every export) made node:util load its lazy parts, streams and stderr among them (~8 ms a
 * start). Each name is a pure read that esbuild drops when nothing imports it. Import them
 * statically: a dynamic import() reads every name.
 */
const builtinsByName = {
  name: 'canaria-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => {
      const names = Object.getOwnPropertyNames(process.getBuiltinModule(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
      const lines = [`const m = process.getBuiltinModule(${JSON.stringify(args.path)});`, 'export default m;'];
      names.forEach((name, i) => lines.push(`const e${i} = /* @__PURE__ */ (() => m.${name})();`, `export { e${i} as ${name} };`));
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

async function build(dir) {
  const esbuild = await import('esbuild');
  // Inputs as they are before the build: a file edited during it makes the build stale at once.
  const name = `build-${Date.now().toString(36)}-${process.pid}`;
  const out = join(dir, name);
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(SOURCE_ENTRY)],
    absWorkingDir: ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir: out,
    entryNames: '[name]',
    // ES modules by their name: no package.json scope reaches under node_modules/, and without one
    // Node would try each .js file as CommonJS first.
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'silent',
    plugins: [builtinsByName, packagesExternal, sourceUrls],
  });
  const paths = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith('node-builtin:'));
  const inputs = paths.map((path) => {
    const s = statSync(join(ROOT, path));
    return [path, s.size, s.mtimeMs];
  });
  const manifest = { format: FORMAT, node: process.version, root: ROOT, build: name, inputs };
  const tmp = join(dir, `manifest.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, join(dir, 'manifest.json'));
  try {
    rmSync(COMPILE_CACHE_DIR, { recursive: true, force: true });
  } catch {
    // another process wrote to it meanwhile: Node checks each entry against its source before use
  }
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith('build-') || entry === name) continue;
    try {
      if (Date.now() - statSync(join(dir, entry)).mtimeMs > STALE_BUILD_MS) rmSync(join(dir, entry), { recursive: true, force: true });
    } catch {
      // another process removed it
    }
  }
  return join(out, 'main.mjs');
}

/** lib/cli/main.ts's module: from the current bundle (built first if need be), else from the sources. */
export async function loadMain() {
  if (!process.env.CANARIA_NO_BUNDLE) {
    try {
      const dir = CACHE_DIR;
      let entry = currentBuild(dir);
      if (!entry) {
        mkdirSync(dir, { recursive: true });
        entry = await build(dir);
      }
      // Without it (Node < 22.1, a directory that cannot be written) modules are compiled as before.
      enableCompileCache?.(COMPILE_CACHE_DIR);
      return await import(pathToFileURL(entry).href);
    } catch (err) {
      if (process.env.CANARIA_DEBUG) process.stderr.write(`canaria: running from the sources: ${err?.stack ?? err}\n`);
    }
  }
  return import(SOURCE_ENTRY.href);
}
