// Embedded S3- and DynamoDB-compatible servers (s3rver, dynalite) on loopback, for `canaria
// serve` and the tests. With a data directory they keep their data across restarts.
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/** Starts both servers on `host` with free ports; `dataDir` undefined keeps everything in memory/temp. */
export async function startEmulators(options: { host?: string; dataDir?: string } = {}): Promise<Emulators> {
  const host = options.host ?? '127.0.0.1';
  const releaseLock = options.dataDir ? await lockDataDir(options.dataDir) : async () => {};
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
    await releaseLock();
    throw err;
  }

  const dynamoEndpoint = `http://${host}:${(dynamo.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: LOCAL_TABLE,
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
  } finally {
    client.destroy();
  }

  return {
    bucket: LOCAL_BUCKET,
    table: LOCAL_TABLE,
    s3Endpoint: `http://${host}:${s3Port}`,
    dynamoEndpoint,
    async stop() {
      await s3.close();
      await new Promise<void>((r) => dynamo.close(() => r()));
      if (temp) await rm(temp, { recursive: true, force: true });
      await releaseLock();
    },
  };
}

export class DataDirInUseError extends Error {}

/** One process per data directory: the embedded DynamoDB's files cannot be shared. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const lock = join(dataDir, 'canaria.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirInUseError(`data directory ${dataDir} is in use by process ${pid}`);
      }
      await rm(lock, { force: true }); // left by a process that is gone
    }
  }
  throw new DataDirInUseError(`cannot lock data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
