// bin/cli-bundle.js: the CLI runs from a cached bundle of lib/cli while its sources are unchanged,
// answers as the sources do, and is built again when a source it was built from changes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/canaria.js');
const EXAMPLE = join(ROOT, 'examples/judge-request.json');
const CACHE_DIR = join(ROOT, 'node_modules/.cache/canaria-cli');
const MANIFEST = join(CACHE_DIR, 'manifest.json');

function canaria(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CANARIA_DEBUG: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Manifest = { build: string; inputs: Array<[string, number, number]> };
const manifest = () => JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;

describe('the CLI bundle', () => {
  it('answers as the sources do: judge, bad input, --help, --version', () => {
    const cases = [['judge', '--input', EXAMPLE], ['judge', '--input', '/nonexistent/x.json'], ['judge', '--pretty', '--input', EXAMPLE], ['--help'], ['judge', '--help'], ['--version']];
    for (const args of cases) {
      const bundled = canaria(args);
      const sources = canaria(args, { CANARIA_NO_BUNDLE: '1' });
      expect(bundled.stderr, args.join(' ')).not.toMatch(/running from the sources/);
      expect(bundled, args.join(' ')).toEqual(sources);
    }
  });

  it('is built from lib/cli/main.ts and what it imports, and built again when one of them changes', () => {
    expect(canaria(['judge', '--input', EXAMPLE]).code).toBe(0);
    const before = manifest();
    const paths = before.inputs.map(([path]) => path);
    expect(paths).toContain('lib/cli/main.ts');
    expect(paths).toContain('lib/judge/judge.ts');
    // npm packages are Node's to load, but zod's ~100 modules are bundled (and checked) too.
    expect(paths.filter((p) => p.startsWith('node_modules/') && !p.startsWith('node_modules/zod/'))).toEqual([]);

    // As if lib/judge/judge.ts had been edited since the build (its recorded size no longer matches).
    const changed = { ...before, inputs: before.inputs.map(([p, size, mtime]) => [p, p === 'lib/judge/judge.ts' ? size + 1 : size, mtime]) };
    writeFileSync(MANIFEST, JSON.stringify(changed));
    const r = canaria(['judge', '--input', EXAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(canaria(['judge', '--input', EXAMPLE], { CANARIA_NO_BUNDLE: '1' }).stdout);
    const after = manifest();
    expect(after.build).not.toBe(before.build);
    expect(after.inputs.find(([p]) => p === 'lib/judge/judge.ts')).toEqual(before.inputs.find(([p]) => p === 'lib/judge/judge.ts'));
  });

  it('keeps a compile cache, and runs from the bundle when the cache cannot be written', () => {
    const expected = canaria(['judge', '--input', EXAMPLE], { CANARIA_NO_BUNDLE: '1' }).stdout;
    expect(canaria(['judge', '--input', EXAMPLE]).stdout).toBe(expected);
    const cache = join(CACHE_DIR, 'compile-cache');
    expect(readdirSync(cache).length).toBeGreaterThan(0);

    // A file where the cache directory goes: Node cannot use it, and the CLI does not mind.
    rmSync(cache, { recursive: true, force: true });
    writeFileSync(cache, '');
    try {
      const r = canaria(['judge', '--input', EXAMPLE]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(expected);
    } finally {
      rmSync(cache, { force: true });
    }
  });
});
