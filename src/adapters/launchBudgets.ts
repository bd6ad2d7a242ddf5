import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type BudgetUse, MINUTE_MS, usedInWindow, withUse } from '../domain/budgets';
import type { BudgetRule, ClaimResult, LaunchBudgets } from '../ports';
import {
  cancellationCodes,
  existingItemOf,
  isConditionFailure,
  isTransactionConflict,
  RETURN_EXISTING,
  writtenIf,
} from './dynamoErrors';
import {
  type BudgetClaimItem,
  type BudgetWindowItem,
  claimRequestId,
  DAY_SECONDS,
  expiresIn,
  keys,
} from './table';

/**
 * Rolling-window counters in the single table (its layout: table.ts), one partition per counter: the window
 * (launches per minute of the last window, a version, a breaker's openUntil), and a claim item per launch
 * request counted (so a redelivery is not counted again).
 * A claim is one transaction: the claim item (if absent) and the window (if its version is the one read), so
 * a launch is counted exactly once under redelivery, concurrent launchers and crashes. Claims made at the
 * same moment in one container are committed together, so a wave does not fight itself for the version.
 */

/** Claims committed in one transaction at most (TransactWriteItems takes 100 items; one is the window). */
const MAX_CLAIMS_PER_COMMIT = 24;
const MAX_ROUNDS = 12;

interface Window {
  minutes: Record<string, number>;
  version: number;
  openUntil?: string;
  announced: boolean;
}

interface Pending {
  requestId: string;
  count: number;
  rule: BudgetRule;
  resolve(result: ClaimResult): void;
  reject(error: unknown): void;
}

export function buildLaunchBudgets(
  db: DynamoDBDocumentClient,
  table: string,
  now: () => number = Date.now,
  pause: (round: number) => Promise<void> = (round) =>
    new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * round)),
): LaunchBudgets {
  const queues = new Map<string, Pending[]>();
  const committing = new Set<string>();

  const windowOf = (item: BudgetWindowItem | undefined): Window => ({
    minutes: item?.minutes ?? {},
    version: item?.version ?? 0,
    openUntil: item?.openUntil,
    announced: item?.announced === true,
  });
  const readWindow = async (key: string): Promise<Window> => {
    const { Item } = await db.send(
      new GetCommand({ TableName: table, Key: keys.budgetWindow(key), ConsistentRead: true }),
    );
    return windowOf(Item as BudgetWindowItem | undefined);
  };
  /**
   * The tasks each of these requests was counted for before, by request: one consistent BatchGetItem for
   * the whole batch (its keys distinct: DynamoDB refuses a list with duplicates).
   */
  const claimedOf = async (key: string, requestIds: string[]): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    let claims: Record<string, unknown>[] = [...new Set(requestIds)].map((id) => keys.budgetClaim(key, id));
    for (let round = 0; claims.length > 0 && round < MAX_ROUNDS; round++) {
      const out = await db.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: claims,
              ConsistentRead: true,
              ProjectionExpression: 'sk, #count',
              ExpressionAttributeNames: { '#count': 'count' },
            },
          },
        }),
      );
      for (const item of out.Responses?.[table] ?? [])
        seen.set(claimRequestId(String(item.sk)), Number(item.count));
      claims = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return seen;
  };
  /** Concurrent reads of one window in a container share one GetItem (a wave asks for it many times). */
  const reading = new Map<string, Promise<Window>>();
  const sharedWindow = (key: string): Promise<Window> => {
    const inFlight = reading.get(key);
    if (inFlight) return inFlight;
    const read = readWindow(key).finally(() => reading.delete(key));
    reading.set(key, read);
    return read;
  };
  /** A window and its claims are kept a day past the longest window they count in. */
  const expiresAt = (windowMinutes: number) => expiresIn(now(), windowMinutes * 60 + DAY_SECONDS);

  /** One round for the claims waiting on `key`: grants what fits, commits them with the window, or retries. */
  async function commit(key: string): Promise<void> {
    /** The window as a refused commit found it (returned with the cancellation): the next round reads no other. */
    let found: Window | undefined;
    for (let conflicts = 0; ; ) {
      const batch = (queues.get(key) ?? []).splice(0, MAX_CLAIMS_PER_COMMIT);
      if (batch.length === 0) return;
      try {
        const known = found;
        found = undefined;
        const [window, counted] = await Promise.all([
          known ?? readWindow(key),
          claimedOf(
            key,
            batch.map((p) => p.requestId),
          ),
        ]);
        const at = now();
        let use: BudgetUse = window.minutes;
        const granted: Pending[] = [];
        const results = new Map<Pending, ClaimResult>();
        for (const p of batch) {
          const used = usedInWindow(use, at, p.rule.windowMinutes);
          // Counted before (a redelivery, a capacity retry, a duplicate in this batch): granted again for as
          // many tasks as were counted, never more.
          const before = counted.get(p.requestId);
          if (before !== undefined) {
            const within = p.count <= before;
            results.set(p, { granted: within, replay: within, used, limit: p.rule.limit });
          } else if (used + p.count > p.rule.limit) {
            results.set(p, { granted: false, replay: false, used, limit: p.rule.limit });
          } else {
            results.set(p, { granted: true, replay: false, used, limit: p.rule.limit });
            use = withUse(use, at, p.count, p.rule.windowMinutes);
            granted.push(p);
            counted.set(p.requestId, p.count);
          }
        }
        if (granted.length > 0) {
          const windowMinutes = Math.max(...granted.map((p) => p.rule.windowMinutes));
          await db.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: table,
                    Key: keys.budgetWindow(key),
                    UpdateExpression: 'SET minutes = :minutes, version = :next, expiresAt = :expiresAt',
                    ConditionExpression: 'attribute_not_exists(version) OR version = :version',
                    ...RETURN_EXISTING,
                    ExpressionAttributeValues: {
                      ':minutes': use,
                      ':next': window.version + 1,
                      ':version': window.version,
                      ':expiresAt': expiresAt(windowMinutes),
                    },
                  },
                },
                ...granted.map((p) => ({
                  Put: {
                    TableName: table,
                    Item: {
                      ...keys.budgetClaim(key, p.requestId),
                      kind: 'budget-claim',
                      count: p.count,
                      at: new Date(at).toISOString(),
                      expiresAt: expiresAt(p.rule.windowMinutes),
                    } satisfies BudgetClaimItem,
                    ConditionExpression: 'attribute_not_exists(sk)',
                  },
                })),
              ],
            }),
          );
        }
        for (const p of batch) p.resolve(results.get(p) as ClaimResult);
        conflicts = 0;
      } catch (error) {
        // Another writer moved the window (or counted one of these) since it was read: read again.
        const conflict = isConditionFailure(error) || isTransactionConflict(error);
        if (!conflict || conflicts >= MAX_ROUNDS) {
          for (const p of batch) p.reject(error);
        } else {
          conflicts++;
          // The window moved (item 0 refused): it comes with the cancellation. Otherwise (a claim counted
          // meanwhile, a transaction conflict, or no item with the reason) the next round reads it.
          if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') {
            const item = existingItemOf(error, 0) as BudgetWindowItem | undefined;
            found = item && windowOf(item);
          }
          queues.get(key)?.unshift(...batch);
          await pause(conflicts);
        }
      }
    }
  }

  /** Commits `key`'s waiting claims unless a commit is on it already (that one takes them too). */
  function drain(key: string): void {
    if (committing.has(key)) return;
    committing.add(key);
    // The next turn of the event loop: claims made at the same moment go in one transaction.
    setImmediate(() => {
      void commit(key).finally(() => {
        committing.delete(key);
        if ((queues.get(key) ?? []).length > 0) drain(key);
        else queues.delete(key);
      });
    });
  }

  return {
    claim(key, requestId, count, rule) {
      return new Promise<ClaimResult>((resolve, reject) => {
        const queue = queues.get(key) ?? [];
        queues.set(key, queue);
        queue.push({ requestId, count, rule, resolve, reject });
        drain(key);
      });
    },

    async state(key, windowMinutes) {
      const window = await sharedWindow(key);
      return {
        used: usedInWindow(window.minutes, now(), windowMinutes),
        ...(window.openUntil && { openUntil: window.openUntil, announced: window.announced }),
      };
    },

    async markAnnounced(key, untilMs) {
      await writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.budgetWindow(key),
            UpdateExpression: 'SET announced = :true',
            ConditionExpression: 'openUntil = :until',
            ExpressionAttributeValues: { ':true': true, ':until': new Date(untilMs).toISOString() },
          }),
        ),
      );
    },

    open: (key, untilMs) =>
      writtenIf(
        db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.budgetWindow(key),
            UpdateExpression: 'SET openUntil = :until, openedAt = :now, announced = :false',
            ConditionExpression: 'attribute_not_exists(openUntil) OR openUntil < :now',
            ExpressionAttributeValues: {
              ':until': new Date(untilMs).toISOString(),
              ':now': new Date(now()).toISOString(),
              ':false': false,
            },
          }),
        ),
      ),

    async reset(key) {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.budgetWindow(key),
          // A new version, so a claim that read the window before the reset cannot write its count back.
          UpdateExpression:
            'SET minutes = :empty, version = if_not_exists(version, :zero) + :one, expiresAt = :expiresAt REMOVE openUntil, openedAt, announced',
          ExpressionAttributeValues: { ':empty': {}, ':zero': 0, ':one': 1, ':expiresAt': expiresAt(0) },
        }),
      );
    },
  };
}

export { MINUTE_MS };
