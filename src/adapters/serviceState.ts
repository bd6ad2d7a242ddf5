import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ServiceSpotState } from '../domain/serviceFallback';
import type { ServiceRef, ServiceStateStore } from '../ports';
import { keys, partitions, prefixes, recordOf, type ServiceIndexItem, type ServiceStateItem } from './table';

/**
 * Service Spot fallback state in the single table (its layout: table.ts): the state of each service, with a
 * revision number, and an index item present while the service is on-demand. The index item is written or
 * deleted in the same transaction as the state, so the periodic check lists the services to restore with one
 * Query (no scan, no sparse index). Cluster and service names hold no '#'.
 * No TTL: the state must outlive any quiet period, and it is small.
 */

function isConflict(error: unknown): boolean {
  if (
    !(error instanceof TransactionCanceledException) &&
    (error as Error)?.name !== 'TransactionCanceledException'
  )
    return false;
  return ((error as TransactionCanceledException).CancellationReasons ?? []).some(
    (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
  );
}

export function buildServiceStateStore(db: DynamoDBDocumentClient, table: string): ServiceStateStore {
  return {
    async getState(cluster, service) {
      const out = await db.send(
        new GetCommand({
          TableName: table,
          Key: keys.serviceState(cluster, service),
          ConsistentRead: true,
        }),
      );
      if (!out.Item) return undefined;
      return {
        state: recordOf<ServiceSpotState>(out.Item, ['revision']),
        revision: Number(out.Item.revision ?? 0),
      };
    },

    async putState(state, expectedRevision) {
      const { cluster, service } = state;
      const index = keys.onDemandService(cluster, service);
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    // Plain JSON: no undefined members, whatever the client's marshall options.
                    ...(JSON.parse(JSON.stringify(state)) as ServiceSpotState),
                    ...keys.serviceState(cluster, service),
                    kind: 'service-state',
                    revision: expectedRevision + 1,
                  } satisfies ServiceStateItem,
                  ConditionExpression: 'attribute_not_exists(pk) OR revision = :expected',
                  ExpressionAttributeValues: { ':expected': expectedRevision },
                },
              },
              state.mode === 'on-demand'
                ? {
                    Put: {
                      TableName: table,
                      Item: {
                        ...index,
                        kind: 'service-index',
                        cluster,
                        service,
                        ...(state.lastSwitchAt && { since: state.lastSwitchAt }),
                      } satisfies ServiceIndexItem,
                    },
                  }
                : { Delete: { TableName: table, Key: index } },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },

    async listOnDemandServices() {
      const services: ServiceRef[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': partitions.services, ':prefix': prefixes.onDemand },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          if (typeof item.cluster === 'string' && typeof item.service === 'string')
            services.push({ cluster: item.cluster, service: item.service });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return services;
    },
  };
}
