/**
 * The launcher's world for drills 6 and 7: a fake ECS behind the real RunTask adapter (a mocked ECSClient)
 * that starts one task per clientToken and can throttle or fail, a launch queue behind the real SendMessage
 * adapter (a mocked SQSClient) that delivers like SQS (batches, visibility timeout, redrive to a DLQ after
 * 5 receives, delays on a virtual clock), and an event bus that counts.
 */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import type { DecisionRecord } from '../../src/ports';
import { hexOf, serverError, taskArnForToken, throttling } from './support';

const credentials = { accessKeyId: 'drill', secretAccessKey: 'drill' };
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-autopilot-launch';
export const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster';

export interface FakeEcsFaults {
  random: () => number;
  /** Share of RunTask calls answered ThrottlingException (nothing started). */
  throttleRate: number;
  /** Share answered ServerException; half of those after the task was started (the answer was lost). */
  serverErrorRate: number;
}

/** ECS RunTask: the same clientToken always answers the same task and starts it only once. */
export class FakeEcs {
  readonly client = new ECSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  readonly taskByToken = new Map<string, string>();
  readonly counts = {
    runTaskCalls: 0,
    throttles: 0,
    serverErrorsBeforeStart: 0,
    serverErrorsAfterStart: 0,
    /** Tasks started (new clientTokens). */
    launches: 0,
    /** Calls that named a token seen before and got its task back. */
    tokenReplays: 0,
    callsWithoutToken: 0,
  };

  constructor(
    private readonly faults: FakeEcsFaults = { random: Math.random, throttleRate: 0, serverErrorRate: 0 },
  ) {
    mockClient(this.client)
      .on(RunTaskCommand)
      .callsFake(async (input) =>
        this.runTask(input.cluster ?? 'default', input.clientToken, input.count ?? 1),
      );
  }

  private runTask(cluster: string, clientToken: string | undefined, count: number) {
    this.counts.runTaskCalls++;
    if (!clientToken) {
      this.counts.callsWithoutToken++;
      clientToken = `no-token-${this.counts.runTaskCalls}`;
    }
    if (count !== 1) throw new Error(`the drill's fake ECS starts one task per call, asked for ${count}`);
    const r = this.faults.random();
    if (r < this.faults.throttleRate) {
      this.counts.throttles++;
      throw throttling();
    }
    const fault = r < this.faults.throttleRate + this.faults.serverErrorRate;
    if (fault && this.faults.random() < 0.5) {
      this.counts.serverErrorsBeforeStart++;
      throw serverError();
    }
    let taskArn = this.taskByToken.get(clientToken);
    if (taskArn) this.counts.tokenReplays++;
    else {
      taskArn = taskArnForToken(cluster, clientToken);
      this.taskByToken.set(clientToken, taskArn);
      this.counts.launches++;
    }
    if (fault) {
      this.counts.serverErrorsAfterStart++;
      throw serverError();
    }
    return { tasks: [{ taskArn, lastStatus: 'PROVISIONING' }], failures: [] };
  }
}

interface Message {
  id: string;
  body: string;
  availableAt: number;
  receives: number;
}

/** SQS as the launcher sees it, on a virtual clock (seconds): delays and the visibility timeout are honoured in order. */
export class FakeLaunchQueue {
  readonly client = new SQSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  readonly dlq: Message[] = [];
  readonly counts = { sent: 0, received: 0, redeliveredAfterError: 0, deadLettered: 0, batches: 0 };
  private queued: Message[] = [];
  private now = 0;

  constructor(
    private readonly options: { visibilityTimeout: number; maxReceives: number } = {
      visibilityTimeout: 60,
      maxReceives: 5,
    },
  ) {
    mockClient(this.client)
      .on(SendMessageCommand)
      .callsFake(async (input) => {
        this.counts.sent++;
        const id = `m-${this.counts.sent}`;
        this.queued.push({
          id,
          body: input.MessageBody ?? '',
          availableAt: this.now + (input.DelaySeconds ?? 0),
          receives: 0,
        });
        return { MessageId: id };
      });
  }

  get depth() {
    return this.queued.length;
  }

  /**
   * Delivers until the queue is empty: up to `concurrency` batches of `batchSize` at once (the launcher's
   * event source mapping: batches of 10, at most 5 concurrent), the records of a batch concurrently. A record
   * whose handler throws comes back after the visibility timeout, or goes to the DLQ after maxReceives.
   */
  async drain(
    handle: (record: { messageId: string; body: string }) => Promise<unknown>,
    options: { batchSize?: number; concurrency?: number } = {},
  ): Promise<void> {
    const batchSize = options.batchSize ?? 10;
    const concurrency = options.concurrency ?? 5;
    while (this.queued.length > 0) {
      const ready = this.queued.filter((m) => m.availableAt <= this.now);
      if (ready.length === 0) {
        this.now = Math.min(...this.queued.map((m) => m.availableAt));
        continue;
      }
      ready.sort((a, b) => a.availableAt - b.availableAt);
      const taken = ready.slice(0, batchSize * concurrency);
      const takenIds = new Set(taken.map((m) => m.id));
      this.queued = this.queued.filter((m) => !takenIds.has(m.id));
      const batches: Message[][] = [];
      for (let i = 0; i < taken.length; i += batchSize) batches.push(taken.slice(i, i + batchSize));
      this.counts.batches += batches.length;
      await Promise.all(
        batches.map((batch) =>
          Promise.all(
            batch.map(async (message) => {
              message.receives++;
              this.counts.received++;
              try {
                await handle({ messageId: message.id, body: message.body });
              } catch {
                if (message.receives >= this.options.maxReceives) {
                  this.counts.deadLettered++;
                  this.dlq.push(message);
                } else {
                  this.counts.redeliveredAfterError++;
                  this.queued.push({ ...message, availableAt: this.now + this.options.visibilityTimeout });
                }
              }
            }),
          ),
        ),
      );
      this.now += 1;
    }
  }
}

/** EventBridge PutEvents: counts entries by detail type and by request id. */
export class FakeEventBus {
  readonly client = new EventBridgeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  readonly byType = new Map<string, number>();
  /** `<detail type> <requestId>` -> entries. */
  readonly byRequest = new Map<string, number>();

  constructor() {
    mockClient(this.client)
      .on(PutEventsCommand)
      .callsFake(async (input) => {
        for (const entry of input.Entries ?? []) {
          const type = entry.DetailType ?? '';
          this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
          const requestId = (JSON.parse(entry.Detail ?? '{}') as { requestId?: string }).requestId;
          const key = `${type} ${requestId}`;
          this.byRequest.set(key, (this.byRequest.get(key) ?? 0) + 1);
        }
        return {
          FailedEntryCount: 0,
          Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `e-${i}` })),
        };
      });
  }
}

export interface RestartCase {
  failedTaskId: string;
  failedTaskArn: string;
  request: LaunchRequest;
  decision: DecisionRecord;
}

/** The restart of one failed standalone task, as the restart handler decides and sends it. */
export function restartCase(random: () => number): RestartCase {
  const failedTaskId = hexOf(random, 32);
  const failedTaskArn = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${failedTaskId}`;
  const request: LaunchRequest = {
    requestId: `r-${failedTaskId}`,
    reason: 'restart',
    runTask: {
      cluster: CLUSTER_ARN,
      taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7',
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } },
      group: 'family:worker',
      startedBy: `ecs-autopilot/restart/${failedTaskId}/1`,
      tags: [
        { key: 'ecs-autopilot:attempt', value: '1' },
        { key: 'ecs-autopilot:origin-task', value: failedTaskArn },
        { key: 'ecs-autopilot:reason', value: 'restart' },
      ],
    },
    lineage: {
      originTaskArn: failedTaskArn,
      attempt: 1,
      launches: 1,
      previousTaskArn: failedTaskArn,
      chain: [{ taskArn: failedTaskArn, attempt: 0, exitCode: 1, decision: 'restart', delaySeconds: 10 }],
    },
    capacityRetries: 0,
    deferSeconds: 0,
    requestedBy: 'ecs-autopilot',
  };
  const decision: DecisionRecord = {
    taskArn: failedTaskArn,
    action: 'restart',
    decidedAt: '2024-05-14T09:13:00.000Z',
    delaySeconds: 0,
    attempt: 1,
    request,
    events: [],
    done: true,
  };
  return { failedTaskId, failedTaskArn, request, decision };
}
