import { type Attempt, launchRequestSchema, type RunTaskInput } from '../../src/domain/launchRequest';
import { toTransition } from '../../src/domain/lifecycle';
import {
  decideRestart,
  type LaunchRecordView,
  type NetworkDefaults,
  type RestartInputs,
  rebuildRunTask,
} from '../../src/domain/restartDecision';
import {
  DEFAULT_POLICY,
  MAX_INFRASTRUCTURE_RELAUNCHES,
  policyFromTags,
} from '../../src/domain/restartPolicy';
import { parseTaskStateChange, type TaskStateChangeEvent } from '../../src/domain/taskEvent';
import { fixture } from '../support/fixtures';

const TASK_ID = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
const TASK_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${TASK_ID}`;
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster';
const WORKER_7 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7';
const ORIGIN_ID = 'aaaaaaaabbbbccccddddeeeeeeeeeeee';
const ORIGIN_ARN = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${ORIGIN_ID}`;
const NETWORK: NonNullable<RunTaskInput['networkConfiguration']> = {
  awsvpcConfiguration: {
    subnets: ['subnet-0a1b2c3d4e5f60718'],
    securityGroups: ['sg-0123456789abcdef0'],
    assignPublicIp: 'DISABLED',
  },
};
const NETWORK_DEFAULTS: NetworkDefaults = { 'batch-cluster': NETWORK };
const JOB_OVERRIDES = {
  containerOverrides: [{ name: 'worker', environment: [{ name: 'JOB_ID', value: 'job-42' }] }],
};
const half = () => 0.5;

/** Inputs for a task launched elsewhere, from an event (a fixture name or an edited fixture). */
function inputs(event: string | TaskStateChangeEvent, more: Partial<RestartInputs> = {}): RestartInputs {
  const parsed = parseTaskStateChange(typeof event === 'string' ? fixture(event) : event);
  const tags = more.tags ?? {};
  return {
    transition: toTransition(parsed),
    detail: parsed.detail,
    tags,
    tagPolicy: policyFromTags(tags),
    networkDefaults: NETWORK_DEFAULTS,
    random: half,
    ...more,
  };
}

/** ec2-running, as it would arrive once its container exited 1. */
function ec2Stopped(): TaskStateChangeEvent {
  const event = fixture('ec2-running');
  Object.assign(event.detail, {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: '2024-05-14T09:20:00.000Z',
    version: 6,
  });
  Object.assign(event.detail.containers[0] ?? {}, { lastStatus: 'STOPPED', exitCode: 1 });
  return event;
}

/** What ecs-autopilot recorded when it launched the task in stopped-exit-1 as the origin's restart. */
function launchedByUs(attempt: number, launches = attempt, chain?: Attempt[]): LaunchRecordView {
  return {
    runTask: {
      cluster: CLUSTER_ARN,
      taskDefinition: WORKER_7,
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      startedBy: `ecs-autopilot/restart/${ORIGIN_ID}/${launches}`,
      tags: [
        { key: 'team', value: 'data' },
        { key: 'ecs-autopilot:attempt', value: String(attempt) },
        { key: 'ecs-autopilot:origin-task', value: ORIGIN_ARN },
        { key: 'ecs-autopilot:reason', value: 'restart' },
      ],
    },
    lineage: {
      originTaskArn: ORIGIN_ARN,
      attempt,
      launches,
      previousTaskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/previous',
      chain:
        chain ??
        Array.from({ length: launches }, (_, i) => ({
          taskArn: `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/run${i}`,
          attempt: i,
          exitCode: 1,
          decision: 'restart',
          delaySeconds: 10 * 2 ** i,
        })),
    },
    policy: { maxAttempts: 3 },
  };
}

describe('deciding whether to restart a failed task', () => {
  it('restarts a task that exited 1 as attempt 1, after the backoff delay', () => {
    const decision = decideRestart(inputs('stopped-exit-1'));
    expect(decision).toMatchObject({ action: 'restart', infrastructure: false, delaySeconds: 8 });
  });

  it('asks for one replacement like the failed task, pinned to its revision and named after its origin', () => {
    const decision = decideRestart(
      inputs('stopped-exit-1', {
        tags: { team: 'data', 'aws:ecs:clusterName': 'batch-cluster', 'ecs-autopilot:attempt': '7' },
      }),
    );
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(decision.request).toEqual({
      requestId: `r-${TASK_ID}`,
      reason: 'restart',
      runTask: {
        cluster: CLUSTER_ARN,
        taskDefinition: WORKER_7,
        count: 1,
        launchType: 'FARGATE',
        platformVersion: '1.4.0',
        networkConfiguration: NETWORK,
        overrides: JOB_OVERRIDES,
        group: 'family:worker',
        startedBy: `ecs-autopilot/restart/${TASK_ID}/1`,
        tags: [
          { key: 'team', value: 'data' },
          { key: 'ecs-autopilot:attempt', value: '1' },
          { key: 'ecs-autopilot:origin-task', value: TASK_ARN },
          { key: 'ecs-autopilot:reason', value: 'restart' },
        ],
      },
      lineage: {
        originTaskArn: TASK_ARN,
        attempt: 1,
        launches: 1,
        previousTaskArn: TASK_ARN,
        chain: [
          {
            taskArn: TASK_ARN,
            attempt: 0,
            exitCode: 1,
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            failureKind: 'exit-code',
            decision: 'restart',
            delaySeconds: 8,
          },
        ],
      },
      deferSeconds: 0,
      capacityRetries: 0,
      requestedBy: 'ecs-autopilot',
    });
  });

  it('produces a launch request the launcher accepts', () => {
    const decision = decideRestart(inputs('stopped-exit-1', { tags: { team: 'data' } }));
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(launchRequestSchema.parse(JSON.parse(JSON.stringify(decision.request)))).toEqual(
      JSON.parse(JSON.stringify(decision.request)),
    );
  });

  it("keeps a schedule's startedBy on the restart of its run, so Forbid and Replace still see the run", () => {
    const scheduled = launchedByUs(1);
    scheduled.runTask.startedBy = 'ecs-autopilot/schedule/nightly-etl';
    const decision = decideRestart({ ...inputs('stopped-exit-1'), launch: scheduled });
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(decision.request.runTask.startedBy).toBe('ecs-autopilot/schedule/nightly-etl');
    // The lineage is still told by the tags and the request.
    expect(decision.request.lineage).toMatchObject({ originTaskArn: ORIGIN_ARN, attempt: 2, launches: 2 });
    expect(decision.request.runTask.tags).toEqual(
      expect.arrayContaining([{ key: 'ecs-autopilot:origin-task', value: ORIGIN_ARN }]),
    );
  });

  it('waits the policy backoff for the attempt, with the injected jitter', () => {
    const at = (random: () => number) => decideRestart(inputs('stopped-exit-1', { random }));
    expect(at(() => 0)).toMatchObject({ action: 'restart', delaySeconds: 5 });
    expect(at(() => 0.999_999)).toMatchObject({ action: 'restart', delaySeconds: 10 });
    const second = decideRestart({ ...inputs('stopped-exit-1'), launch: launchedByUs(1), random: () => 0 });
    expect(second).toMatchObject({ action: 'restart', delaySeconds: 10 });
  });

  it.each([
    ['stopped-exit-0', 'not a failed standalone task (succeeded)'],
    ['stopped-by-user', 'not a failed standalone task (stopped-by-user)'],
    ['service-scheduler-stop', 'not a failed standalone task (stopped-by-service)'],
    ['spot-warning-spotinterruption', 'not a failed standalone task (spot-interrupted)'],
    ['spot-warning-terminationnotice', 'not a failed standalone task (spot-interrupted)'],
    ['running', 'not a failed standalone task (running)'],
  ])('does not restart the %s task', (name, reason) => {
    expect(decideRestart(inputs(name))).toEqual({ action: 'none', reason });
  });

  it('does not restart a task that failed in a service (the service replaces it)', () => {
    const event = fixture('stopped-exit-1');
    event.detail.group = 'service:web';
    expect(decideRestart(inputs(event))).toEqual({
      action: 'none',
      reason: 'not a failed standalone task (failed)',
    });
  });

  it('does not restart a Spot task once it stopped after its interruption', () => {
    const event = fixture('stopped-exit-1');
    Object.assign(event.detail, {
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
    });
    expect(decideRestart(inputs(event))).toMatchObject({ action: 'none' });
  });

  it('restarts a task killed for using too much memory, using an attempt', () => {
    const decision = decideRestart(inputs('stopped-oom'));
    expect(decision).toMatchObject({
      action: 'restart',
      infrastructure: false,
      request: {
        lineage: { attempt: 1, chain: [{ exitCode: 137, failureKind: 'oom', decision: 'restart' }] },
      },
    });
  });

  it('relaunches a task that found no memory to start, marked infrastructure and without using an attempt', () => {
    const decision = decideRestart(inputs('failed-to-start-memory'));
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(decision.infrastructure).toBe(true);
    expect(decision.delaySeconds).toBe(8);
    expect(decision.request.lineage).toEqual({
      originTaskArn: TASK_ARN,
      attempt: 0,
      launches: 1,
      previousTaskArn: TASK_ARN,
      chain: [
        {
          taskArn: TASK_ARN,
          attempt: 0,
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'TaskFailedToStart: RESOURCE:MEMORY',
          failureKind: 'start-failure',
          decision: 'relaunch (infrastructure)',
          delaySeconds: 8,
        },
      ],
    });
    expect(decision.request.runTask.tags).toEqual([
      { key: 'ecs-autopilot:attempt', value: '0' },
      { key: 'ecs-autopilot:origin-task', value: TASK_ARN },
      { key: 'ecs-autopilot:reason', value: 'infrastructure' },
    ]);
  });

  it('keeps the attempt count of a replacement that found no capacity, counting the launch', () => {
    const event = fixture('failed-to-start-memory');
    const decision = decideRestart({ ...inputs(event), launch: launchedByUs(2) });
    expect(decision).toMatchObject({
      action: 'restart',
      infrastructure: true,
      request: {
        runTask: { startedBy: `ecs-autopilot/restart/${ORIGIN_ID}/3` },
        lineage: { originTaskArn: ORIGIN_ARN, attempt: 2, launches: 3 },
      },
    });
  });

  it('restarts a task it launched itself from the recorded RunTask input, as the next attempt of its origin', () => {
    const launch = launchedByUs(1);
    const decision = decideRestart({ ...inputs('stopped-exit-1', { networkDefaults: {} }), launch });
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(decision.request.requestId).toBe(`r-${TASK_ID}`);
    expect(decision.request.policy).toEqual({ maxAttempts: 3 });
    expect(decision.request.runTask).toEqual({
      ...launch.runTask,
      startedBy: `ecs-autopilot/restart/${ORIGIN_ID}/2`,
      tags: [
        { key: 'team', value: 'data' },
        { key: 'ecs-autopilot:attempt', value: '2' },
        { key: 'ecs-autopilot:origin-task', value: ORIGIN_ARN },
        { key: 'ecs-autopilot:reason', value: 'restart' },
      ],
    });
    expect(decision.request.lineage).toMatchObject({
      originTaskArn: ORIGIN_ARN,
      attempt: 2,
      launches: 2,
      previousTaskArn: TASK_ARN,
    });
    expect(decision.request.lineage?.chain).toHaveLength(2);
  });

  it('gives up on a task it launched as the last allowed attempt, listing every attempt', () => {
    const launch = launchedByUs(3);
    const decision = decideRestart({ ...inputs('stopped-exit-1'), launch });
    expect(decision).toEqual({
      action: 'give-up',
      reason: 'exhausted',
      policy: { ...DEFAULT_POLICY, maxAttempts: 3 },
      originTaskArn: ORIGIN_ARN,
      chain: [
        ...(launch.lineage?.chain ?? []),
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
    });
    if (decision.action === 'give-up') expect(decision.chain).toHaveLength(4);
  });

  it('gives up on an image that cannot be pulled when giveUpOn names CannotPullContainerError', () => {
    const familyPolicy = { giveUpOn: [{ reasonPrefixes: ['CannotPullContainerError'] }] };
    expect(decideRestart(inputs('failed-to-start-image', { familyPolicy }))).toMatchObject({
      action: 'give-up',
      reason: 'matched giveUpOn',
      originTaskArn: TASK_ARN,
      chain: [{ taskArn: TASK_ARN, failureKind: 'start-failure', decision: 'give up: matched giveUpOn' }],
    });
    expect(decideRestart(inputs('failed-to-start-image'))).toMatchObject({
      action: 'restart',
      infrastructure: false,
    });
  });

  it('gives up on an exit code that retryOn does not name', () => {
    const familyPolicy = { retryOn: [{ exitCodes: [137] }] };
    expect(decideRestart(inputs('stopped-exit-1', { familyPolicy }))).toMatchObject({
      action: 'give-up',
      reason: 'not matched by retryOn',
    });
    expect(decideRestart(inputs('stopped-oom', { familyPolicy }))).toMatchObject({ action: 'restart' });
  });

  it('gives a task with 50 tags of its own the three lineage tags, within the 50 tags ECS allows', () => {
    const own = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`tag-${String(i + 1).padStart(2, '0')}`, `value-${i + 1}`]),
    );
    const decision = decideRestart(inputs('stopped-exit-1', { tags: own }));
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    const tags = decision.request.runTask.tags ?? [];
    expect(tags).toHaveLength(50);
    expect(tags.slice(-3)).toEqual([
      { key: 'ecs-autopilot:attempt', value: '1' },
      { key: 'ecs-autopilot:origin-task', value: TASK_ARN },
      { key: 'ecs-autopilot:reason', value: 'restart' },
    ]);
    expect(tags.slice(0, 47)).toEqual(
      Object.entries(own)
        .slice(0, 47)
        .map(([key, value]) => ({ key, value })),
    );
    expect(() => launchRequestSchema.parse(decision.request)).not.toThrow();
  });

  it('does not restart a task tagged ecs-autopilot:max-attempts=0, even when its family allows attempts', () => {
    const decision = decideRestart(
      inputs('stopped-exit-1', {
        tags: { 'ecs-autopilot:max-attempts': '0' },
        familyPolicy: { maxAttempts: 5 },
      }),
    );
    expect(decision).toMatchObject({
      action: 'give-up',
      reason: 'restart disabled',
      policy: { maxAttempts: 0 },
      chain: [{ taskArn: TASK_ARN, attempt: 0, decision: 'give up: restart disabled' }],
    });
  });

  it('cannot restart a Fargate task launched elsewhere without network defaults for its cluster', () => {
    for (const networkDefaults of [{}, { 'other-cluster': NETWORK }] as NetworkDefaults[]) {
      expect(decideRestart(inputs('stopped-exit-1', { networkDefaults }))).toEqual({
        action: 'not-restartable',
        reason: 'network configuration unknown',
        policy: DEFAULT_POLICY,
      });
    }
  });

  it('uses the network defaults configured for the cluster by name or by ARN', () => {
    for (const networkDefaults of [
      { 'batch-cluster': NETWORK },
      { [CLUSTER_ARN]: NETWORK },
    ] as NetworkDefaults[]) {
      const decision = decideRestart(inputs('stopped-exit-1', { networkDefaults }));
      expect(decision).toMatchObject({
        action: 'restart',
        request: { runTask: { networkConfiguration: NETWORK } },
      });
    }
  });

  it('restarts a bridge-mode EC2 task on its capacity provider, without network configuration', () => {
    const decision = decideRestart(inputs(ec2Stopped()));
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    const id = '9a8b7c6d5e4f40312a1b2c3d4e5f6a7b';
    expect(decision.request.runTask).toEqual({
      cluster: CLUSTER_ARN,
      taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/nightly-report:3',
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: 'batch-ec2', weight: 1 }],
      overrides: JOB_OVERRIDES,
      group: 'family:nightly-report',
      startedBy: `ecs-autopilot/restart/${id}/1`,
      tags: [
        { key: 'ecs-autopilot:attempt', value: '1' },
        {
          key: 'ecs-autopilot:origin-task',
          value: `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${id}`,
        },
        { key: 'ecs-autopilot:reason', value: 'restart' },
      ],
    });
    expect(decision.request.runTask).not.toHaveProperty('networkConfiguration');
    expect(decision.request.runTask).not.toHaveProperty('launchType');
    expect(decision.request.runTask).not.toHaveProperty('platformVersion');
  });

  it(`stops relaunching for infrastructure causes after ${MAX_INFRASTRUCTURE_RELAUNCHES} relaunches that used no attempt`, () => {
    // Two attempts used plus the infrastructure relaunches: only the latter count towards the limit.
    const limit = MAX_INFRASTRUCTURE_RELAUNCHES + 2;
    const below = decideRestart({ ...inputs('failed-to-start-memory'), launch: launchedByUs(2, limit - 1) });
    expect(below).toMatchObject({
      action: 'restart',
      infrastructure: true,
      request: { lineage: { launches: limit } },
    });
    const at = decideRestart({ ...inputs('failed-to-start-memory'), launch: launchedByUs(2, limit) });
    expect(at).toMatchObject({
      action: 'give-up',
      reason: 'infrastructure relaunch limit',
      originTaskArn: ORIGIN_ARN,
    });
    if (at.action === 'give-up') {
      expect(at.chain).toHaveLength(limit + 1);
      expect(at.chain.at(-1)).toMatchObject({ decision: 'give up: infrastructure relaunch limit' });
    }
  });

  it('does not count infrastructure relaunches against the attempts', () => {
    // Three attempts used, but a capacity failure uses none: still relaunched.
    const decision = decideRestart({ ...inputs('failed-to-start-memory'), launch: launchedByUs(3) });
    expect(decision).toMatchObject({
      action: 'restart',
      infrastructure: true,
      request: { lineage: { attempt: 3 } },
    });
  });
});

describe('rebuilding RunTask for a task launched elsewhere', () => {
  const rebuild = (
    event: TaskStateChangeEvent,
    tags: Record<string, string> = {},
    defaults = NETWORK_DEFAULTS,
  ) => {
    const parsed = parseTaskStateChange(event);
    return rebuildRunTask(toTransition(parsed), parsed.detail, tags, defaults);
  };

  it('copies the Fargate launch with platform version, network defaults, overrides, group and tags', () => {
    expect(rebuild(fixture('stopped-exit-1'), { team: 'data' })).toEqual({
      cluster: CLUSTER_ARN,
      taskDefinition: WORKER_7,
      count: 1,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      networkConfiguration: NETWORK,
      overrides: JOB_OVERRIDES,
      group: 'family:worker',
      tags: [{ key: 'team', value: 'data' }],
    });
  });

  it('launches a Fargate Spot task on the FARGATE_SPOT provider', () => {
    const event = fixture('stopped-exit-1');
    event.detail.capacityProviderName = 'FARGATE_SPOT';
    const runTask = rebuild(event);
    expect(runTask?.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(runTask).not.toHaveProperty('launchType');
  });

  it('uses the launch type of an EC2 task without a capacity provider', () => {
    const event = ec2Stopped();
    delete event.detail.capacityProviderName;
    const runTask = rebuild(event, {}, {});
    expect(runTask?.launchType).toBe('EC2');
    expect(runTask).not.toHaveProperty('capacityProviderStrategy');
  });

  it('needs network defaults for an EC2 task in awsvpc mode', () => {
    const event = ec2Stopped();
    event.detail.attachments = [{ id: 'eni-attachment', type: 'ElasticNetworkInterface', status: 'DELETED' }];
    expect(rebuild(event, {}, {})).toBeUndefined();
    expect(rebuild(event)?.networkConfiguration).toEqual(NETWORK);
  });
});

describe('a task whose launch was recorded without its environment values (storeOverrideValues false)', () => {
  it('is restarted without those variables, and the decision names them', () => {
    const event = parseTaskStateChange(fixture('stopped-exit-1'));
    const decision = decideRestart({
      transition: toTransition(event),
      detail: event.detail,
      launch: {
        runTask: {
          cluster: event.detail.clusterArn,
          taskDefinition: event.detail.taskDefinitionArn,
          count: 1,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } },
          overrides: {
            containerOverrides: [
              {
                name: 'worker',
                environment: [{ name: 'DB_PASSWORD' } as never, { name: 'MODE', value: 'full' }],
              },
            ],
          },
        },
      },
      tags: {},
      tagPolicy: {},
      networkDefaults: {},
      random: () => 0.5,
    });
    if (decision.action !== 'restart') throw new Error(`expected a restart, got ${decision.action}`);
    expect(decision.request.runTask.overrides?.containerOverrides).toEqual([
      { name: 'worker', environment: [{ name: 'MODE', value: 'full' }] },
    ]);
    expect(decision.withoutValuesOf).toEqual(['worker.DB_PASSWORD']);
  });
});
