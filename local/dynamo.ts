/**
 * DynamoDB for the sandbox and the integration tests: dynalite (the real wire protocol, in memory),
 * fronted by a listener that adds what dynalite lacks: TransactWriteItems, time to live (dynalite has
 * no UpdateTimeToLive and answers every DescribeTimeToLive with DISABLED), and the item a failed condition
 * returns with ReturnValuesOnConditionCheckFailure ALL_OLD.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { AwsError } from './core';
import { keyOf, transactWriteItems } from './dynamoTransactions';
import { listen, readBody } from './server';
import type { CfnTemplate } from './template';

export interface RunningDynamo {
  endpoint: string;
  /** The request listener (the sandbox's edge server hands DynamoDB requests to it). */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export function localClientConfig(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
}

/**
 * Starts dynalite on a private port; `port` is where the fronting listener is served (0 = any).
 * `createTableMs` is how long a new table stays CREATING (DynamoDB takes seconds; 0 here for speed).
 */
export async function startDynalite(port = 0, createTableMs = 0): Promise<RunningDynamo> {
  const inner = dynalite({ createTableMs, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve));
  const innerEndpoint = `http://127.0.0.1:${(inner.address() as AddressInfo).port}`;
  const client = new DynamoDBClient(localClientConfig(innerEndpoint));
  const keyNames = new Map<string, string[]>();
  const tableKeys = async (table: string) => {
    let names = keyNames.get(table);
    if (!names) {
      const out = await client.send(new DescribeTableCommand({ TableName: table }));
      names = (out.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
      keyNames.set(table, names);
    }
    return names;
  };
  const forward = inner.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const timeToLive = new TimeToLive(client);
  const added: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    'DynamoDB_20120810.TransactWriteItems': (input) => transactWriteItems(client, input, tableKeys),
    'DynamoDB_20120810.UpdateTimeToLive': (input) => timeToLive.update(input),
    'DynamoDB_20120810.DescribeTimeToLive': (input) => timeToLive.describe(input),
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target']);
    if (SINGLE_WRITES.has(target)) {
      readBody(req)
        .then((body) => {
          // Most writes do not ask for the item: dynalite takes them in process, as if never read here.
          if (!asksForOldItem(body)) {
            forward(replayed(req, body), res);
            return undefined;
          }
          return writeReturningOld(innerEndpoint, req, body, (input) => oldItemOf(client, input, tableKeys));
        })
        .then(
          (answer) => {
            if (!answer) return;
            const { status, text } = answer;
            res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
            res.end(text);
          },
          (error) =>
            reply(res, 500, {
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: String(error),
            }),
        );
      return;
    }
    const operation = added[target];
    if (!operation) return forward(req, res);
    readBody(req)
      .then((body) => operation(JSON.parse(body)))
      .then(
        (out) => reply(res, 200, out),
        (error) =>
          error instanceof AwsError
            ? reply(res, error.status, {
                __type: `com.amazonaws.dynamodb.v20120810#${error.code}`,
                message: error.message,
                ...error.extra,
              })
            : reply(res, 500, {
                __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
                message: String(error),
              }),
      );
  };

  const front = createServer(listener);
  await listen(front, port);
  return {
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    listener,
    close: async () => {
      client.destroy();
      await new Promise((resolve) => front.close(() => resolve(undefined)));
      await new Promise((resolve) => inner.close(() => resolve(undefined)));
    },
  };
}

/** `req` again, its body already read: a stream of `body` with the request's method, URL and headers. */
function replayed(req: IncomingMessage, body: string): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    headers: req.headers,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
  }) as unknown as IncomingMessage;
}

/** A write that asks for the item its condition refused on (malformed JSON is dynalite's to refuse). */
function asksForOldItem(body: string): boolean {
  try {
    return (
      (JSON.parse(body) as { ReturnValuesOnConditionCheckFailure?: unknown })
        .ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
    );
  } catch {
    return false;
  }
}

const SINGLE_WRITES = new Set([
  'DynamoDB_20120810.PutItem',
  'DynamoDB_20120810.UpdateItem',
  'DynamoDB_20120810.DeleteItem',
]);

/**
 * A PutItem, UpdateItem or DeleteItem, forwarded to dynalite as it came. dynalite accepts
 * ReturnValuesOnConditionCheckFailure but ignores it; DynamoDB answers a failed condition with the item as it
 * was ("Item" in the ConditionalCheckFailedException, when there is one: API reference, PutItem,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html), so with ALL_OLD the item is
 * read here and added. The read follows the refusal at once; nothing else writes to the sandbox between them
 * that a caller could tell from a concurrent write in DynamoDB.
 */
async function writeReturningOld(
  innerEndpoint: string,
  req: IncomingMessage,
  body: string,
  oldItem: (input: Record<string, unknown>) => Promise<unknown>,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
  }
  const response = await fetch(innerEndpoint, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status !== 400) return { status: response.status, text };
  const input = JSON.parse(body) as Record<string, unknown>;
  const error = JSON.parse(text) as { __type?: string };
  if (
    input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' ||
    !error.__type?.endsWith('#ConditionalCheckFailedException')
  )
    return { status: response.status, text };
  const item = await oldItem(input);
  return { status: 400, text: JSON.stringify(item ? { ...error, Item: item } : error) };
}

async function oldItemOf(
  client: DynamoDBClient,
  input: Record<string, unknown>,
  tableKeys: (table: string) => Promise<string[]>,
): Promise<unknown> {
  const key = await keyOf(input, tableKeys);
  const out = await client.send(
    new GetItemCommand({ TableName: input.TableName as string, Key: key as never, ConsistentRead: true }),
  );
  return out.Item;
}

/**
 * Time to live per table, as UpdateTimeToLive set it. A table deleted and created again under the same
 * name starts without one, so each setting remembers the creation time of the table it was made for.
 * Expired items are not deleted: DynamoDB deletes them in the background "within a few days" (developer
 * guide, "Time to Live"), so nothing may count on when that happens.
 */
class TimeToLive {
  private readonly enabled = new Map<string, { attributeName: string; tableCreatedAt: number }>();

  constructor(private readonly client: DynamoDBClient) {}

  async update(input: Record<string, unknown>) {
    const table = requiredTableName(input);
    const spec = (input.TimeToLiveSpecification ?? {}) as { AttributeName?: unknown; Enabled?: unknown };
    const { AttributeName: attributeName, Enabled: enable } = spec;
    if (typeof attributeName !== 'string' || attributeName.length < 1 || attributeName.length > 255) {
      throw new AwsError(
        'ValidationException',
        'TimeToLiveSpecification.AttributeName must be 1 to 255 characters',
      );
    }
    if (typeof enable !== 'boolean') {
      throw new AwsError('ValidationException', 'TimeToLiveSpecification.Enabled must be true or false');
    }
    const current = await this.current(table);
    // DynamoDB refuses a change that changes nothing (UpdateTimeToLive is not idempotent). UNCERTAIN wording.
    if (enable && current) throw new AwsError('ValidationException', 'TimeToLive is already enabled');
    if (!enable && !current) throw new AwsError('ValidationException', 'TimeToLive is already disabled');
    if (!enable && current?.attributeName !== attributeName) {
      throw new AwsError(
        'ValidationException',
        `TimeToLive is active on a different AttributeName: current AttributeName is ${current?.attributeName}`,
      );
    }
    // DynamoDB passes through ENABLING/DISABLING (up to an hour); the sandbox settles at once, like a
    // finished deploy.
    if (enable) this.enabled.set(table, { attributeName, tableCreatedAt: await this.createdAt(table) });
    else this.enabled.delete(table);
    return { TimeToLiveSpecification: { AttributeName: attributeName, Enabled: enable } };
  }

  async describe(input: Record<string, unknown>) {
    const current = await this.current(requiredTableName(input));
    return {
      TimeToLiveDescription: current
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.attributeName }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  }

  private async current(table: string) {
    const setting = this.enabled.get(table);
    const createdAt = await this.createdAt(table);
    return setting?.tableCreatedAt === createdAt ? setting : undefined;
  }

  /** Also answers ResourceNotFoundException for a missing table, in dynalite's words. */
  private async createdAt(table: string): Promise<number> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: table }));
      return out.Table?.CreationDateTime?.getTime() ?? 0;
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'ResourceNotFoundException') throw new AwsError(name, message);
      throw error;
    }
  }
}

function requiredTableName(input: Record<string, unknown>): string {
  const table = input.TableName;
  if (typeof table !== 'string' || table.length < 3 || table.length > 255) {
    throw new AwsError('ValidationException', 'TableName must be 3 to 255 characters');
  }
  return table;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Creates every AWS::DynamoDB::Table of the template under the given name (default: its logical id). */
export async function createTablesFromTemplate(
  endpoint: string,
  template: CfnTemplate,
  nameFor: (logicalId: string) => string = (id) => id,
): Promise<string[]> {
  const client = new DynamoDBClient(localClientConfig(endpoint));
  const names: string[] = [];
  const timeToLive: Array<[string, { AttributeName: string; Enabled: boolean }]> = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table' || !resource.Properties) continue;
    const p = resource.Properties;
    const name = nameFor(logicalId);
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
        BillingMode: p.BillingMode,
      }),
    );
    names.push(name);
    if (p.TimeToLiveSpecification?.Enabled) timeToLive.push([name, p.TimeToLiveSpecification]);
  }
  // dynalite answers CreateTable with the table CREATING and turns it (and its GSIs) ACTIVE on a timer, even
  // at createTableMs 0, rejecting writes until then; on a loaded machine the next request can come first.
  // Wait as a deploy does (the SDK's waiter checks at once, then every 10 to 100 ms here).
  for (const name of names) {
    await waitUntilTableExists(
      { client, minDelay: 0.01, maxDelay: 0.1, maxWaitTime: 10 },
      { TableName: name },
    );
  }
  // CloudFormation applies a table's TimeToLiveSpecification once the table exists; so does the sandbox.
  for (const [name, spec] of timeToLive) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: spec }));
  }
  client.destroy();
  return names;
}
