/**
 * The launcher's world for drills 6 and 7: a fake ECS behind the real RunTask adapter (a mocked ECSClient)
 * that starts one task per clientToken and can throttle or fail, a launch queue behind the real SendMessage
 * adapter (a mocked SQSClient) that delivers like SQS (batches, visibility timeout, redrive to a DLQ after
 * 5 receives, delays on a virtual clock), and an event bus that counts.
 */
import { ECSClient, RunTaskCommand, TagResourceCommand } from '@aws-sdk/client-ecs';
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
  /**
   * The first call that starts tasks also loses its answer (ServerException after the start), so the path is
   * exercised however few calls a batched wave makes.
   */
  loseFirstAnswer?: boolean;
}

/**
 * ECS RunTask: the same clientToken always answers the same tasks and starts them only once (up to 10 a call,
 * as `count` asks); TagResource adds tags to a task it started. Each task's tags are kept: those of the call
 * and those added after.
 */
export class FakeEcs {
  readonly client = new ECSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  readonly tasksByToken = new Map<string, string[]>();
  readonly tagsOf = new Map<string, Record<string, string>>();
  readonly counts = {
    runTaskCalls: 0,
    throttles: 0,
    serverErrorsBeforeStart: 0,
    serverErrorsAfterStart: 0,
    /** Tasks started (new clientTokens). */
    launches: 0,
    /** Calls that named a token seen before and got its tasks back. */
    tokenReplays: 0,
    callsWithoutToken: 0,
    tagCalls: 0,
  };

  constructor(
    private readonly faults: FakeEcsFaults = { random: Math.random, throttleRate: 0, serverErrorRate: 0 },
  ) {
    const mock = mockClient(this.client);
    mock
      .on(RunTaskCommand)
      .callsFake(async (input) =>
        this.runTask(input.cluster ?? 'default', input.clientToken, input.count ?? 1, input.tags ?? []),
      );
    mock.on(TagResourceCommand).callsFake(async (input) => {
      this.counts.tagCalls++;
      const tags = this.tagsOf.get(input.resourceArn ?? '');
      if (!tags) throw new Error(`TagResource on a task ECS did not start: ${input.resourceArn}`);
      for (const tag of input.tags ?? []) tags[tag.key ?? ''] = tag.value ?? '';
      return {};
    });
  }

  private runTask(
    cluster: string,
    clientToken: string | undefined,
    count: number,
    tags: { key?: string; value?: string }[],
  ) {
    this.counts.runTaskCalls++;
    if (!clientToken) {
      this.counts.callsWithoutToken++;
      clientToken = `no-token-${this.counts.runTaskCalls}`;
    }
    if (count < 1 || count > 10) throw new Error(`RunTask starts 1 to 10 tasks a call, asked for ${count}`);
    const r = this.faults.random();
    if (r < this.faults.throttleRate) {
      this.counts.throttles++;
      throw throttling();
    }
    let fault = r < this.faults.throttleRate + this.faults.serverErrorRate;
    if (fault && this.faults.random() < 0.5) {
      this.counts.serverErrorsBeforeStart++;
      throw serverError();
    }
    let taskArns = this.tasksByToken.get(clientToken);
    if (taskArns) this.counts.tokenReplays++;
    else {
      taskArns = Array.from({ length: count }, (_, i) => taskArnForToken(cluster, `${clientToken}#${i}`));
      this.tasksByToken.set(clientToken, taskArns);
      for (const taskArn of taskArns)
        this.tagsOf.set(taskArn, Object.fromEntries(tags.map((t) => [t.key ?? '', t.value ?? ''])));
      this.counts.launches += count;
      if (this.faults.loseFirstAnswer && this.counts.serverErrorsAfterStart === 0) fault = true;
    }
    if (fault) {
      this.counts.serverErrorsAfterStart++;
      throw serverError();
    }
    return { tasks: taskArns.map((taskArn) => ({ taskArn, lastStatus: 'PROVISIONING' })), failures: [] };
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
  async drain<B = undefined>(
    handle: (record: { messageId: string; body: string }, batch: B) => Promise<unknown>,
    options: {
      batchSize?: number;
      concurrency?: number;
      /** What the records of one batch share (the launcher's gathering of a batch's launches). */
      newBatch?: (records: number) => B;
      /** Mixes the messages that are ready, so a redelivery lands in another batch than it came in. */
      shuffle?: () => number;
    } = {},
  ): Promise<void> {
    const batchSize = options.batchSize ?? 10;
    const concurrency = options.concurrency ?? 5;
    const { shuffle } = options;
    while (this.queued.length > 0) {
      const ready = this.queued.filter((m) => m.availableAt <= this.now);
      if (ready.length === 0) {
        this.now = Math.min(...this.queued.map((m) => m.availableAt));
        continue;
      }
      if (shuffle) {
        for (let i = ready.length - 1; i > 0; i--) {
          const j = Math.floor(shuffle() * (i + 1));
          [ready[i], ready[j]] = [ready[j] as Message, ready[i] as Message];
        }
      } else ready.sort((a, b) => a.availableAt - b.availableAt);
      const taken = ready.slice(0, batchSize * concurrency);
      const takenIds = new Set(taken.map((m) => m.id));
      this.queued = this.queued.filter((m) => !takenIds.has(m.id));
      const batches: Message[][] = [];
      for (let i = 0; i < taken.length; i += batchSize) batches.push(taken.slice(i, i + batchSize));
      this.counts.batches += batches.length;
      await Promise.all(
        batches.map((batch) => {
          const shared = options.newBatch?.(batch.length) as B;
          return Promise.all(
            batch.map(async (message) => {
              message.receives++;
              this.counts.received++;
              try {
                await handle({ messageId: message.id, body: message.body }, shared);
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
          );
        }),
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
