// A clone runs alone: nothing in the repository reaches for the design folder beside the
// original workspace (../shared); test data lives in test/fixtures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && !f.startsWith('test/fixtures/') && f !== 'package-lock.json');

describe('the repository is self-contained', () => {
  it('has files to look at', () => {
    expect(tracked).toContain('package.json');
    expect(tracked).toContain('.ci/run');
  });

  it('no file reads ../shared', () => {
    const reaching = /\.\.\/+shared\b|SHARED_DIR|new URL\([^)]*shared\//;
    const hits = tracked.filter((f) => /\.(ts|js|mjs|cjs|json|ya?ml|sh)$|^\.ci\//.test(f) && f !== 'test/self-contained.test.ts').filter((f) => reaching.test(readFileSync(`${root}/${f}`, 'utf8')));
    expect(hits).toEqual([]);
  });

  it('has the fixtures the tests load', () => {
    for (const f of ['conformance/judge-cases.json', 'conformance/kayenta-vectors.json', 'seed-canary-config.json', 'kayenta-rangeQueryWithTags.json']) {
      expect(() => JSON.parse(readFileSync(`${root}/test/fixtures/${f}`, 'utf8')), f).not.toThrow();
    }
  });
});
