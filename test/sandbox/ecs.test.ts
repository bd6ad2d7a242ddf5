/**
 * The sandbox ECS emulator, driven through handle() like the HTTP server drives it, with a collecting
 * publish and a clock that only moves when the test advances it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflictException, DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { AwsError, type BusEvent, VirtualClock } from '../../local/core';
import { EcsEmulator, type EcsTimings } from '../../local/ecs';

/** Virtual time that moves only through advance(), so token buckets and timers are deterministic. */
class ManualClock extends VirtualClock {
  private virtualNow = Date.parse('2024-05-14T09:00:00.000Z');

  override now(): number {
    return this.virtualNow;
  }

  override advance(ms: number): void {
    this.virtualNow += ms;
    super.advance(0);
  }
}

interface ContainerJson {
  name: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
}

interface TaskJson {
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  version: number;
  group: string;
  launchType: string;
  capacityProviderName?: string;
  containerInstanceArn?: string;
  startedBy?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerJson[];
  tags?: Array<{ key: string; value: string }>;
  [member: string]: unknown;
}

interface RunTaskOutput {
  tasks: TaskJson[];
  failures: Array<{ arn?: string; reason: string }>;
}

const SUBNETS = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } };
const FARGATE_RUN = { cluster: 'sandbox', taskDefinition: 'sandbox-worker', networkConfiguration: SUBNETS };
const EC2_RUN = { cluster: 'sandbox', taskDefinition: 'sandbox-ec2-worker', launchType: 'EC2' };
const SPOT_STRATEGY = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
/** PROVISIONING (2 s) + PENDING (3 s) with the default timings. */
const TO_RUNNING_MS = 5_000;
/** STOPPING (2 s) + DEPROVISIONING (2 s) with the default timings. */
const TO_STOPPED_MS = 4_000;

const clocks: VirtualClock[] = [];
afterEach(() => {
  for (const clock of clocks.splice(0)) clock.stop();
});

function setup(options: { timings?: Partial<EcsTimings>; throttling?: boolean } = {}) {
  const clock = new ManualClock();
  clocks.push(clock);
  const events: BusEvent[] = [];
  const ecs = new EcsEmulator({ clock, publish: (event) => events.push(event), ...options });
  ecs.seed();
  const call = <T = Record<string, unknown>>(operation: string, input: Record<string, unknown> = {}) =>
    ecs.handle(operation, input) as T;
  const run = (input: Record<string, unknown> = {}) =>
    call<RunTaskOutput>('RunTask', { ...FARGATE_RUN, ...input });
  const describe = (arn: string, include?: string[]) =>
    call<{ tasks: TaskJson[] }>('DescribeTasks', { cluster: 'sandbox', tasks: [arn], include }).tasks[0];
  const taskEvents = (arn: string) =>
    events
      .filter((event) => event['detail-type'] === 'ECS Task State Change' && event.resources[0] === arn)
      .map((event) => event.detail as TaskJson);
  const lastTaskEvent = (arn: string) => taskEvents(arn).at(-1);
  const serviceActions = (eventName: string) =>
    events.filter(
      (event) => event['detail-type'] === 'ECS Service Action' && event.detail.eventName === eventName,
    );
  return { clock, events, ecs, call, run, describe, taskEvents, lastTaskEvent, serviceActions };
}

function errorOf(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected an AwsError');
}

const idOf = (arn: string) => arn.split('/').pop() ?? '';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('task lifecycle', () => {
  it('publishes every state change in order with a rising version, ending in a complete STOPPED event', () => {
    const { clock, run, call, taskEvents, events } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    clock.advance(TO_RUNNING_MS);
    call('StopTask', { cluster: 'sandbox', task: arn });
    clock.advance(TO_STOPPED_MS);

    const seen = taskEvents(arn);
    expect(seen.map((d) => [d.lastStatus, d.desiredStatus])).toEqual([
      ['PROVISIONING', 'RUNNING'],
      ['PENDING', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
      ['RUNNING', 'STOPPED'],
      ['DEACTIVATING', 'STOPPED'],
      ['STOPPING', 'STOPPED'],
      ['DEPROVISIONING', 'STOPPED'],
      ['STOPPED', 'STOPPED'],
    ]);
    expect(seen.map((d) => d.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen[2]?.containers[0]).not.toHaveProperty('exitCode');

    const envelope = events.filter((e) => e.resources[0] === arn).at(-1);
    expect(envelope).toMatchObject({
      version: '0',
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      account: expect.stringMatching(/^\d{12}$/),
      resources: [arn],
    });
    expect(envelope?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const stopped = envelope?.detail as TaskJson;
    expect(arn).toMatch(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:task\/sandbox\/[0-9a-f]{32}$/);
    expect(stopped).toMatchObject({
      taskArn: arn,
      clusterArn: expect.stringMatching(/:cluster\/sandbox$/),
      taskDefinitionArn: expect.stringMatching(/:task-definition\/sandbox-worker:1$/),
      cpu: '256',
      memory: '512',
      launchType: 'FARGATE',
      capacityProviderName: 'FARGATE',
      platformVersion: '1.4.0',
      connectivity: 'CONNECTED',
      group: 'family:sandbox-worker',
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
      availabilityZone: expect.stringMatching(/^[a-z]+-[a-z]+-\d[a-z]$/),
      overrides: { containerOverrides: [{ name: 'worker' }] },
    });
    for (const field of [
      'createdAt',
      'startedAt',
      'stoppingAt',
      'executionStoppedAt',
      'stoppedAt',
      'pullStartedAt',
      'pullStoppedAt',
      'connectivityAt',
    ]) {
      expect(stopped[field]).toMatch(ISO_MS);
    }
    expect(stopped.containers[0]).toMatchObject({ name: 'worker', lastStatus: 'STOPPED', exitCode: 143 });
    const eni = (
      stopped.attachments as Array<{ type: string; status: string; details: Array<{ name: string }> }>
    )[0];
    expect(eni?.type).toBe('eni');
    expect(eni?.status).toBe('DELETED');
    expect(eni?.details.map((d) => d.name)).toEqual([
      'subnetId',
      'networkInterfaceId',
      'macAddress',
      'privateDnsName',
      'privateIPv4Address',
    ]);
    expect(stopped).not.toHaveProperty('tags');
    expect(stopped).not.toHaveProperty('containerInstanceArn');
  });

  it('answers DescribeTasks with epoch-second timestamps and the RunTask response starts PROVISIONING', () => {
    const { clock, run, describe } = setup();
    const started = run().tasks[0];
    expect(started).toMatchObject({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' });
    clock.advance(TO_RUNNING_MS);
    const task = describe(started?.taskArn ?? '');
    expect(task?.lastStatus).toBe('RUNNING');
    expect(typeof task?.createdAt).toBe('number');
    expect(task?.startedAt).toBe(Date.parse('2024-05-14T09:00:05.000Z') / 1000);
  });

  it('exits the essential container with SANDBOX_EXIT_CODE from a containerOverride after SANDBOX_RUN_MS', () => {
    const { clock, run, lastTaskEvent, taskEvents } = setup();
    const env = [
      { name: 'SANDBOX_EXIT_CODE', value: '3' },
      { name: 'SANDBOX_RUN_MS', value: '5000' },
    ];
    const arn =
      run({ overrides: { containerOverrides: [{ name: 'worker', environment: env }] } }).tasks[0]?.taskArn ??
      '';
    clock.advance(TO_RUNNING_MS + 4_900);
    expect(lastTaskEvent(arn)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    clock.advance(100);
    const exited = taskEvents(arn).find((detail) => detail.desiredStatus === 'STOPPED');
    expect(exited).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'worker', exitCode: 3 }],
    });
    clock.advance(TO_STOPPED_MS);
    expect(lastTaskEvent(arn)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 3 }],
    });
  });

  it('keeps a task without SANDBOX_EXIT_CODE running until it is stopped', () => {
    const { clock, run, describe } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    clock.advance(3_600_000);
    expect(describe(arn)?.lastStatus).toBe('RUNNING');
  });

  it('stops with UserInitiated and the given reason on StopTask', () => {
    const { clock, run, call, lastTaskEvent } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    clock.advance(TO_RUNNING_MS);
    const { task } = call<{ task: TaskJson }>('StopTask', {
      cluster: 'sandbox',
      task: idOf(arn),
      reason: 'deploy',
    });
    expect(task).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'RUNNING',
      stopCode: 'UserInitiated',
    });
    clock.advance(TO_STOPPED_MS);
    expect(lastTaskEvent(arn)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'deploy',
    });
  });

  it('reports OOM kills with exit code 137 and the OutOfMemoryError reason', () => {
    const { clock, run, ecs, lastTaskEvent } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    clock.advance(TO_RUNNING_MS);
    ecs.oom(idOf(arn));
    clock.advance(TO_STOPPED_MS);
    expect(lastTaskEvent(arn)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    });
  });

  it('fails a starting task with TaskFailedToStart, a prefixed reason and no exit codes', () => {
    const { clock, run, ecs, lastTaskEvent } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    clock.advance(2_500);
    ecs.failStart(idOf(arn), 'pull access denied for worker');
    clock.advance(TO_STOPPED_MS);
    const stopped = lastTaskEvent(arn);
    expect(stopped).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull access denied for worker',
    });
    expect(stopped?.containers[0]).not.toHaveProperty('exitCode');
    expect(errorOf(() => ecs.exitTask('0123456789abcdef0123456789abcdef', 1)).code).toBe(
      'ResourceNotFoundException',
    );
  });

  it('forgets stopped tasks after an hour of virtual time', () => {
    const { clock, run, call, describe } = setup();
    const arn = run().tasks[0]?.taskArn ?? '';
    call('StopTask', { cluster: 'sandbox', task: arn });
    clock.advance(TO_STOPPED_MS);
    expect(describe(arn)?.lastStatus).toBe('STOPPED');
    clock.advance(3_600_000);
    expect(call<RunTaskOutput>('DescribeTasks', { cluster: 'sandbox', tasks: [arn] }).failures).toEqual([
      { arn, reason: 'MISSING' },
    ]);
  });
});

describe('RunTask validation and idempotency', () => {
  it('replays a clientToken with the same parameters and rejects it with different ones', () => {
    const { clock, call, ecs } = setup();
    const first = call<RunTaskOutput>('RunTask', {
      ...FARGATE_RUN,
      clientToken: 'job-42-attempt-1',
      startedBy: 'job-42',
    });
    const arn = first.tasks[0]?.taskArn;
    clock.advance(TO_RUNNING_MS);
    // Same parameters in another key order: the same task, in its current state.
    const again = call<RunTaskOutput>('RunTask', {
      startedBy: 'job-42',
      clientToken: 'job-42-attempt-1',
      networkConfiguration: SUBNETS,
      taskDefinition: 'sandbox-worker',
      cluster: 'sandbox',
    });
    expect(again.tasks.map((t) => [t.taskArn, t.lastStatus])).toEqual([[arn, 'RUNNING']]);
    expect(ecs.taskTable()).toHaveLength(1);

    const conflict = errorOf(() =>
      call('RunTask', { ...FARGATE_RUN, clientToken: 'job-42-attempt-1', startedBy: 'job-43' }),
    );
    expect(conflict.code).toBe('ConflictException');
    expect(conflict.status).toBe(400);
    expect(conflict.extra).toEqual({ resourceIds: [arn] });
    expect(ecs.taskTable()).toHaveLength(1);
  });

  it('expires clientTokens after 24 hours', () => {
    const { clock, call } = setup();
    const input = { ...FARGATE_RUN, clientToken: 'tok' };
    const first = call<RunTaskOutput>('RunTask', input).tasks[0]?.taskArn;
    clock.advance(24 * 3_600_000 + 1);
    expect(call<RunTaskOutput>('RunTask', input).tasks[0]?.taskArn).not.toBe(first);
  });

  it('rejects launchType together with a capacity provider strategy', () => {
    const { run } = setup();
    const error = errorOf(() => run({ launchType: 'FARGATE', capacityProviderStrategy: SPOT_STRATEGY }));
    expect(error.code).toBe('InvalidParameterException');
    expect(error.message).toBe('Specify either Launch Type or Capacity Provider Strategy, but not both.');
  });

  it('requires a network configuration for awsvpc tasks and refuses one for bridge tasks', () => {
    const { run, call } = setup();
    const missing = errorOf(() => run({ networkConfiguration: undefined }));
    expect(missing.code).toBe('InvalidParameterException');
    expect(missing.message).toMatch(/Network Configuration must be provided/);
    const extra = errorOf(() => call('RunTask', { ...EC2_RUN, networkConfiguration: SUBNETS }));
    expect(extra.code).toBe('InvalidParameterException');
  });

  it('rejects a count above 10 (and below 1)', () => {
    const { run, ecs } = setup();
    expect(errorOf(() => run({ count: 11 })).code).toBe('InvalidParameterException');
    expect(errorOf(() => run({ count: 0 })).code).toBe('InvalidParameterException');
    expect(run({ count: 10 }).tasks).toHaveLength(10);
    expect(ecs.taskTable()).toHaveLength(10);
  });

  it('enforces the strategy rules and knows unknown clusters and operations', () => {
    const { run, call } = setup();
    const twoBases = [
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 1 },
    ];
    expect(errorOf(() => run({ capacityProviderStrategy: twoBases })).code).toBe('InvalidParameterException');
    const zeroWeights = [{ capacityProvider: 'FARGATE', weight: 0 }];
    expect(errorOf(() => run({ capacityProviderStrategy: zeroWeights })).code).toBe(
      'InvalidParameterException',
    );
    const mixed = [
      { capacityProvider: 'FARGATE', weight: 1 },
      { capacityProvider: 'sandbox-ec2', weight: 1 },
    ];
    expect(errorOf(() => run({ capacityProviderStrategy: mixed })).code).toBe('InvalidParameterException');
    expect(errorOf(() => run({ cluster: 'nope' })).code).toBe('ClusterNotFoundException');
    expect(errorOf(() => call('LaunchRockets')).code).toBe('UnknownOperationException');
  });

  it('splits a count across providers by base, then weight', () => {
    const { run } = setup();
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 1, base: 2 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    ];
    const providers = run({ count: 10, capacityProviderStrategy: strategy }).tasks.map(
      (t) => t.capacityProviderName,
    );
    expect(providers.filter((p) => p === 'FARGATE')).toHaveLength(4);
    expect(providers.filter((p) => p === 'FARGATE_SPOT')).toHaveLength(6);
    expect(new Set(run({ capacityProviderStrategy: strategy }).tasks.map((t) => t.launchType))).toEqual(
      new Set(['FARGATE']),
    );
  });

  it('places EC2 tasks on container instances until CPU or memory runs out', () => {
    const { call, taskEvents } = setup();
    const placed = call<RunTaskOutput>('RunTask', {
      ...EC2_RUN,
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2', weight: 1 }],
      count: 10,
      overrides: { containerOverrides: [{ name: 'worker', memory: 1024 }] },
    });
    // Two on-demand instances with 8192 MiB each hold 16 tasks of 1 GiB.
    expect(placed.tasks).toHaveLength(10);
    expect(placed.tasks[0]).toMatchObject({ launchType: 'EC2', capacityProviderName: 'sandbox-ec2' });
    expect(placed.tasks[0]?.containerInstanceArn).toMatch(/:container-instance\/sandbox\/[0-9a-f]{32}$/);
    // Its events name the instance too (EC2 only), and carry no Fargate platform version.
    const [provisioning] = taskEvents(placed.tasks[0]?.taskArn ?? '');
    expect(provisioning?.containerInstanceArn).toBe(placed.tasks[0]?.containerInstanceArn);
    expect(provisioning).not.toHaveProperty('platformVersion');
    const rest = call<RunTaskOutput>('RunTask', {
      ...EC2_RUN,
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2', weight: 1 }],
      count: 10,
      overrides: { containerOverrides: [{ name: 'worker', memory: 1024 }] },
    });
    expect(rest.tasks).toHaveLength(6);
    expect(rest.failures.map((f) => f.reason)).toEqual(Array(4).fill('RESOURCE:MEMORY'));
    const instance = call<{
      containerInstances: Array<{ remainingResources: Array<{ name: string; integerValue: number }> }>;
    }>('DescribeContainerInstances', {
      cluster: 'sandbox',
      containerInstances: [placed.tasks[0]?.containerInstanceArn],
    }).containerInstances[0];
    expect(instance?.remainingResources.find((r) => r.name === 'MEMORY')?.integerValue).toBe(0);
    expect(instance?.remainingResources.find((r) => r.name === 'CPU')?.integerValue).toBe(4096 - 8 * 128);
  });
});

describe('throttling', () => {
  it('throttles the 101st rapid RunTask and refills at 40 per second', () => {
    const { clock, call, ecs } = setup();
    for (let n = 0; n < 100; n++) call('RunTask', EC2_RUN);
    const error = errorOf(() => call('RunTask', EC2_RUN));
    expect([error.code, error.message, error.status]).toEqual(['ThrottlingException', 'Rate exceeded', 400]);
    expect(ecs.taskTable()).toHaveLength(100);
    clock.advance(1_000);
    for (let n = 0; n < 40; n++) call('StopTask', { cluster: 'sandbox', task: ecs.taskTable()[n]?.taskId });
    expect(errorOf(() => call('StopTask', { cluster: 'sandbox', task: 'x' })).code).toBe(
      'ThrottlingException',
    );
    expect(ecs.callCounts().RunTask).toBe(101);
  });

  it('limits Fargate RunTask calls to 20 per second while EC2 launches still pass', () => {
    const { call, run } = setup();
    for (let n = 0; n < 20; n++) run();
    expect(errorOf(() => run()).code).toBe('ThrottlingException');
    expect(call<RunTaskOutput>('RunTask', EC2_RUN).tasks).toHaveLength(1);
  });

  it('limits Fargate task launches to a burst of 100, separately for on-demand and Spot', () => {
    const { run, ecs } = setup();
    for (let n = 0; n < 10; n++) run({ count: 10 });
    expect(errorOf(() => run({ count: 1 })).code).toBe('ThrottlingException');
    expect(ecs.taskTable()).toHaveLength(100);
    expect(run({ count: 10, capacityProviderStrategy: SPOT_STRATEGY }).tasks).toHaveLength(10);
  });

  it('can be switched off, and injects faults on request', () => {
    const { run, ecs, call } = setup({ throttling: false });
    for (let n = 0; n < 30; n++) run();
    ecs.setFaults({ error: 1, api: ['DescribeTasks'] });
    const fault = errorOf(() => call('DescribeTasks', { cluster: 'sandbox', tasks: ['x'] }));
    expect([fault.code, fault.status]).toEqual(['ServerException', 500]);
    expect(run().tasks).toHaveLength(1);
    ecs.setFaults({ throttle: 1 });
    expect(errorOf(() => run()).code).toBe('ThrottlingException');
  });
});

describe('Spot', () => {
  it('returns capacity failures with HTTP 200 semantics while Spot capacity is off', () => {
    const { run, ecs, call } = setup();
    ecs.setSpotCapacity(false);
    const fargate = run({ count: 2, capacityProviderStrategy: SPOT_STRATEGY });
    expect(fargate.tasks).toEqual([]);
    expect(fargate.failures).toEqual([
      {
        arn: expect.stringMatching(/:capacity-provider\/FARGATE_SPOT$/),
        reason:
          'Capacity is unavailable at this time. Please try again later or in a different availability zone',
      },
      expect.anything(),
    ]);
    const ec2 = call<RunTaskOutput>('RunTask', {
      cluster: 'sandbox',
      taskDefinition: 'sandbox-ec2-worker',
      capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2-spot', weight: 1 }],
    });
    expect(ec2.failures.map((f) => f.reason)).toEqual(['RESOURCE:CPU']);
    expect(run().tasks[0]?.capacityProviderName).toBe('FARGATE');
    ecs.setSpotCapacity(true);
    expect(run({ capacityProviderStrategy: SPOT_STRATEGY }).tasks[0]?.capacityProviderName).toBe(
      'FARGATE_SPOT',
    );
  });

  it('sends the two-minute warning while RUNNING, then stops with SpotInterruption', () => {
    const { clock, run, ecs, lastTaskEvent } = setup();
    const arn = run({ capacityProviderStrategy: SPOT_STRATEGY }).tasks[0]?.taskArn ?? '';
    clock.advance(TO_RUNNING_MS);
    ecs.interrupt(idOf(arn));
    expect(lastTaskEvent(arn)).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'STOPPED',
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
      capacityProviderName: 'FARGATE_SPOT',
      launchType: 'FARGATE',
    });
    clock.advance(119_000);
    expect(lastTaskEvent(arn)?.lastStatus).toBe('RUNNING');
    clock.advance(1_000 + TO_STOPPED_MS);
    expect(lastTaskEvent(arn)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'SpotInterruption' });
  });

  it('publishes the EC2 Spot warning and terminates the instance two minutes later', () => {
    const { clock, call, ecs, events, lastTaskEvent } = setup();
    const instanceArn = call<{ containerInstanceArns: string[] }>('ListContainerInstances', {
      cluster: 'sandbox',
      filter: 'ec2InstanceId == i-0bbbbbbbbbbbbbb01',
    }).containerInstanceArns[0];
    const arn =
      call<RunTaskOutput>('StartTask', {
        ...EC2_RUN,
        launchType: undefined,
        containerInstances: [instanceArn],
      }).tasks[0]?.taskArn ?? '';
    clock.advance(TO_RUNNING_MS);
    ecs.spotWarning('i-0bbbbbbbbbbbbbb01');
    expect(events.at(-1)).toMatchObject({
      source: 'aws.ec2',
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      resources: [expect.stringMatching(/^arn:aws:ec2:[a-z0-9-]+:\d{12}:instance\/i-0bbbbbbbbbbbbbb01$/)],
      detail: { 'instance-id': 'i-0bbbbbbbbbbbbbb01', 'instance-action': 'terminate' },
    });
    clock.advance(120_000 + TO_STOPPED_MS);
    expect(lastTaskEvent(arn)).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'TerminationNotice',
      stoppedReason: 'Host EC2 (instance i-0bbbbbbbbbbbbbb01) terminated.',
      containerInstanceArn: instanceArn,
    });
    const described = call<{ containerInstances: Array<{ status: string }> }>('DescribeContainerInstances', {
      cluster: 'sandbox',
      containerInstances: [instanceArn],
    });
    expect(described.containerInstances[0]?.status).toBe('INACTIVE');
  });
});

describe('container instances', () => {
  it('seeds two EC2-shaped instances per ASG provider, and the Spot warning refuses a malformed id', () => {
    const { call, ecs, events } = setup();
    const arns = call<{ containerInstanceArns: string[] }>('ListContainerInstances', {
      cluster: 'sandbox',
    }).containerInstanceArns;
    const described = call<{
      containerInstances: Array<{ ec2InstanceId: string; capacityProviderName: string }>;
    }>('DescribeContainerInstances', { cluster: 'sandbox', containerInstances: arns }).containerInstances;
    expect(
      described.map(({ ec2InstanceId, capacityProviderName }) => [ec2InstanceId, capacityProviderName]),
    ).toEqual([
      ['i-0aaaaaaaaaaaaaa01', 'sandbox-ec2'],
      ['i-0aaaaaaaaaaaaaa02', 'sandbox-ec2'],
      ['i-0bbbbbbbbbbbbbb01', 'sandbox-ec2-spot'],
      ['i-0bbbbbbbbbbbbbb02', 'sandbox-ec2-spot'],
    ]);
    for (const { ec2InstanceId } of described) expect(ec2InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    for (const malformed of [
      'i-0sandboxspot00001',
      'i-0BBBBBBBBBBBBBB01',
      '0bbbbbbbbbbbbbb01',
      'i-0bbbbbbbbb',
    ]) {
      const error = errorOf(() => ecs.spotWarning(malformed));
      expect([error.code, error.message]).toEqual([
        'InvalidInstanceID.Malformed',
        `Invalid id: "${malformed}" (expecting "i-..." and 17 lowercase hex digits, or 8 for older instances)`,
      ]);
    }
    expect(events.filter((event) => event.source === 'aws.ec2')).toEqual([]);
    // An unknown but well-formed id (either length) is simply not registered here.
    expect(errorOf(() => ecs.spotWarning('i-0123456789abcdef0')).code).toBe('ResourceNotFoundException');
    expect(errorOf(() => ecs.spotWarning('i-0123abcd')).code).toBe('ResourceNotFoundException');
  });
});

describe('DescribeClusters', () => {
  type ClusterJson = Record<string, unknown> & { statistics: Array<{ name: string; value: string }> };
  const describeSandbox = (call: ReturnType<typeof setup>['call'], include?: string[]) =>
    call<{ clusters: ClusterJson[] }>('DescribeClusters', { clusters: ['sandbox'], include }).clusters[0];
  const statistics = (cluster: ClusterJson | undefined) =>
    Object.fromEntries((cluster?.statistics ?? []).map(({ name, value }) => [name, value]));

  it('counts tasks and services by launch type with include STATISTICS', () => {
    const { call, clock, run } = setup();
    const empty = describeSandbox(call, ['STATISTICS']);
    expect(empty?.statistics).toEqual(
      [
        'runningEC2TasksCount',
        'runningFargateTasksCount',
        'pendingEC2TasksCount',
        'pendingFargateTasksCount',
        'activeEC2ServiceCount',
        'activeFargateServiceCount',
        'drainingEC2ServiceCount',
        'drainingFargateServiceCount',
      ].map((name) => ({ name, value: '0' })),
    );
    run();
    run({ capacityProviderStrategy: SPOT_STRATEGY });
    call('RunTask', EC2_RUN);
    call('CreateService', {
      cluster: 'sandbox',
      serviceName: 'web',
      taskDefinition: 'sandbox-worker',
      desiredCount: 1,
      networkConfiguration: SUBNETS,
    });
    call('CreateService', {
      cluster: 'sandbox',
      serviceName: 'ec2-web',
      taskDefinition: 'sandbox-ec2-worker',
      desiredCount: 0,
      capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2', weight: 1 }],
    });
    // The service scheduler launches the service's task on its next pass, so two Fargate tasks are pending.
    expect(statistics(describeSandbox(call, ['STATISTICS']))).toMatchObject({
      runningEC2TasksCount: '0',
      pendingEC2TasksCount: '1',
      pendingFargateTasksCount: '2',
      activeEC2ServiceCount: '1',
      activeFargateServiceCount: '1',
    });
    clock.advance(2 * TO_RUNNING_MS);
    call('DeleteService', { cluster: 'sandbox', service: 'web', force: true });
    expect(statistics(describeSandbox(call, ['STATISTICS']))).toEqual({
      runningEC2TasksCount: '1',
      runningFargateTasksCount: '3',
      pendingEC2TasksCount: '0',
      pendingFargateTasksCount: '0',
      activeEC2ServiceCount: '1',
      activeFargateServiceCount: '0',
      drainingEC2ServiceCount: '0',
      drainingFargateServiceCount: '1',
    });
  });

  it('adds settings, attachments and tags only when included, and refuses unknown include values', () => {
    const { call } = setup();
    const plain = describeSandbox(call);
    expect(plain).toMatchObject({ clusterName: 'sandbox', statistics: [] });
    for (const member of ['settings', 'attachments', 'attachmentsStatus', 'tags']) {
      expect(plain).not.toHaveProperty(member);
    }
    expect(describeSandbox(call, ['SETTINGS', 'ATTACHMENTS', 'TAGS', 'CONFIGURATIONS'])).toMatchObject({
      settings: [{ name: 'containerInsights', value: 'disabled' }],
      attachments: [],
      attachmentsStatus: 'UPDATE_COMPLETE',
      tags: [],
    });
    expect(errorOf(() => describeSandbox(call, ['STATS'])).code).toBe('InvalidParameterException');
  });
});

describe('ListContainerInstances filters (cluster query language)', () => {
  const OD_1 = 'i-0aaaaaaaaaaaaaa01';
  const OD_2 = 'i-0aaaaaaaaaaaaaa02';
  const SPOT_1 = 'i-0bbbbbbbbbbbbbb01';
  const SPOT_2 = 'i-0bbbbbbbbbbbbbb02';

  function listing(call: ReturnType<typeof setup>['call']) {
    const arnsOf = (filter: string, input: Record<string, unknown> = {}) =>
      call<{ containerInstanceArns: string[]; nextToken?: string }>('ListContainerInstances', {
        cluster: 'sandbox',
        filter,
        ...input,
      });
    const ec2IdsOf = (filter: string, input: Record<string, unknown> = {}) => {
      const arns = arnsOf(filter, input).containerInstanceArns;
      if (arns.length === 0) return [];
      return call<{ containerInstances: Array<{ ec2InstanceId: string }> }>('DescribeContainerInstances', {
        cluster: 'sandbox',
        containerInstances: arns,
      }).containerInstances.map((instance) => instance.ec2InstanceId);
    };
    return { arnsOf, ec2IdsOf };
  }

  it('selects instances by attribute, id, running tasks, task group, agent and registration time', () => {
    const { call, clock } = setup();
    const { ec2IdsOf } = listing(call);
    expect(ec2IdsOf('attribute:ecs.availability-zone in [us-east-1a]')).toEqual([OD_1, SPOT_1]);
    expect(
      ec2IdsOf('attribute:ecs.instance-type =~ c5.* and attribute:ecs.availability-zone != us-east-1a'),
    ).toEqual([OD_2, SPOT_2]);
    expect(ec2IdsOf(`ec2InstanceId in ['${OD_1}', "${SPOT_2}"]`)).toEqual([OD_1, SPOT_2]);
    expect(ec2IdsOf('ec2InstanceId matches i-0b.*')).toEqual([SPOT_1, SPOT_2]);
    expect(ec2IdsOf(`ec2InstanceId == ${SPOT_1}`)).toEqual([SPOT_1]);
    expect(ec2IdsOf('attribute:ecs.os-type == windows')).toEqual([]);

    const [od2Arn] = listing(call).arnsOf(`ec2InstanceId == ${OD_2}`).containerInstanceArns;
    call('StartTask', {
      cluster: 'sandbox',
      taskDefinition: 'sandbox-ec2-worker',
      containerInstances: [od2Arn],
    });
    expect(ec2IdsOf('runningTasksCount > 0')).toEqual([]);
    clock.advance(TO_RUNNING_MS);
    expect(ec2IdsOf('runningTasksCount > 0')).toEqual([OD_2]);
    expect(ec2IdsOf('task:group == family:sandbox-ec2-worker')).toEqual([OD_2]);
    expect(
      ec2IdsOf(
        'not(task:group == family:sandbox-ec2-worker) and attribute:ecs.availability-zone == us-east-1b',
      ),
    ).toEqual([SPOT_2]);
    expect(
      ec2IdsOf(`(runningTasksCount == 1 or ec2InstanceId == ${OD_1}) && agentConnected == true`),
    ).toEqual([OD_1, OD_2]);
    // An attribute comparison needs the attribute: 'attribute:stack != prod' is "has stack, but not prod".
    expect(ec2IdsOf('attribute:stack != prod')).toEqual([]);
    expect(ec2IdsOf('attribute:ecs.capability.task-eni exists and attribute:stack !exists')).toHaveLength(4);
    expect(ec2IdsOf('agentVersion >= 1.14.5 and agentVersion < 1.100')).toHaveLength(4);
    expect(ec2IdsOf('registeredAt < 2018-02-13')).toEqual([]);
    expect(ec2IdsOf('registeredAt >= 2024-05-14T09:00:00+00:00')).toHaveLength(4);
  });

  it('keeps the status filter and pagination working alongside a filter', () => {
    const { call } = setup();
    const { arnsOf, ec2IdsOf } = listing(call);
    const [od1Arn] = arnsOf(`ec2InstanceId == ${OD_1}`).containerInstanceArns;
    call('UpdateContainerInstancesState', {
      cluster: 'sandbox',
      containerInstances: [od1Arn],
      status: 'DRAINING',
    });
    expect(ec2IdsOf('attribute:ecs.availability-zone == us-east-1a', { status: 'DRAINING' })).toEqual([OD_1]);
    expect(ec2IdsOf('attribute:ecs.availability-zone == us-east-1a', { status: 'ACTIVE' })).toEqual([SPOT_1]);
    const first = arnsOf('attribute:ecs.os-type == linux', { maxResults: 3 });
    expect(first.containerInstanceArns).toHaveLength(3);
    const second = arnsOf('attribute:ecs.os-type == linux', { maxResults: 3, nextToken: first.nextToken });
    expect(second).toEqual({ containerInstanceArns: [expect.any(String)] });
    expect(errorOf(() => arnsOf('agentConnected == true', { status: 'INACTIVE' })).code).toBe(
      'InvalidParameterException',
    );
  });

  it('refuses what the query language does not define, saying what is wrong', () => {
    const { call } = setup();
    const { arnsOf } = listing(call);
    const refusals: Array<[string, string]> = [
      ['', 'it is empty'],
      ['ec2InstanceId', "expected an operator after 'ec2InstanceId' but found the end"],
      [
        'instanceType == c5.xlarge',
        "unknown subject 'instanceType' (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group)",
      ],
      ['runningTasksCount =~ 1', "'=~' does not apply to runningTasksCount"],
      ['ec2InstanceId exists', "'exists' does not apply to ec2InstanceId"],
      ['runningTasksCount > some', "runningTasksCount needs a whole number, not 'some'"],
      ['attribute:ecs.availability-zone in us-east-1a', "expected '[' but found 'us-east-1a'"],
      [`(ec2InstanceId == ${OD_1}`, "expected ')' but found the end"],
      [`ec2InstanceId == ${OD_1} ${OD_2}`, `unexpected '${OD_2}'`],
      [`ec2InstanceId == ${OD_1} AND agentConnected == true`, "unexpected 'AND'"],
      ["ec2InstanceId =~ '('", "'(' is not a valid regular expression"],
      ['registeredAt < yesterday', "'yesterday' is not a date such as 2018-06-18T22:28:28Z or 2018-06-18"],
      ['agentVersion < latest', "'latest' is not an agent version such as 1.14.5"],
    ];
    for (const [filter, detail] of refusals) {
      const error = errorOf(() => arnsOf(filter));
      expect({ filter, code: error.code, message: error.message }).toEqual({
        filter,
        code: 'InvalidParameterException',
        message: `Invalid filter expression: ${detail}.`,
      });
    }
  });
});

describe('DescribeTasks, ListTasks and tags', () => {
  it('returns tags only when TAGS is included, merging propagated task definition tags', () => {
    const { call, run, describe, taskEvents } = setup();
    call('RegisterTaskDefinition', {
      family: 'tagged',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'busybox' }],
      tags: [{ key: 'owner', value: 'platform' }],
    });
    const arn =
      run({ taskDefinition: 'tagged', propagateTags: 'TASK_DEFINITION', tags: [{ key: 'job', value: '42' }] })
        .tasks[0]?.taskArn ?? '';
    expect(describe(arn)).not.toHaveProperty('tags');
    expect(describe(arn, ['TAGS'])?.tags).toEqual([
      { key: 'owner', value: 'platform' },
      { key: 'job', value: '42' },
    ]);
    expect(taskEvents(arn)[0]).not.toHaveProperty('tags');
    call('TagResource', { resourceArn: arn, tags: [{ key: 'extra', value: 'x' }] });
    expect(call<{ tags: unknown[] }>('ListTagsForResource', { resourceArn: arn }).tags).toHaveLength(3);
    const missing = call<RunTaskOutput>('DescribeTasks', { cluster: 'sandbox', tasks: ['0'.repeat(32)] });
    expect(missing.failures[0]?.reason).toBe('MISSING');
  });

  it('lists running tasks by startedBy, and stopped ones with desiredStatus STOPPED', () => {
    const { call, run } = setup();
    const a = run({ startedBy: 'events-rule/nightly' }).tasks[0]?.taskArn;
    const b = run({ startedBy: 'events-rule/nightly' }).tasks[0]?.taskArn;
    run({ startedBy: 'job-7' });
    const list = (input: Record<string, unknown>) =>
      call<{ taskArns: string[] }>('ListTasks', { cluster: 'sandbox', ...input }).taskArns;
    expect(list({ startedBy: 'events-rule/nightly' })).toEqual([a, b]);
    call('StopTask', { cluster: 'sandbox', task: a });
    expect(list({ startedBy: 'events-rule/nightly' })).toEqual([b]);
    expect(list({ family: 'sandbox-worker', desiredStatus: 'STOPPED' })).toEqual([a]);
    expect(list({ family: 'sandbox-worker' })).toHaveLength(2);
    expect(errorOf(() => run({ startedBy: 'has spaces' })).code).toBe('InvalidParameterException');
  });

  it('refuses startedBy together with any other filter, as ECS does', () => {
    const { call, run } = setup();
    const instanceArn = call<{ containerInstanceArns: string[] }>('ListContainerInstances', {
      cluster: 'sandbox',
    }).containerInstanceArns[0];
    run({ startedBy: 'job-7' });
    const others = {
      desiredStatus: 'RUNNING',
      family: 'sandbox-worker',
      serviceName: 'web',
      launchType: 'FARGATE',
      containerInstance: instanceArn,
      daemonName: 'agent',
    };
    for (const [filter, value] of Object.entries(others)) {
      const error = errorOf(() =>
        call('ListTasks', { cluster: 'sandbox', startedBy: 'job-7', [filter]: value }),
      );
      expect({ filter, code: error.code, message: error.message }).toEqual({
        filter,
        code: 'InvalidParameterException',
        message: 'cannot specify startedBy with other arguments',
      });
    }
    // The cluster and paging are not filters.
    const page = call<{ taskArns: string[] }>('ListTasks', {
      cluster: 'sandbox',
      startedBy: 'job-7',
      maxResults: 1,
    });
    expect(page.taskArns).toHaveLength(1);
  });
});

describe('services', () => {
  function createWeb(call: ReturnType<typeof setup>['call'], input: Record<string, unknown> = {}) {
    return call<{ service: { serviceArn: string } }>('CreateService', {
      cluster: 'sandbox',
      serviceName: 'web',
      taskDefinition: 'sandbox-worker',
      desiredCount: 2,
      networkConfiguration: SUBNETS,
      ...input,
    }).service.serviceArn;
  }
  const describeWeb = (call: ReturnType<typeof setup>['call']) =>
    call<{ services: Array<Record<string, unknown>> }>('DescribeServices', {
      cluster: 'sandbox',
      services: ['web'],
    }).services[0];
  const serviceTasks = (call: ReturnType<typeof setup>['call']) =>
    call<{ taskArns: string[] }>('ListTasks', { cluster: 'sandbox', serviceName: 'web' }).taskArns;

  it('keeps desiredCount tasks running and replaces a stopped one', () => {
    const { clock, call, describe, serviceActions } = setup();
    const serviceArn = createWeb(call);
    expect(serviceArn).toMatch(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:service\/sandbox\/web$/);
    clock.advance(TO_RUNNING_MS);
    const [first] = serviceTasks(call);
    expect(serviceTasks(call)).toHaveLength(2);
    expect(describe(first ?? '')).toMatchObject({
      group: 'service:web',
      startedBy: expect.stringMatching(/^ecs-svc\/\d{19}$/),
      capacityProviderName: 'FARGATE',
    });
    expect(describeWeb(call)).toMatchObject({
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
    });
    expect(serviceActions('SERVICE_STEADY_STATE')).toHaveLength(1);
    expect(serviceActions('SERVICE_STEADY_STATE')[0]?.resources).toEqual([serviceArn]);

    call('StopTask', { cluster: 'sandbox', task: first });
    clock.advance(TO_STOPPED_MS + TO_RUNNING_MS);
    const now = serviceTasks(call);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(first);
    expect(describeWeb(call)).toMatchObject({ runningCount: 2 });
    expect(serviceActions('SERVICE_STEADY_STATE')).toHaveLength(2);
  });

  it('scales with UpdateService and replaces every task on forceNewDeployment', () => {
    const { clock, call, describe, lastTaskEvent } = setup();
    createWeb(call);
    clock.advance(TO_RUNNING_MS);
    const before = serviceTasks(call);
    call('UpdateService', { cluster: 'sandbox', service: 'web', forceNewDeployment: true });
    clock.advance(1_000);
    // The old tasks keep running until the replacements are RUNNING.
    expect(before.map((arn) => describe(arn)?.desiredStatus)).toEqual(['RUNNING', 'RUNNING']);
    clock.advance(TO_RUNNING_MS + TO_STOPPED_MS);
    for (const arn of before)
      expect(lastTaskEvent(arn)).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
      });
    expect(serviceTasks(call).filter((arn) => before.includes(arn))).toEqual([]);
    call('UpdateService', { cluster: 'sandbox', service: 'web', desiredCount: 1 });
    clock.advance(TO_STOPPED_MS);
    expect(serviceTasks(call)).toHaveLength(1);
    expect(describeWeb(call)).toMatchObject({ desiredCount: 1, runningCount: 1 });
  });

  it('publishes SERVICE_TASK_PLACEMENT_FAILURE at most every 30 s while Spot is off, then recovers', () => {
    const { clock, call, ecs, serviceActions } = setup();
    ecs.setSpotCapacity(false);
    const serviceArn = createWeb(call, { desiredCount: 1, capacityProviderStrategy: SPOT_STRATEGY });
    clock.advance(1_000);
    const failures = () => serviceActions('SERVICE_TASK_PLACEMENT_FAILURE');
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toMatchObject({
      resources: [serviceArn],
      detail: {
        eventType: 'ERROR',
        clusterArn: expect.stringMatching(/:cluster\/sandbox$/),
        capacityProviderArns: [
          expect.stringMatching(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:capacity-provider\/FARGATE_SPOT$/),
        ],
        reason: 'RESOURCE:FARGATE',
        createdAt: expect.stringMatching(ISO_MS),
      },
    });
    clock.advance(20_000);
    expect(failures()).toHaveLength(1);
    clock.advance(15_000);
    expect(failures()).toHaveLength(2);
    ecs.setSpotCapacity(true);
    clock.advance(TO_RUNNING_MS);
    expect(describeWeb(call)).toMatchObject({ runningCount: 1 });
  });

  it('replaces an interrupted Fargate Spot task on its strategy', () => {
    const { clock, call, ecs, describe } = setup();
    createWeb(call, { desiredCount: 1, capacityProviderStrategy: SPOT_STRATEGY });
    clock.advance(TO_RUNNING_MS);
    const [interrupted] = serviceTasks(call);
    ecs.interrupt(interrupted ?? '');
    clock.advance(TO_RUNNING_MS);
    const [replacement] = serviceTasks(call);
    expect(replacement).not.toBe(interrupted);
    expect(describe(replacement ?? '')).toMatchObject({
      lastStatus: 'RUNNING',
      capacityProviderName: 'FARGATE_SPOT',
    });
  });

  it('moves service tasks off a DRAINING instance and leaves standalone tasks alone', () => {
    const { clock, call, describe, events, lastTaskEvent } = setup();
    const instances = call<{ containerInstanceArns: string[] }>('ListContainerInstances', {
      cluster: 'sandbox',
      filter: 'ec2InstanceId == i-0aaaaaaaaaaaaaa01',
    }).containerInstanceArns;
    const drained = instances[0] ?? '';
    const standalone =
      call<RunTaskOutput>('StartTask', { ...EC2_RUN, launchType: undefined, containerInstances: [drained] })
        .tasks[0]?.taskArn ?? '';
    createWeb(call, {
      taskDefinition: 'sandbox-ec2-worker',
      networkConfiguration: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2', weight: 1 }],
    });
    clock.advance(TO_RUNNING_MS);
    const onDrained = serviceTasks(call).filter((arn) => describe(arn)?.containerInstanceArn === drained);
    expect(onDrained.length).toBeGreaterThan(0);

    call('UpdateContainerInstancesState', {
      cluster: 'sandbox',
      containerInstances: [drained],
      status: 'DRAINING',
    });
    expect(events.at(-1)).toMatchObject({
      'detail-type': 'ECS Container Instance State Change',
      resources: [drained],
      detail: { status: 'DRAINING', ec2InstanceId: 'i-0aaaaaaaaaaaaaa01' },
    });
    clock.advance(TO_RUNNING_MS + TO_STOPPED_MS);
    for (const arn of onDrained) {
      expect(lastTaskEvent(arn)).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'ServiceSchedulerInitiated',
      });
    }
    const remaining = serviceTasks(call);
    expect(remaining).toHaveLength(2);
    expect(remaining.every((arn) => describe(arn)?.containerInstanceArn !== drained)).toBe(true);
    expect(describe(standalone)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  });

  it('refuses to delete a scaled service without force and drains it with force', () => {
    const { clock, call } = setup();
    createWeb(call);
    clock.advance(TO_RUNNING_MS);
    expect(errorOf(() => call('DeleteService', { cluster: 'sandbox', service: 'web' })).code).toBe(
      'InvalidParameterException',
    );
    call('DeleteService', { cluster: 'sandbox', service: 'web', force: true });
    clock.advance(TO_STOPPED_MS);
    expect(serviceTasks(call)).toEqual([]);
    expect(describeWeb(call)).toMatchObject({ status: 'INACTIVE' });
    expect(call<{ serviceArns: string[] }>('ListServices', { cluster: 'sandbox' }).serviceArns).toEqual([]);
  });
});

describe('through the AWS SDK v3 ECSClient', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** A stand-in for the sandbox HTTP server: awsJson1_1 dispatch on x-amz-target, errors as {__type, message}. */
  async function serve(ecs: EcsEmulator): Promise<string> {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': randomUUID(),
          });
          res.end(JSON.stringify(body));
        };
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        try {
          const body = Buffer.concat(chunks).toString('utf8');
          reply(200, await ecs.handle(operation, body ? JSON.parse(body) : {}));
        } catch (error) {
          if (error instanceof AwsError)
            reply(error.status, { __type: error.code, message: error.message, ...error.extra });
          else reply(500, { __type: 'ServerException', message: String(error) });
        }
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('round-trips RunTask and DescribeTasks, and surfaces ThrottlingException and ConflictException', async () => {
    const { clock, ecs, call } = setup();
    const client = new ECSClient({
      endpoint: await serve(ecs),
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const run = await client.send(
      new RunTaskCommand({ ...FARGATE_RUN, clientToken: 'sdk-1', tags: [{ key: 'team', value: 'batch' }] }),
    );
    const arn = run.tasks?.[0]?.taskArn ?? '';
    expect(run.failures).toEqual([]);
    expect(run.tasks?.[0]?.createdAt).toBeInstanceOf(Date);

    clock.advance(TO_RUNNING_MS);
    const described = await client.send(
      new DescribeTasksCommand({ cluster: 'sandbox', tasks: [arn], include: ['TAGS'] }),
    );
    expect(described.tasks?.[0]).toMatchObject({
      taskArn: arn,
      lastStatus: 'RUNNING',
      tags: [{ key: 'team', value: 'batch' }],
    });
    expect(described.tasks?.[0]?.startedAt?.toISOString()).toBe('2024-05-14T09:00:05.000Z');

    const conflict = await client
      .send(new RunTaskCommand({ ...FARGATE_RUN, clientToken: 'sdk-1', startedBy: 'other' }))
      .catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictException);
    expect((conflict as ConflictException).resourceIds).toEqual([arn]);

    // Drain the cluster-resource-read bucket (100), then the SDK call is throttled.
    for (let n = 0; n < 99; n++) call('ListTasks', { cluster: 'sandbox' });
    const throttled = await client
      .send(new DescribeTasksCommand({ cluster: 'sandbox', tasks: [arn] }))
      .catch((error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } });
    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect((throttled as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    client.destroy();
  });
});
