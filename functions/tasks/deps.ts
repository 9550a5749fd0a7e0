// What the task functions share: each task's module builds only the clients and stores its task
// uses, so that its bundle holds only those (serverless.yml packages one bundle per function).
import { S3Client } from '@aws-sdk/client-s3';
import type { RecordStore, Storage } from '../../lib/store/ports.ts';
import { S3ObjectStore } from '../../lib/store/s3-object-store.ts';

/**
 * The bucket (CANARIA_BUCKET) alone, for a task that keeps no execution records (its role grants
 * no DynamoDB action): its record store refuses every call, naming the task.
 */
export function bucketStorage(task: string, env: NodeJS.ProcessEnv = process.env): Storage {
  const bucket = env.CANARIA_BUCKET;
  if (!bucket) throw new Error('CANARIA_BUCKET must be set');
  const none = () => Promise.reject(new Error(`the ${task} task keeps no execution records`));
  const records: RecordStore = { put: none, get: none, queryPartition: none, delete: none };
  return { objects: new S3ObjectStore(new S3Client({ region: env.AWS_REGION ?? 'us-east-1' }), bucket), records };
}

/**
 * A dependency the task never uses (TaskDeps names every task's): any use of it throws, naming
 * the task, instead of the task's bundle building clients it does not need.
 */
export function unused<T extends object>(task: string, what: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      throw new Error(`the ${task} task has no ${what} (it read ${String(property)})`);
    },
  });
}
