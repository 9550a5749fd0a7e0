// A data directory of an older release (s3rver's and dynalite's files) is moved into the SQLite
// store on first start: configs kept, a config whose document a crash emptied dropped with its
// name freed, the old files kept aside.
import { existsSync, mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../lib/local/embedded-storage.ts';
import { startEmulators } from '../../lib/local/emulators.ts';
import { createStorage } from '../../lib/store/aws-clients.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { fixture } from '../support/service.ts';

/** Every file below `dir`. */
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

it('moves an older release\'s data directory into the SQLite store', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'canaria-legacy-'));
  const old = await startEmulators({ dataDir });
  const oldConfigs = new ConfigStore(createStorage(old));
  const kept = await oldConfigs.create({ ...fixture('seed-canary-config.json'), name: 'kept' });
  const emptied = await oldConfigs.create({ ...fixture('seed-canary-config.json'), name: 'emptied' });
  const torn = await oldConfigs.create({ ...fixture('seed-canary-config.json'), name: 'torn-metadata' });
  await old.stop();
  // Writes cut short by kill -9 left this config's document empty, and another's metadata
  // (which s3rver writes after the object; its listing fails on it).
  const doc = files(join(dataDir, 's3')).find((f) => f.includes(emptied) && f.endsWith('._S3rver_object'))!;
  truncateSync(doc, 0);
  truncateSync(files(join(dataDir, 's3')).find((f) => f.includes(torn) && f.includes('metadata'))!, 0);

  const lines: string[] = [];
  const embedded = await openEmbeddedStorage({ dataDir, log: (l) => lines.push(l) });
  const configs = new ConfigStore(embedded.storage);
  expect((await configs.get(kept)).name).toBe('kept');
  expect((await configs.list()).map((c) => c.name)).toEqual(['kept', 'torn-metadata']);
  await expect(configs.get(emptied)).rejects.toThrow(/was not found/);
  expect(await configs.create({ ...fixture('seed-canary-config.json'), name: 'emptied' })).toBeTruthy(); // the name is free
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^moved \\d+ record\\(s\\) and 2 object\\(s\\) from the old storage into ${join(dataDir, 'canaria.db')}; 1 unreadable object\\(s\\) skipped \\(canary_config/${emptied}.json\\); 1 config\\(s\\) whose document was lost dropped \\(${emptied}\\); the old files are in ${join(dataDir, 'legacy-')}`));
  expect(existsSync(join(dataDir, 's3'))).toBe(false);
  expect(readdirSync(dataDir).filter((f) => f.startsWith('legacy-'))).toHaveLength(1);
  await embedded.stop();

  // The next start finds nothing to move and the same configs.
  const again = await openEmbeddedStorage({ dataDir, log: (l) => lines.push(l) });
  expect((await new ConfigStore(again.storage).list()).map((c) => c.name)).toEqual(['emptied', 'kept', 'torn-metadata']);
  expect(lines).toHaveLength(1);
  await again.stop();
}, 30_000);

it('refuses old files beside a store that already has data, rather than overwrite it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'canaria-legacy-'));
  const fresh = await openEmbeddedStorage({ dataDir });
  await new ConfigStore(fresh.storage).create({ ...fixture('seed-canary-config.json'), name: 'newer' });
  await fresh.stop();
  const old = await startEmulators({ dataDir }); // an older release run on the same directory
  await new ConfigStore(createStorage(old)).create({ ...fixture('seed-canary-config.json'), name: 'older' });
  await old.stop();
  await expect(openEmbeddedStorage({ dataDir })).rejects.toThrow(`${dataDir} holds both canaria.db and an older release's s3/ and dynamodb/; move s3/ and dynamodb/ out of it (canaria.db is the newer data)`);
  expect(existsSync(join(dataDir, 'canaria.pid'))).toBe(false); // the lock was given back
}, 30_000);
