// RecordStore on a DynamoDB table with string keys pk (hash) and sk (range).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Condition, KeyRange, RecordKey, RecordStore, StoredRecord } from './ports.ts';

function conditionExpression(condition: Condition | undefined) {
  switch (condition?.kind) {
    case undefined:
      return {};
    case 'absent':
      return { ConditionExpression: 'attribute_not_exists(pk)' };
    case 'exists':
      return { ConditionExpression: 'attribute_exists(pk)' };
    case 'absentOrEquals':
      return {
        ConditionExpression: 'attribute_not_exists(pk) OR #a = :v',
        ExpressionAttributeNames: { '#a': condition.attribute },
        ExpressionAttributeValues: { ':v': condition.value },
      };
    case 'equals':
      return {
        ConditionExpression: '#a = :v',
        ExpressionAttributeNames: { '#a': condition.attribute },
        ExpressionAttributeValues: { ':v': condition.value },
      };
  }
}

function conditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

export class DynamoRecordStore implements RecordStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async put(record: StoredRecord, condition?: Condition): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: record, ...conditionExpression(condition) }));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  async get(key: RecordKey): Promise<StoredRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return out.Item as StoredRecord | undefined;
  }

  async queryPartition(pk: string, range?: KeyRange): Promise<StoredRecord[]> {
    const bound = range?.after === undefined ? '' : range.descending ? ' AND sk < :after' : ' AND sk > :after';
    const items: StoredRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `pk = :pk${bound}`,
          ExpressionAttributeValues: { ':pk': pk, ...(bound && { ':after': range!.after }) },
          ScanIndexForward: !range?.descending,
          // A page can stop short of Limit (1 MB): the next one reads the rest.
          Limit: range && range.limit - items.length,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...((out.Items ?? []) as StoredRecord[]));
      start = out.LastEvaluatedKey;
    } while (start && (!range || items.length < range.limit));
    return items;
  }

  async delete(key: RecordKey, condition: Condition = { kind: 'exists' }): Promise<boolean> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: key.pk, sk: key.sk }, ...conditionExpression(condition) }));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }
}
