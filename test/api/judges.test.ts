// Choosing the judge, as an API client and a CLI user see it: GET /judges, POST /judge with the
// config's judge or judge=, refusals naming the field, and `canaria judge --judge`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useLocalService } from '../support/service.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples/judge-request.json'), 'utf8'));

/** Two metrics, 60 points a side: `slow` clearly worse in the canary, `same` identical. */
function body(judge?: Record<string, unknown>) {
  const base = (i: number) => 100 + 5 * Math.sin(i / 3);
  const at = (startTimeMillis: number) => ({ startTimeMillis, stepMillis: 60_000 });
  const pair = (name: string, experiment: (i: number) => number) => ({
    name,
    tags: {},
    values: { control: Array.from({ length: 60 }, (_, i) => base(i)), experiment: Array.from({ length: 60 }, (_, i) => experiment(i)) },
    scopes: { control: at(1_700_000_000_000), experiment: at(1_700_000_000_000) },
  });
  return {
    canaryConfig: {
      ...(judge ? { judge } : {}),
      metrics: [
        { name: 'slow', groups: ['g'], analysisConfigurations: { canary: { direction: 'increase' } } },
        { name: 'same', groups: ['g'], analysisConfigurations: { canary: { direction: 'increase' } } },
      ],
      classifier: { groupWeights: { g: 100 } },
    },
    metricSetPairList: [pair('slow', (i) => base(i) * 1.5), pair('same', base)],
    scoreThresholds: { pass: 95, marginal: 75 },
  };
}

describe('choosing the judge', () => {
  const svc = useLocalService();

  it('lists both judges', async () => {
    const names = (await svc.call('GET', '/judges')).json.map((j: { name: string }) => j.name);
    expect(names).toEqual(['NetflixACAJudge-v1.0', 'canaria-v1']);
  });

  it("judges with the config's judge.name, or with judge= over it", async () => {
    const byDefault = await svc.call('POST', '/judge', { body: body() });
    expect(byDefault.status).toBe(200);
    expect(byDefault.json.judgeName).toBe('NetflixACAJudge-v1.0');

    const byConfig = await svc.call('POST', '/judge', { body: body({ name: 'canaria-v1' }) });
    expect(byConfig.status).toBe(200);
    expect(byConfig.json.judgeName).toBe('canaria-v1');
    const slow = byConfig.json.results.find((r: { name: string }) => r.name === 'slow');
    expect(slow.classification).toBe('High');
    expect(slow.resultMetadata.canaria.decision).toBe('fail');
    expect(byConfig.json.score.classification).toBe('Fail');

    const byParam = await svc.call('POST', '/judge?judge=NetflixACAJudge-v1.0', { body: body({ name: 'canaria-v1' }) });
    expect(byParam.json.judgeName).toBe('NetflixACAJudge-v1.0');
  });

  it('refuses an unknown judge with a 400 naming where the name came from', async () => {
    const inConfig = await svc.call('POST', '/judge', { body: body({ name: 'dredd-v1.0' }) });
    expect(inConfig.status).toBe(400);
    expect(inConfig.json.message).toBe("canaryConfig.judge.name: Unable to resolve canary judge 'dredd-v1.0'. canaria runs: NetflixACAJudge-v1.0, canaria-v1.");
    const inParam = await svc.call('POST', '/judge?judge=dredd-v1.0', { body: body() });
    expect(inParam.status).toBe(400);
    expect(inParam.json.message).toMatch(/^judge: Unable to resolve canary judge 'dredd-v1.0'/);
    const shadow = await svc.call('POST', '/canary', {
      body: { canaryConfig: { ...EXAMPLE.canaryConfig, judge: { judgeConfigurations: { shadowJudges: ['nope'] } } }, executionRequest: { scopes: {}, thresholds: { pass: 95, marginal: 75 } } },
    });
    expect(shadow.status).toBe(400);
    expect(shadow.json.message).toMatch(/^canaryConfig\.judge\.judgeConfigurations\.shadowJudges\[0\]: Unable to resolve canary judge 'nope'/);
  });

  it('refuses a config canaria-v1 cannot use, naming the field', async () => {
    const b = body({ name: 'canaria-v1' });
    (b.canaryConfig.metrics[0].analysisConfigurations as any).canaria = { kind: 'errors', denominator: 'requests' };
    const r = await svc.call('POST', '/judge', { body: b });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^canaryConfig\.metrics\[0\]\.analysisConfigurations\.canaria\.denominator: /);
    // The same config under NetflixACAJudge-v1.0, which ignores analysisConfigurations.canaria, judges.
    expect((await svc.call('POST', '/judge?judge=NetflixACAJudge-v1.0', { body: b })).status).toBe(200);
  });
});

describe('pairs a caller supplies to canaria-v1', () => {
  const svc = useLocalService();
  const errorsBody = (denominatorTags: Record<string, string> | null) => {
    const b = body({ name: 'canaria-v1' });
    b.canaryConfig.metrics = [
      { name: 'errors', groups: ['g'], analysisConfigurations: { canary: { direction: 'increase' }, canaria: { kind: 'errors', denominator: 'requests' } } as any },
      { name: 'requests', groups: ['g'], analysisConfigurations: { canary: { muted: true } } as any },
    ];
    const errors = { ...b.metricSetPairList[1], name: 'errors', tags: { region: 'eu' } };
    b.metricSetPairList = denominatorTags ? [errors, { ...b.metricSetPairList[1], name: 'requests', tags: denominatorTags }] : [errors];
    return b;
  };

  it('refuses an errors metric without its denominator pairs, or with none of its tags, naming the field', async () => {
    const none = await svc.call('POST', '/judge', { body: errorsBody(null) });
    expect(none.status).toBe(400);
    expect(none.json.message).toMatch(/^metricSetPairList\[0\]: errors metric "errors" needs the pairs of its denominator "requests"/);
    const other = await svc.call('POST', '/judge', { body: errorsBody({ region: 'us' }) });
    expect(other.status).toBe(400);
    expect(other.json.message).toMatch(/^metricSetPairList\[0\]\.tags: no pair of the denominator "requests" has the tags \{"region":"eu"\}/);
    expect((await svc.call('POST', '/judge', { body: errorsBody({ region: 'eu' }) })).status).toBe(200);
  });
});

describe('canaria judge --judge', () => {
  const canaria = (args: string[], stdin: string) => spawnSync(process.execPath, [join(ROOT, 'bin/canaria.js'), ...args], { input: stdin, encoding: 'utf8', cwd: ROOT });

  it('runs the judge it names', () => {
    const r = canaria(['judge', '-i', '-', '--judge', 'canaria-v1'], JSON.stringify(body()));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).judgeName).toBe('canaria-v1');
  });

  it('exits 2 with one line for a judge it does not run', () => {
    const r = canaria(['judge', '-i', '-', '--judge', 'dredd'], JSON.stringify(body()));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe("canaria judge: --judge: Unable to resolve canary judge 'dredd'. canaria runs: NetflixACAJudge-v1.0, canaria-v1.");
  });
});
