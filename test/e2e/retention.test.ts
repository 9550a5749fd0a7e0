// Retention classes (docs/deploy.md, Data and retention): a passed analysis's objects carry the
// tag of S3's shorter lifecycle rule and its record expires `days` after its build; any other
// run keeps no tag and expires `extendedDays` after. Run through the state machine on the S3
// and DynamoDB emulators, read back as S3 and DynamoDB would show them.
import { GetObjectTaggingCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExecutionStore, retentionFromEnvironment, type Retention } from '../../lib/analysis/executions.ts';
import { startEmulators, type Emulators } from '../../lib/local/emulators.ts';
import { LocalStateMachine } from '../../lib/local/state-machine.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import type { Storage } from '../../lib/store/ports.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const RETENTION: Retention = { days: 7, extendedDays: 400 };
const DAY = 24 * 3600;

describeWithPrometheus('retention of an analysis', () => {
  let prom: RunningPrometheus;
  let emulators: Emulators;
  let storage: Storage;
  let machine: LocalStateMachine;
  let s3: S3Client;
  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    emulators = await startEmulators();
    storage = createStorage(emulators);
    const executions = new ExecutionStore(storage, RETENTION);
    machine = new LocalStateMachine({
      executions,
      configs: new ConfigStore(storage),
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: prom.url }]),
      now: Date.now,
    });
    s3 = new S3Client({ region: 'us-east-1', endpoint: emulators.s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  }, 60_000);
  afterAll(async () => {
    await emulators?.stop();
    await prom?.stop();
  });

  const run = async (name: string, series: string) => {
    const window = { start: iso(START), end: iso(END), step: STEP };
    await machine.run(
      {
        canaryConfig: { name, metrics: [{ name: 'latency', query: { type: 'prometheus', customInlineTemplate: `PromQL:avg(${series}{\${scope}})` }, groups: ['g'] }] },
        executionRequest: {
          scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
          thresholds: { pass: 95, marginal: 75 },
        },
        application: 'retention',
      },
      name,
    );
    const record = (await storage.records.get({ pk: 'canaryExecution', sk: name }))!;
    const keys = [`executions/${name}/request.json`, `executions/${name}/judge-result.json`, `metric_set_pair_list/${record.metricSetPairListId}.json`];
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: emulators.bucket }));
    for (const key of keys) expect(listed.Contents?.map((o) => o.Key)).toContain(key);
    const tags = await Promise.all(keys.map(async (Key) => (await s3.send(new GetObjectTaggingCommand({ Bucket: emulators.bucket, Key }))).TagSet ?? []));
    return { record, tags };
  };

  it('tags a passed analysis standard and lets its record expire after `days`', async () => {
    const { record, tags } = await run('kept-short', LATENCY.identical);
    expect(record).toMatchObject({ status: 'succeeded', classification: 'Pass' });
    expect(record.expiresAt).toBe(Math.floor((record.buildTimeMillis as number) / 1000) + RETENTION.days * DAY);
    for (const set of tags) expect(set).toEqual([{ Key: 'canaria-retention', Value: 'standard' }]);
  });

  it('tags the metric sets Fetch stored, and only keys of that form', async () => {
    const executions = new ExecutionStore(storage, RETENTION);
    await storage.objects.putJson('executions/sets-only/sets/0-control.json', []);
    await storage.objects.putJson('executions/sets-only/other.json', []);
    // The request, pair list and result are missing: tagging fails on the first of them.
    await expect(executions.tagStandard('sets-only', 'none', ['0-control', '../other'])).rejects.toThrow();
    const tagsOf = async (Key: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket: emulators.bucket, Key }))).TagSet;
    expect(await tagsOf('executions/sets-only/sets/0-control.json')).toEqual([{ Key: 'canaria-retention', Value: 'standard' }]);
    expect(await tagsOf('executions/sets-only/other.json')).toEqual([]);
  });

  it('keeps a failed analysis untagged, its record for `extendedDays`', async () => {
    const { record, tags } = await run('kept-long', LATENCY.worse);
    expect(record).toMatchObject({ status: 'succeeded', classification: 'Fail' });
    expect(record.expiresAt).toBe(Math.floor((record.buildTimeMillis as number) / 1000) + RETENTION.extendedDays * DAY);
    for (const set of tags) expect(set).toEqual([]);
  });
});

it('reads the retention from the environment the stack sets, refusing what is not a day count', () => {
  expect(retentionFromEnvironment({})).toEqual({ days: 90, extendedDays: 365 });
  expect(retentionFromEnvironment({ CANARIA_RETENTION_DAYS: '30', CANARIA_EXTENDED_RETENTION_DAYS: '400' })).toEqual({ days: 30, extendedDays: 400 });
  expect(() => retentionFromEnvironment({ CANARIA_RETENTION_DAYS: '0' })).toThrow(/CANARIA_RETENTION_DAYS must be a whole number of days/);
  expect(() => retentionFromEnvironment({ CANARIA_EXTENDED_RETENTION_DAYS: '1e3' })).toThrow(/CANARIA_EXTENDED_RETENTION_DAYS/);
});
