// Data directories written before `canaria serve` kept its data in SQLite held it in the
// directories of two emulators: s3/ (s3rver) and dynamodb/ (dynalite). Their contents are copied
// into the new store in one transaction, and the old directories moved aside, untouched.
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { SqliteStorage } from '../store/sqlite-storage.ts';
import type { StoredRecord } from '../store/ports.ts';

export interface Migration {
  records: number;
  objects: number;
  /** Objects that could not be read (a write cut short left them empty): their keys. */
  unreadable: string[];
  /** Where the old directories went. */
  movedTo: string;
}

export class LegacyDataDirError extends Error {}

const LEGACY = ['s3', 'dynamodb'];

export function hasLegacyData(dataDir: string): boolean {
  return LEGACY.some((d) => existsSync(join(dataDir, d)));
}

/** Copies the old emulators' data into `storage`; undefined when there is none. */
export async function migrateLegacyDataDir(dataDir: string, storage: SqliteStorage, now: Date = new Date()): Promise<Migration | undefined> {
  if (!hasLegacyData(dataDir)) return undefined;
  const { startEmulators } = await import('./emulators.ts');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient, ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  let emulators;
  try {
    emulators = await startEmulators({ host: '127.0.0.1', dataDir });
  } catch (err) {
    throw new LegacyDataDirError(`cannot read the old storage in ${dataDir} (s3/, dynamodb/): ${(err as Error).message}`);
  }
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: emulators.dynamoEndpoint, credentials }));
  const s3 = new S3Client({ region: 'us-east-1', endpoint: emulators.s3Endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const records: StoredRecord[] = [];
  const objects: Array<[string, unknown]> = [];
  const unreadable: string[] = [];
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: emulators.table, ExclusiveStartKey: start }));
      records.push(...((page.Items ?? []) as StoredRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: emulators.bucket, ContinuationToken: token }));
      for (const { Key } of page.Contents ?? []) {
        const body = await (await s3.send(new GetObjectCommand({ Bucket: emulators.bucket, Key }))).Body!.transformToString('utf8');
        try {
          objects.push([Key!, JSON.parse(body)]);
        } catch {
          unreadable.push(Key!);
        }
      }
      token = page.NextContinuationToken;
    } while (token);
  } catch (err) {
    throw new LegacyDataDirError(`cannot read the old storage in ${dataDir} (s3/, dynamodb/): ${(err as Error).message}`);
  } finally {
    dynamo.destroy();
    s3.destroy();
    await emulators.stop();
  }
  await storage.transaction(async () => {
    for (const r of records) await storage.records.put(r);
    for (const [key, value] of objects) await storage.objects.putJson(key, value);
  });
  const movedTo = join(dataDir, `legacy-${now.toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(movedTo, { recursive: true });
  for (const d of LEGACY) if (existsSync(join(dataDir, d))) await rename(join(dataDir, d), join(movedTo, d));
  return { records: records.length, objects: objects.length, unreadable, movedTo };
}
