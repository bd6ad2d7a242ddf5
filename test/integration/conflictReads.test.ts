import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { ScheduleLimitError } from '../../src/ports';
import { countingClient } from '../support/commandCounts';
import { useTablePerTest } from '../support/dynamo';
import {
  acceptedRunNow,
  NEW,
  restartDecision,
  restartRequest,
  storedSchedule,
  TASK_ID,
} from '../support/storeFixtures';

/**
 * How many GetItem calls a store makes after one of its conditional writes was refused, in the sandbox's
 * DynamoDB (dynalite, fronted by local/dynamo.ts: its own TransactWriteItems, and the item a refused single
 * write returns). The writes ask for the item they find (ReturnValuesOnConditionCheckFailure ALL_OLD) instead
 * of reading it again, and get it as DynamoDB answers (test/unit/conflictItems.test.ts: AWS's shapes).
 */
const dynamo = useTablePerTest('conflict-reads');

const request = restartRequest;
const decision = restartDecision;
const accepted = acceptedRunNow;
const schedule = storedSchedule;
const launched = { status: 'launched' as const, taskArns: [NEW], events: [] };

describe('reads after a refused conditional write (dynalite)', () => {
  it('a second decision on a task', async () => {
    const counting = countingClient(dynamo.db);
    const store = buildLaunchStore(counting.db, dynamo.table, 30);
    await store.putDecision(TASK_ID, decision);
    counting.reset();
    const again = await store.putDecision(TASK_ID, { ...decision, action: 'give-up' });
    expect(again).toMatchObject({ created: false, existing: { action: 'restart' } });
    // The decision found comes with the refusal (ALL_OLD): nothing to read (1 GetItem before).
    expect(counting.count('GetCommand')).toBe(0);
  });

  it('a second accept of a launch', async () => {
    const counting = countingClient(dynamo.db);
    const store = buildLaunchStore(counting.db, dynamo.table, 30);
    await store.acceptLaunch(accepted);
    counting.reset();
    expect(await store.acceptLaunch({ ...accepted, count: 2 })).toEqual({
      created: false,
      existing: accepted,
    });
    expect(counting.count('GetCommand')).toBe(0);
  });

  it('an outcome recorded before (a redelivery)', async () => {
    const counting = countingClient(dynamo.db);
    const store = buildLaunchStore(counting.db, dynamo.table, 30);
    await store.putDecision(TASK_ID, decision);
    await store.recordOutcome(request, launched);
    counting.reset();
    const replay = await store.recordOutcome(request, { ...launched, taskArns: ['arn:other'] });
    expect(replay).toMatchObject({ first: false, outcome: { taskArns: [NEW] } });
    // The marker recorded before comes with the cancellation (one GetItem before ALL_OLD).
    expect(counting.count('GetCommand')).toBe(0);
  });

  it('an outcome whose replaced task has no decision (its update refused, not the marker)', async () => {
    const counting = countingClient(dynamo.db);
    const store = buildLaunchStore(counting.db, dynamo.table, 30);
    expect(await store.recordOutcome(request, launched)).toMatchObject({ first: true });
    // The cancellation says the marker was not the refused item: no marker to look for (one GetItem before).
    expect(counting.count('GetCommand')).toBe(0);
    expect(counting.count('TransactWriteCommand')).toBe(2);
  });

  it('a create on a full stage', async () => {
    const counting = countingClient(dynamo.db);
    const store = buildScheduleStore(counting.db, dynamo.table, 30);
    await store.create(schedule('a'), 1);
    counting.reset();
    await expect(store.create(schedule('b'), 1)).rejects.toBeInstanceOf(ScheduleLimitError);
    // The count comes with the cancellation (ALL_OLD); the one read left looks for the name, which the
    // sandbox leaves unchecked once the count refused (2 GetItem before: the name, then the count).
    expect(counting.count('GetCommand')).toBe(1);
  });

  it('a budget claim whose window another container moved since it was read', async () => {
    const counting = countingClient(dynamo.db);
    const T0 = Date.parse('2025-03-01T10:00:30.000Z');
    const HOUR = { limit: 5, windowMinutes: 60 };
    let moved = false;
    // Another container commits a claim between this one's read of the window and its commit.
    const racing = new Proxy(counting.db, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: object) => {
          if (command instanceof TransactWriteCommand && !moved) {
            moved = true;
            await dynamo.db.send(
              new UpdateCommand({
                TableName: dynamo.table,
                Key: { pk: 'BUDGET#cluster#batch#launches', sk: 'WINDOW' },
                UpdateExpression: 'SET minutes = :minutes, version = :one',
                ExpressionAttributeValues: { ':minutes': { '29013720': 1 }, ':one': 1 },
              }),
            );
          }
          return target.send(command as never);
        };
      },
    });
    const budgets = buildLaunchBudgets(
      racing,
      dynamo.table,
      () => T0,
      async () => undefined,
    );
    const claim = await budgets.claim('cluster#batch#launches', 'r-1', 1, HOUR);
    expect(claim).toMatchObject({ granted: true, used: 1 });
    expect(counting.count('TransactWriteCommand')).toBe(2);
    // The first round reads the window; the second takes the moved one from the cancellation (2 before).
    expect(counting.count('GetCommand')).toBe(1);
  });
});
