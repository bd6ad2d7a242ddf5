/**
 * In-memory Amazon ECS for the local sandbox (awsJson1_1 operations in, ECS-shaped JSON out, as the ECS API
 * Reference and "Amazon ECS events" describe them). Time only moves with the VirtualClock; events go out
 * through `publish`.
 *
 * Sandbox task behaviour is scripted through the task's effective environment (task definition container
 * environment merged with RunTask containerOverrides, override wins):
 *   SANDBOX_EXIT_CODE=<n>  the essential container exits with n after SANDBOX_RUN_MS of RUNNING
 *                          (stopCode EssentialContainerExited); without it a task runs until stopped.
 *   SANDBOX_RUN_MS=<ms>    virtual milliseconds of RUNNING before that exit (default 1000).
 */
import { randomUUID } from 'node:crypto';
import {
  ACCOUNT_ID,
  AwsError,
  type OperationHandler,
  type PublishEvent,
  REGION,
  type VirtualClock,
} from './core';
import type { EcsContext, Operation } from './ecs/context';
import { DEFAULT_TIMINGS, EC2_SPOT_WARNING_MS, type EcsTimings, type Task } from './ecs/model';
import { clusterOperations, createCluster } from './ecs/ops-clusters';
import { instanceOperations, setInstanceStatus } from './ecs/ops-instances';
import { serviceOperations } from './ecs/ops-services';
import { tagOperations } from './ecs/ops-tags';
import { registerTaskDefinition, taskDefinitionOperations } from './ecs/ops-taskdefs';
import { taskOperations } from './ecs/ops-tasks';
import { ServiceScheduler } from './ecs/scheduler';
import { EcsState } from './ecs/state';
import { TaskEngine } from './ecs/tasks';
import { Throttler, throttled } from './ecs/throttle';
import { arns, hex32, invalid } from './ecs/util';

export type { EcsTimings } from './ecs/model';

export interface EcsEmulatorOptions {
  clock: VirtualClock;
  publish: PublishEvent;
  timings?: Partial<EcsTimings>;
  /** default true */
  throttling?: boolean;
}

export interface TaskTableRow {
  taskId: string;
  cluster: string;
  lastStatus: string;
  desiredStatus: string;
  capacityProvider?: string;
  launchType?: string;
  startedBy?: string;
  group?: string;
  tags: Record<string, string>;
}

export interface InstanceTableRow {
  ec2InstanceId: string;
  cluster: string;
  capacityProvider?: string;
  spot: boolean;
  status: string;
  runningTasks: number;
  pendingTasks: number;
}

export interface EcsFaults {
  /** fraction of calls answered with ThrottlingException */
  throttle?: number;
  /** fraction of calls answered with ServerException (500) */
  error?: number;
  /** only these operations (all when absent) */
  api?: string[];
}

/** EC2 instance ids: 'i-' and 17 lowercase hex digits; instances from before 2016 have 8. */
const EC2_INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SPOT_TASK_INTERRUPTED = 'Your Spot Task was interrupted.';
/** c5.xlarge: 4 vCPUs and 8 GiB, what each sandbox container instance registers. */
const SANDBOX_INSTANCE_TYPE = 'c5.xlarge';
const SANDBOX_INSTANCE_MEMORY = 8192;
const SANDBOX_INSTANCE_CPU = 4096;
const SANDBOX_AMI_ID = 'ami-0c3e4a1f5b2d6e7f8';
const SANDBOX_VPC_ID = 'vpc-0a1b2c3d4e5f60718';
const SANDBOX_SUBNETS = { a: 'subnet-0a1b2c3d4e5f60718', b: 'subnet-0b1c2d3e4f5a60719' };

export class EcsEmulator {
  private readonly state: EcsState;
  private readonly ctx: EcsContext;
  private readonly operations: Map<string, Operation>;
  private readonly counts: Record<string, number> = {};
  private faults: EcsFaults = {};

  constructor(opts: EcsEmulatorOptions) {
    this.state = new EcsState(opts.clock, opts.publish, { ...DEFAULT_TIMINGS, ...opts.timings });
    const throttler = new Throttler(opts.clock);
    throttler.enabled = opts.throttling ?? true;
    // The engine reports task changes to the scheduler, which launches and stops tasks through the engine.
    let scheduler: ServiceScheduler | undefined;
    const engine = new TaskEngine(this.state, (task) => scheduler?.taskChanged(task));
    scheduler = new ServiceScheduler(this.state, engine);
    this.ctx = { state: this.state, engine, scheduler, throttler };
    this.operations = new Map(
      Object.entries({
        ...clusterOperations(this.ctx),
        ...taskDefinitionOperations(this.ctx),
        ...taskOperations(this.ctx),
        ...serviceOperations(this.ctx),
        ...instanceOperations(this.ctx),
        ...tagOperations(this.ctx),
      }),
    );
  }

  /** One ECS operation. Injected faults and throttling come before any side effect. */
  handle: OperationHandler = (operation, input) => {
    const run = this.operations.get(operation);
    if (!run) {
      throw new AwsError('UnknownOperationException', `The sandbox ECS does not support ${operation}.`, 400);
    }
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    this.injectFault(operation);
    this.ctx.throttler.admitOperation(operation);
    const output = run(input ?? {});
    // RunTask calls answered with failures[] (HTTP 200): what a benchmark of capacity shortages counts.
    if (operation === 'RunTask' && ((output as { failures?: unknown[] }).failures?.length ?? 0) > 0) {
      this.counts['RunTask!failures'] = (this.counts['RunTask!failures'] ?? 0) + 1;
    }
    return output;
  };

  /**
   * Sandbox defaults: cluster 'sandbox' (FARGATE, FARGATE_SPOT, ASG providers 'sandbox-ec2' and
   * 'sandbox-ec2-spot', default strategy FARGATE), two container instances per ASG provider, and the task
   * definitions 'sandbox-worker' (Fargate) and 'sandbox-ec2-worker' (EC2, bridge). Safe to call twice.
   */
  seed(): void {
    const { state } = this;
    if (state.clusters.has('sandbox')) return;
    for (const [name, spot] of [
      ['sandbox-ec2', false],
      ['sandbox-ec2-spot', true],
    ] as const) {
      state.providers.set(name, {
        name,
        arn: arns.capacityProvider(name),
        fargate: false,
        spot,
        autoScalingGroupArn: `arn:aws:autoscaling:${REGION}:${ACCOUNT_ID}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`,
        tags: {},
      });
    }
    createCluster(state, {
      clusterName: 'sandbox',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT', 'sandbox-ec2', 'sandbox-ec2-spot'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    });
    // EC2-shaped ids ('i-' and 17 hex digits), fixed so that drills and tests can name them.
    const instances = [
      ['i-0aaaaaaaaaaaaaa01', 'sandbox-ec2'],
      ['i-0aaaaaaaaaaaaaa02', 'sandbox-ec2'],
      ['i-0bbbbbbbbbbbbbb01', 'sandbox-ec2-spot'],
      ['i-0bbbbbbbbbbbbbb02', 'sandbox-ec2-spot'],
    ] as const;
    for (const [index, [ec2InstanceId, provider]] of instances.entries()) {
      this.registerInstance(ec2InstanceId, provider, index);
    }
    registerTaskDefinition(state, {
      family: 'sandbox-worker',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'worker', image: 'public.ecr.aws/docker/library/busybox:latest', essential: true },
      ],
    });
    registerTaskDefinition(state, {
      family: 'sandbox-ec2-worker',
      requiresCompatibilities: ['EC2'],
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'worker',
          image: 'public.ecr.aws/docker/library/busybox:latest',
          essential: true,
          cpu: 128,
          memory: 256,
        },
      ],
    });
  }

  private registerInstance(ec2InstanceId: string, providerName: string, index: number): void {
    const id = hex32();
    const now = this.state.now();
    const zone = index % 2 === 0 ? 'a' : 'b';
    const availabilityZone = `${REGION}${zone}`;
    this.state.instances.set(id, {
      id,
      arn: arns.containerInstance('sandbox', id),
      clusterName: 'sandbox',
      ec2InstanceId,
      capacityProviderName: providerName,
      spot: this.state.provider(providerName)?.spot ?? false,
      status: 'ACTIVE',
      cpu: SANDBOX_INSTANCE_CPU,
      memory: SANDBOX_INSTANCE_MEMORY,
      availabilityZone,
      // The built-in attributes ECS sets on every container instance (developer guide, "Amazon ECS container
      // instance attributes"), plus the ENI capability the agent registers.
      attributes: [
        { name: 'ecs.ami-id', value: SANDBOX_AMI_ID },
        { name: 'ecs.availability-zone', value: availabilityZone },
        { name: 'ecs.instance-type', value: SANDBOX_INSTANCE_TYPE },
        { name: 'ecs.os-type', value: 'linux' },
        { name: 'ecs.cpu-architecture', value: 'x86_64' },
        { name: 'ecs.vpc-id', value: SANDBOX_VPC_ID },
        { name: 'ecs.subnet-id', value: SANDBOX_SUBNETS[zone] },
        { name: 'ecs.capability.task-eni' },
      ],
      registeredAt: now,
      updatedAt: now,
      version: 1,
      agentConnected: true,
      tags: {},
    });
  }

  // ---- fault injection (CLI / control endpoint) ----

  /** The essential container exits with exitCode; the task stops with EssentialContainerExited. */
  exitTask(taskId: string, exitCode: number): string {
    const task = this.runningTask(taskId);
    const container = this.ctx.engine.exitEssential(task, exitCode);
    return `task ${task.id}: container ${container?.name} exited with ${exitCode}`;
  }

  /** OOM kill: exit 137 with the OutOfMemoryError container reason (exact text UNCERTAIN). */
  oom(taskId: string): string {
    const task = this.runningTask(taskId);
    const reason = 'OutOfMemoryError: Container killed due to memory usage';
    const container = this.ctx.engine.exitEssential(task, 137, reason);
    return `task ${task.id}: container ${container?.name} killed (OutOfMemoryError)`;
  }

  /**
   * Stops the task with TaskFailedToStart; its containers never get exit codes. Also applies to a task that
   * is already RUNNING (kept simple on purpose).
   */
  failStart(taskId: string, reason: string): string {
    const task = this.stoppableTask(taskId);
    const stoppedReason = failedStartReason(reason);
    this.ctx.engine.requestStop(task, 'TaskFailedToStart', stoppedReason, { failedToStart: true });
    return `task ${task.id}: failed to start (${stoppedReason})`;
  }

  /** Fargate Spot interruption: the warning event now (still RUNNING), the stop after timings.spotWarningMs. */
  interrupt(taskId: string): string {
    const task = this.stoppableTask(taskId);
    if (task.capacityProviderName !== 'FARGATE_SPOT') {
      throw invalid(`Task ${task.id} does not run on FARGATE_SPOT.`);
    }
    this.ctx.engine.requestStop(task, 'SpotInterruption', SPOT_TASK_INTERRUPTED, {
      warningMs: this.state.timings.spotWarningMs,
    });
    return `task ${task.id}: Spot interruption warning sent; stops in ${this.state.timings.spotWarningMs} ms`;
  }

  /**
   * EC2 Spot: publishes the "EC2 Spot Instance Interruption Warning" (aws.ec2, kebab-case detail); two
   * virtual minutes later the instance terminates, its tasks stop and it becomes INACTIVE.
   */
  spotWarning(ec2InstanceId: string): string {
    if (!EC2_INSTANCE_ID.test(ec2InstanceId)) {
      // EC2's own code and wording for a malformed id, plus the shape it expects.
      throw new AwsError(
        'InvalidInstanceID.Malformed',
        `Invalid id: "${ec2InstanceId}" (expecting "i-..." and 17 lowercase hex digits, or 8 for older instances)`,
      );
    }
    const instance = [...this.state.instances.values()].find(
      (candidate) => candidate.ec2InstanceId === ec2InstanceId && candidate.status !== 'INACTIVE',
    );
    if (!instance)
      throw new AwsError('ResourceNotFoundException', `Instance ${ec2InstanceId} is not registered.`);
    this.state.publish(
      'EC2 Spot Instance Interruption Warning',
      [arns.ec2Instance(ec2InstanceId)],
      { 'instance-id': ec2InstanceId, 'instance-action': 'terminate' },
      'aws.ec2',
    );
    this.state.at(this.state.now() + EC2_SPOT_WARNING_MS, () => {
      for (const task of this.state.tasksOn(instance)) {
        // UNCERTAIN: stopCode and wording for tasks on a terminated EC2 host (stop code TerminationNotice).
        this.ctx.engine.requestStop(
          task,
          'TerminationNotice',
          `Host EC2 (instance ${ec2InstanceId}) terminated.`,
        );
      }
      setInstanceStatus(this.ctx, instance, 'INACTIVE');
    });
    return `instance ${ec2InstanceId}: Spot interruption warning sent; terminates in ${EC2_SPOT_WARNING_MS} ms`;
  }

  /** Off: Fargate Spot and EC2 Spot launches fail (failures[] for RunTask/StartTask, placement failures for services). */
  setSpotCapacity(available: boolean): void {
    this.state.spotCapacity = available;
    if (available) this.ctx.scheduler.scheduleAll();
  }

  setFaults(faults: EcsFaults): void {
    const unknown = faults.api?.filter((operation) => !this.operations.has(operation)) ?? [];
    if (unknown.length > 0) throw invalid(`The sandbox ECS has no operation ${unknown.join(', ')}.`);
    this.faults = { ...faults };
  }

  setThrottling(enabled: boolean): void {
    this.ctx.throttler.enabled = enabled;
  }

  taskTable(): TaskTableRow[] {
    return [...this.state.tasks.values()].map((task) => ({
      taskId: task.id,
      cluster: task.clusterName,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      capacityProvider: task.capacityProviderName,
      launchType: task.launchType,
      startedBy: task.startedBy,
      group: task.group,
      tags: { ...task.tags },
    }));
  }

  /** Container instances (the CLI's `instances`): where `spot-warning` finds an EC2 instance id. */
  instanceTable(): InstanceTableRow[] {
    return [...this.state.instances.values()].map((instance) => {
      const live = this.state.tasksOn(instance).filter((task) => task.lastStatus !== 'STOPPED');
      const runningTasks = live.filter((task) => task.lastStatus === 'RUNNING').length;
      return {
        ec2InstanceId: instance.ec2InstanceId,
        cluster: instance.clusterName,
        capacityProvider: instance.capacityProviderName,
        spot: instance.spot,
        status: instance.status,
        runningTasks,
        pendingTasks: live.length - runningTasks,
      };
    });
  }

  callCounts(): Record<string, number> {
    return { ...this.counts };
  }

  private injectFault(operation: string): void {
    const { throttle = 0, error = 0, api } = this.faults;
    if (throttle + error <= 0 || (api && !api.includes(operation))) return;
    const roll = Math.random();
    if (roll < throttle) throw throttled();
    if (roll < throttle + error)
      throw new AwsError('ServerException', 'Service Unavailable. Please try again later.', 500);
  }

  private stoppableTask(taskId: string): Task {
    const task = this.state.anyTask(taskId);
    if (task.desiredStatus === 'STOPPED') {
      throw invalid(`Task ${task.id} is already stopping (lastStatus ${task.lastStatus}).`);
    }
    return task;
  }

  private runningTask(taskId: string): Task {
    const task = this.stoppableTask(taskId);
    if (task.lastStatus !== 'RUNNING')
      throw invalid(`Task ${task.id} is not RUNNING yet (${task.lastStatus}).`);
    return task;
  }
}

/** Keeps 'XxxError: ...' reasons; RESOURCE:/AGENT reasons get the 'TaskFailedToStart: ' prefix; else a pull error. */
function failedStartReason(reason: string): string {
  if (/^\w+(Error|Exception):/.test(reason) || reason.startsWith('TaskFailedToStart:')) return reason;
  if (/^(RESOURCE:|AGENT|ATTRIBUTE)/.test(reason)) return `TaskFailedToStart: ${reason}`;
  return `CannotPullContainerError: ${reason}`;
}
