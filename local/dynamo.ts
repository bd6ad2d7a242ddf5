/**
 * DynamoDB for the sandbox and the integration tests: dynalite (the real wire protocol, in memory),
 * fronted by a listener that adds TransactWriteItems, which dynalite lacks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { AwsError } from './core';
import { transactWriteItems } from './dynamoTransactions';
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

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.TransactWriteItems') return forward(req, res);
    readBody(req)
      .then((body) => transactWriteItems(client, JSON.parse(body), tableKeys))
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
  client.destroy();
  return names;
}
