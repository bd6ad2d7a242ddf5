import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ServiceSpotState } from '../domain/serviceFallback';
import type {
  ClusterHistory,
  ClusterTaskPage,
  ClusterTaskSummary,
  DecisionRecord,
  SpotShortage,
} from '../ports';
import {
  expiresAt,
  type Key,
  keys,
  type OperatorActionItem,
  partitions,
  recordOf,
  type SpotShortageItem,
  taskIndexes,
} from './table';
import { transitionOf } from './taskHistory';

/**
 * A cluster's history as its state reads it (layout: table.ts): summaries by the byCluster and
 * byClassification indexes, decisions and service states by BatchGetItem, Spot shortages and callers'
 * actions by their partitions. Every read is bounded: a page limit, or the keys given.
 */

/** The summary attributes the state uses: a summary holds containers, attachments and overrides too. */
const SUMMARY_FIELDS = [
  'taskArn',
  'taskId',
  'family',
  'lastStatus',
  'classification',
  'eventTime',
  'capacityProviderName',
  'capacityProvider',
  'launchType',
  'startedBy',
  'cpu',
  'memory',
  'createdAt',
  'startedAt',
  'stoppedAt',
] as const;
const projection = {
  ProjectionExpression: SUMMARY_FIELDS.map((_, i) => `#f${i}`).join(', '),
  names: Object.fromEntries(SUMMARY_FIELDS.map((field, i) => [`#f${i}`, field])),
};

/** BatchGetItem takes at most 100 keys a call, and may leave some unprocessed (read again, a few rounds). */
const BATCH_KEYS = 100;
const MAX_ROUNDS = 5;

export function buildClusterHistory(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
): ClusterHistory {
  async function summaries(
    index: { index: string; partitionKey: string; sortKey: string; partition: string },
    since: string | undefined,
    limit: number,
  ): Promise<ClusterTaskPage> {
    const tasks: ClusterTaskSummary[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          IndexName: index.index,
          KeyConditionExpression: since ? '#p = :p AND #s >= :since' : '#p = :p',
          ExpressionAttributeNames: {
            '#p': index.partitionKey,
            ...(since && { '#s': index.sortKey }),
            ...projection.names,
          },
          ExpressionAttributeValues: { ':p': index.partition, ...(since && { ':since': since }) },
          ProjectionExpression: projection.ProjectionExpression,
          ScanIndexForward: false,
          Limit: Math.min(limit - tasks.length + 1, 1000),
          ExclusiveStartKey: startKey,
        }),
      );
      tasks.push(...(page.Items ?? []).map((item) => transitionOf(item) as ClusterTaskSummary));
      startKey = page.LastEvaluatedKey;
    } while (startKey && tasks.length <= limit);
    return { tasks: tasks.slice(0, limit), truncated: tasks.length > limit };
  }

  async function batchGet(wanted: Key[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let at = 0; at < wanted.length; at += BATCH_KEYS) {
      let pending: Record<string, unknown>[] = wanted.slice(at, at + BATCH_KEYS);
      for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
        const out = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
        found.push(...(out.Responses?.[table] ?? []));
        pending = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return found;
  }

  async function queryPartition(pk: string, since: string | undefined, limit: number) {
    const out = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: since ? 'pk = :pk AND sk >= :since' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk, ...(since && { ':since': since }) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return out.Items ?? [];
  }

  return {
    activitySince: (cluster, since, limit) => summaries(taskIndexes.byCluster(cluster), since, limit),
    running: (cluster, limit) =>
      summaries(taskIndexes.byClassification(cluster, 'running'), undefined, limit),

    async decisions(taskIds) {
      const items = await batchGet([...new Set(taskIds)].map((id) => keys.decision(id)));
      return new Map(
        items.map((item) => [
          String(item.pk).slice(partitions.task('').length),
          recordOf<DecisionRecord>(item),
        ]),
      );
    },

    async serviceStates(cluster, services) {
      const items = await batchGet([...new Set(services)].map((s) => keys.serviceState(cluster, s)));
      return new Map(
        items.map((item) => {
          const state = recordOf<ServiceSpotState>(item, ['revision']);
          return [state.service, state];
        }),
      );
    },

    async spotShortages(cluster) {
      const items = await queryPartition(partitions.spotShortages(cluster), undefined, 100);
      return items.map((item) => recordOf<SpotShortage>(item as SpotShortageItem));
    },

    async recordAction({ kind, ...action }) {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.operatorAction(action.cluster, action.at, action.id),
            kind: 'operator-action',
            // `kind` is the table's item type: the action's own kind is stored as actionKind.
            actionKind: kind,
            ...action,
            expiresAt: expiresAt(now(), retentionDays),
          } satisfies OperatorActionItem,
        }),
      );
    },

    async actionsSince(cluster, since, limit) {
      const items = await queryPartition(partitions.operatorActions(cluster), since, limit);
      return items.map((item) => {
        const { actionKind, ...action } = recordOf<OperatorActionItem>(item);
        return { ...action, kind: actionKind };
      });
    },
  };
}
