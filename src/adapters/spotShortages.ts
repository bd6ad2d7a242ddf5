import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { SpotShortage, SpotShortages } from '../ports';
import { writtenIf } from './dynamoErrors';
import { expiresAfter, keys, recordOf, type SpotShortageItem } from './table';

/**
 * The launcher's memory of Spot shortages (like Karpenter's cache of unavailable offerings): one item per
 * capacity provider and cluster, shared by every launcher instance, gone with its time to live. Reads are
 * cached for `cacheMs` in this instance: a wave asks once every few seconds, not once per launch.
 */
export function buildSpotShortages(
  db: DynamoDBDocumentClient,
  table: string,
  now: () => number = Date.now,
  cacheMs = 2_000,
): SpotShortages {
  const cache = new Map<string, { at: number; shortage: SpotShortage | undefined }>();
  const cacheKey = (cluster: string, provider: string) => `${cluster}\n${provider}`;
  const live = (shortage: SpotShortage | undefined) =>
    shortage && shortage.until > now() ? shortage : undefined;

  return {
    async current(cluster, provider) {
      const cached = cache.get(cacheKey(cluster, provider));
      if (cached && now() - cached.at < cacheMs) return live(cached.shortage);
      const out = await db.send(
        new GetCommand({ TableName: table, Key: keys.spotShortage(cluster, provider), ConsistentRead: true }),
      );
      const shortage = out.Item && recordOf<SpotShortage>(out.Item as SpotShortageItem);
      cache.set(cacheKey(cluster, provider), { at: now(), shortage });
      return live(shortage);
    },

    async remember(shortage) {
      const stored: SpotShortage = { ...shortage, since: new Date(now()).toISOString() };
      // Written once per shortage: an ended one (TTL deletion can lag by days) is replaced.
      const started = await writtenIf(
        db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.spotShortage(shortage.cluster, shortage.provider),
              kind: 'spot-shortage',
              ...stored,
              expiresAt: expiresAfter(shortage.until),
            } satisfies SpotShortageItem,
            ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': now() },
          }),
        ),
      );
      if (started) cache.set(cacheKey(shortage.cluster, shortage.provider), { at: now(), shortage: stored });
      else cache.delete(cacheKey(shortage.cluster, shortage.provider));
      return { started };
    },

    takeProbe: (shortage, nextProbeAfter) =>
      writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.spotShortage(shortage.cluster, shortage.provider),
            UpdateExpression: 'SET probeAfter = :next',
            ConditionExpression: 'probeAfter = :seen AND #until > :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: {
              ':next': nextProbeAfter,
              ':seen': shortage.probeAfter,
              ':now': now(),
            },
          }),
        ),
      ),

    async forget(cluster, provider) {
      cache.set(cacheKey(cluster, provider), { at: now(), shortage: undefined });
      await db.send(new DeleteCommand({ TableName: table, Key: keys.spotShortage(cluster, provider) }));
    },
  };
}
