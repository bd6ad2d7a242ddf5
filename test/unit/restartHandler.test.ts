import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import {
  buildReactions,
  LaunchNotRecordedError,
  type ReactionConfig,
  type ReactionDeps,
  TagsUnreadError,
} from '../../src/app/reactions';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { LAUNCH_LEASE_MS } from '../../src/domain/leases';
import { toTransition } from '../../src/domain/lifecycle';
import type { PartialRestartPolicy } from '../../src/domain/restartPolicy';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import type { DecisionRecord, LaunchRecord, OutgoingEvent } from '../../src/ports';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import { fixture } from '../support/fixtures';
import { unusedScheduleRuns } from '../support/unusedDeps';

const TASK_ID = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
const TASK_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${TASK_ID}`;
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster';
const WORKER_7 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7';
const ORIGIN_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/aaaaaaaabbbbccccddddeeeeeeeeeeee';
const NEW_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/1a2b3c4d5e6f47089a0b1c2d3e4f5a6b';
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } };
const NOW = Date.parse('2024-05-14T09:13:00.000Z');

const stopped = (name: string) => {
  const event = parseTaskStateChange(fixture(name));
  return [toTransition(event), event.detail] as const;
};

interface Options {
  launch?: LaunchRecord;
  tags?: Record<string, string> | Error;
  familyPolicies?: Record<string, PartialRestartPolicy>;
  networkDefaults?: ReactionConfig['networkDefaults'];
  store?: ReactionDeps['store'];
  /** The decision items a previous handler left (the same table, seen by a later event). */
  decisions?: Map<string, DecisionRecord>;
  /** The schedules' launch leases and each startedBy's running tasks, for runs of schedules. */
  scheduleRuns?: {
    leases: ReturnType<typeof fakeLaunchLeases>;
    running: Record<string, string[]>;
    /** The run tag (ecs-autopilot:run) of each running task that has one. */
    runOf?: Record<string, string>;
  };
}

/** What the handler asked of the store and the outside world; writes also go to `journal`, in order. */
interface Calls {
  getLaunch: string[];
  getDecision: string[];
  putDecision: { taskId: string; record: DecisionRecord }[];
  describeTaskTags: [string, string][];
  /** What reached the queue. */
  sent: { request: LaunchRequest; delaySeconds: number }[];
  /** What reached the event bus. */
  published: OutgoingEvent[];
  counted: [string, string][];
  listRunningTasks: [string, string][];
  journal: string[];
}

/**
 * The decision items of the single table, in memory: like DynamoDB's conditional put, the first decision
 * per task is kept and a later put gets it back; reads hand out copies; marking done changes the item.
 */
class FakeDecisionStore {
  constructor(
    private readonly calls: Calls,
    private readonly launch?: LaunchRecord,
    readonly decisions = new Map<string, DecisionRecord>(),
  ) {}

  async getLaunch(taskId: string) {
    this.calls.getLaunch.push(taskId);
    return this.launch && structuredClone(this.launch);
  }

  async getDecision(taskId: string) {
    this.calls.getDecision.push(taskId);
    const decision = this.decisions.get(taskId);
    return decision && structuredClone(decision);
  }

  async putDecision(
    taskId: string,
    record: DecisionRecord,
  ): Promise<{ created: true } | { created: false; existing: DecisionRecord }> {
    this.calls.putDecision.push({ taskId, record: structuredClone(record) });
    this.calls.journal.push('putDecision');
    const existing = this.decisions.get(taskId);
    // A final decision replaces a provisional one; nothing else replaces a decision.
    if (existing && (record.provisional || !existing.provisional))
      return { created: false, existing: structuredClone(existing) };
    this.decisions.set(taskId, structuredClone(record));
    return { created: true };
  }

  async markDecisionDone(taskId: string) {
    this.calls.journal.push('markDecisionDone');
    const existing = this.decisions.get(taskId);
    // DynamoDB's update would create a stray item; the handler must only finish what it decided.
    if (!existing) throw new Error(`no decision for ${taskId}`);
    existing.done = true;
  }
}

/**
 * The handler with in-memory fakes. `failNext` makes the next sends or publishes fail, as SQS or
 * EventBridge can.
 */
function setup(options: Options = {}) {
  let now = NOW;
  const failNext = { send: 0, publish: 0 };
  const calls: Calls = {
    getLaunch: [],
    getDecision: [],
    putDecision: [],
    describeTaskTags: [],
    sent: [],
    published: [],
    counted: [],
    listRunningTasks: [],
    journal: [],
  };
  const fake = new FakeDecisionStore(calls, options.launch, options.decisions);
  const scheduleRuns = options.scheduleRuns;
  const logger = { info: jest.fn(), warn: jest.fn() };
  const config: ReactionConfig = {
    familyPolicies: options.familyPolicies ?? {},
    networkDefaults: options.networkDefaults ?? { 'batch-cluster': NETWORK },
    spotMapping: { 'batch-cluster': { 'batch-ec2-spot': 'batch-ec2' } },
  };
  const handle = buildReactions({
    store: options.store ?? fake,
    describeTaskTags: async (cluster, taskArn) => {
      calls.describeTaskTags.push([cluster, taskArn]);
      if (options.tags instanceof Error) throw options.tags;
      return options.tags ?? {};
    },
    sendLaunchRequest: async (request, delaySeconds) => {
      calls.journal.push('sendLaunchRequest');
      if (failNext.send > 0) {
        failNext.send--;
        throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' });
      }
      calls.sent.push({ request, delaySeconds });
    },
    publishEvents: async (events) => {
      calls.journal.push('publishEvents');
      if (failNext.publish > 0) {
        failNext.publish--;
        throw Object.assign(new Error('PutEvents failed for 1 entries'), { name: 'PublishEventsError' });
      }
      calls.published.push(...events);
    },
    config,
    logger,
    countDecision: (action, family) => calls.counted.push([action, family]),
    scheduleRuns: scheduleRuns
      ? {
          leases: scheduleRuns.leases,
          listRunningTasks: async (cluster: string, startedBy: string) => {
            calls.listRunningTasks.push([cluster, startedBy]);
            return scheduleRuns.running[startedBy] ?? [];
          },
          describeTaskTags: async (_cluster: string, taskArn: string): Promise<Record<string, string>> => {
            const run = scheduleRuns.runOf?.[taskArn];
            return run ? { 'ecs-autopilot:run': run } : {};
          },
        }
      : unusedScheduleRuns,
    now: () => now,
    random: () => 0.5,
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { handle, calls, decisions: fake.decisions, failNext, logger, advance };
}

/** What ecs-autopilot recorded when it launched the task in stopped-exit-1 as the third attempt. */
function ourLaunch(tags: { key: string; value: string }[] = []): LaunchRecord {
  return {
    taskArn: TASK_ARN,
    taskId: TASK_ID,
    requestId: 'r-previous',
    reason: 'restart',
    runTask: { cluster: CLUSTER_ARN, taskDefinition: WORKER_7, count: 1, launchType: 'FARGATE', tags },
    lineage: {
      originTaskArn: ORIGIN_ARN,
      attempt: 3,
      launches: 3,
      previousTaskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/previous',
      chain: [0, 1, 2].map((attempt) => ({
        taskArn: `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/run${attempt}`,
        attempt,
        exitCode: 1,
        decision: 'restart',
      })),
    },
    launchedAt: '2024-05-14T09:00:00.000Z',
  };
}

/** The event announcing the restart of the task in stopped-exit-1 as attempt 1 after 8 s. */
const restartScheduled: OutgoingEvent = {
  detailType: 'Task Restart Scheduled',
  resources: [TASK_ARN],
  detail: {
    taskArn: TASK_ARN,
    cluster: 'batch-cluster',
    family: 'worker',
    taskDefinition: 'worker:7',
    attempt: 1,
    maxAttempts: 3,
    delaySeconds: 8,
    infrastructure: false,
    originTaskArn: TASK_ARN,
    exitCode: 1,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
  },
};

describe('handling a stopped task', () => {
  it('decides once, sends the launch request with the decided delay and announces the restart', async () => {
    const { handle, calls, decisions } = setup({ tags: { team: 'data' } });
    const decision = await handle(...stopped('stopped-exit-1'));
    if (decision?.action !== 'restart') throw new Error(`expected a restart, got ${decision?.action}`);

    expect(calls.putDecision).toEqual([
      {
        taskId: TASK_ID,
        record: {
          taskArn: TASK_ARN,
          action: 'restart',
          decidedAt: '2024-05-14T09:13:00.000Z',
          delaySeconds: 8,
          attempt: 1,
          infrastructure: false,
          request: decision.request,
          maxAttempts: 3,
          events: [restartScheduled],
          done: false,
        },
      },
    ]);
    expect(calls.sent).toEqual([{ request: decision.request, delaySeconds: 8 }]);
    expect(decision.request).toMatchObject({
      requestId: `r-${TASK_ID}`,
      runTask: { networkConfiguration: NETWORK, tags: [{ key: 'team', value: 'data' }, {}, {}, {}] },
    });
    expect(calls.published).toEqual([restartScheduled]);
    expect(calls.counted).toEqual([['restart', 'worker']]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it('records the decision first, then sends the request and publishes, and marks it done last', async () => {
    const { handle, calls } = setup();
    await handle(...stopped('stopped-exit-1'));
    expect(calls.journal).toEqual(['putDecision', 'sendLaunchRequest', 'publishEvents', 'markDecisionDone']);
  });

  it('does nothing, not even a lookup, for a task that succeeded', async () => {
    const { handle, calls } = setup();
    await expect(handle(...stopped('stopped-exit-0'))).resolves.toBeUndefined();
    expect(calls.getLaunch).toEqual([]);
    expect(calls.getDecision).toEqual([]);
    expect(calls.describeTaskTags).toEqual([]);
    expect(calls.putDecision).toEqual([]);
  });

  it.each([
    ['a minute', 60_000],
    ['15 minutes', 15 * 60_000],
  ])(
    'sends nothing and publishes nothing for a duplicate delivery %s after a decision that is done',
    async (_, ms) => {
      const { handle, calls, decisions, advance } = setup();
      await handle(...stopped('stopped-exit-1'));
      expect(decisions.get(TASK_ID)?.done).toBe(true);
      advance(ms);
      await handle(...stopped('stopped-exit-1'));

      expect(calls.sent).toHaveLength(1);
      expect(calls.published.map((e) => e.detailType)).toEqual(['Task Restart Scheduled']);
      expect(calls.counted).toHaveLength(1);
      expect(calls.journal.filter((write) => write !== 'putDecision')).toEqual([
        'sendLaunchRequest',
        'publishEvents',
        'markDecisionDone',
      ]);
      expect(decisions.get(TASK_ID)?.decidedAt).toBe('2024-05-14T09:13:00.000Z');
    },
  );

  it('sends the stored request again and publishes the stored events for a duplicate delivery of a decision that is not done', async () => {
    const { handle, calls, decisions, advance } = setup();
    const request: LaunchRequest = {
      requestId: `r-${TASK_ID}`,
      reason: 'restart',
      runTask: { cluster: CLUSTER_ARN, taskDefinition: WORKER_7, count: 1, networkConfiguration: NETWORK },
      deferSeconds: 0,
      capacityRetries: 0,
      requestedBy: 'ecs-autopilot',
    };
    const events: OutgoingEvent[] = [
      {
        detailType: 'Task Restart Scheduled',
        resources: [TASK_ARN],
        detail: { taskArn: TASK_ARN, attempt: 1 },
      },
    ];
    // An earlier delivery decided and stopped before its follow-ups were done.
    decisions.set(TASK_ID, {
      taskArn: TASK_ARN,
      action: 'restart',
      decidedAt: '2024-05-14T09:12:00.000Z',
      delaySeconds: 42,
      attempt: 1,
      request,
      events,
      done: false,
    });
    advance(60_000);
    await handle(...stopped('stopped-exit-1'));

    expect(calls.sent).toEqual([{ request, delaySeconds: 42 }]);
    expect(calls.published).toEqual(events);
    expect(calls.counted).toEqual([]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it.each([
    ['sending the launch request', 'send'],
    ['publishing the events', 'publish'],
  ] as const)('finishes the follow-ups on the redelivery after %s failed', async (_, step) => {
    const { handle, calls, decisions, failNext, advance } = setup();
    failNext[step] = 1;
    await expect(handle(...stopped('stopped-exit-1'))).rejects.toThrow();
    expect(decisions.get(TASK_ID)?.done).toBe(false);

    const request = decisions.get(TASK_ID)?.request;
    expect(request?.requestId).toBe(`r-${TASK_ID}`);
    // A concurrent copy leaves the follow-ups to the delivery that owns them...
    await handle(...stopped('stopped-exit-1'));
    expect(calls.published).toEqual([]);
    // ...Lambda's retry of the failed delivery, a minute later, finishes them.
    advance(60_000);
    await handle(...stopped('stopped-exit-1'));
    // A send that did reach the queue is repeated: the launcher's clientToken and outcome marker make it harmless.
    const sends = step === 'publish' ? 2 : 1;
    expect(calls.sent).toEqual(Array.from({ length: sends }, () => ({ request, delaySeconds: 8 })));
    expect(calls.published).toEqual([restartScheduled]);
    expect(calls.counted).toEqual([['restart', 'worker']]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it('does not send the request again once the replacement was launched, but publishes the events still owed', async () => {
    const { handle, calls, decisions, failNext, advance } = setup();
    failNext.publish = 1;
    await expect(handle(...stopped('stopped-exit-1'))).rejects.toThrow();
    const existing = decisions.get(TASK_ID);
    if (existing) existing.replacementTaskArns = [NEW_ARN];
    advance(60_000);
    await handle(...stopped('stopped-exit-1'));
    expect(calls.sent).toHaveLength(1);
    expect(calls.published).toEqual([restartScheduled]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it('announces an exhausted restart with every attempt, and sends nothing', async () => {
    const { handle, calls, decisions } = setup({ launch: ourLaunch() });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(decision).toMatchObject({ action: 'give-up', reason: 'exhausted' });
    expect(calls.sent).toEqual([]);
    const exhausted: OutgoingEvent = {
      detailType: 'Task Restart Exhausted',
      resources: [TASK_ARN],
      detail: {
        taskArn: TASK_ARN,
        cluster: 'batch-cluster',
        family: 'worker',
        taskDefinition: 'worker:7',
        reason: 'exhausted',
        originTaskArn: ORIGIN_ARN,
        attempts: [
          ...(ourLaunch().lineage?.chain ?? []),
          {
            taskArn: TASK_ARN,
            attempt: 3,
            exitCode: 1,
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            failureKind: 'exit-code',
            decision: 'give up: exhausted',
          },
        ],
      },
    };
    expect(calls.published).toEqual([exhausted]);
    expect(calls.putDecision[0]?.record).toMatchObject({
      action: 'give-up',
      reason: 'exhausted',
      originTaskArn: ORIGIN_ARN,
      maxAttempts: 3,
      events: [exhausted],
      done: false,
    });
    expect(calls.counted).toEqual([['give-up', 'worker']]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it('reads tags from ECS for a task launched elsewhere, and honours ecs-autopilot:restart=off', async () => {
    const { handle, calls, decisions } = setup({ tags: { 'ecs-autopilot:restart': 'off' } });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(calls.getLaunch).toEqual([TASK_ID]);
    expect(calls.describeTaskTags).toEqual([[CLUSTER_ARN, TASK_ARN]]);
    expect(decision).toMatchObject({ action: 'give-up', reason: 'restart disabled' });
    expect(calls.putDecision[0]?.record).toMatchObject({
      action: 'give-up',
      reason: 'restart disabled',
      events: [],
    });
    expect(calls.sent).toEqual([]);
    expect(calls.published).toEqual([]);
    expect(decisions.get(TASK_ID)?.done).toBe(true);
  });

  it('takes the tags of a task it launched from its launch record, without asking ECS', async () => {
    const launch = ourLaunch([{ key: 'ecs-autopilot:max-attempts', value: '5' }]);
    const { handle, calls } = setup({ launch, tags: { 'ecs-autopilot:max-attempts': '0' } });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(calls.describeTaskTags).toEqual([]);
    expect(decision).toMatchObject({ action: 'restart', policy: { maxAttempts: 5 } });
    expect(calls.sent[0]?.request.runTask.tags).toContainEqual({
      key: 'ecs-autopilot:max-attempts',
      value: '5',
    });
  });

  it('still decides when ECS cannot tell the tags, and leaves reading them to the launcher', async () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { handle, calls, logger } = setup({ tags: error });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(decision).toMatchObject({ action: 'restart' });
    expect(calls.sent).toHaveLength(1);
    expect(calls.sent[0]?.request.runTask.tags?.map((t) => t.key)).toEqual([
      'ecs-autopilot:attempt',
      'ecs-autopilot:origin-task',
      'ecs-autopilot:reason',
    ]);
    expect(calls.sent[0]?.request.tagsOf).toBe(TASK_ARN);
    expect(logger.warn).toHaveBeenCalledWith(
      'could not read task tags; the launcher reads them before launching',
      {
        taskArn: TASK_ARN,
        error,
      },
    );
  });

  it('decides later, not "restart disabled", when restarts are off by default and the tags (a possible opt-in) cannot be read', async () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { handle, calls, decisions } = setup({
      tags: error,
      familyPolicies: { worker: { maxAttempts: 0 } },
    });
    await expect(handle(...stopped('stopped-exit-1'))).rejects.toBeInstanceOf(TagsUnreadError);
    expect(decisions.size).toBe(0);
    expect(calls.sent).toEqual([]);
    expect(calls.published).toEqual([]);
  });

  describe('a task ecs-autopilot started, stopped before the launcher recorded its launch', () => {
    const ours = (createdAt: string) => {
      const [t, detail] = stopped('stopped-exit-1');
      const startedBy = `ecs-autopilot/restart/${lastSegment(ORIGIN_ARN)}/1`;
      return [
        { ...t, startedBy, createdAt },
        { ...detail, startedBy, createdAt },
      ] as const;
    };
    const lastSegment = (arn: string) => arn.split('/').pop() as string;

    it('is retried, not restarted as a new origin (which would count its attempts from 0 again)', async () => {
      const { handle, calls, decisions } = setup({
        tags: { 'ecs-autopilot:attempt': '1', 'ecs-autopilot:origin-task': ORIGIN_ARN },
      });
      await expect(handle(...ours('2024-05-14T09:12:00.000Z'))).rejects.toBeInstanceOf(
        LaunchNotRecordedError,
      );
      expect(decisions.size).toBe(0);
      expect(calls.sent).toEqual([]);
      expect(calls.published).toEqual([]);
    });

    it('is decided on its tags once the record can only have expired (created over an hour ago)', async () => {
      const { handle, calls } = setup();
      const decision = await handle(...ours('2024-05-14T08:00:00.000Z'));
      expect(decision).toMatchObject({ action: 'restart' });
      expect(calls.sent).toHaveLength(1);
    });
  });

  it('leaves tagsOf unset when the tags were read', async () => {
    const { handle, calls } = setup();
    await handle(...stopped('stopped-exit-1'));
    expect(calls.sent[0]?.request.tagsOf).toBeUndefined();
  });

  it('records a task it cannot restart for lack of network configuration, and sends nothing', async () => {
    const { handle, calls, logger, decisions } = setup({ networkDefaults: { 'other-cluster': NETWORK } });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(decision).toMatchObject({ action: 'not-restartable' });
    expect(calls.putDecision[0]?.record).toMatchObject({
      action: 'not-restartable',
      reason: 'network configuration unknown',
      events: [],
    });
    expect(calls.sent).toEqual([]);
    expect(calls.published).toEqual([]);
    expect(decisions.get(TASK_ID)).toMatchObject({ done: true, provisional: true });
    expect(logger.warn).toHaveBeenCalledWith(
      'restart decision: not-restartable',
      expect.objectContaining({
        taskArn: TASK_ARN,
        cluster: 'batch-cluster',
        reason: 'network configuration unknown',
        hint: expect.stringContaining('networkDefaults'),
      }),
    );
  });

  describe('a task not restartable yet (no network configuration for its cluster)', () => {
    it('is decided again by a later event once the cluster has network defaults, and restarted once', async () => {
      const before = setup({ networkDefaults: {} });
      await before.handle(...stopped('stopped-exit-1'));
      expect(before.decisions.get(TASK_ID)).toMatchObject({ action: 'not-restartable', provisional: true });

      // The stage is redeployed with networkDefaults; the task's STOPPED event is delivered again.
      const after = setup({ decisions: before.decisions });
      expect(await after.handle(...stopped('stopped-exit-1'))).toMatchObject({ action: 'restart' });
      expect(after.calls.sent).toHaveLength(1);
      expect(after.decisions.get(TASK_ID)).toMatchObject({ action: 'restart', done: true });
      expect(after.decisions.get(TASK_ID)?.provisional).toBeUndefined();

      // The restart decision is final: a further delivery sends nothing.
      await after.handle(...stopped('stopped-exit-1'));
      expect(after.calls.sent).toHaveLength(1);
    });

    it('is recorded, counted and logged once while it stays not restartable', async () => {
      const { handle, calls, logger } = setup({ networkDefaults: {} });
      await handle(...stopped('stopped-exit-1'));
      await handle(...stopped('stopped-exit-1'));
      expect(calls.putDecision).toHaveLength(1);
      expect(calls.counted).toEqual([['not-restartable', 'worker']]);
      expect(logger.warn).toHaveBeenCalledTimes(1);
    });

    it('is moved off Spot by the STOPPED event after an EC2 Spot warning that could not move it', async () => {
      // An awsvpc task on an EC2 Spot provider, as the Spot warning finds it on the instance (still RUNNING).
      const event = fixture('ec2-running');
      event.detail.capacityProviderName = 'batch-ec2-spot';
      event.detail.attachments = [{ id: 'eni-attachment', type: 'eni', status: 'ATTACHED', details: [] }];
      const running = parseTaskStateChange(event);
      const warned = setup({ networkDefaults: {} });
      expect(
        await warned.handle(toTransition(running), running.detail, { spotInterrupted: true }),
      ).toMatchObject({ action: 'not-restartable' });
      expect(warned.calls.sent).toEqual([]);

      // The instance terminates; the task's STOPPED event reaches a function that has the network defaults.
      Object.assign(event.detail, {
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'TerminationNotice',
        stoppedReason: 'Host EC2 (instance i-0bbbbbbbbbbbbbb01) terminated.',
        version: (event.detail.version ?? 0) + 3,
      });
      const stoppedEvent = parseTaskStateChange(event);
      const later = setup({ decisions: warned.decisions });
      const decision = await later.handle(toTransition(stoppedEvent), stoppedEvent.detail);
      expect(decision).toMatchObject({ action: 'spot-fallback' });
      expect(later.calls.sent).toHaveLength(1);
      expect(later.calls.sent[0]?.request.runTask).toMatchObject({
        capacityProviderStrategy: [{ capacityProvider: 'batch-ec2', weight: 1 }],
        networkConfiguration: NETWORK,
      });
    });
  });
});

/**
 * DynamoDB as the service answers over HTTP, for decision items: PutItem with attribute_not_exists(pk)
 * on an existing item fails with ConditionalCheckFailedException and, with ALL_OLD, the old item in the
 * error body; UpdateItem sets `done`. The real client, DocumentClient and store run on top of it.
 */
describe('relaunching a failed run of a Forbid or Replace schedule', () => {
  const SCHEDULE_STARTED_BY = 'ecs-autopilot/schedule/nightly';
  const DUE_ID = 's-nightly-1715677200000';
  /** The launch record of the schedule's run that failed in stopped-exit-1 (its first attempt). */
  const scheduledRun: LaunchRecord = {
    taskArn: TASK_ARN,
    taskId: TASK_ID,
    requestId: DUE_ID,
    reason: 'schedule',
    runTask: {
      cluster: CLUSTER_ARN,
      taskDefinition: WORKER_7,
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      startedBy: SCHEDULE_STARTED_BY,
      tags: [
        { key: 'ecs-autopilot:schedule', value: 'nightly' },
        { key: 'ecs-autopilot:run', value: DUE_ID },
      ],
    },
    context: { schedule: 'nightly' },
    launchLease: { schedule: 'nightly' },
    launchedAt: '2024-05-14T09:00:00.000Z',
  };
  const SIBLING_ARN =
    'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/5b6c7d8e9f0a41b2c3d4e5f6a7b8c9d0';
  /** The schedule's running tasks, with their run tags. */
  const world = (running: Record<string, string | undefined> = {}) => {
    const leases = fakeLaunchLeases(() => NOW);
    const runOf = Object.fromEntries(
      Object.entries(running).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const scheduleRuns = { leases, running: { [SCHEDULE_STARTED_BY]: Object.keys(running) }, runOf };
    return { leases, ...setup({ launch: scheduledRun, scheduleRuns }) };
  };

  it('relaunches it holding the schedule lease, parked for the backoff, so a due time meanwhile sees it', async () => {
    const { handle, calls, leases } = world();
    const decision = await handle(...stopped('stopped-exit-1'));
    if (decision?.action !== 'restart') throw new Error(`expected a restart, got ${decision?.action}`);
    expect(decision.request).toMatchObject({
      launchLease: { schedule: 'nightly' },
      runTask: { startedBy: SCHEDULE_STARTED_BY },
    });
    expect(calls.listRunningTasks).toEqual([[CLUSTER_ARN, SCHEDULE_STARTED_BY]]);
    expect(leases.leases.get('nightly')).toEqual({
      holder: decision.request.requestId,
      until: NOW + 8_000 + LAUNCH_LEASE_MS,
      parked: true,
    });
    expect(calls.sent).toEqual([{ request: decision.request, delaySeconds: 8 }]);
  });

  it('does not relaunch it when a newer run of the schedule is already running, and frees the lease', async () => {
    const { handle, calls, leases, decisions } = world({ [NEW_ARN]: 's-nightly-1715680800000' });
    expect(await handle(...stopped('stopped-exit-1'))).toEqual({
      action: 'none',
      reason: 'a newer run of schedule nightly is running (1 task(s))',
    });
    expect(calls.sent).toEqual([]);
    expect(calls.published).toEqual([]);
    expect(leases.leases.size).toBe(0);
    // Recorded, so a later delivery (when the newer run may be over) does not relaunch it either.
    expect(decisions.get(TASK_ID)).toMatchObject({ action: 'none', done: true });
    await handle(...stopped('stopped-exit-1'));
    expect(calls.sent).toEqual([]);
  });

  it('relaunches it while a sibling of the same run (count > 1) still runs', async () => {
    const { handle, leases } = world({ [SIBLING_ARN]: DUE_ID });
    const decision = await handle(...stopped('stopped-exit-1'));
    expect(decision?.action).toBe('restart');
    expect(leases.leases.get('nightly')?.parked).toBe(true);
  });

  it('relaunches it beside a running task of the schedule that carries no run tag (launched before runs were tagged)', async () => {
    const { handle } = world({ [NEW_ARN]: undefined });
    expect((await handle(...stopped('stopped-exit-1')))?.action).toBe('restart');
  });

  it('does not relaunch it while another run of the schedule is starting, leaving that run its lease', async () => {
    const { handle, calls, leases } = world();
    leases.leases.set('nightly', { holder: 's-nightly-1715680800000', until: NOW + 60_000 });
    expect(await handle(...stopped('stopped-exit-1'))).toEqual({
      action: 'none',
      reason: 'another run of schedule nightly is starting',
    });
    expect(calls.listRunningTasks).toEqual([]);
    expect(calls.sent).toEqual([]);
    expect(leases.leases.get('nightly')?.holder).toBe('s-nightly-1715680800000');
  });

  it('moves an interrupted Spot run to on-demand holding the lease, as a run starting now', async () => {
    const { launchType: _fargate, ...onSpot } = scheduledRun.runTask;
    const leases = fakeLaunchLeases(() => NOW);
    const { handle } = setup({
      launch: {
        ...scheduledRun,
        runTask: { ...onSpot, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] },
      },
      scheduleRuns: { leases, running: {} },
    });
    const decision = await handle(...stopped('spot-warning-spotinterruption'));
    if (decision?.action !== 'spot-fallback')
      throw new Error(`expected a Spot move, got ${decision?.action}`);
    expect(decision.request).toMatchObject({
      launchLease: { schedule: 'nightly' },
      runTask: { capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
    });
    expect(leases.leases.get('nightly')).toEqual({
      holder: decision.request.requestId,
      until: NOW + LAUNCH_LEASE_MS,
      parked: true,
    });
  });

  it('takes no lease for a task that is not a run of such a schedule', async () => {
    const leases = fakeLaunchLeases(() => NOW);
    const { handle, calls } = setup({ scheduleRuns: { leases, running: {} } });
    expect((await handle(...stopped('stopped-exit-1')))?.action).toBe('restart');
    expect(calls.listRunningTasks).toEqual([]);
    expect(leases.leases.size).toBe(0);
  });
});

function dynamoDbOverHttp() {
  type Item = Record<string, { S?: string; BOOL?: boolean }>;
  const items = new Map<string, Item>();
  const keyOf = (item: Item) => `${item.pk?.S}|${item.sk?.S}`;
  const respond = (statusCode: number, body: object) => ({
    response: {
      statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    },
  });
  const requestHandler = {
    handle: async (request: { headers: Record<string, string>; body: string | Uint8Array }) => {
      const operation = request.headers['x-amz-target']?.split('.')[1];
      const input = JSON.parse(
        typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body),
      );
      const replacesProvisional = 'attribute_not_exists(pk) OR provisional = :true';
      if (
        operation === 'PutItem' &&
        (input.ConditionExpression === 'attribute_not_exists(pk)' ||
          input.ConditionExpression === replacesProvisional)
      ) {
        const existing = items.get(keyOf(input.Item));
        const provisional = (existing?.provisional as { BOOL?: boolean } | undefined)?.BOOL === true;
        if (!existing || (provisional && input.ConditionExpression === replacesProvisional)) {
          items.set(keyOf(input.Item), input.Item);
          return respond(200, {});
        }
        return respond(400, {
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          message: 'The conditional request failed',
          ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && { Item: existing }),
        });
      }
      if (operation === 'GetItem') {
        const item = items.get(keyOf(input.Key));
        return respond(200, item ? { Item: item } : {});
      }
      if (operation === 'UpdateItem' && input.UpdateExpression === 'SET done = :true') {
        const item = items.get(keyOf(input.Key)) ?? { ...input.Key };
        items.set(keyOf(input.Key), { ...item, done: input.ExpressionAttributeValues[':true'] });
        return respond(200, {});
      }
      return respond(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
        message: `not modelled here: ${operation}`,
      });
    },
  };
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

describe('the decision store the restart handler runs on, over DynamoDB', () => {
  const decided = (): DecisionRecord => ({
    taskArn: TASK_ARN,
    action: 'restart',
    decidedAt: '2024-05-14T09:13:00.000Z',
    delaySeconds: 8,
    events: [restartScheduled],
    done: false,
  });

  // A conditional put that finds a decision must hand back that decision as stored. The DocumentClient does not
  // unmarshall an item attached to an error (aws/aws-sdk-js-v3#6723), so putDecision reads it back with a consistent
  // GetItem; with the raw error item, `existing.done` would be `{ BOOL: false }`, truthy for an unfinished decision,
  // and a redelivery would skip the follow-ups. dynalite attaches no item, so only this over-HTTP test guards it.
  it('gives a second put the earlier decision as it was stored', async () => {
    const db = dynamoDbOverHttp();
    const store = buildLaunchStore(db, 'ecs-autopilot', 30, () => NOW);
    await expect(store.putDecision(TASK_ID, decided())).resolves.toEqual({ created: true });
    const again = await store.putDecision(TASK_ID, { ...decided(), action: 'give-up', events: [] });
    expect(again).toEqual({
      created: false,
      existing: expect.objectContaining({ ...decided(), pk: `TASK#${TASK_ID}`, sk: 'DECISION' }),
    });
    db.destroy();
  });

  // The handler on the real client and store: the redelivery reads the unfinished decision and finishes it.
  it('sends the request again and publishes on the redelivery after publishing the restart failed', async () => {
    const db = dynamoDbOverHttp();
    const store = buildLaunchStore(db, 'ecs-autopilot', 30, () => NOW);
    const { handle, calls, failNext, advance } = setup({ store });
    failNext.publish = 1;
    await expect(handle(...stopped('stopped-exit-1'))).rejects.toThrow('PutEvents failed');
    expect(calls.sent).toHaveLength(1);

    advance(60_000);
    await handle(...stopped('stopped-exit-1'));
    expect(calls.sent).toHaveLength(2);
    expect(calls.published).toEqual([restartScheduled]);

    await handle(...stopped('stopped-exit-1'));
    expect(calls.sent).toHaveLength(2);
    expect(calls.published).toHaveLength(1);
    db.destroy();
  });
});
