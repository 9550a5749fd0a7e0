// `canaria analyze`: one analysis from the command line against a real Prometheus; the exit
// status tells the verdict.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANALYZE_EXIT_CODES } from '../../lib/cli/analyze-command.ts';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START } from '../support/prometheus-data.ts';
import { canaria, iso } from './run-canaria.ts';

const metric = (name: string, series: string) => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` },
  groups: ['g'],
  analysisConfigurations: { canary: { direction: 'increase' } },
  scopeName: 'default',
});

describeWithPrometheus('canaria analyze', () => {
  let prom: RunningPrometheus;
  let dir: string;
  const file = (name: string) => join(dir, name);
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    dir = mkdtempSync(join(tmpdir(), 'canaria-analyze-'));
    writeFileSync(file('accounts.yaml'), `accounts:\n  - {name: prom, type: prometheus, endpoint: ${prom.url}}\n  - {name: down, type: prometheus, endpoint: http://127.0.0.1:${await freePort()}}\n`);
    const configs = {
      'config.json': [metric('latency', LATENCY.worse)],
      'identical.json': [metric('latency', LATENCY.identical)],
      'marginal.json': [metric('a', LATENCY.identical), metric('b', LATENCY.identical), metric('c', LATENCY.worse)],
    };
    for (const [name, metrics] of Object.entries(configs)) writeFileSync(file(name), JSON.stringify({ name: 'cli', metrics, classifier: { groupWeights: { g: 100 } } }));
  }, 60_000);
  afterAll(async () => prom?.stop());

  const scopeArgs = () => ['--control', 'version="baseline"', '--experiment', 'version="canary"', '--start', iso(START), '--end', iso(END)];
  const analyze = (config: string, ...more: string[]) => canaria(['analyze', '--config', file(config), '--accounts', file('accounts.yaml'), ...scopeArgs(), ...more]);

  it('prints the verdict on stdout and progress on stderr', async () => {
    const r = await analyze('config.json');
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Fail);
    const result = JSON.parse(r.stdout);
    expect(result.results[0]).toMatchObject({ name: 'latency', classification: 'High' });
    expect(result.score).toMatchObject({ score: 0, classification: 'Fail' });
    expect(r.stderr).toContain("canaria analyze: fetching control and experiment data of 'latency'");
    expect(r.stderr).toContain('canaria analyze: Fail (score 0; 1 High)');
  });

  it.concurrent.each([
    ['Pass', 'identical.json', [], 0],
    ['Marginal', 'marginal.json', ['--pass', '90', '--marginal', '60'], 3],
    ['Fail', 'config.json', [], 4],
  ] as const)('exits by the verdict: %s', async (verdict, config, thresholds, code) => {
    expect(ANALYZE_EXIT_CODES[verdict]).toBe(code);
    const r = await analyze(config, ...thresholds);
    expect(JSON.parse(r.stdout).score.classification).toBe(verdict);
    expect(r.code, r.stderr).toBe(code);
  });

  it('--output text: the verdict with score and thresholds, then one line per metric, failing first', async () => {
    const r = await analyze('marginal.json', '--pass', '90', '--marginal', '60', '--output', 'text');
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Marginal);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Marginal: score 66.67 (pass 90, marginal 60)');
    const metrics = lines.slice(lines.indexOf('metrics (3):') + 1);
    expect(metrics).toHaveLength(3);
    expect(metrics[0]).toMatch(/^ {2}c +High +ratio 1\.\d+; 98% interval of the difference \d+(\.\d+)? to \d+(\.\d+)?; c was classified as High$/);
    expect(metrics[1]).toMatch(/^ {2}a +Pass +ratio 1; The Canary and Baseline data are identical$/);
    expect(metrics[2]).toMatch(/^ {2}b +Pass /);
    expect(() => JSON.parse(r.stdout)).toThrow();
  });

  it('--status exits by the verdict too and keeps the JSON', async () => {
    const r = await analyze('identical.json', '--status', '--output', 'json');
    expect(r.code, r.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    expect(JSON.parse(r.stdout)).toMatchObject({ complete: true, status: 'succeeded', result: { judgeResult: { score: { classification: 'Pass' } } } });
  });

  it('exits 1 with the reason when the analysis cannot fetch', async () => {
    const r = await canaria(['analyze', '-c', file('config.json'), '-a', file('accounts.yaml'), '-m', 'down', ...scopeArgs()]);
    expect(r.code).toBe(ANALYZE_EXIT_CODES.error);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/canaria analyze: terminal in fetch: fetching (control|experiment) data of metric 'latency': Prometheus account 'down' failed/);
    expect(r.stderr).toMatch(/canaria analyze: Prometheus account 'down' failed for (control|experiment) data of 'latency' \(cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\); retry 2 of 4 in \d+\.\d s/);
  });

  it('exits 2 for a request it can refuse up front', async () => {
    const r = await canaria(['analyze', '-c', file('config.json'), '-a', file('accounts.yaml'), '--control', 'version="baseline"}) or vector(1) #', '--experiment', 'version="canary"']);
    expect(r.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(r.stderr.trim()).toMatch(/^canaria analyze: executionRequest\.scopes\.default\.controlScope\.scope: the value may only add label matchers/);
  });
  it('--interval runs the standalone loop over a past window, one line per look, and exits by its verdict', async () => {
    const bad = await analyze('config.json', '--interval', '30m', '--output', 'text');
    expect(bad.code, bad.stderr).toBe(ANALYZE_EXIT_CODES.Fail);
    expect(bad.stderr).toContain('canaria analyze: 4 look(s), one every 30 min over the past window; judge NetflixACAJudge-v1.0');
    expect(bad.stderr).toMatch(/canaria analyze: look 1 of 4 \(\d\d:\d\d–\d\d:\d\d UTC\): Fail, score 0\n/);
    expect(bad.stderr).not.toContain('look 2 of 4');
    expect(bad.stdout).toMatch(/^TERMINAL: Final canary score 0\.0 is not above the marginal score threshold\.\nscores: 0\n$/);
    const good = await analyze('identical.json', '--interval', '1h');
    expect(good.code, good.stderr).toBe(ANALYZE_EXIT_CODES.Pass);
    expect(good.stderr.match(/look \d of 2 /g)).toEqual(['look 1 of 2 ', 'look 2 of 2 ']);
    expect(JSON.parse(good.stdout)).toMatchObject({ didPassThresholds: true, canaryScores: [100, 100] });
  });

  it('--lifetime and --interval refuse what cannot run', async () => {
    const both = await analyze('config.json', '--lifetime', '60m', '--interval', '10m');
    expect(both.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(both.stderr).toContain('give --lifetime (from now), or --start and --end (a lifetime in the past), not both');
    const bad = await canaria(['analyze', '-c', file('config.json'), '-a', file('accounts.yaml'), '--control', 'version="baseline"', '--experiment', 'version="canary"', '--lifetime', 'an hour']);
    expect(bad.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(bad.stderr).toContain('--lifetime must be a duration in whole minutes, e.g. 60m, 1h or 1h30m, not "an hour"');
    const longer = await canaria(['analyze', '-c', file('config.json'), '-a', file('accounts.yaml'), '--control', 'version="baseline"', '--experiment', 'version="canary"', '--lifetime', '30m', '--interval', '1h']);
    expect(longer.code).toBe(ANALYZE_EXIT_CODES.usage);
    expect(longer.stderr).toContain('executionRequest.analysisIntervalMins: 60 min is longer than the lifetime (30 min)');
  });
});
