import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { existingItemOf } from '../../src/adapters/dynamoErrors';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { acceptedRunNow, restartDecision, TASK_ID } from '../support/storeFixtures';

/**
 * A refused conditional write as DynamoDB answers it when asked for the item it found (ALL_OLD): the item on
 * the error, marshalled (the DocumentClient does not convert it). The store takes it from there, reading
 * nothing more.
 */
const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const dbMock = mockClient(db);
beforeEach(() => dbMock.reset());

const decision = restartDecision;
const storedDecision = {
  pk: `TASK#${TASK_ID}`,
  sk: 'DECISION',
  kind: 'decision',
  ...decision,
  delaySeconds: 30,
  expiresAt: 1_718_000_000,
};
const refused = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item && { Item: marshall(item) }),
  });

describe('existingItemOf', () => {
  it('unmarshalls the item of a refused write, or of a refused item of a transaction', () => {
    expect(existingItemOf(refused({ pk: 'a', sk: 'b', n: 1, done: true }))).toEqual({
      pk: 'a',
      sk: 'b',
      n: 1,
      done: true,
    });
    const cancelled = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Item: marshall({ count: 5 }) },
      ],
    });
    expect(existingItemOf(cancelled, 1)).toEqual({ count: 5 });
    expect(existingItemOf(cancelled, 0)).toBeUndefined();
    expect(existingItemOf(refused())).toBeUndefined();
    expect(existingItemOf(new Error('other'))).toBeUndefined();
  });
});

describe('a refused decision, as DynamoDB answers it', () => {
  it('asks for the decision found and takes it from the error, with no GetItem', async () => {
    dbMock.on(PutCommand).rejects(refused(storedDecision));
    const put = await buildLaunchStore(db, 't', 30).putDecision(TASK_ID, { ...decision, action: 'give-up' });
    expect(put).toEqual({ created: false, existing: storedDecision });
    expect(dbMock.commandCalls(PutCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe(
      'ALL_OLD',
    );
    expect(dbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('passes on a refusal that holds no item: it is not the answer DynamoDB gives to ALL_OLD', async () => {
    dbMock.on(PutCommand).rejects(refused());
    await expect(buildLaunchStore(db, 't', 30).putDecision(TASK_ID, decision)).rejects.toThrow();
    expect(dbMock.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('a refused accept, as DynamoDB answers it', () => {
  const accepted = acceptedRunNow;

  it('answers the launch accepted first from the error, without its table attributes, with no GetItem', async () => {
    dbMock
      .on(PutCommand)
      .rejects(refused({ pk: 'REQ#t-job-1', sk: 'ACCEPTED', kind: 'accepted', ...accepted, expiresAt: 1 }));
    const again = await buildLaunchStore(db, 't', 30).acceptLaunch({ ...accepted, count: 2 });
    expect(again).toEqual({ created: false, existing: accepted });
    expect(dbMock.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('a replayed outcome, as DynamoDB answers it', () => {
  const request: LaunchRequest = {
    requestId: 's-nightly-1',
    reason: 'schedule',
    runTask: { cluster: 'batch', taskDefinition: 'worker:7', count: 1 },
    capacityRetries: 0,
    deferSeconds: 0,
  };
  const marker = { status: 'failed', taskArns: [], events: [], done: true, at: '2024-05-14T09:13:00.000Z' };

  it('takes the marker recorded before from the cancellation reason, with no GetItem', async () => {
    dbMock.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [
          {
            Code: 'ConditionalCheckFailed',
            Item: marshall({ pk: 'REQ#s-nightly-1#0', sk: 'REQ', kind: 'request', ...marker, expiresAt: 1 }),
          },
          { Code: 'None' },
        ],
      }),
    );
    const replay = await buildLaunchStore(db, 't', 30).recordOutcome(request, {
      status: 'launched',
      taskArns: ['arn:aws:ecs:us-east-1:111122223333:task/batch/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'],
      events: [],
    });
    expect(replay).toMatchObject({ first: false, outcome: marker });
    expect(dbMock.commandCalls(GetCommand)).toHaveLength(0);
    expect(
      dbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put
        ?.ReturnValuesOnConditionCheckFailure,
    ).toBe('ALL_OLD');
  });
});
