import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ServiceSpotState } from '../domain/serviceFallback';

/**
 * Service Spot fallback state in the single table:
 *   pk SERVICE#<cluster>#<service>  sk STATE                         the state, with a revision number
 *   pk SERVICES                     sk ON-DEMAND#<cluster>#<service> present while the service is on-demand
 * The index item is written or deleted in the same transaction as the state, so the periodic check lists
 * the services to restore with one Query (no scan, no sparse index). Cluster and service names hold no '#'.
 * No TTL: the state must outlive any quiet period, and it is small.
 */
export const SERVICE_PK = (cluster: string, service: string) => `SERVICE#${cluster}#${service}`;
export const SERVICE_STATE_SK = 'STATE';
export const SERVICES_PK = 'SERVICES';
const ON_DEMAND_PREFIX = 'ON-DEMAND#';
export const ON_DEMAND_SK = (cluster: string, service: string) => `${ON_DEMAND_PREFIX}${cluster}#${service}`;

export interface StoredServiceState {
  state: ServiceSpotState;
  /** 1 for the first write, then one more per write. */
  revision: number;
}

export interface ServiceRef {
  cluster: string;
  service: string;
}

export interface ServiceStateStore {
  getState(cluster: string, service: string): Promise<StoredServiceState | undefined>;
  /**
   * Writes the state as revision expectedRevision + 1 if the stored one is still expectedRevision (0: none
   * stored yet); false on a conflict (someone wrote in between). Adds or removes the on-demand index item.
   */
  putState(state: ServiceSpotState, expectedRevision: number): Promise<boolean>;
  /** The services whose state is on-demand (their restore is still to come). */
  listOnDemandServices(): Promise<ServiceRef[]>;
}

const STRIP = ['pk', 'sk', 'kind', 'revision'];

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
          Key: { pk: SERVICE_PK(cluster, service), sk: SERVICE_STATE_SK },
          ConsistentRead: true,
        }),
      );
      if (!out.Item) return undefined;
      const state = { ...out.Item };
      for (const key of STRIP) delete state[key];
      return { state: state as ServiceSpotState, revision: Number(out.Item.revision ?? 0) };
    },

    async putState(state, expectedRevision) {
      const { cluster, service } = state;
      const index = { pk: SERVICES_PK, sk: ON_DEMAND_SK(cluster, service) };
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
                    pk: SERVICE_PK(cluster, service),
                    sk: SERVICE_STATE_SK,
                    kind: 'service-state',
                    revision: expectedRevision + 1,
                  },
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
                      },
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
            ExpressionAttributeValues: { ':pk': SERVICES_PK, ':prefix': ON_DEMAND_PREFIX },
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
