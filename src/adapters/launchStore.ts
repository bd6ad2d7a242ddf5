import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LaunchGroup } from '../domain/launchGroup';
import { MAX_CAPACITY_RETRIES, type RecordedAttempt } from '../domain/launchOutcome';
import type { LaunchRequest, RunTaskInput } from '../domain/launchRequest';
import { withoutEnvironmentValues } from '../domain/secrets';
import { lastArnSegment } from '../domain/taskEvent';
import {
  type AcceptedLaunch,
  type DecisionRecord,
  isClaim,
  type LaunchStore,
  type RequestClaim,
  type RequestOutcome,
} from '../ports';
import {
  cancellationCodes,
  existingItemOf,
  isConditionFailure,
  RETURN_EXISTING,
  writtenIf,
} from './dynamoErrors';
import {
  type AcceptedItem,
  type ClaimItem,
  type DecisionItem,
  expiresAt,
  type Key,
  keys,
  type LaunchGroupItem,
  type LaunchItem,
  type RequestItem,
  recordOf,
} from './table';

/**
 * Launch bookkeeping in the single table (its layout: table.ts), beside each task's history:
 *   LAUNCH     what ecs-autopilot started: the full RunTask input, lineage, policy
 *   DECISION   the one restart/fallback decision taken on this task's failure
 *   REQ        a launch request that reached ECS (idempotency across redeliveries)
 *   ACCEPTED   a launch the HTTP API accepted (POST /tasks): who asked for what
 */

/** The idempotency key of one RunTask attempt: the request plus its capacity retry. */
export const requestKey = (r: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>) =>
  `${r.requestId}#${r.capacityRetries}`;

/** An outcome marker as one attempt of its launch. */
export const attemptOf = (outcome: RequestOutcome): RecordedAttempt => ({
  status: outcome.status,
  taskArns: outcome.taskArns,
  ...(outcome.failures && { failures: outcome.failures as RecordedAttempt['failures'] }),
  requeued: outcome.requeue !== undefined,
  at: outcome.at,
});

export interface LaunchStoreOptions {
  /**
   * false: environment override values are not written (names only): a relaunch goes without them, and its
   * decision says so. The table is encrypted at rest either way (SSESpecification in serverless.yml).
   */
  storeOverrideValues?: boolean;
}

export function buildLaunchStore(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
  options: LaunchStoreOptions = {},
): LaunchStore {
  const ttl = () => expiresAt(now(), retentionDays);
  const keepValues = options.storeOverrideValues ?? true;
  /** A request as stored: its environment values dropped when the stage stores none. */
  const storable = <R extends { runTask: RunTaskInput } | undefined>(request: R): R =>
    keepValues || !request ? request : { ...request, runTask: withoutEnvironmentValues(request.runTask) };
  const iso = () => new Date(now()).toISOString();
  const get = async <T>(key: Key) =>
    (await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as
      | T
      | undefined;
  const acceptedOf = (item: object) => recordOf<AcceptedLaunch>(item);
  const getAccepted = async (requestId: string) => {
    const item = await get<AcceptedItem>(keys.accepted(requestId));
    return item && acceptedOf(item);
  };
  /** This delivery follows up with the request as it is; the stored copy may lack its environment values. */
  const storedMarker = (marker: RequestOutcome): RequestOutcome => ({
    ...marker,
    ...(marker.requeue && { requeue: { ...marker.requeue, request: storable(marker.requeue.request) } }),
  });
  /** The LAUNCH item of a task a request started: what the task's own failure will be decided on. */
  const launchItem = (request: LaunchRequest, taskArn: string, at: string, expires: number) => ({
    Put: {
      TableName: table,
      Item: {
        ...keys.launch(lastArnSegment(taskArn)),
        kind: 'launch',
        taskArn,
        taskId: lastArnSegment(taskArn),
        requestId: request.requestId,
        reason: request.reason,
        runTask: storable(request).runTask,
        lineage: request.lineage,
        policy: request.policy,
        requestedBy: request.requestedBy,
        context: request.context,
        launchLease: request.launchLease,
        launchedAt: at,
        expiresAt: expires,
      } satisfies LaunchItem,
    },
  });
  /** The replaced task's decision, pointing at its replacements (refused when it has no decision). */
  const pointToReplacement = (previous: string, taskArns: string[], at: string) => ({
    Update: {
      TableName: table,
      Key: keys.decision(lastArnSegment(previous)),
      UpdateExpression: 'SET replacementTaskArns = :arns, replacedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':arns': taskArns, ':at': at },
    },
  });

  return {
    getLaunch: (taskId) => get<LaunchItem>(keys.launch(taskId)),
    getDecision: (taskId) => get<DecisionItem>(keys.decision(taskId)),

    async putDecision(taskId, decision) {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.decision(taskId),
              kind: 'decision',
              ...decision,
              request: storable(decision.request),
              expiresAt: ttl(),
            } satisfies DecisionItem,
            ...RETURN_EXISTING,
            ...(decision.provisional
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'attribute_not_exists(pk) OR provisional = :true',
                  ExpressionAttributeValues: { ':true': true },
                }),
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // DynamoDB returns the decision found with the refusal (ALL_OLD): the condition fails only on one.
        const existing = existingItemOf(error) as DecisionItem | undefined;
        if (!existing) throw error;
        return { created: false, existing: existing as DecisionRecord };
      }
    },

    markDecisionDone: async (taskId) => {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.decision(taskId),
          UpdateExpression: 'SET done = :true',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    },

    getOutcome: async (r) => {
      const item = await get<RequestItem | ClaimItem>(keys.requestOutcome(requestKey(r)));
      return item && recordOf<RequestOutcome | RequestClaim>(item);
    },

    async claimGroup(group) {
      const at = iso();
      const expires = ttl();
      const stored = { ...group, runTask: storable(group).runTask, members: group.members.map(storable) };
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...keys.launchGroup(group.groupId),
                    kind: 'launch-group',
                    ...stored,
                    claimedAt: at,
                    expiresAt: expires,
                  } satisfies LaunchGroupItem,
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...group.members.map((member) => ({
                Put: {
                  TableName: table,
                  Item: {
                    ...keys.requestOutcome(requestKey(member)),
                    kind: 'request',
                    status: 'claimed',
                    groupId: group.groupId,
                    at,
                    expiresAt: expires,
                  } satisfies ClaimItem,
                  ConditionExpression: 'attribute_not_exists(pk)',
                  ...RETURN_EXISTING,
                },
              })),
            ],
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const codes = cancellationCodes(error) ?? [];
        const taken = new Map<string, RequestOutcome | RequestClaim>();
        group.members.forEach((member, i) => {
          if (codes[i + 1] !== 'ConditionalCheckFailed') return;
          const found = existingItemOf(error, i + 1);
          if (found) taken.set(requestKey(member), recordOf<RequestOutcome | RequestClaim>(found));
        });
        // The same members claimed as this very group before: each is taken by it.
        if (taken.size === 0 && codes[0] === 'ConditionalCheckFailed') {
          for (const member of group.members)
            taken.set(requestKey(member), { status: 'claimed', groupId: group.groupId, at });
        }
        if (taken.size === 0) throw error;
        return { claimed: false, taken };
      }
    },

    getGroup: async (groupId) => {
      const item = await get<LaunchGroupItem>(keys.launchGroup(groupId));
      return item && recordOf<LaunchGroup>(item, ['claimedAt']);
    },

    releaseGroup: (group) =>
      writtenIf(
        db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: table,
                  Key: keys.launchGroup(group.groupId),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              ...group.members.map((member) => ({
                Delete: {
                  TableName: table,
                  Key: keys.requestOutcome(requestKey(member)),
                  ConditionExpression: '#status = :claimed AND groupId = :group',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':claimed': 'claimed', ':group': group.groupId },
                },
              })),
            ],
          }),
        ),
      ),

    async recordGroup(group, outcomes) {
      const at = iso();
      const expires = ttl();
      const markers = outcomes.map((outcome): RequestOutcome => ({ ...outcome, done: false, at }));
      const decisionsOf = (skip: ReadonlySet<number>) =>
        group.members.flatMap((member, i) => {
          const launched = outcomes[i]?.taskArns ?? [];
          const previous = launched.length > 0 ? member.lineage?.previousTaskArn : undefined;
          return previous && !skip.has(i) ? [{ i, item: pointToReplacement(previous, launched, at) }] : [];
        });
      const memberItems = group.members.flatMap((member, i) => {
        const marker = markers[i] as RequestOutcome;
        return [
          {
            Put: {
              TableName: table,
              Item: {
                ...keys.requestOutcome(requestKey(member)),
                kind: 'request',
                ...storedMarker(marker),
                expiresAt: expires,
              } satisfies RequestItem,
              // Only over this group's claim: a marker recorded before stays (another delivery was first).
              ConditionExpression: '#status = :claimed AND groupId = :group',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':claimed': 'claimed', ':group': group.groupId },
            },
          },
          ...marker.taskArns.map((taskArn) => launchItem(member, taskArn, at, expires)),
        ];
      });
      const skip = new Set<number>();
      for (let tries = 0; tries <= group.members.length; tries++) {
        const decisions = decisionsOf(skip);
        try {
          await db.send(
            new TransactWriteCommand({ TransactItems: [...memberItems, ...decisions.map((d) => d.item)] }),
          );
          return markers.map((outcome) => ({ first: true, outcome }));
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          const codes = cancellationCodes(error) ?? [];
          if (codes.slice(0, memberItems.length).includes('ConditionalCheckFailed')) {
            // Another delivery recorded the group first (one transaction records every member).
            return Promise.all(
              group.members.map(async (member) => {
                const found = await get<RequestItem | ClaimItem>(keys.requestOutcome(requestKey(member)));
                if (!found || isClaim(found)) throw new Error(`the outcome of ${requestKey(member)} is gone`);
                return { first: false, outcome: recordOf<RequestOutcome>(found) };
              }),
            );
          }
          // A replaced task with no decision to point from (a launch not from a restart): record without it.
          decisions.forEach((d, j) => {
            if (codes[memberItems.length + j] === 'ConditionalCheckFailed') skip.add(d.i);
          });
        }
      }
      throw new Error(`could not record the launch group ${group.groupId}`);
    },

    async recordOutcome(request, outcome) {
      const at = iso();
      const expires = ttl();
      const marker: RequestOutcome = { ...outcome, done: false, at };
      const stored = storedMarker(marker);
      const previous = outcome.taskArns.length > 0 ? request.lineage?.previousTaskArn : undefined;
      const items = (withPrevious: boolean) => [
        {
          Put: {
            TableName: table,
            Item: {
              ...keys.requestOutcome(requestKey(request)),
              kind: 'request',
              ...stored,
              expiresAt: expires,
            } satisfies RequestItem,
            ConditionExpression: 'attribute_not_exists(pk)',
            ...RETURN_EXISTING,
          },
        },
        ...outcome.taskArns.map((taskArn) => launchItem(request, taskArn, at, expires)),
        ...(previous && withPrevious ? [pointToReplacement(previous, outcome.taskArns, at)] : []),
      ];
      for (const withPrevious of previous ? [true, false] : [false]) {
        try {
          await db.send(new TransactWriteCommand({ TransactItems: items(withPrevious) }));
          return { first: true, outcome: marker };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          // A marker recorded before refuses item 0, and DynamoDB returns it in that cancellation reason. Another
          // refusal (the replaced task has no decision) leaves item 0 'None': no marker, nothing to read.
          const [marker] = cancellationCodes(error) ?? [];
          const existing =
            marker === 'None' ? undefined : (existingItemOf(error, 0) as RequestItem | undefined);
          if (marker !== 'None' && !existing) throw error;
          if (existing) return { first: false, outcome: existing };
          // No marker: the replaced task has no decision to point from (a launch not from a restart); record without it.
        }
      }
      throw new Error(`could not record the outcome of ${request.requestId}`);
    },

    async getAttempts(requestId) {
      const attempts: RecordedAttempt[] = [];
      // Each attempt that left work to a later one names it; at most the retries the launcher makes.
      for (let capacityRetries = 0; capacityRetries <= MAX_CAPACITY_RETRIES; capacityRetries++) {
        const outcome = await get<RequestItem | ClaimItem>(
          keys.requestOutcome(requestKey({ requestId, capacityRetries })),
        );
        // A claim: the attempt's RunTask is still to come (or to be recorded).
        if (!outcome || isClaim(outcome)) break;
        attempts.push(attemptOf(outcome));
        if (!outcome.requeue) break;
      }
      return attempts;
    },

    async acceptLaunch(launch) {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.accepted(launch.requestId),
              kind: 'accepted',
              ...launch,
              expiresAt: ttl(),
            } satisfies AcceptedItem,
            ConditionExpression: 'attribute_not_exists(pk)',
            ...RETURN_EXISTING,
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // The launch accepted first comes with the refusal (ALL_OLD).
        const found = existingItemOf(error);
        if (!found) throw error;
        const existing = acceptedOf(found);
        return { created: false, existing };
      }
    },

    getAcceptedLaunch: (requestId) => getAccepted(requestId),

    markOutcomeDone: async (r) => {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: keys.requestOutcome(requestKey(r)),
          UpdateExpression: 'SET done = :true',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    },
  };
}
