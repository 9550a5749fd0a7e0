// S3- and DynamoDB-compatible servers (s3rver, dynalite) on loopback: the AWS adapters' stand-ins
// in tests and benchmarks, and the reader of data directories written before the embedded store
// moved to SQLite (lib/local/legacy-data-dir.ts). The caller owns any data directory's lock.
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { StorageSettings } from '../store/aws-clients.ts';

export interface Emulators extends Required<Pick<StorageSettings, 'bucket' | 'table' | 's3Endpoint' | 'dynamoEndpoint'>> {
  stop(): Promise<void>;
}

export const LOCAL_BUCKET = 'canaria-local';
export const LOCAL_TABLE = 'canaria-local';

/** Starts both servers on `host` with free ports; on `dataDir` (its s3/ and dynamodb/), or in memory/temp; `table` names the table (a deployed stage's, say). */
export async function startEmulators(options: { host?: string; dataDir?: string; table?: string } = {}): Promise<Emulators> {
  const table = options.table ?? LOCAL_TABLE;
  const host = options.host ?? '127.0.0.1';
  const temp = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'canaria-s3-'));
  const s3Dir = options.dataDir ? join(options.dataDir, 's3') : temp!;
  await mkdir(s3Dir, { recursive: true });
  if (options.dataDir) await mkdir(join(options.dataDir, 'dynamodb'), { recursive: true });

  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}) });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, host, () => resolve());
  });
  const s3 = new S3rver({ address: host, port: 0, directory: s3Dir, silent: true, configureBuckets: [{ name: LOCAL_BUCKET, configs: [] }] });
  let s3Port: number;
  try {
    s3Port = (await s3.run()).port;
  } catch (err) {
    await new Promise<void>((r) => dynamo.close(() => r()));
    throw err;
  }

  const dynamoEndpoint = `http://${host}:${(dynamo.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  try {
    // dynalite makes a table ACTIVE on a later tick; a write before that finds no table.
    for (let i = 0; ; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      if (Table?.TableStatus === 'ACTIVE') break;
      if (i >= 200) throw new Error(`table ${table} is still ${Table?.TableStatus} after 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.destroy();
  }

  return {
    bucket: LOCAL_BUCKET,
    table,
    s3Endpoint: `http://${host}:${s3Port}`,
    dynamoEndpoint,
    async stop() {
      await s3.close();
      await new Promise<void>((r) => dynamo.close(() => r()));
      if (temp) await rm(temp, { recursive: true, force: true });
    },
  };
}
