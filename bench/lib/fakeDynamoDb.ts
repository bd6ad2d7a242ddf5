import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/**
 * An in-memory DynamoDB Document client for benchmarks: the real adapters (src/adapters/*) run against it, so
 * what is counted is what production code sends. It keeps items by (pk, sk), evaluates the simple condition
 * expressions the adapters use (attribute_(not_)exists, comparisons, OR/AND) and counts every request by
 * kind. Commands or expressions it does not know throw, so a change in an adapter cannot be silently
 * mis-measured. No marshalling, no network: those costs are outside what the benchmarks measure.
 */
export function createFakeDocumentClient() {
  const items = new Map<string, Item>();
  const counts = { writes: 0, reads: 0, conditionFailures: 0, byCommand: {} as Record<string, number> };
  const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;

  function holds(expression: string | undefined, existing: Item | undefined, values: Item | undefined) {
    if (expression === undefined) return true;
    return expression.split(/\s+OR\s+/).some((alternative) =>
      alternative.split(/\s+AND\s+/).every((term) => {
        const exists = /^attribute_(not_)?exists\((\w+)\)$/.exec(term.trim());
        if (exists) return (existing?.[exists[2] as string] !== undefined) !== (exists[1] !== undefined);
        const cmp = /^(\w+)\s*(<=|>=|<>|<|>|=)\s*(:\w+)$/.exec(term.trim());
        if (!cmp) throw new Error(`fake DynamoDB: unsupported condition ${JSON.stringify(term)}`);
        const left = existing?.[cmp[1] as string] as number | string | undefined;
        const right = values?.[cmp[3] as string] as number | string | undefined;
        if (left === undefined || right === undefined) return false;
        switch (cmp[2]) {
          case '<':
            return left < right;
          case '<=':
            return left <= right;
          case '>':
            return left > right;
          case '>=':
            return left >= right;
          case '=':
            return left === right;
          default:
            return left !== right;
        }
      }),
    );
  }

  async function send(command: unknown): Promise<unknown> {
    const kind = (command as { constructor: { name: string } }).constructor.name;
    counts.byCommand[kind] = (counts.byCommand[kind] ?? 0) + 1;
    if (command instanceof PutCommand) {
      counts.writes++;
      const input = command.input;
      const item = input.Item as Item;
      const key = keyOf(item);
      const existing = items.get(key);
      if (!holds(input.ConditionExpression, existing, input.ExpressionAttributeValues)) {
        counts.conditionFailures++;
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      }
      items.set(key, item);
      return { $metadata: {}, Attributes: input.ReturnValues === 'ALL_OLD' ? existing : undefined };
    }
    if (command instanceof GetCommand) {
      counts.reads++;
      return { $metadata: {}, Item: items.get(keyOf(command.input.Key as Item)) };
    }
    throw new Error(`fake DynamoDB: ${kind} is not supported (extend bench/lib/fakeDynamoDb.ts)`);
  }

  return {
    client: { send } as unknown as DynamoDBDocumentClient,
    items,
    counts,
    reset() {
      items.clear();
      counts.writes = 0;
      counts.reads = 0;
      counts.conditionFailures = 0;
      counts.byCommand = {};
    },
  };
}
