import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
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
});
