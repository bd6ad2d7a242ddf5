import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { createTablesFromTemplate, localClientConfig, startDynalite } from '../../local/dynamo';
import { loadTemplate } from '../../local/template';

describe('sandbox DynamoDB tables', () => {
  it('takes writes as soon as createTablesFromTemplate returns, though a new table starts CREATING', async () => {
    // 50 ms CREATING makes the race CI once lost (a write before dynalite's timer turned the table ACTIVE) certain.
    const dynamo = await startDynalite(0, 50);
    const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    try {
      const [table] = await createTablesFromTemplate(dynamo.endpoint, loadTemplate(), () => 'fresh-table');
      await expect(
        client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      ).resolves.toBeDefined();
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });

  it("reports the template's time to live on the tables it creates", async () => {
    const dynamo = await startDynalite();
    const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    try {
      const [table] = await createTablesFromTemplate(dynamo.endpoint, loadTemplate(), () => 'ttl-table');
      const out = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(out.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });

  it('enables and disables time to live with UpdateTimeToLive, refusing changes that change nothing', async () => {
    const dynamo = await startDynalite();
    const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    const create = () =>
      client.send(
        new CreateTableCommand({
          TableName: 'plain',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    const status = async () =>
      (await client.send(new DescribeTimeToLiveCommand({ TableName: 'plain' }))).TimeToLiveDescription;
    const update = (AttributeName: string, Enabled: boolean) =>
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: 'plain',
          TimeToLiveSpecification: { AttributeName, Enabled },
        }),
      );
    try {
      await create();
      expect(await status()).toEqual({ TimeToLiveStatus: 'DISABLED' });
      await expect(update('ttl', false)).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(update('ttl', true)).resolves.toMatchObject({
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      });
      expect(await status()).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
      await expect(update('ttl', true)).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(update('other', false)).rejects.toMatchObject({ name: 'ValidationException' });
      await update('ttl', false);
      expect(await status()).toEqual({ TimeToLiveStatus: 'DISABLED' });

      // A table created again under the same name starts without time to live.
      await update('ttl', true);
      await client.send(new DeleteTableCommand({ TableName: 'plain' }));
      await waitUntilTableNotExists(
        { client, minDelay: 0.01, maxDelay: 0.1, maxWaitTime: 10 },
        { TableName: 'plain' },
      );
      await expect(status()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await create();
      expect(await status()).toEqual({ TimeToLiveStatus: 'DISABLED' });
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});

describe('sandbox DynamoDB refused writes', () => {
  it('returns the item a condition refused on when asked (ALL_OLD), as DynamoDB does; else no item', async () => {
    const dynamo = await startDynalite();
    const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('the write was not refused');
        },
        (error: { name: string; Item?: unknown }) => ({ name: error.name, Item: error.Item }),
      );
    try {
      const [table] = await createTablesFromTemplate(dynamo.endpoint, loadTemplate(), () => 'refusals');
      const stored = { pk: { S: 'TASK#a' }, sk: { S: 'DECISION' }, action: { S: 'restart' } };
      await client.send(new PutItemCommand({ TableName: table, Item: stored }));
      const put = (extra: object) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...stored, action: { S: 'give-up' } },
            ConditionExpression: 'attribute_not_exists(pk)',
            ...extra,
          }),
        );
      await expect(refusal(put({ ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }))).resolves.toEqual({
        name: 'ConditionalCheckFailedException',
        Item: stored,
      });
      await expect(refusal(put({}))).resolves.toEqual({
        name: 'ConditionalCheckFailedException',
        Item: undefined,
      });
      await expect(
        refusal(
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: stored.pk, sk: stored.sk },
              UpdateExpression: 'SET #a = :a',
              ConditionExpression: '#a = :b',
              ExpressionAttributeNames: { '#a': 'action' },
              ExpressionAttributeValues: { ':a': { S: 'x' }, ':b': { S: 'none' } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        ),
      ).resolves.toEqual({ name: 'ConditionalCheckFailedException', Item: stored });
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
