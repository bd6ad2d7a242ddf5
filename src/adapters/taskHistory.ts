import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskTransition } from '../domain/lifecycle';
import type { DecisionRecord, GetTaskHistory, LaunchRecord, ListTasks, RecordTransition } from '../ports';
import { isConditionFailure } from './dynamoErrors';
import { decodePageToken, encodePageToken } from './pageToken';
import {
  expiresAt,
  keys,
  partitions,
  recordOf,
  type SummaryItem,
  summaryIndexKeys,
  type TransitionItem,
  taskIndexes,
} from './table';

/**
 * Task history in the single table (its layout: table.ts): one immutable item per state change, and a
 * summary, the newest state, replaced only by a higher version. The summary carries the keys of two indexes,
 * byCluster (cluster, time) and byClassification (cluster#classification, time), so listing never scans.
 */

export function buildRecordTransition(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
): RecordTransition {
  return async (t) => {
    const ttl = expiresAt(now(), retentionDays);
    let isNew = true;
    try {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.transition(t.taskId, t.version),
            kind: 'transition',
            ...t,
            expiresAt: ttl,
          } satisfies TransitionItem,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      isNew = false;
    }
    // Always attempt the summary, even for a duplicate: a crash between the two writes must heal on retry.
    try {
      const result = await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.summary(t.taskId),
            kind: 'summary',
            ...t,
            expiresAt: ttl,
            ...summaryIndexKeys(t),
          } satisfies SummaryItem,
          // <= rather than <: a concurrent copy of the same event also counts as newest (same content).
          ConditionExpression: 'attribute_not_exists(pk) OR version <= :version',
          ExpressionAttributeValues: { ':version': t.version },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const previousStatus = result.Attributes?.lastStatus as string | undefined;
      return { isNew, isNewest: true, firstStop: t.lastStatus === 'STOPPED' && previousStatus !== 'STOPPED' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { isNew, isNewest: false, firstStop: false };
    }
  };
}

/**
 * A stored transition or summary as the API shows it. Items written before the transition took ECS's field
 * name hold the capacity provider as capacityProvider: it is shown as capacityProviderName, so the history
 * of those tasks still tells where they ran (until their TTL removes them).
 */
export function transitionOf(item: Record<string, unknown>): TaskTransition {
  const t = recordOf<TaskTransition & { capacityProvider?: string }>(item);
  if (t.capacityProvider !== undefined) {
    t.capacityProviderName ??= t.capacityProvider;
    delete t.capacityProvider;
  }
  return t;
}

export function buildGetTaskHistory(db: DynamoDBDocumentClient, table: string): GetTaskHistory {
  return async (taskId) => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partitions.task(taskId) },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const summary = items.find((i) => i.sk === keys.summary(taskId).sk);
    const launch = items.find((i) => i.sk === keys.launch(taskId).sk);
    const decision = items.find((i) => i.sk === keys.decision(taskId).sk);
    // A decision can be stored before the task's first state change: the reactions run beside the log.
    if (!summary && !launch && !decision) return undefined;
    const transitions = items
      .filter((i) => i.kind === 'transition')
      .sort((a, b) => (a.version as number) - (b.version as number))
      .map(transitionOf);
    return {
      summary: summary && transitionOf(summary),
      transitions,
      launch: launch && recordOf<LaunchRecord>(launch),
      decision: decision && recordOf<DecisionRecord>(decision),
    };
  };
}

export function buildListTasks(db: DynamoDBDocumentClient, table: string): ListTasks {
  return async (q) => {
    const { index, partitionKey, sortKey, partition } = q.classification
      ? taskIndexes.byClassification(q.cluster, q.classification)
      : taskIndexes.byCluster(q.cluster);
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: q.since ? '#p = :p AND #s >= :since' : '#p = :p',
        ExpressionAttributeNames: q.since ? { '#p': partitionKey, '#s': sortKey } : { '#p': partitionKey },
        ExpressionAttributeValues: q.since ? { ':p': partition, ':since': q.since } : { ':p': partition },
        ScanIndexForward: false,
        Limit: q.limit,
        // A table index's LastEvaluatedKey holds the table key and the index key.
        ExclusiveStartKey: decodePageToken(q.nextToken, ['pk', 'sk', partitionKey, sortKey], {
          [partitionKey]: partition,
        }),
      }),
    );
    return {
      tasks: (page.Items ?? []).map(transitionOf),
      nextToken: encodePageToken(page.LastEvaluatedKey),
    };
  };
}
