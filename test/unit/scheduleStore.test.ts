import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { storedSchedule } from '../support/storeFixtures';

const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const dbMock = mockClient(db);
beforeEach(() => dbMock.reset());

const NIGHTLY = storedSchedule('nightly');

/** What DynamoDB answers a transaction that met another one on the count item. */
const conflict = () =>
  new TransactionCanceledException({
    message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]',
    $metadata: {},
    CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
  });

describe("the schedule count's transactions", () => {
  it('counts it and writes it in one transaction: the count first, with the cap in its condition', async () => {
    dbMock.on(TransactWriteCommand).resolves({});
    await buildScheduleStore(db, 't', 30).create(NIGHTLY, 200);
    expect(dbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input)).toEqual([
      {
        TransactItems: [
          {
            Update: {
              TableName: 't',
              Key: { pk: 'SCHEDULE_COUNT', sk: 'SCHEDULE_COUNT' },
              UpdateExpression: 'SET #count = #count + :change',
              ConditionExpression: 'attribute_exists(#count) AND #count < :max',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':change': 1, ':max': 200 },
              // A refusal returns the count, so a full stage needs no second read of it.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: 't',
              Item: { pk: 'SCHEDULES', sk: 'nightly', ...NIGHTLY },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      },
    ]);
  });

  it('tries again when its transaction met another on the count (TransactionConflict)', async () => {
    dbMock.on(TransactWriteCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});
    await buildScheduleStore(db, 't', 30).create(NIGHTLY, 200);
    expect(dbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('gives up a delete after 5 conflicts in a row, with the last', async () => {
    dbMock.on(TransactWriteCommand).rejects(conflict());
    await expect(buildScheduleStore(db, 't', 30).remove('nightly')).rejects.toThrow(
      TransactionCanceledException,
    );
    expect(dbMock.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });
});
