/**
 * TransactWriteItems for the sandbox. dynalite (the DynamoDB emulator) has no transactions, so each
 * item is applied in order with its own condition, and everything applied is rolled back when one
 * condition fails, answering TransactionCanceledException with CancellationReasons as DynamoDB does.
 * Atomic against other transactions (one at a time); plain writes racing a transaction could interleave,
 * which the sandbox accepts.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AwsError } from './core';

type Attrs = Record<string, unknown>;
interface TransactItem {
  ConditionCheck?: Attrs;
  Put?: Attrs;
  Update?: Attrs;
  Delete?: Attrs;
}

let queue: Promise<unknown> = Promise.resolve();

/** The key of a write: its Key, or the key attributes of the Item it puts. */
export function keyOf(op: Attrs, tableKeys: (table: string) => Promise<string[]>): Promise<Attrs> {
  if (op.Key) return Promise.resolve(op.Key as Attrs);
  const item = op.Item as Attrs;
  return tableKeys(op.TableName as string).then((names) =>
    Object.fromEntries(names.map((n) => [n, item[n]])),
  );
}

export function transactWriteItems(
  client: DynamoDBClient,
  input: { TransactItems?: TransactItem[] },
  tableKeys: (table: string) => Promise<string[]>,
): Promise<Attrs> {
  const run = queue.then(() => apply(client, input, tableKeys));
  queue = run.catch(() => undefined);
  return run;
}

async function apply(
  client: DynamoDBClient,
  input: { TransactItems?: TransactItem[] },
  tableKeys: (table: string) => Promise<string[]>,
): Promise<Attrs> {
  const items = input.TransactItems ?? [];
  if (items.length === 0 || items.length > 100) {
    throw new AwsError('ValidationException', 'TransactItems must have between 1 and 100 items', 400);
  }
  const applied: { table: string; key: Attrs; old?: Attrs }[] = [];
  const reasons: { Code: string; Message?: string; Item?: Attrs }[] = items.map(() => ({ Code: 'None' }));
  const seen = new Set<string>();

  for (const [index, item] of items.entries()) {
    const [kind, op] = Object.entries(item)[0] ?? [];
    if (!kind || !op) throw new AwsError('ValidationException', 'each TransactItem needs one operation', 400);
    const table = op.TableName as string;
    const key = await keyOf(op, tableKeys);
    const id = `${table}|${JSON.stringify(key)}`;
    if (seen.has(id)) {
      throw new AwsError(
        'ValidationException',
        'Transaction request cannot include multiple operations on one item',
        400,
      );
    }
    seen.add(id);
    const old = (
      await client.send(new GetItemCommand({ TableName: table, Key: key as never, ConsistentRead: true }))
    ).Item;
    const common = {
      TableName: table,
      ConditionExpression: op.ConditionExpression as string | undefined,
      ExpressionAttributeNames: op.ExpressionAttributeNames as never,
      ExpressionAttributeValues: op.ExpressionAttributeValues as never,
    };
    try {
      if (kind === 'Put') await client.send(new PutItemCommand({ ...common, Item: op.Item as never }));
      else if (kind === 'Delete') await client.send(new DeleteItemCommand({ ...common, Key: key as never }));
      else if (kind === 'Update') {
        await client.send(
          new UpdateItemCommand({
            ...common,
            Key: key as never,
            UpdateExpression: op.UpdateExpression as string,
          }),
        );
      } else if (kind === 'ConditionCheck') {
        // Evaluate the condition with a write that changes nothing, then restore the item as it was.
        await client.send(new UpdateItemCommand({ ...common, Key: key as never }));
      }
      applied.push({ table, key, old: old as Attrs | undefined });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      reasons[index] = {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(op.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: old as Attrs } : {}),
      };
      for (const done of applied.reverse()) {
        if (done.old)
          await client.send(new PutItemCommand({ TableName: done.table, Item: done.old as never }));
        else await client.send(new DeleteItemCommand({ TableName: done.table, Key: done.key as never }));
      }
      throw new AwsError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        400,
        { CancellationReasons: reasons },
      );
    }
  }
  // A ConditionCheck on a missing item created an empty one; remove it.
  for (const [index, item] of items.entries()) {
    if (item.ConditionCheck && !applied[index]?.old) {
      const done = applied[index];
      if (done) await client.send(new DeleteItemCommand({ TableName: done.table, Key: done.key as never }));
    }
  }
  return {};
}
