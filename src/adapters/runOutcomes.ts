import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NO_STATS, type RunOutcome, type RunRef, type RunStats } from '../domain/runOutcome';
import type { BufferedRun, RunOutcomeStore, ScheduleRun, StoredSchedule } from '../ports';
import {
  cancellationCodes,
  existingItemOf,
  isConditionFailure,
  isTransactionConflict,
  RETURN_EXISTING,
  writtenIf,
} from './dynamoErrors';
import {
  type BufferedRunItem,
  expiresAt,
  keys,
  partitions,
  prefixes,
  recordOf,
  type ScheduleStatsItem,
} from './table';

/** Tries of an outcome whose statistics another outcome of the same schedule wrote at once. */
const SETTLE_TRIES = 8;

const runKey = (ref: RunRef) => keys.scheduleRun(ref.schedule, ref.scheduledTime, ref.requestId);

/**
 * How schedules' runs end, in the single table (its layout: table.ts): a run item's outcome, written once
 * (`attribute_not_exists(outcome)`) in the same transaction as the schedule's STATS item (conditional on
 * the `seq` read), so a run is counted exactly once in the streak and the pause count, whatever the
 * duplicated or concurrent deliveries; BufferOne's waiting run in the schedule's BUFFERED item.
 */
export function buildRunOutcomeStore(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
): RunOutcomeStore {
  async function getRun(ref: RunRef): Promise<ScheduleRun | undefined> {
    const out = await db.send(new GetCommand({ TableName: table, Key: runKey(ref), ConsistentRead: true }));
    return out.Item && recordOf<ScheduleRun>(out.Item);
  }

  async function getStats(schedule: string): Promise<RunStats | undefined> {
    const out = await db.send(
      new GetCommand({ TableName: table, Key: keys.scheduleStats(schedule), ConsistentRead: true }),
    );
    return out.Item && recordOf<RunStats>(out.Item);
  }

  return {
    getRun,
    getStats,

    async markStarted(ref, at) {
      await writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: runKey(ref),
            UpdateExpression: 'SET startedAt = if_not_exists(startedAt, :at)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': at },
          }),
        ),
      );
    },

    async addSucceededTask(ref, taskId) {
      try {
        const out = await db.send(
          new UpdateCommand({
            TableName: table,
            Key: runKey(ref),
            UpdateExpression: 'ADD succeededTaskIds :task',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':task': new Set([taskId]) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return out.Attributes && recordOf<ScheduleRun>(out.Attributes);
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async settle(ref, outcome: RunOutcome, count) {
      for (let tryNumber = 1; ; tryNumber++) {
        const stats = (await getStats(ref.schedule)) ?? NO_STATS;
        const next = count(stats);
        try {
          await db.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: table,
                    Key: runKey(ref),
                    UpdateExpression: 'SET outcome = :outcome, announced = :false, settledAt = :now',
                    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(outcome)',
                    ExpressionAttributeValues: {
                      ':outcome': outcome,
                      ':false': false,
                      ':now': new Date(now()).toISOString(),
                    },
                    ...RETURN_EXISTING,
                  },
                },
                {
                  Put: {
                    TableName: table,
                    Item: { ...keys.scheduleStats(ref.schedule), ...next } satisfies ScheduleStatsItem,
                    ConditionExpression: stats.seq === 0 ? 'attribute_not_exists(pk)' : 'seq = :seq',
                    ...(stats.seq !== 0 && { ExpressionAttributeValues: { ':seq': stats.seq } }),
                  },
                },
              ],
            }),
          );
          return { first: true, stats: next };
        } catch (error) {
          const [run, counted] = cancellationCodes(error) ?? [];
          if (run === 'ConditionalCheckFailed') {
            const found = existingItemOf(error, 0);
            return { first: false, ...(found && { run: recordOf<ScheduleRun>(found) }) };
          }
          const retry = counted === 'ConditionalCheckFailed' || isTransactionConflict(error);
          if (!retry || tryNumber >= SETTLE_TRIES) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** tryNumber));
        }
      }
    },

    async markAnnounced(ref) {
      await writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: runKey(ref),
            UpdateExpression: 'SET announced = :true',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':true': true },
          }),
        ),
      );
    },

    async pauseBySystem(schedule, pause) {
      try {
        const out = await db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.schedule(schedule),
            UpdateExpression:
              'SET #state = :paused, version = version + :one, updatedAt = :at, updatedBy = :by, pausedBy = :by, pausedReason = :reason, pausedAt = :at',
            ConditionExpression: '#state = :enabled',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':paused': 'PAUSED',
              ':enabled': 'ENABLED',
              ':one': 1,
              ':at': pause.at,
              ':by': pause.by,
              ':reason': pause.reason,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return out.Attributes && recordOf<StoredSchedule>(out.Attributes);
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    buffer: (schedule: string, run: BufferedRun) =>
      writtenIf(
        db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.bufferedRun(schedule),
              ...run,
              expiresAt: expiresAt(now(), retentionDays),
            } satisfies BufferedRunItem,
            ConditionExpression: 'attribute_not_exists(pk) OR requestId = :id',
            ExpressionAttributeValues: { ':id': run.requestId },
          }),
        ),
      ),

    async recordedRunIds(schedule, fromMs, toMs) {
      // scheduledTime is kept as given (with or without milliseconds): a minute either side, then exact.
      const bound = (ms: number) => `${prefixes.run}${new Date(ms).toISOString().slice(0, 16)}`;
      const ids = new Set<string>();
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': partitions.schedule(schedule),
              ':from': bound(fromMs - 60_000),
              ':to': `${bound(toMs + 60_000)}~`,
            },
            ProjectionExpression: 'requestId, scheduledTime',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const at = Date.parse(String(item.scheduledTime));
          if (at >= fromMs && at < toMs) ids.add(String(item.requestId));
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return ids;
    },

    async takeBuffered(schedule, holder) {
      try {
        const out = await db.send(
          new DeleteCommand({
            TableName: table,
            Key: keys.bufferedRun(schedule),
            ConditionExpression:
              holder === undefined ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND requestId = :id',
            ...(holder !== undefined && { ExpressionAttributeValues: { ':id': holder } }),
            ReturnValues: 'ALL_OLD',
          }),
        );
        return out.Attributes && recordOf<BufferedRun>(out.Attributes);
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
}
