// Start-up cost: a command loads only what it uses. `canaria judge` and `canaria --help` must not
// load the AWS SDK, the storage emulators or the state-machine runtime (issue 14). Each command runs
// as a real process with a resolve hook that lists every module it loads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/canaria.js');
const HOOK = join(ROOT, 'test/cli/module-trace-hook.ts');
const EXAMPLE = join(ROOT, 'examples/judge-request.json');
const dir = mkdtempSync(join(tmpdir(), 'canaria-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FORBIDDEN = /\/node_modules\/(@aws-sdk\/[^/]+|dynalite|s3rver|aws-local-stepfunctions)\//;

let n = 0;
/** Runs `canaria ARGS` and returns its exit code and the packages under FORBIDDEN it loaded. */
function loadedBy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const trace = join(dir, `trace-${n++}.txt`);
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CANARIA_MODULE_TRACE: trace, ...env },
  });
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const forbidden = [...new Set(urls.flatMap((u) => FORBIDDEN.exec(u)?.[1] ?? []))].sort();
  return { code: r.status, stderr: r.stderr, urls, forbidden };
}

describe('what a command loads at start-up', () => {
  it('the trace sees them when a command does load them (serve)', () => {
    const r = loadedBy(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.forbidden).toContain('aws-local-stepfunctions');
    expect(r.forbidden.some((p) => p.startsWith('@aws-sdk/'))).toBe(true);
  });

  it('canaria judge loads neither the AWS SDK, the emulators nor the state-machine runtime (bundle and sources)', () => {
    const bundled = loadedBy(['judge', '--input', EXAMPLE]);
    expect(bundled.stderr).toBe('');
    expect(bundled.code).toBe(0);
    expect(bundled.urls.some((u) => u.includes('/node_modules/.cache/canaria-cli/'))).toBe(true);
    expect(bundled.forbidden).toEqual([]);

    const sources = loadedBy(['judge', '--input', EXAMPLE], { CANARIA_NO_BUNDLE: '1' });
    expect(sources.stderr).toBe('');
    expect(sources.code).toBe(0);
    expect(sources.urls.some((u) => u.endsWith('/lib/judge/judge.ts'))).toBe(true);
    expect(sources.forbidden).toEqual([]);
  });

  it('canaria --help and canaria judge --help load nothing of that either', () => {
    for (const env of [{}, { CANARIA_NO_BUNDLE: '1' }]) {
      for (const args of [['--help'], ['judge', '--help'], ['--version']]) {
        const r = loadedBy(args, env);
        expect(r.code, args.join(' ')).toBe(0);
        expect(r.forbidden, args.join(' ')).toEqual([]);
      }
    }
  });
});
