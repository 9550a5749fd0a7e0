// `canaria analyze`: one analysis from the command line against a real Prometheus.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrometheus, freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START } from '../support/prometheus-data.ts';

const BIN = fileURLToPath(new URL('../../bin/canaria.js', import.meta.url));
const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

function canaria(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describeWithPrometheus('canaria analyze', () => {
  let prom: RunningPrometheus;
  let dir: string;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    dir = mkdtempSync(join(tmpdir(), 'canaria-analyze-'));
    writeFileSync(join(dir, 'accounts.yaml'), `accounts:\n  - {name: prom, type: prometheus, endpoint: ${prom.url}}\n  - {name: down, type: prometheus, endpoint: http://127.0.0.1:${await freePort()}}\n`);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        name: 'cli',
        metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${LATENCY.worse}{\${scope}})` }, groups: ['g'], scopeName: 'default' }],
      }),
    );
  }, 60_000);
  afterAll(async () => prom?.stop());

  const scopeArgs = () => ['--control', 'version="baseline"', '--experiment', 'version="canary"', '--start', iso(START), '--end', iso(END)];

  it('prints the verdict on stdout and progress on stderr', async () => {
    const r = await canaria(['analyze', '--config', join(dir, 'config.json'), '--accounts', join(dir, 'accounts.yaml'), ...scopeArgs()]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.results[0]).toMatchObject({ name: 'latency', classification: 'High' });
    expect(result.score).toMatchObject({ score: 0, classification: 'Fail' });
    expect(r.stderr).toContain("canaria analyze: fetching control data of 'latency'");
    expect(r.stderr).toContain('canaria analyze: Fail (score 0; 1 High)');
  });

  it('exits 1 with the reason when the analysis cannot fetch', async () => {
    const r = await canaria(['analyze', '-c', join(dir, 'config.json'), '-a', join(dir, 'accounts.yaml'), '-m', 'down', ...scopeArgs()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/canaria analyze: terminal in fetch: fetching (control|experiment) data of metric 'latency': Prometheus account 'down' failed/);
  });

  it('exits 2 for a request it can refuse up front', async () => {
    const r = await canaria(['analyze', '-c', join(dir, 'config.json'), '-a', join(dir, 'accounts.yaml'), '--control', 'version="baseline"}) or vector(1) #', '--experiment', 'version="canary"']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^canaria analyze: executionRequest\.scopes\.default\.controlScope\.scope: the value may only add label matchers/);
  });
});
