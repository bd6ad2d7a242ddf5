import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A DocumentClient that counts the commands sent through it, by name (GetCommand, PutCommand, ...), so a
 * test can say how many reads a store makes, e.g. after a conditional write was refused.
 */
export function countingClient(db: DynamoDBDocumentClient) {
  const counts: Record<string, number> = {};
  const client = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: object, ...rest: unknown[]) => {
        const name = command.constructor.name;
        counts[name] = (counts[name] ?? 0) + 1;
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest);
      };
    },
  });
  return {
    db: client,
    /** How many `name` commands were sent since the last reset. */
    count: (name: string) => counts[name] ?? 0,
    reset: () => {
      for (const name of Object.keys(counts)) delete counts[name];
    },
  };
}
