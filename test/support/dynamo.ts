import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createTablesFromTemplate,
  localClientConfig,
  type RunningDynamo,
  startDynalite,
} from '../../local/dynamo';
import { loadTemplate } from '../../local/template';

/**
 * dynalite for a test file, and a fresh table per test (the stack's own definition, GSIs included), which
 * isolates the data. Call at the top level of the file; read `db` and `table` inside the tests.
 */
export function useTablePerTest(prefix: string) {
  let dynamo: RunningDynamo;
  let count = 0;
  const state = { db: undefined as unknown as DynamoDBDocumentClient, table: '' };
  beforeAll(async () => {
    dynamo = await startDynalite();
    state.db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(dynamo.endpoint)), {
      marshallOptions: { removeUndefinedValues: true },
    });
  });
  afterAll(async () => {
    state.db.destroy();
    await dynamo.close();
  });
  beforeEach(async () => {
    state.table = `${prefix}-${++count}`;
    await createTablesFromTemplate(dynamo.endpoint, loadTemplate(), () => state.table);
  });
  return state;
}
