// AWS SDK v3 clients for the stores: the real services on AWS, or S3/DynamoDB-compatible
// servers (s3rver, dynalite) when endpoints are given.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRecordStore } from './dynamo-record-store.ts';
import type { Storage } from './ports.ts';
import { S3ObjectStore } from './s3-object-store.ts';

export interface StorageSettings {
  bucket: string;
  table: string;
  region?: string;
  /** Local emulators only. */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function createStorage(s: StorageSettings): Storage {
  const region = s.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const s3 = new S3Client({
    region,
    ...(s.s3Endpoint
      ? {
          endpoint: s.s3Endpoint,
          forcePathStyle: true,
          credentials: LOCAL_CREDENTIALS,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
  const dynamo = new DynamoDBClient({
    region,
    ...(s.dynamoEndpoint ? { endpoint: s.dynamoEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return { objects: new S3ObjectStore(s3, s.bucket), records: new DynamoRecordStore(documents, s.table) };
}

/** Settings of a deployed function, from the environment serverless.yml sets. */
export function storageFromEnvironment(env: NodeJS.ProcessEnv = process.env): Storage {
  const bucket = env.CANARIA_BUCKET;
  const table = env.CANARIA_TABLE;
  if (!bucket || !table) throw new Error('CANARIA_BUCKET and CANARIA_TABLE must be set');
  return createStorage({ bucket, table });
}
