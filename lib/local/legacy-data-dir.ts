// Data directories written before `canaria serve` kept its data in SQLite held it in the
// directories of two emulators: s3/ (s3rver) and dynamodb/ (dynalite). Their contents are copied
// into the new store in one transaction, and the old directories moved aside, untouched.
// A kill during the copy leaves canaria.db empty and the old directories in place: the next
// start copies again.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore } from '../store/config-store.ts';
import type { StoredRecord } from '../store/ports.ts';
import type { SqliteStorage } from '../store/sqlite-storage.ts';


export interface Migration {
  records: number;
  objects: number;
  /** Objects that could not be read (a write cut short left them empty): their keys. */
  unreadable: string[];
  /** Configs whose document was lost (their listing and name claims removed). */
  repaired: string[];
  /** Where the old directories went. */
  movedTo: string;
}

export class LegacyDataDirError extends Error {}

const LEGACY = ['s3', 'dynamodb'];

export function hasLegacyData(dataDir: string): boolean {
  return LEGACY.some((d) => existsSync(join(dataDir, d)));
}

const OBJECT_SUFFIX = '._S3rver_object';
/** The bucket older releases kept everything in (lib/local/emulators.ts LOCAL_BUCKET). */
const LEGACY_BUCKET = 'canaria-local';

/** s3rver keeps each object as BUCKET/KEY._S3rver_object: every key and file under `bucketDir`. */
async function objectFiles(bucketDir: string, prefix = ''): Promise<Array<[key: string, file: string]>> {
  const out: Array<[string, string]> = [];
  for (const entry of await readdir(join(bucketDir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await objectFiles(bucketDir, rel)));
    else if (entry.name.endsWith(OBJECT_SUFFIX)) out.push([rel.slice(0, -OBJECT_SUFFIX.length), join(bucketDir, rel)]);
  }
  return out;
}

/**
 * Copies the old emulators' data into `storage` (which must be empty) in one transaction, and
 * removes what interrupted writes of the old store left behind; undefined when there is none.
 * The records come through dynalite; the objects are read from s3rver's files directly, so a
 * file a crash left empty or torn costs that object only.
 */
export async function migrateLegacyDataDir(dataDir: string, storage: SqliteStorage, now: Date = new Date()): Promise<Migration | undefined> {
  if (!hasLegacyData(dataDir)) return undefined;
  if (!(await storage.isEmpty())) {
    throw new LegacyDataDirError(`${dataDir} holds both canaria.db and an older release's s3/ and dynamodb/; move s3/ and dynamodb/ out of it (canaria.db is the newer data)`);
  }
  const records: StoredRecord[] = [];
  if (existsSync(join(dataDir, 'dynamodb'))) {
    const { startEmulators } = await import('./emulators.ts');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient, ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    let emulators;
    try {
      emulators = await startEmulators({ host: '127.0.0.1', dataDir });
    } catch (err) {
      throw new LegacyDataDirError(`cannot read the old records in ${join(dataDir, 'dynamodb')}: ${(err as Error).message}`);
    }
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: emulators.dynamoEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    try {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: emulators.table, ExclusiveStartKey: start }));
        records.push(...((page.Items ?? []) as StoredRecord[]));
        start = page.LastEvaluatedKey;
      } while (start);
    } catch (err) {
      throw new LegacyDataDirError(`cannot read the old records in ${join(dataDir, 'dynamodb')}: ${(err as Error).message}`);
    } finally {
      dynamo.destroy();
      await emulators.stop();
    }
  }
  const bucketDir = join(dataDir, 's3', LEGACY_BUCKET);
  const files = existsSync(bucketDir) ? await objectFiles(bucketDir) : [];
  const unreadable: string[] = [];
  let objects = 0;
  let repaired: string[] = [];
  await storage.transaction(async () => {
    for (const r of records) await storage.records.put(r);
    for (const [key, file] of files) {
      let value: unknown;
      try {
        value = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        unreadable.push(key);
        continue;
      }
      await storage.objects.putJson(key, value);
      objects++;
    }
    repaired = await new ConfigStore(storage).repair();
  });
  const movedTo = join(dataDir, `legacy-${now.toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(movedTo, { recursive: true });
  for (const d of LEGACY) if (existsSync(join(dataDir, d))) await rename(join(dataDir, d), join(movedTo, d));
  return { records: records.length, objects, unreadable, repaired, movedTo };
}
