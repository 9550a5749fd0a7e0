// The deployed key table: the stack's DynamoDB table (CanariaTable), reached by the authorizer
// (CANARIA_TABLE) and by `canaria keys --stage` (found by the name CloudFormation gives it).
// CANARIA_DYNAMODB_ENDPOINT points both at another DynamoDB (dynalite in the tests).
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRecordStore } from '../store/dynamo-record-store.ts';
import type { RecordStore } from '../store/ports.ts';

export interface TableSettings {
  region?: string;
  /** A DynamoDB-compatible endpoint instead of AWS's (tests). */
  endpoint?: string;
}

function client(settings: TableSettings): DynamoDBClient {
  return new DynamoDBClient({
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

export function dynamoRecords(table: string, settings: TableSettings = {}): RecordStore {
  return new DynamoRecordStore(DynamoDBDocumentClient.from(client(settings)), table);
}

/** The authorizer's records: CANARIA_TABLE (and CANARIA_DYNAMODB_ENDPOINT when set). */
export function recordsFromEnvironment(env: NodeJS.ProcessEnv = process.env): RecordStore {
  const table = env.CANARIA_TABLE;
  if (!table) throw new Error('CANARIA_TABLE must be set');
  return dynamoRecords(table, { endpoint: env.CANARIA_DYNAMODB_ENDPOINT || undefined });
}

/**
 * The table of the stack deployed as `--stage STAGE`. serverless.yml gives CanariaTable no
 * TableName, so CloudFormation names it `<stack>-CanariaTable-<random>`, the stack being
 * `canaria-<stage>` (service canaria): exactly one table of that form must exist in the region.
 */
export async function findStageTable(stage: string, settings: TableSettings = {}): Promise<string> {
  const prefix = `canaria-${stage}-CanariaTable-`;
  const dynamo = client(settings);
  const found: string[] = [];
  let start: string | undefined;
  do {
    const out = await dynamo.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    found.push(...(out.TableNames ?? []).filter((t) => t.startsWith(prefix)));
    start = out.LastEvaluatedTableName;
  } while (start);
  dynamo.destroy();
  const region = settings.region ?? process.env.AWS_REGION ?? 'us-east-1';
  if (found.length === 0) throw new Error(`no table ${prefix}… in ${region}: is stage ${stage} deployed there? (--region, or --table NAME from the stack's TableName output)`);
  if (found.length > 1) throw new Error(`several tables ${prefix}… in ${region} (${found.join(', ')}): name one with --table`);
  return found[0];
}
