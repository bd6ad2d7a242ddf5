import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LAUNCH_LEASE_MS, type LeaseHold } from '../domain/leases';
import {
  ScheduleConflictError,
  ScheduleLimitError,
  type ScheduleRun,
  type ScheduleStore,
  type StoredSchedule,
} from '../ports';
import {
  cancellationCodes,
  existingItemOf,
  isConditionFailure,
  isTransactionConflict,
  RETURN_EXISTING,
  writtenIf,
} from './dynamoErrors';
import { decodePageToken, encodePageToken } from './pageToken';
import {
  expiresAfter,
  expiresAt,
  keys,
  type LaunchLeaseItem,
  partitions,
  prefixes,
  recordOf,
  type ScheduleCountItem,
  type ScheduleItem,
  type ScheduleRunItem,
} from './table';

/**
 * Schedules in the single table (its layout: table.ts): the definitions (the source of truth) in one partition,
 * listed by name; each schedule's runs (due, manual, skipped) and its launch lease (who is launching a run of
 * it now: Forbid, Replace) in a partition of its own; and how many definitions there are (maxSchedules).
 *
 * The count changes in the same transaction as the definition it counts, with the cap in its condition, so
 * concurrent creates never pass maxSchedules. A table from before the count has none: the first create or
 * delete counts the definitions once (a consistent query) and starts it; no transaction writes a definition
 * until it exists, so that count is exact. The count comes first in each transaction: where items are applied
 * one by one (the sandbox's DynamoDB), a refusal for a missing count then leaves nothing for a query to see.
 */
const COUNT_KEY = keys.scheduleCount();
/** Tries of a create or delete whose transaction met another on the count (TransactionConflict). */
const TRANSACTION_TRIES = 5;
/** A lease held from `at` for `holdMs`: its end, and the item's TTL (DynamoDB removes it some time after). */
const leaseEnd = (at: number, holdMs: number) => ({
  until: at + holdMs,
  expiresAt: expiresAfter(at + holdMs),
});

/** A short random pause before trying a transaction again, growing with each try. */
const pause = (tryNumber: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** tryNumber));

export function buildScheduleStore(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
): ScheduleStore {
  const countUpdate = (change: 1 | -1, condition: string, values: Record<string, number> = {}) => ({
    Update: {
      TableName: table,
      Key: COUNT_KEY,
      UpdateExpression: 'SET #count = #count + :change',
      ConditionExpression: condition,
      ...RETURN_EXISTING,
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':change': change, ...values },
    },
  });

  async function definition(name: string): Promise<StoredSchedule | undefined> {
    const out = await db.send(
      new GetCommand({ TableName: table, Key: keys.schedule(name), ConsistentRead: true }),
    );
    return out.Item && recordOf<StoredSchedule>(out.Item);
  }

  /** Counts the definitions and starts the count at that, unless another call started it first. */
  async function startCount(): Promise<void> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partitions.schedules },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    await writtenIf(
      db.send(
        new PutCommand({
          TableName: table,
          Item: { ...COUNT_KEY, count } satisfies ScheduleCountItem,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /**
   * Runs `write` (a transaction on a definition and the count) until it is done: `refused` says what a
   * cancellation by a condition means (given its codes and the error), 'retry' once the count has been
   * started or has changed.
   */
  async function transact(
    write: () => Promise<unknown>,
    refused: (codes: (string | undefined)[], error: unknown) => Promise<'retry' | 'done'>,
  ): Promise<void> {
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        await write();
        return;
      } catch (error) {
        const codes = cancellationCodes(error);
        const next =
          codes?.includes('ConditionalCheckFailed') === true
            ? await refused(codes, error)
            : isTransactionConflict(error)
              ? 'retry'
              : undefined;
        if (next === 'done') return;
        if (next === undefined || tryNumber >= TRANSACTION_TRIES) throw error;
        await pause(tryNumber);
      }
    }
  }

  return {
    get: definition,

    /**
     * Creates a schedule whose name is free (ScheduleConflictError otherwise) while fewer than `maxSchedules`
     * exist (ScheduleLimitError otherwise), counting it in the same transaction.
     */
    create(schedule: StoredSchedule, maxSchedules: number): Promise<void> {
      return transact(
        () =>
          db.send(
            new TransactWriteCommand({
              TransactItems: [
                countUpdate(1, 'attribute_exists(#count) AND #count < :max', { ':max': maxSchedules }),
                {
                  Put: {
                    TableName: table,
                    Item: { ...keys.schedule(schedule.name), ...schedule } satisfies ScheduleItem,
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
              ],
            }),
          ),
        async ([counted, named], error) => {
          // A taken name wins over a full stage, whichever conditions the cancellation reports. Read for it
          // when only the count refused: where items are applied one by one (the sandbox), the name went unchecked.
          if (named === 'ConditionalCheckFailed' || (await definition(schedule.name)))
            throw new ScheduleConflictError(`schedule ${schedule.name} exists`, {
              context: { schedule: schedule.name },
            });
          // The count refused comes with the cancellation (ALL_OLD): no item there is no count yet.
          const count =
            counted === 'ConditionalCheckFailed'
              ? (existingItemOf(error, 0) as ScheduleCountItem | undefined)?.count
              : undefined;
          if (count === undefined) await startCount();
          else if (count >= maxSchedules) throw new ScheduleLimitError(maxSchedules);
          // Else a schedule was deleted since: there is room again.
          return 'retry';
        },
      );
    },

    /** Replaces the version read (ScheduleConflictError when it changed meanwhile). */
    async put(schedule: StoredSchedule, expectedVersion: number): Promise<void> {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { ...keys.schedule(schedule.name), ...schedule } satisfies ScheduleItem,
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': expectedVersion },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error))
          throw new ScheduleConflictError(`schedule ${schedule.name} changed meanwhile`, {
            cause: error,
            context: { schedule: schedule.name },
          });
        throw error;
      }
    },

    /** Deletes a schedule and uncounts it; one already gone changes nothing. */
    remove(name: string): Promise<void> {
      return transact(
        () =>
          db.send(
            new TransactWriteCommand({
              TransactItems: [
                countUpdate(-1, 'attribute_exists(#count)'),
                {
                  Delete: {
                    TableName: table,
                    Key: keys.schedule(name),
                    ConditionExpression: 'attribute_exists(pk)',
                  },
                },
              ],
            }),
          ),
        async ([counted, named]) => {
          // The schedule was already gone: nothing to uncount.
          if (named === 'ConditionalCheckFailed' || counted !== 'ConditionalCheckFailed') return 'done';
          await startCount();
          return 'retry';
        },
      );
    },

    async list(
      limit: number,
      nextToken?: string,
    ): Promise<{ schedules: StoredSchedule[]; nextToken?: string }> {
      const out = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partitions.schedules },
          Limit: limit,
          ExclusiveStartKey: decodePageToken(nextToken, ['pk', 'sk'], { pk: partitions.schedules }),
        }),
      );
      return {
        schedules: (out.Items ?? []).map((i) => recordOf<StoredSchedule>(i)),
        nextToken: encodePageToken(out.LastEvaluatedKey),
      };
    },

    /**
     * Records a run once per request id (a redelivered trigger does not record it twice); a WAITING run
     * (BufferOne) is recorded again when it is let go: started, skipped, or waiting again.
     */
    recordRun: (name: string, run: ScheduleRun): Promise<boolean> =>
      writtenIf(
        db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.scheduleRun(name, run.scheduledTime, run.requestId),
              ...run,
              expiresAt: expiresAt(now(), retentionDays),
            } satisfies ScheduleRunItem,
            ConditionExpression: 'attribute_not_exists(pk) OR #status = :waiting',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':waiting': 'WAITING' },
          }),
        ),
      ),

    /**
     * Takes the schedule's launch lease for `holder` (a run's requestId): true when it was free, expired, or
     * already this holder's (a redelivered trigger), false while another run holds it. `takeOverParked`
     * (concurrencyPolicy Replace) also takes it from a run parked on the queue (holdLaunchLease `parked`),
     * which then finds the lease gone and gives up instead of launching. `hold`: taken for that long (parked
     * or not) instead of the usual LAUNCH_LEASE_MS, for a run that waits before its launch (a restart's backoff).
     */
    acquireLaunchLease(
      name: string,
      holder: string,
      options: { takeOverParked?: boolean; hold?: LeaseHold } = {},
    ): Promise<boolean> {
      const at = now();
      const takeOver = options.takeOverParked === true;
      return writtenIf(
        db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.launchLease(name),
              holder,
              ...leaseEnd(at, options.hold?.holdMs ?? LAUNCH_LEASE_MS),
              ...(options.hold?.parked && { parked: true }),
            } satisfies LaunchLeaseItem,
            ConditionExpression: `attribute_not_exists(pk) OR #until < :now OR #holder = :holder${
              takeOver ? ' OR #parked = :parked' : ''
            }`,
            ExpressionAttributeNames: {
              '#until': 'until',
              '#holder': 'holder',
              ...(takeOver && { '#parked': 'parked' }),
            },
            ExpressionAttributeValues: {
              ':now': at,
              ':holder': holder,
              ...(takeOver && { ':parked': true }),
            },
          }),
        ),
      );
    },

    /**
     * Keeps the lease `holder` still holds for `holdMs` more: `parked` while its launch waits on the queue
     * (throttled, or capacity short), so a Replace may take it over. False when the lease is gone or another's
     * (taken over, or taken after it expired): the holder must not launch.
     */
    holdLaunchLease(name: string, holder: string, options: LeaseHold): Promise<boolean> {
      const { until, expiresAt } = leaseEnd(now(), options.holdMs);
      return writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.launchLease(name),
            UpdateExpression: 'SET #until = :until, expiresAt = :expiresAt, #parked = :parked',
            ConditionExpression: '#holder = :holder',
            ExpressionAttributeNames: { '#until': 'until', '#holder': 'holder', '#parked': 'parked' },
            ExpressionAttributeValues: {
              ':until': until,
              ':expiresAt': expiresAt,
              ':parked': options.parked,
              ':holder': holder,
            },
          }),
        ),
      );
    },

    /** Frees the lease if `holder` still holds it; another's lease (taken after ours expired) stays. */
    async releaseLaunchLease(name: string, holder: string): Promise<void> {
      await writtenIf(
        db.send(
          new DeleteCommand({
            TableName: table,
            Key: keys.launchLease(name),
            ConditionExpression: '#holder = :holder',
            ExpressionAttributeNames: { '#holder': 'holder' },
            ExpressionAttributeValues: { ':holder': holder },
          }),
        ),
      );
    },

    async listRuns(
      name: string,
      limit: number,
      nextToken?: string,
    ): Promise<{ runs: ScheduleRun[]; nextToken?: string }> {
      const out = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': partitions.schedule(name), ':run': prefixes.run },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: decodePageToken(nextToken, ['pk', 'sk'], { pk: partitions.schedule(name) }),
        }),
      );
      return {
        runs: (out.Items ?? []).map((i) => recordOf<ScheduleRun>(i)),
        nextToken: encodePageToken(out.LastEvaluatedKey),
      };
    },
  };
}
