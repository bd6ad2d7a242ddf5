import { Logger } from '@aws-lambda-powertools/logger';
import {
  ConflictException,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { makeLauncherHandler } from '../../functions/launcher/handler';
import { buildDescribeTaskTags, buildRunTask, buildTagTask } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { requestKey } from '../../src/adapters/launchStore';
import { buildLaunch, type LauncherDeps, parseLaunchRequestMessage } from '../../src/app/launcher';
import type { LaunchGroup } from '../../src/domain/launchGroup';
import { clientTokenFor, type LaunchRequest, launchRequestSchema } from '../../src/domain/launchRequest';
import { LAUNCH_LEASE_MS } from '../../src/domain/leases';
import type { RequestClaim, RequestOutcome } from '../../src/ports';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import {
  launcherTestDefaults,
  memorySpotShortages,
  recordedTagJobs,
  TEST_PACING,
} from '../support/launcherDefaults';
import { openLaunchGuard } from '../support/openLaunchGuard';
import { ignoredRunEnds, unusedBuffer, unusedLeases } from '../support/unusedDeps';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/launch';
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster';
const WORKER_7 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7';
const FAILED_ID = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
const FAILED_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${FAILED_ID}`;
const NEW_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/1a2b3c4d5e6f47089a0b1c2d3e4f5a6b';
const CAPACITY =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/** The restart request the restart handler sends for the task in stopped-exit-1. */
const request: LaunchRequest = launchRequestSchema.parse({
  requestId: `r-${FAILED_ID}`,
  reason: 'restart',
  runTask: {
    cluster: CLUSTER_ARN,
    taskDefinition: WORKER_7,
    count: 1,
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'], assignPublicIp: 'DISABLED' },
    },
    overrides: {
      containerOverrides: [{ name: 'worker', environment: [{ name: 'JOB_ID', value: 'job-42' }] }],
    },
    group: 'family:worker',
    startedBy: `ecs-autopilot/restart/${FAILED_ID}/1`,
    tags: [
      { key: 'ecs-autopilot:attempt', value: '1' },
      { key: 'ecs-autopilot:origin-task', value: FAILED_ARN },
      { key: 'ecs-autopilot:reason', value: 'restart' },
    ],
  },
  lineage: {
    originTaskArn: FAILED_ARN,
    attempt: 1,
    launches: 1,
    previousTaskArn: FAILED_ARN,
    chain: [{ taskArn: FAILED_ARN, attempt: 0, exitCode: 1, decision: 'restart', delaySeconds: 8 }],
  },
  requestedBy: 'ecs-autopilot',
});
/** The request as it travels in a message body. */
const asJson = (r: LaunchRequest) => JSON.parse(JSON.stringify(r));

type Store = LauncherDeps['store'];
type RequestKey = Pick<LaunchRequest, 'requestId' | 'capacityRetries'>;
const AT = '2024-05-14T09:13:00.000Z';

/**
 * The outcome markers and launch records of the single table, in memory. Like the conditional write in
 * DynamoDB, a marker is written once (a second record returns the first outcome), starts not done, and
 * hands out copies, never the stored item itself.
 */
class FakeLaunchStore implements Store {
  readonly markers = new Map<string, RequestOutcome>();
  readonly launches: { request: LaunchRequest; taskArns: string[] }[] = [];
  /** The writes, in order, to check what the launcher does before and after recording. */
  readonly journal: string[] = [];

  async getOutcome(r: RequestKey): Promise<RequestOutcome | RequestClaim | undefined> {
    const marker = this.markers.get(requestKey(r));
    if (marker) return structuredClone(marker);
    const claim = this.claims.get(requestKey(r));
    return claim ? { status: 'claimed', groupId: claim, at: AT } : undefined;
  }

  async recordOutcome(r: LaunchRequest, outcome: Omit<RequestOutcome, 'done' | 'at'>) {
    this.journal.push(`recordOutcome ${outcome.status}`);
    const existing = this.markers.get(requestKey(r));
    if (existing) return { first: false, outcome: structuredClone(existing) };
    const marker: RequestOutcome = { ...structuredClone(outcome), done: false, at: AT };
    this.markers.set(requestKey(r), marker);
    if (outcome.taskArns.length > 0) {
      this.launches.push({ request: structuredClone(r), taskArns: [...outcome.taskArns] });
    }
    return { first: true, outcome: structuredClone(marker) };
  }

  async markOutcomeDone(r: RequestKey) {
    this.journal.push('markOutcomeDone');
    const marker = this.markers.get(requestKey(r));
    // DynamoDB's update would create a stray item; the launcher must only finish what it recorded.
    if (!marker) throw new Error(`no outcome recorded for ${requestKey(r)}`);
    marker.done = true;
  }

  marker(r: RequestKey = request) {
    return this.markers.get(requestKey(r));
  }

  /** Claims and groups, written together and only where no member has either (the store's transaction). */
  readonly claims = new Map<string, string>();
  readonly groups = new Map<string, LaunchGroup>();

  async claimGroup(group: LaunchGroup) {
    this.journal.push(`claimGroup ${group.members.length}`);
    const taken = new Map<string, RequestOutcome | RequestClaim>();
    for (const member of group.members) {
      const key = requestKey(member);
      const marker = this.markers.get(key);
      const claim = this.claims.get(key);
      if (marker) taken.set(key, structuredClone(marker));
      else if (claim) taken.set(key, { status: 'claimed', groupId: claim, at: AT });
    }
    if (taken.size > 0) return { claimed: false as const, taken };
    this.groups.set(group.groupId, structuredClone(group));
    for (const member of group.members) this.claims.set(requestKey(member), group.groupId);
    return { claimed: true as const };
  }

  async releaseGroup(group: LaunchGroup) {
    this.journal.push(`releaseGroup ${group.members.length}`);
    if (group.members.some((m) => this.claims.get(requestKey(m)) !== group.groupId)) return false;
    for (const m of group.members) this.claims.delete(requestKey(m));
    this.groups.delete(group.groupId);
    return true;
  }

  async getGroup(groupId: string) {
    const group = this.groups.get(groupId);
    return group && structuredClone(group);
  }

  async recordGroup(group: LaunchGroup, outcomes: readonly Omit<RequestOutcome, 'done' | 'at'>[]) {
    if (group.members.some((m) => this.markers.has(requestKey(m)))) {
      return group.members.map((m) => ({
        first: false,
        outcome: structuredClone(this.markers.get(requestKey(m)) as RequestOutcome),
      }));
    }
    return group.members.map((member, i) => {
      const outcome = outcomes[i] as Omit<RequestOutcome, 'done' | 'at'>;
      this.journal.push(`recordOutcome ${outcome.status}`);
      this.claims.delete(requestKey(member));
      const marker: RequestOutcome = { ...structuredClone(outcome), done: false, at: AT };
      this.markers.set(requestKey(member), marker);
      if (outcome.taskArns.length > 0) {
        this.launches.push({ request: structuredClone(member), taskArns: [...outcome.taskArns] });
      }
      return { first: true, outcome: structuredClone(marker) };
    });
  }
}

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const ecsMock = mockClient(ECSClient);
const eventsMock = mockClient(EventBridgeClient);
const sqsMock = mockClient(SQSClient);
const ecs = new ECSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
const eventBridge = new EventBridgeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
const sqs = new SQSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });

beforeEach(() => {
  ecsMock.reset();
  eventsMock.reset();
  sqsMock.reset();
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'message-1' });
});

function setup(random: () => number = () => 0.5, leases: LauncherDeps['leases'] = unusedLeases) {
  const store = new FakeLaunchStore();
  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const deps: LauncherDeps = {
    ...launcherTestDefaults(),
    guard: openLaunchGuard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    leases,
    runTask: buildRunTask(ecs),
    describeTaskTags: buildDescribeTaskTags(ecs),
    store,
    sendLaunchRequest: buildSendLaunchRequest(sqs, QUEUE_URL),
    publishEvents: buildPublishEvents(eventBridge, 'default'),
    logger,
    random,
  };
  return { launch: buildLaunch(deps), deps, store, logger };
}

const runTaskInputs = () => ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
const sent = () =>
  sqsMock.commandCalls(SendMessageCommand).map((call) => {
    const input = call.args[0].input;
    return {
      queueUrl: input.QueueUrl,
      delaySeconds: input.DelaySeconds,
      body: JSON.parse(input.MessageBody ?? ''),
    };
  });
const lastSentBody = () => {
  const calls = sqsMock.commandCalls(SendMessageCommand);
  return calls[calls.length - 1]?.args[0].input.MessageBody ?? '';
};
const published = () =>
  eventsMock.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((e) => ({
      source: e.Source,
      bus: e.EventBusName,
      detailType: e.DetailType,
      resources: e.Resources,
      detail: JSON.parse(e.Detail ?? ''),
    })),
  );

const launchedOne = () =>
  ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: NEW_ARN }], failures: [] });
const taskRestarted = (taskArns: string[]) => ({
  source: 'ecs-autopilot',
  bus: 'default',
  detailType: 'Task Restarted',
  resources: taskArns,
  detail: {
    requestId: `r-${FAILED_ID}`,
    reason: 'restart',
    cluster: CLUSTER_ARN,
    taskDefinition: WORKER_7,
    taskArns,
    attempt: 1,
    originTaskArn: FAILED_ARN,
    replacedTaskArn: FAILED_ARN,
  },
});
const awsError = (name: string, message: string, httpStatusCode = 400) =>
  Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
const rejectedEntry = {
  FailedEntryCount: 1,
  Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal error' }],
};

/** The launcher function (functions/launcher/handler.ts) over these launcher dependencies; no schedule runs. */
function launcherFunctionOf(launcher: LauncherDeps) {
  const logger = new Logger({ serviceName: 'ecs-autopilot', logLevel: 'SILENT' });
  const error = jest.spyOn(logger, 'error');
  const notCalled = async () => {
    throw new Error('no schedule runs in these tests');
  };
  const handler = makeLauncherHandler({
    launcher,
    scheduledRuns: {
      buffer: unusedBuffer,
      store: {
        get: notCalled,
        recordRun: notCalled,
        acquireLaunchLease: notCalled,
        releaseLaunchLease: notCalled,
      },
      refusalOf: () => undefined,
      publishEvents: launcher.publishEvents,
      listRunningTasks: notCalled,
      stopTasks: notCalled,
      logger,
    },
    lineageTags: {
      tagTask: buildTagTask(ecs),
      sendTagJob: launcher.sendTagJob,
      logger,
      countMetric: () => undefined,
      pacing: TEST_PACING,
    },
    logger,
  });
  return { handle: (event: SQSEvent) => handler(event, {} as Context), logger: { error } };
}

describe('launching a request', () => {
  it("calls RunTask with the request's input and a clientToken derived from the request id", async () => {
    launchedOne();
    const { launch } = setup();
    await expect(launch(request)).resolves.toBe('launched');
    expect(runTaskInputs()).toEqual([{ ...asJson(request).runTask, clientToken: `r-${FAILED_ID}` }]);
    expect(clientTokenFor(request)).toBe(`r-${FAILED_ID}`);
  });

  it('uses a new clientToken for each capacity retry, and the same one for the same retry', async () => {
    launchedOne();
    await setup().launch({ ...request, capacityRetries: 2 });
    await setup().launch({ ...request, capacityRetries: 2 });
    expect(runTaskInputs().map((input) => input.clientToken)).toEqual([
      `r-${FAILED_ID}~c2`,
      `r-${FAILED_ID}~c2`,
    ]);
  });

  it('hashes a request id that cannot be a clientToken into one that can, the same every time', async () => {
    launchedOne();
    const long = { ...request, requestId: `schedule/nightly report/${'x'.repeat(80)}` };
    await setup().launch(long);
    await setup().launch(long);
    const [first, second] = runTaskInputs().map((input) => input.clientToken);
    expect(first).toMatch(/^h-[A-Za-z0-9_-]{43}$/);
    expect(second).toBe(first);
  });

  it('records the launch once, with the event it owes, announces Task Restarted once and marks it done', async () => {
    launchedOne();
    const { launch, store } = setup();
    await launch(request);
    expect(store.launches).toEqual([{ request, taskArns: [NEW_ARN] }]);
    expect(store.marker()).toEqual({
      status: 'launched',
      taskArns: [NEW_ARN],
      events: [
        { detailType: 'Task Restarted', resources: [NEW_ARN], detail: taskRestarted([NEW_ARN]).detail },
      ],
      done: true,
      at: AT,
    });
    expect(published()).toEqual([taskRestarted([NEW_ARN])]);
    expect(sent()).toEqual([]);
  });

  it('records the outcome before publishing, and marks it done only after publishing', async () => {
    const { launch, store } = setup();
    ecsMock.on(RunTaskCommand).callsFake(() => {
      store.journal.push('RunTask');
      return { tasks: [{ taskArn: NEW_ARN }], failures: [] };
    });
    eventsMock.on(PutEventsCommand).callsFake(() => {
      store.journal.push('PutEvents');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] };
    });
    await launch(request);
    expect(store.journal).toEqual([
      'claimGroup 1',
      'RunTask',
      'recordOutcome launched',
      'PutEvents',
      'markOutcomeDone',
    ]);
  });

  it('announces a scheduled launch as Task Launched, with its context', async () => {
    launchedOne();
    const scheduled: LaunchRequest = {
      ...request,
      requestId: 'schedule-nightly-2024-05-14T09:00',
      reason: 'schedule',
      lineage: undefined,
      context: { schedule: 'nightly' },
    };
    await setup().launch(scheduled);
    expect(published()).toEqual([
      {
        source: 'ecs-autopilot',
        bus: 'default',
        detailType: 'Task Launched',
        resources: [NEW_ARN],
        detail: {
          requestId: 'schedule-nightly-2024-05-14T09:00',
          reason: 'schedule',
          cluster: CLUSTER_ARN,
          taskDefinition: WORKER_7,
          taskArns: [NEW_ARN],
          schedule: 'nightly',
        },
      },
    ]);
  });

  it('fails the message when EventBridge rejects the event entry, leaving the recorded launch not done', async () => {
    launchedOne();
    eventsMock.on(PutEventsCommand).resolves(rejectedEntry);
    const { launch, store } = setup();
    await expect(launch(request)).rejects.toThrow(
      'PutEvents failed for 1 entries: InternalFailure: Internal error',
    );
    expect(store.launches).toHaveLength(1);
    expect(store.marker()).toMatchObject({ status: 'launched', taskArns: [NEW_ARN], done: false });
  });

  it('announces Task Restarted on the redelivery after EventBridge rejected the event, without a second RunTask', async () => {
    launchedOne();
    eventsMock
      .on(PutEventsCommand)
      .resolvesOnce(rejectedEntry)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-2' }] });
    const { launch, store } = setup();
    await expect(launch(request)).rejects.toThrow('PutEvents failed');
    await expect(launch(request)).resolves.toBe('replayed');
    expect(runTaskInputs()).toHaveLength(1);
    expect(store.launches).toHaveLength(1);
    // The rejected attempt, then the one the redelivery owed.
    expect(published()).toEqual([taskRestarted([NEW_ARN]), taskRestarted([NEW_ARN])]);
    expect(store.marker()?.done).toBe(true);
  });

  it('publishes Task Restarted exactly once more on the redelivery after PutEvents failed, then nothing', async () => {
    launchedOne();
    eventsMock
      .on(PutEventsCommand)
      .rejectsOnce(awsError('InternalException', 'Internal error', 500))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-2' }] });
    const { launch, store } = setup();
    await expect(launch(request)).rejects.toThrow('Internal error');
    expect(store.marker()).toMatchObject({ status: 'launched', done: false });
    const attempted = published().length;

    await expect(launch(request)).resolves.toBe('replayed');
    expect(published().slice(attempted)).toEqual([taskRestarted([NEW_ARN])]);
    expect(store.marker()?.done).toBe(true);

    await expect(launch(request)).resolves.toBe('replayed');
    expect(published()).toHaveLength(attempted + 1);
    expect(runTaskInputs()).toHaveLength(1);
    expect(store.launches).toHaveLength(1);
    expect(sent()).toEqual([]);
  });

  it('starts nothing for a redelivered request that already reached ECS', async () => {
    launchedOne();
    const { launch, store } = setup();
    await launch(request);
    await expect(launch(request)).resolves.toBe('replayed');
    expect(runTaskInputs()).toHaveLength(1);
    expect(store.launches).toHaveLength(1);
    expect(published()).toHaveLength(1);
  });

  it('announces a launch once when a concurrent delivery recorded it first', async () => {
    launchedOne();
    const { launch, store } = setup();
    // Both deliveries pass the marker check before either records: ECS returns the same task to the same token.
    store.getOutcome = async () => undefined;
    await expect(launch(request)).resolves.toBe('launched');
    // The second finds the first one's marker when it claims: it calls RunTask no more.
    await expect(launch(request)).resolves.toBe('replayed');
    expect(runTaskInputs()).toHaveLength(1);
    expect(store.launches).toHaveLength(1);
    expect(published()).toEqual([taskRestarted([NEW_ARN])]);
  });

  it('starts nothing for a redelivered request that was given up', async () => {
    const { launch, store } = setup();
    store.markers.set(requestKey(request), {
      status: 'failed',
      taskArns: [],
      failures: [{ arn: WORKER_7, reason: 'MISSING' }],
      events: [{ detailType: 'Task Launch Failed', resources: [FAILED_ARN], detail: {} }],
      done: true,
      at: AT,
    });
    await expect(launch(request)).resolves.toBe('replayed');
    expect(runTaskInputs()).toEqual([]);
    expect(published()).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it('takes the tasks ECS names in a ConflictException as the launch of this clientToken', async () => {
    const existing = 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/ffffeeeeddddccccbbbbaaaa99998888';
    ecsMock.on(RunTaskCommand).rejects(
      new ConflictException({
        message: 'The clientToken was already used with different parameters',
        $metadata: { httpStatusCode: 400 },
        resourceIds: [existing],
      }),
    );
    const { launch, store } = setup();
    await expect(launch(request)).resolves.toBe('launched');
    expect(store.launches).toEqual([{ request, taskArns: [existing] }]);
    expect(store.marker()).toMatchObject({ status: 'launched', taskArns: [existing], done: true });
    expect(store.marker()).not.toHaveProperty('failures');
    expect(published()).toEqual([taskRestarted([existing])]);
  });
});

describe('when ECS has no capacity', () => {
  const noCapacity = () =>
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: WORKER_7, reason: CAPACITY }] });
  const retryBody = { ...asJson(request), capacityRetries: 1, deferSeconds: 0 };
  const launchFailedWillRetry = {
    source: 'ecs-autopilot',
    bus: 'default',
    detailType: 'Task Launch Failed',
    resources: [FAILED_ARN],
    detail: {
      requestId: `r-${FAILED_ID}`,
      reason: 'restart',
      cluster: CLUSTER_ARN,
      taskDefinition: WORKER_7,
      originTaskArn: FAILED_ARN,
      cause: 'runtask',
      failures: [{ arn: WORKER_7, reason: CAPACITY }],
      willRetry: true,
      retryInSeconds: 8,
      capacityRetries: 1,
    },
  };

  it('puts the request back with the next capacity retry after the backoff, and says it will retry', async () => {
    noCapacity();
    const { launch, store } = setup(() => 0.5);
    await expect(launch(request)).resolves.toBe('requeued-capacity');
    expect(sent()).toEqual([{ queueUrl: QUEUE_URL, delaySeconds: 8, body: retryBody }]);
    expect(published()).toEqual([launchFailedWillRetry]);
    expect(store.marker()).toMatchObject({
      status: 'requeued',
      taskArns: [],
      failures: [{ arn: WORKER_7, reason: CAPACITY }],
      requeue: { request: { ...request, capacityRetries: 1 }, delaySeconds: 8 },
      events: [{ detailType: 'Task Launch Failed' }],
      done: true,
    });
    expect(store.launches).toEqual([]);
  });

  it('records the capacity failure before sending the retry and announcing it, and marks it done last', async () => {
    noCapacity();
    const { launch, store } = setup();
    sqsMock.on(SendMessageCommand).callsFake(() => {
      store.journal.push('SendMessage');
      return { MessageId: 'message-1' };
    });
    eventsMock.on(PutEventsCommand).callsFake(() => {
      store.journal.push('PutEvents');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] };
    });
    await launch(request);
    expect(store.journal).toEqual([
      'claimGroup 1',
      'recordOutcome requeued',
      'SendMessage',
      'PutEvents',
      'markOutcomeDone',
    ]);
  });

  it('launches the retry with a fresh clientToken once capacity is back', async () => {
    noCapacity();
    const { launch, store } = setup();
    await launch(request);
    ecsMock.reset();
    launchedOne();
    await expect(launch(parseLaunchRequestMessage({ body: lastSentBody() }))).resolves.toBe('launched');
    expect(runTaskInputs().map((input) => input.clientToken)).toEqual([`r-${FAILED_ID}~c1`]);
    expect(store.launches.map((l) => [l.request.capacityRetries, l.taskArns])).toEqual([[1, [NEW_ARN]]]);
  });

  it('starts one replacement when announcing a capacity retry fails and the message comes back', async () => {
    const again = 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/22223333444455556666777788889999';
    noCapacity();
    eventsMock.on(PutEventsCommand).resolves(rejectedEntry);
    const { launch, store } = setup();
    await expect(launch(request)).rejects.toThrow('PutEvents failed');
    const requeued = parseLaunchRequestMessage({ body: lastSentBody() });

    // Capacity is back; EventBridge too. The requeued copy and the redelivered original both arrive.
    ecsMock.reset();
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce({ tasks: [{ taskArn: NEW_ARN }], failures: [] })
      .resolves({ tasks: [{ taskArn: again }], failures: [] });
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-2' }] });
    await expect(launch(requeued)).resolves.toBe('launched');
    // The original finds its outcome: it finishes the follow-ups it owes (the retry again, the event), no RunTask.
    await expect(launch(request)).resolves.toBe('replayed');
    expect(sent().map((s) => s.body)).toEqual([retryBody, retryBody]);
    // The second copy of the retry finds the retry's own outcome.
    await expect(launch(parseLaunchRequestMessage({ body: lastSentBody() }))).resolves.toBe('replayed');

    expect(runTaskInputs().map((input) => input.clientToken)).toEqual([`r-${FAILED_ID}~c1`]);
    expect(store.launches.flatMap((l) => l.taskArns)).toEqual([NEW_ARN]);
    expect(store.marker()?.done).toBe(true);
  });

  it('sends the retry on the redelivery after SendMessage failed, without calling RunTask again', async () => {
    noCapacity();
    sqsMock
      .on(SendMessageCommand)
      .rejectsOnce(awsError('InternalError', 'We encountered an internal error. Please try again.', 500))
      .resolves({ MessageId: 'message-2' });
    const { launch, store } = setup();
    await expect(launch(request)).rejects.toThrow('We encountered an internal error');
    expect(published()).toEqual([]);
    expect(store.marker()).toMatchObject({ status: 'requeued', done: false });

    await expect(launch(request)).resolves.toBe('replayed');
    expect(runTaskInputs()).toHaveLength(1);
    // The failed send, then the one the redelivery owed.
    expect(sent()).toEqual([
      { queueUrl: QUEUE_URL, delaySeconds: 8, body: retryBody },
      { queueUrl: QUEUE_URL, delaySeconds: 8, body: retryBody },
    ]);
    expect(published()).toEqual([launchFailedWillRetry]);
    expect(store.marker()?.done).toBe(true);

    ecsMock.reset();
    launchedOne();
    await expect(launch(parseLaunchRequestMessage({ body: lastSentBody() }))).resolves.toBe('launched');
    expect(runTaskInputs().map((input) => input.clientToken)).toEqual([`r-${FAILED_ID}~c1`]);
  });

  it('gives up after 8 capacity retries', async () => {
    noCapacity();
    const { launch, store } = setup();
    const last = { ...request, capacityRetries: 8 };
    await expect(launch(last)).resolves.toBe('gave-up');
    expect(sent()).toEqual([]);
    expect(store.marker(last)).toMatchObject({
      status: 'failed',
      taskArns: [],
      failures: [{ arn: WORKER_7, reason: CAPACITY }],
      done: true,
    });
    expect(store.marker(last)).not.toHaveProperty('requeue');
    expect(published()).toMatchObject([
      { detailType: 'Task Launch Failed', detail: { willRetry: false, capacityRetries: 8 } },
    ]);
  });
});

describe('when ECS refuses the launch', () => {
  it('gives up on a RunTask failure that is not about capacity, and says it will not retry', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: WORKER_7, reason: 'MISSING' }] });
    const { launch, store } = setup();
    await expect(launch(request)).resolves.toBe('gave-up');
    expect(store.marker()).toMatchObject({
      status: 'failed',
      failures: [{ arn: WORKER_7, reason: 'MISSING' }],
      done: true,
    });
    expect(store.launches).toEqual([]);
    expect(sent()).toEqual([]);
    expect(published()).toEqual([
      {
        source: 'ecs-autopilot',
        bus: 'default',
        detailType: 'Task Launch Failed',
        resources: [FAILED_ARN],
        detail: {
          requestId: `r-${FAILED_ID}`,
          reason: 'restart',
          cluster: CLUSTER_ARN,
          taskDefinition: WORKER_7,
          failures: [{ arn: WORKER_7, reason: 'MISSING' }],
          willRetry: false,
          capacityRetries: 0,
          originTaskArn: FAILED_ARN,
          cause: 'runtask',
        },
      },
    ]);
  });

  it('puts a throttled launch back on the queue every time, never giving up', async () => {
    ecsMock.on(RunTaskCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const { launch, store } = setup(() => 0.5);
    let current = request;
    for (let delivery = 1; delivery <= 5; delivery++) {
      await expect(launch(current)).resolves.toBe('requeued-throttled');
      current = parseLaunchRequestMessage({ body: lastSentBody() });
    }
    expect(runTaskInputs()).toHaveLength(5);
    expect(sent()).toEqual(
      // The wait the launch-rate bucket needs for one task (1/20 s), rounded up to SQS's whole seconds.
      Array.from({ length: 5 }, () => ({ queueUrl: QUEUE_URL, delaySeconds: 1, body: asJson(request) })),
    );
    expect(store.markers.size).toBe(0);
    // Throttling started nothing: each time the claim went, so the next delivery is a new request again.
    expect(store.claims.size).toBe(0);
    expect(published()).toEqual([]);
  });

  it('puts a launch back without recording anything when ECS answers with a server error', async () => {
    ecsMock.on(RunTaskCommand).rejects(awsError('ServerException', 'Service unavailable', 503));
    const { launch, store } = setup(() => 0.5);
    await expect(launch(request)).resolves.toBe('requeued-throttled');
    expect(sent()).toEqual([{ queueUrl: QUEUE_URL, delaySeconds: 1, body: asJson(request) }]);
    // Claimed before RunTask (the redelivery launches with the same clientToken), nothing recorded.
    expect(store.journal).toEqual(['claimGroup 1']);
    expect(published()).toEqual([]);
  });

  it("waits out a throttled call in process for the time ECS's launch bucket needs, doubling in a row", async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves({ tasks: [{ taskArn: NEW_ARN }], failures: [] });
    const waits: number[] = [];
    const { deps } = setup(() => 0.5);
    const launch = buildLaunch({
      ...deps,
      pacing: { ...TEST_PACING, maxInlineWaitMs: 5_000 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await expect(launch(request)).resolves.toBe('launched');
    // One task refills in 50 ms at 20 a second: each throttle waits that (doubling from the third in a row).
    expect(waits).toEqual([50, 50]);
    expect(runTaskInputs()).toHaveLength(3);
    expect(new Set(runTaskInputs().map((i) => i.clientToken)).size).toBe(1);
    expect(sent()).toEqual([]);
  });

  it('goes back on the queue once waiting in process would take longer than it may', async () => {
    ecsMock.on(RunTaskCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    let clock = 0;
    const { deps } = setup(() => 0.5);
    const launch = buildLaunch({
      ...deps,
      pacing: { ...TEST_PACING, maxInlineWaitMs: 1_000 },
      // A clock that moves only by the launcher's own waits.
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    await expect(launch(request)).resolves.toBe('requeued-throttled');
    // 50 + 50 + 100 + 200 × 4 ms waited (a second); the next wait would pass it: requeued instead.
    expect(runTaskInputs()).toHaveLength(8);
    expect(sent().map((s) => s.delaySeconds)).toEqual([1]);
  });

  it('gives up on an InvalidParameterException, naming it', async () => {
    const message = 'Task definition does not support launch_type FARGATE.';
    ecsMock.on(RunTaskCommand).rejects(awsError('InvalidParameterException', message));
    const { launch, store } = setup();
    await expect(launch(request)).resolves.toBe('gave-up');
    const failures = [{ reason: `InvalidParameterException: ${message}` }];
    expect(store.marker()).toMatchObject({ status: 'failed', taskArns: [], failures, done: true });
    expect(sent()).toEqual([]);
    expect(published()).toMatchObject([
      { detailType: 'Task Launch Failed', resources: [FAILED_ARN], detail: { failures, willRetry: false } },
    ]);
  });
});

describe("a run of a Forbid or Replace schedule, holding the schedule's launch lease", () => {
  const NOW = Date.parse(AT);
  const DUE = 's-nightly-1764331200000';
  const scheduled: LaunchRequest = launchRequestSchema.parse({
    ...asJson(request),
    requestId: DUE,
    reason: 'schedule',
    lineage: undefined,
    context: { schedule: 'nightly' },
    launchLease: { schedule: 'nightly' },
  });
  /** The lease as buildRunScheduled leaves it when it hands the request to the launcher. */
  const held = () => {
    const leases = fakeLaunchLeases(() => NOW);
    leases.leases.set('nightly', { holder: DUE, until: NOW + LAUNCH_LEASE_MS });
    return leases;
  };

  it('frees the lease once the task has started', async () => {
    launchedOne();
    const leases = held();
    await expect(setup(undefined, leases).launch(scheduled)).resolves.toBe('launched');
    expect(leases.leases.size).toBe(0);
  });

  it('keeps the lease, parked, while a throttled launch waits on the queue, and frees it once it launched', async () => {
    ecsMock.on(RunTaskCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'));
    const leases = held();
    const { launch } = setup(() => 0.5, leases);
    await expect(launch(scheduled)).resolves.toBe('requeued-throttled');
    // The retry waits 1 s: the lease covers that and the usual margin.
    expect(leases.leases.get('nightly')).toEqual({
      holder: DUE,
      until: NOW + 1_000 + LAUNCH_LEASE_MS,
      parked: true,
    });
    launchedOne();
    await expect(launch(parseLaunchRequestMessage({ body: lastSentBody() }))).resolves.toBe('launched');
    expect(runTaskInputs()).toHaveLength(2);
    expect(leases.leases.size).toBe(0);
  });

  it('keeps the lease, parked, through a capacity retry', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: WORKER_7, reason: CAPACITY }] });
    const leases = held();
    await expect(setup(() => 0.5, leases).launch(scheduled)).resolves.toBe('requeued-capacity');
    expect(leases.leases.get('nightly')).toEqual({
      holder: DUE,
      until: NOW + 8_000 + LAUNCH_LEASE_MS,
      parked: true,
    });
    expect(parseLaunchRequestMessage({ body: lastSentBody() }).launchLease).toEqual({ schedule: 'nightly' });
  });

  it.each([
    ['another run of the schedule took the lease over', true],
    ['the lease is gone', false],
  ])('starts nothing when %s, recording and announcing why', async (_case, takenOver) => {
    launchedOne();
    const leases = fakeLaunchLeases(() => NOW);
    if (takenOver) leases.leases.set('nightly', { holder: 's-nightly-1764334800000', until: NOW + 1 });
    const { launch, store } = setup(undefined, leases);
    await expect(launch(scheduled)).resolves.toBe('gave-up');
    expect(runTaskInputs()).toEqual([]);
    const reason =
      "not launched: schedule nightly started another run while this one waited (its launch lease is no longer this run's)";
    expect(store.marker(scheduled)).toMatchObject({ status: 'failed', failures: [{ reason }], done: true });
    expect(published()).toMatchObject([
      {
        detailType: 'Task Launch Failed',
        detail: { requestId: DUE, failures: [{ reason }], willRetry: false },
      },
    ]);
    // The other run's lease is its own.
    expect(leases.leases.get('nightly')?.holder).toBe(takenOver ? 's-nightly-1764334800000' : undefined);
  });

  it('leaves the message on the queue when the lease cannot be checked, starting nothing', async () => {
    launchedOne();
    await expect(setup().launch(scheduled)).rejects.toThrow('leases.holdLaunchLease was called');
    expect(runTaskInputs()).toEqual([]);
  });
});

describe("a restart decided without the failed task's tags (DescribeTasks was throttled)", () => {
  const unread: LaunchRequest = { ...request, tagsOf: FAILED_ARN };
  const tagsAre = (tags: Record<string, string>) =>
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: FAILED_ARN, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }],
      failures: [],
    });

  it("reads them before RunTask and gives the replacement the user's tags", async () => {
    tagsAre({ team: 'data', 'aws:ecs:clusterName': 'batch-cluster', 'ecs-autopilot:attempt': '0' });
    launchedOne();
    const { launch } = setup();
    expect(await launch(unread)).toBe('launched');
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toMatchObject({
      tasks: [FAILED_ARN],
      include: ['TAGS'],
    });
    expect(runTaskInputs()[0]?.tags).toEqual([
      { key: 'team', value: 'data' },
      ...(request.runTask.tags ?? []),
    ]);
  });

  it('starts nothing when the tags switch restarts off, and says why', async () => {
    tagsAre({ 'ecs-autopilot:restart': 'off' });
    const { launch, store } = setup();
    expect(await launch(unread)).toBe('gave-up');
    expect(runTaskInputs()).toEqual([]);
    expect(store.marker()?.failures).toEqual([
      { reason: 'not launched: restart disabled by tag ecs-autopilot:restart' },
    ]);
    expect(published().map((e) => [e.detailType, e.detail.willRetry])).toEqual([
      ['Task Launch Failed', false],
    ]);
  });

  it('starts nothing when the tags allow fewer attempts than this one', async () => {
    tagsAre({ 'ecs-autopilot:max-attempts': '0' });
    const { launch } = setup();
    expect(await launch(unread)).toBe('gave-up');
    expect(runTaskInputs()).toEqual([]);
  });

  it('puts the request back when DescribeTasks is throttled again, starting nothing', async () => {
    ecsMock.on(DescribeTasksCommand).rejects(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
    );
    const { launch, store } = setup();
    expect(await launch(unread)).toBe('requeued-throttled');
    expect(runTaskInputs()).toEqual([]);
    expect(store.marker()).toBeUndefined();
    expect(sent()[0]?.body).toMatchObject({ requestId: request.requestId, tagsOf: FAILED_ARN });
  });

  it('launches without them when ECS no longer knows the task', async () => {
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [], failures: [{ arn: FAILED_ARN, reason: 'MISSING' }] });
    launchedOne();
    const { launch } = setup();
    expect(await launch(unread)).toBe('launched');
    expect(runTaskInputs()[0]?.tags).toEqual(request.runTask.tags);
  });
});

describe('delayed launches', () => {
  it('sends a deferred request on with its delay, without calling RunTask', async () => {
    const { launch } = setup();
    await expect(launch({ ...request, deferSeconds: 600 })).resolves.toBe('deferred');
    expect(runTaskInputs()).toEqual([]);
    expect(sent()).toEqual([
      { queueUrl: QUEUE_URL, delaySeconds: 600, body: { ...asJson(request), deferSeconds: 0 } },
    ]);
  });

  it('splits a delay longer than SQS allows into 15-minute hops, then launches', async () => {
    launchedOne();
    const { launch } = setup();
    await expect(launch({ ...request, deferSeconds: 2000 })).resolves.toBe('deferred');
    expect(sent()).toEqual([
      { queueUrl: QUEUE_URL, delaySeconds: 900, body: { ...asJson(request), deferSeconds: 1100 } },
    ]);
    const results = [];
    for (let hop = 0; hop < 3; hop++)
      results.push(await launch(parseLaunchRequestMessage({ body: lastSentBody() })));
    expect(results).toEqual(['deferred', 'deferred', 'launched']);
    expect(sent().map((s) => [s.delaySeconds, s.body.deferSeconds])).toEqual([
      [900, 1100],
      [900, 200],
      [200, 0],
    ]);
    expect(runTaskInputs()).toHaveLength(1);
  });
});

describe('the launcher function with a batch of messages', () => {
  const sqsRecord = (messageId: string, body: string): SQSRecord => ({
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1715677966000',
      SenderId: 'AROAEXAMPLE:restart',
      ApproximateFirstReceiveTimestamp: '1715677966001',
    },
    messageAttributes: {},
    md5OfBody: '0',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:launch',
    awsRegion: 'us-east-1',
  });

  /** The launcher function itself (functions/launcher/handler.ts), given this file's fakes. */
  function batchHandler() {
    const { deps } = setup();
    return { ...launcherFunctionOf(deps), deps };
  }

  it('reports only the malformed message as failed, and launches the good one', async () => {
    launchedOne();
    const { handle } = batchHandler();
    const response = await handle({
      Records: [
        sqsRecord('malformed-1', '{"requestId": "r-1", "reason": "restart"'),
        sqsRecord('good-1', JSON.stringify(request)),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'malformed-1' }] });
    expect(runTaskInputs()).toEqual([{ ...asJson(request).runTask, clientToken: `r-${FAILED_ID}` }]);
  });

  it('reports a request that is JSON but not a launch request, without throwing for a batch that all failed', async () => {
    const { handle, logger } = batchHandler();
    const response = await handle({
      Records: [
        sqsRecord('no-task-definition', JSON.stringify({ ...request, runTask: { cluster: CLUSTER_ARN } })),
        sqsRecord('not-json', 'launch please'),
      ],
    });
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'no-task-definition' }, { itemIdentifier: 'not-json' }],
    });
    expect(runTaskInputs()).toEqual([]);
    expect(logger.error).toHaveBeenCalledTimes(2);
  });
});

describe('batched launches: requests that differ only in lineage share one RunTask', () => {
  /** The restart of the n-th failed task: the same input as `request`, its own lineage. */
  function restartOf(n: number): LaunchRequest {
    const id = `${String(n).padStart(4, '0')}${FAILED_ID.slice(4)}`;
    const arn = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${id}`;
    return launchRequestSchema.parse({
      ...asJson(request),
      requestId: `r-${id}`,
      runTask: {
        ...asJson(request).runTask,
        startedBy: `ecs-autopilot/restart/${id}/1`,
        tags: [
          { key: 'ecs-autopilot:attempt', value: '1' },
          { key: 'ecs-autopilot:origin-task', value: arn },
          { key: 'ecs-autopilot:reason', value: 'restart' },
        ],
      },
      lineage: { ...asJson(request).lineage, originTaskArn: arn, previousTaskArn: arn },
    });
  }
  const record = (r: LaunchRequest, i: number) => ({ messageId: `m-${i}`, body: JSON.stringify(r) });
  /** ECS: `count` tasks per call, the same ones again for the same clientToken; `started` of each call at most. */
  function ecsStarting(started: (count: number) => number = (count) => count) {
    const byToken = new Map<string, string[]>();
    ecsMock.on(RunTaskCommand).callsFake((input) => {
      const token = input.clientToken as string;
      let arns = byToken.get(token);
      if (!arns) {
        const n = started(input.count ?? 1);
        arns = Array.from(
          { length: n },
          (_, i) => `${CLUSTER_ARN.replace('cluster/', 'task/')}/${token}-${i}`,
        );
        byToken.set(token, arns);
      }
      const missing = (input.count ?? 1) - arns.length;
      return {
        tasks: arns.map((taskArn) => ({ taskArn })),
        failures: Array.from({ length: missing }, () => ({ arn: CLUSTER_ARN, reason: CAPACITY })),
      };
    });
    return byToken;
  }
  /** The launcher function over a batch of these requests, like SQS hands it one. */
  async function deliver(handle: (e: SQSEvent) => unknown, requests: LaunchRequest[], from = 0) {
    const records = requests.map((r, i) => ({ ...record(r, from + i), receiptHandle: 'h' }) as SQSRecord);
    return handle({ Records: records });
  }

  function launcherFunction(store = new FakeLaunchStore()) {
    const { deps } = setup();
    const tagJobs = recordedTagJobs();
    const { handle } = launcherFunctionOf({ ...deps, store, sendTagJob: tagJobs });
    return { handle, store, tagJobs };
  }

  it('launches ten restarts with one RunTask of count 10, each recorded with its own task and lineage', async () => {
    ecsStarting();
    const { handle, store, tagJobs } = launcherFunction();
    const restarts = Array.from({ length: 10 }, (_, i) => restartOf(i));
    await expect(deliver(handle, restarts)).resolves.toEqual({ batchItemFailures: [] });
    const [call, ...more] = runTaskInputs();
    expect(more).toEqual([]);
    expect(call).toMatchObject({ count: 10, startedBy: 'ecs-autopilot/restart' });
    expect(call?.clientToken).toMatch(/^g-[A-Za-z0-9_-]{43}$/);
    // Common tags only on the call: the lineage tags differ per task.
    expect(call?.tags).toEqual([{ key: 'ecs-autopilot:reason', value: 'restart' }]);
    const launched = restarts.map((r) => store.marker(r));
    expect(launched.every((m) => m?.status === 'launched' && m.taskArns.length === 1 && m.done)).toBe(true);
    expect(new Set(launched.map((m) => m?.taskArns[0])).size).toBe(10);
    expect(store.launches.map((l) => l.request.requestId).sort()).toEqual(
      restarts.map((r) => r.requestId).sort(),
    );
    // One tag job: each task gets its own member's lineage tags, after the launch.
    expect(tagJobs.jobs).toHaveLength(1);
    const tagged = tagJobs.jobs[0]?.job.tasks ?? [];
    for (const r of restarts) {
      const taskArn = store.marker(r)?.taskArns[0];
      expect(tagged.find((t) => t.taskArn === taskArn)?.tags).toEqual([
        { key: 'ecs-autopilot:attempt', value: '1' },
        { key: 'ecs-autopilot:origin-task', value: r.lineage?.originTaskArn },
      ]);
    }
    expect(published().filter((e) => e.detailType === 'Task Restarted')).toHaveLength(10);
  });

  it('relaunches exactly the 3 members a partial launch of 7 of 10 left without a task', async () => {
    ecsStarting((count) => Math.min(count, 7));
    const { handle, store } = launcherFunction();
    const restarts = Array.from({ length: 10 }, (_, i) => restartOf(i));
    await deliver(handle, restarts);
    const outcomes = restarts.map((r) => store.marker(r));
    expect(outcomes.filter((o) => o?.status === 'launched')).toHaveLength(7);
    const retried = outcomes.filter((o) => o?.requeue);
    expect(retried).toHaveLength(3);
    expect(retried.every((o) => o?.taskArns.length === 0 && o.requeue?.request.capacityRetries === 1)).toBe(
      true,
    );
    expect(sent().filter((m) => m.body.capacityRetries === 1)).toHaveLength(3);
  });

  it('after a crash between the claim and RunTask, a regrouped redelivery reuses the group and starts nothing twice', async () => {
    const byToken = ecsStarting();
    const store = new FakeLaunchStore();
    const claim = store.claimGroup.bind(store);
    // The first delivery is killed once its group is claimed: the messages come back.
    store.claimGroup = async (group) => {
      await claim(group);
      throw new Error('Lambda killed');
    };
    const { handle } = launcherFunction(store);
    const first = Array.from({ length: 10 }, (_, i) => restartOf(i));
    const failed = (await deliver(handle, first)) as { batchItemFailures: unknown[] };
    expect(failed.batchItemFailures).toHaveLength(10);
    expect(runTaskInputs()).toEqual([]);
    store.claimGroup = claim;
    // Redelivered in another grouping: half of them, with three new requests.
    const again = [...first.slice(5), restartOf(20), restartOf(21), restartOf(22)];
    await expect(deliver(handle, again, 100)).resolves.toEqual({ batchItemFailures: [] });
    await expect(deliver(handle, first.slice(0, 5), 200)).resolves.toEqual({ batchItemFailures: [] });
    const calls = runTaskInputs();
    // The claimed group of ten, launched for all its members by the first that came back (the other five
    // find their outcomes recorded), and the three new ones in a group of their own.
    expect(calls.map((c) => c.count)).toEqual([10, 3]);
    expect(byToken.size).toBe(2);
    const everyTask = [...first, restartOf(20), restartOf(21), restartOf(22)].map(
      (r) => store.marker(r)?.taskArns ?? [],
    );
    expect(everyTask.every((arns) => arns.length === 1)).toBe(true);
    expect(new Set(everyTask.flat()).size).toBe(13);
    expect(store.launches).toHaveLength(13);
  });
});

describe('the memory of Spot shortages', () => {
  const onSpot = (n: number): LaunchRequest => ({
    ...request,
    requestId: `r-spot-${n}`,
    runTask: {
      ...request.runTask,
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    },
  });
  const providerOf = (input: { capacityProviderStrategy?: { capacityProvider?: string }[] }) =>
    input.capacityProviderStrategy?.[0]?.capacityProvider;

  function launcherWithMemory(clock: { now: number }) {
    const { deps } = setup();
    const spotShortages = memorySpotShortages(() => clock.now);
    const launch = buildLaunch({ ...deps, spotShortages, now: () => clock.now });
    return { launch, spotShortages };
  }

  it('after one Spot capacity failure, sends further launches straight to on-demand and announces it once', async () => {
    ecsMock
      .on(RunTaskCommand)
      .callsFake((input) =>
        providerOf(input) === 'FARGATE_SPOT'
          ? { tasks: [], failures: [{ arn: CLUSTER_ARN, reason: CAPACITY }] }
          : { tasks: [{ taskArn: `${NEW_ARN}-${input.clientToken}` }], failures: [] },
      );
    const clock = { now: 1_000_000 };
    const { launch, spotShortages } = launcherWithMemory(clock);
    await expect(launch(onSpot(1))).resolves.toBe('requeued-capacity');
    for (let n = 2; n <= 5; n++) await expect(launch(onSpot(n))).resolves.toBe('launched');
    // One Spot call learned the shortage; the next four went to FARGATE at once.
    expect(runTaskInputs().map(providerOf)).toEqual([
      'FARGATE_SPOT',
      'FARGATE',
      'FARGATE',
      'FARGATE',
      'FARGATE',
    ]);
    expect(spotShortages.remembered).toEqual([
      expect.objectContaining({
        cluster: 'batch-cluster',
        provider: 'FARGATE_SPOT',
        until: 1_000_000 + 180_000,
      }),
    ]);
    const fallbacks = published().filter((e) => e.detailType === 'Spot Fallback');
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]?.detail).toMatchObject({
      cause: 'spot-capacity',
      capacityProvider: 'FARGATE_SPOT',
      to: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
  });

  it('lets one launch try Spot after the probe interval, and ends the shortage when Spot takes it', async () => {
    let spotBack = false;
    ecsMock
      .on(RunTaskCommand)
      .callsFake((input) =>
        providerOf(input) === 'FARGATE_SPOT' && !spotBack
          ? { tasks: [], failures: [{ arn: CLUSTER_ARN, reason: CAPACITY }] }
          : { tasks: [{ taskArn: `${NEW_ARN}-${input.clientToken}` }], failures: [] },
      );
    const clock = { now: 1_000_000 };
    const { launch, spotShortages } = launcherWithMemory(clock);
    // (Its retry on FARGATE goes to the queue, not delivered here.)
    await launch(onSpot(1));
    clock.now += 31_000;
    spotBack = true;
    await expect(launch(onSpot(2))).resolves.toBe('launched');
    await expect(launch(onSpot(3))).resolves.toBe('launched');
    expect(runTaskInputs().map(providerOf)).toEqual(['FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT']);
    expect(await spotShortages.current('batch-cluster', 'FARGATE_SPOT')).toBeUndefined();
  });
});
