/** DynamoDB for the sandbox and the integration tests: dynalite (the real wire protocol, in memory). */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { CfnTemplate } from './template';

export interface RunningDynalite {
  server: ReturnType<typeof dynalite>;
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(port = 0): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    endpoint: `http://127.0.0.1:${actual}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function localClientConfig(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
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
  client.destroy();
  return names;
}
