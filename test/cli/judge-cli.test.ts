// `canaria judge` as a user runs it: a real process, real files and stdin.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/canaria.js');
const EXAMPLE = join(ROOT, 'examples/judge-request.json');
const example = JSON.parse(readFileSync(EXAMPLE, 'utf8'));

function canaria(args: string[], stdin?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: stdin, encoding: 'utf8', cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withChange(change: (body: any) => void): string {
  const body = structuredClone(example);
  change(body);
  return JSON.stringify(body);
}

describe('canaria judge', () => {
  it('judges the README example from a file', () => {
    const r = canaria(['judge', '--input', EXAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.judgeName).toBe('NetflixACAJudge-v1.0');
    expect(out.results.map((m: any) => m.classification)).toEqual(['High', 'Pass']);
    expect(out.score).toEqual({ score: 40, classification: 'Fail', classificationReason: '' });
  });

  it('reads standard input with "-" and gives the same answer', () => {
    const fromFile = canaria(['judge', '--input', EXAMPLE]).stdout;
    const fromStdin = canaria(['judge', '-i', '-'], readFileSync(EXAMPLE, 'utf8'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile);
  });

  it('reads a file saved with a byte order mark (as some Windows editors write JSON), and non-ASCII names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaria-judge-'));
    const fromFile = canaria(['judge', '--input', EXAMPLE]).stdout;
    const withBom = join(dir, 'bom.json');
    writeFileSync(withBom, `\ufeff${readFileSync(EXAMPLE, 'utf8')}`);
    const r = canaria(['judge', '--input', withBom]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(fromFile);
    const named = join(dir, 'named.json');
    writeFileSync(named, withChange((b) => {
      b.canaryConfig.metrics[0].name = 'latência p99 東';
      b.metricSetPairList[0].name = 'latência p99 東';
    }));
    expect(JSON.parse(canaria(['judge', '--input', named]).stdout).results[0].name).toBe('latência p99 東');
  });

  it('writes NaN as the string "NaN" and omits absent fields', () => {
    const body = withChange((b) => {
      b.canaryConfig.metrics[1].analysisConfigurations.canary.nanStrategy = 'remove';
      b.metricSetPairList[1].values.experiment = ['NaN', null];
    });
    const out = JSON.parse(canaria(['judge', '-i', '-'], body).stdout);
    expect(out.results[1].classification).toBe('Nodata');
    expect(out.results[1].classificationReason).toBe('Missing data for errors');
    const zeroMean = withChange((b) => {
      b.metricSetPairList[0].values.control = [0, 0, 0, 0, 0];
    });
    const r = JSON.parse(canaria(['judge', '-i', '-'], zeroMean).stdout);
    expect(r.results[0].resultMetadata.ratio).toBe('NaN');
  });

  it('documents itself with --help', () => {
    const r = canaria(['judge', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--input FILE|-');
    expect(r.stdout).toContain('scoreThresholds');
    expect(r.stdout).toContain('lists every problem');
    expect(canaria(['--help']).stdout).toContain('judge');
  });

  const bad: Array<[string, string[], string | undefined, RegExp]> = [
    ['no --input', ['judge'], undefined, /--input FILE \(or - for stdin\) is required/],
    ['unknown option', ['judge', '--bogus'], undefined, /Unknown option '--bogus'/],
    ['missing file', ['judge', '--input', '/nonexistent/req.json'], undefined, /cannot read \/nonexistent\/req.json: ENOENT/],
    ['not JSON', ['judge', '-i', '-'], '{"canaryConfig": ', /standard input is not valid JSON/],
    ['not an object', ['judge', '-i', '-'], '[1, 2]', /must be a JSON object \{canaryConfig, metricSetPairList, scoreThresholds\}/],
    ['canaryConfig missing', ['judge', '-i', '-'], withChange((b) => delete b.canaryConfig), /^canaria judge: canaryConfig: is required/],
    ['metrics not a list', ['judge', '-i', '-'], withChange((b) => (b.canaryConfig.metrics = {})), /canaryConfig\.metrics: must be an array/],
    ['pair list missing', ['judge', '-i', '-'], withChange((b) => delete b.metricSetPairList), /metricSetPairList: is required/],
    ['value of the wrong type', ['judge', '-i', '-'], withChange((b) => (b.metricSetPairList[1].values.control[3] = '7')), /metricSetPairList\[1\]\.values\.control\[3\]: must be a number, "NaN" or null/],
    ['values without experiment', ['judge', '-i', '-'], withChange((b) => delete b.metricSetPairList[0].values.experiment), /metricSetPairList\[0\]\.values\.experiment: is required/],
    ['unknown metric name', ['judge', '-i', '-'], withChange((b) => (b.metricSetPairList[1].name = 'latencyy')), /metricSetPairList\[1\]\.name: no metric named "latencyy" in canaryConfig\.metrics/],
    ['thresholds absent', ['judge', '-i', '-'], withChange((b) => delete b.scoreThresholds), /scoreThresholds: is required/],
    ['threshold not a number', ['judge', '-i', '-'], withChange((b) => (b.scoreThresholds.pass = '75')), /scoreThresholds\.pass: must be a number/],
    ['pass below marginal', ['judge', '-i', '-'], withChange((b) => (b.scoreThresholds = { pass: 50, marginal: 75 })), /scoreThresholds\.pass: pass must be greater than or equal to marginal/],
    ['unknown direction', ['judge', '-i', '-'], withChange((b) => (b.canaryConfig.metrics[0].analysisConfigurations.canary.direction = 'up')), /canaryConfig\.metrics\[0\]\.analysisConfigurations\.canary\.direction: must be one of "increase", "decrease", "either"/],
    ['critical not a boolean', ['judge', '-i', '-'], withChange((b) => (b.canaryConfig.metrics[1].analysisConfigurations.canary.critical = 'yes')), /canaryConfig\.metrics\[1\]\.analysisConfigurations\.canary\.critical: must be true or false/],
    ['outlier factor zero', ['judge', '-i', '-'], withChange((b) => (b.canaryConfig.metrics[0].analysisConfigurations.canary.outliers = { strategy: 'remove', outlierFactor: 0 })), /outliers\.outlierFactor: must be greater than 0/],
    ['group weight not a number', ['judge', '-i', '-'], withChange((b) => (b.canaryConfig.classifier.groupWeights.errors = 'forty')), /canaryConfig\.classifier\.groupWeights\.errors: must be a number/],
  ];

  for (const [what, args, stdin, message] of bad) {
    it(`rejects ${what} with exit 2 and one line naming the problem`, () => {
      const r = canaria(args, stdin);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('lists every problem, one line each, and still exits 2', () => {
    const body = withChange((b) => {
      b.metricSetPairList[1].values.control[3] = '7';
      delete b.metricSetPairList[0].values.experiment;
      b.scoreThresholds.pass = '75';
      b.canaryConfig.metrics[0].analysisConfigurations.canary.direction = 'up';
    });
    const r = canaria(['judge', '-i', '-'], body);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.startsWith('canaria judge: '))).toBe(true);
    for (const problem of [
      'canaryConfig.metrics[0].analysisConfigurations.canary.direction: must be one of "increase", "decrease", "either"',
      'metricSetPairList[0].values.experiment: is required',
      'metricSetPairList[1].values.control[3]: must be a number, "NaN" or null',
      'scoreThresholds.pass: must be a number',
    ]) {
      expect(lines).toContain(`canaria judge: ${problem}`);
    }
    expect(r.stderr).not.toContain('more problem');
  });

  it('lists at most 20 problems, then counts the rest', () => {
    const body = withChange((b) => {
      b.metricSetPairList[0].values.control = Array.from({ length: 25 }, () => 'x');
    });
    const r = canaria(['judge', '-i', '-'], body);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe('canaria judge: metricSetPairList[0].values.control[0]: must be a number, "NaN" or null');
    expect(lines[19]).toBe('canaria judge: metricSetPairList[0].values.control[19]: must be a number, "NaN" or null');
    expect(lines[20]).toBe('canaria judge: … and 5 more problems');
  });

  it('accepts a file path with spaces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaria judge '));
    const file = join(dir, 'my request.json');
    writeFileSync(file, readFileSync(EXAMPLE));
    expect(canaria(['judge', '--input', file]).code).toBe(0);
  });
});
