import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LaunchRequest, RunTaskInput } from '../domain/launchRequest';
import { TASK_PK } from './taskHistory';

/**
 * Launch bookkeeping in the single table:
 *   pk TASK#<taskId>  sk LAUNCH     what ecs-autopilot started: the full RunTask input, lineage, policy
 *   pk TASK#<taskId>  sk DECISION   the one restart/fallback decision taken on this task's failure
 *   pk REQ#<key>      sk REQ        a launch request that reached ECS (idempotency across redeliveries)
 */
export const LAUNCH_SK = 'LAUNCH';
export const DECISION_SK = 'DECISION';
const REQ_PK = (key: string) => `REQ#${key}`;

export interface LaunchRecord {
  taskArn: string;
  taskId: string;
  requestId: string;
  reason: LaunchRequest['reason'];
  runTask: RunTaskInput;
  lineage?: LaunchRequest['lineage'];
  policy?: LaunchRequest['policy'];
  requestedBy?: string;
  context?: Record<string, string>;
  launchedAt: string;
}

export interface DecisionRecord {
  taskArn: string;
  action: string;
  reason?: string;
  decidedAt: string;
  delaySeconds?: number;
  attempt?: number;
  /** The launch request sent for this decision, kept so a crashed delivery can resend it. */
  request?: LaunchRequest;
  replacementTaskArns?: string[];
  [key: string]: unknown;
}

export interface RequestRecord {
  status: 'launched' | 'failed';
  taskArns: string[];
  failures?: unknown[];
  at: string;
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as Error)?.name === 'ConditionalCheckFailedException' ||
  ((error instanceof TransactionCanceledException ||
    (error as Error)?.name === 'TransactionCanceledException') &&
    ((error as TransactionCanceledException).CancellationReasons ?? []).some(
      (r) => r.Code === 'ConditionalCheckFailed',
    ));

const taskIdOf = (arn: string) => arn.split('/').pop() ?? arn;

/** The idempotency key of one RunTask attempt: the request plus its capacity retry. */
export const requestKey = (r: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>) =>
  `${r.requestId}#${r.capacityRetries}`;

export interface LaunchStore {
  getLaunch(taskId: string): Promise<LaunchRecord | undefined>;
  getDecision(taskId: string): Promise<DecisionRecord | undefined>;
  /** Conditional put: `created` false (and the existing decision) when one was taken before. */
  putDecision(
    taskId: string,
    decision: DecisionRecord,
  ): Promise<{ created: true } | { created: false; existing: DecisionRecord }>;
  getRequest(
    request: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>,
  ): Promise<RequestRecord | undefined>;
  /** One transaction: request marker, a LAUNCH item per task, the replaced task's decision updated. `first` false on a replay. */
  recordLaunch(request: LaunchRequest, taskArns: string[]): Promise<{ first: boolean }>;
  recordFailure(request: LaunchRequest, failures: unknown[]): Promise<void>;
}

export function buildLaunchStore(
  db: DynamoDBDocumentClient,
  table: string,
  retentionDays: number,
  now: () => number = Date.now,
): LaunchStore {
  const expiresAt = () => Math.floor(now() / 1000) + retentionDays * 86_400;
  const iso = () => new Date(now()).toISOString();
  const get = async <T>(pk: string, sk: string) =>
    (await db.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))).Item as
      | T
      | undefined;

  return {
    getLaunch: (taskId) => get<LaunchRecord>(TASK_PK(taskId), LAUNCH_SK),
    getDecision: (taskId) => get<DecisionRecord>(TASK_PK(taskId), DECISION_SK),

    async putDecision(taskId, decision) {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: TASK_PK(taskId),
              sk: DECISION_SK,
              kind: 'decision',
              ...decision,
              expiresAt: expiresAt(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing =
          (error as { Item?: DecisionRecord }).Item ??
          (await get<DecisionRecord>(TASK_PK(taskId), DECISION_SK));
        return { created: false, existing: existing as DecisionRecord };
      }
    },

    getRequest: (r) => get<RequestRecord>(REQ_PK(requestKey(r)), 'REQ'),

    async recordLaunch(request, taskArns) {
      const at = iso();
      const ttl = expiresAt();
      const previous = request.lineage?.previousTaskArn;
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    pk: REQ_PK(requestKey(request)),
                    sk: 'REQ',
                    status: 'launched',
                    taskArns,
                    at,
                    expiresAt: ttl,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...taskArns.map((taskArn) => ({
                Put: {
                  TableName: table,
                  Item: {
                    pk: TASK_PK(taskIdOf(taskArn)),
                    sk: LAUNCH_SK,
                    kind: 'launch',
                    taskArn,
                    taskId: taskIdOf(taskArn),
                    requestId: request.requestId,
                    reason: request.reason,
                    runTask: request.runTask,
                    lineage: request.lineage,
                    policy: request.policy,
                    requestedBy: request.requestedBy,
                    context: request.context,
                    launchedAt: at,
                    expiresAt: ttl,
                  } satisfies LaunchRecord & Record<string, unknown>,
                },
              })),
              ...(previous
                ? [
                    {
                      Update: {
                        TableName: table,
                        Key: { pk: TASK_PK(taskIdOf(previous)), sk: DECISION_SK },
                        UpdateExpression: 'SET replacementTaskArns = :arns, replacedAt = :at',
                        ConditionExpression: 'attribute_exists(pk)',
                        ExpressionAttributeValues: { ':arns': taskArns, ':at': at },
                      },
                    },
                  ]
                : []),
            ],
          }),
        );
        return { first: true };
      } catch (error) {
        if (isConditionFailure(error)) {
          const marker = await get<RequestRecord>(REQ_PK(requestKey(request)), 'REQ');
          // The request marker exists: a replay. Otherwise the replaced task's decision is missing: record without it.
          if (marker) return { first: false };
          if (previous) {
            return this.recordLaunch(
              { ...request, lineage: request.lineage && { ...request.lineage, previousTaskArn: undefined } },
              taskArns,
            );
          }
        }
        throw error;
      }
    },

    async recordFailure(request, failures) {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: REQ_PK(requestKey(request)),
            sk: 'REQ',
            status: 'failed',
            taskArns: [],
            failures,
            at: iso(),
            expiresAt: expiresAt(),
          },
        }),
      );
    },
  };
}
