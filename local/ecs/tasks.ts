/**
 * Task lifecycle (ECS's lastStatus values): PROVISIONING -> PENDING -> RUNNING, and on stop
 * [desired STOPPED while RUNNING] -> DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED.
 * Every change bumps `version` and publishes an "ECS Task State Change" event.
 */

import { randomInt, randomUUID } from 'node:crypto';
import { REGION, type TimerHandle } from '../core';
import {
  type Cluster,
  type ContainerState,
  type EniAttachment,
  type NetworkConfiguration,
  STOPPED_TASK_RETENTION_MS,
  type Tags,
  type Task,
  type TaskDefinition,
  type TaskOverrides,
} from './model';
import type { Placement } from './placement';
import { renderTask } from './render';
import type { EcsState } from './state';
import { arns, hex, hex32 } from './util';

export interface LaunchSpec {
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  placement: Placement;
  group: string;
  startedBy?: string;
  serviceName?: string;
  tags: Tags;
  overrides: TaskOverrides;
  networkConfiguration?: NetworkConfiguration;
}

export interface StopOptions {
  /** Delay between the desired-STOPPED event and the actual stop (the Fargate Spot two-minute warning). */
  warningMs?: number;
  /** TaskFailedToStart: containers never get exit codes. */
  failedToStart?: boolean;
}

/** The sandbox task's own behaviour is scripted through its environment (see SANDBOX_* in ecs.ts). */
const DEFAULT_RUN_MS = 1_000;
/** SIGTERM's exit code, for containers stopped with their task. */
const SIGTERM_EXIT = 143;

export const ESSENTIAL_EXITED = 'Essential container in task exited';

export class TaskEngine {
  private ipCounter = 0;

  constructor(
    private readonly state: EcsState,
    /** Called when a task reaches RUNNING, is asked to stop, or reaches STOPPED (service scheduler hook). */
    private readonly onChange: (task: Task) => void,
  ) {}

  launch(spec: LaunchSpec): Task {
    const now = this.state.now();
    const id = hex32();
    const { cluster, taskDefinition: td, placement } = spec;
    const size = taskSize(td, spec.overrides);
    const attachment =
      td.networkMode === 'awsvpc' ? this.newAttachment(spec.networkConfiguration) : undefined;
    const task: Task = {
      id,
      arn: arns.task(cluster.name, id),
      clusterName: cluster.name,
      taskDefinition: td,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      version: 1,
      launchType: placement.launchType,
      capacityProviderName: placement.capacityProviderName,
      containerInstanceId: placement.instance?.id,
      platformVersion: placement.launchType === 'FARGATE' ? '1.4.0' : undefined,
      availabilityZone: placement.instance?.availabilityZone ?? zoneOf(attachment?.subnetId ?? ''),
      group: spec.group,
      startedBy: spec.startedBy,
      serviceName: spec.serviceName,
      tags: { ...spec.tags },
      overrides: spec.overrides,
      cpu: size.cpu,
      memory: size.memory,
      containers: td.containerDefinitions.map((definition) => {
        const override = spec.overrides.containerOverrides?.find((o) => o.name === definition.name);
        const environment = Object.fromEntries(
          [...definition.environment, ...(override?.environment ?? [])].map((kv) => [kv.name, kv.value]),
        );
        return {
          name: definition.name,
          image: definition.image,
          essential: definition.essential,
          arn: arns.container(cluster.name, id),
          lastStatus: 'PENDING',
          cpu: override?.cpu ?? definition.cpu ?? 0,
          memory: override?.memory ?? definition.memory,
          memoryReservation: override?.memoryReservation ?? definition.memoryReservation,
          environment,
        } satisfies ContainerState;
      }),
      attachment,
      createdAt: now,
      updatedAt: now,
      timers: [],
    };
    this.state.tasks.set(id, task);
    this.publish(task);
    this.after(task, now + this.state.timings.provisioningMs, (due) => this.toPending(task, due));
    return task;
  }

  /**
   * Asks a task to stop: publishes the desired-STOPPED event now (lastStatus unchanged), then walks the
   * stop states. The first stop wins; later requests for a stopping task change nothing.
   */
  requestStop(task: Task, stopCode: string, reason: string, options: StopOptions = {}): boolean {
    if (task.desiredStatus === 'STOPPED') return false;
    const now = this.state.now();
    this.cancelTimers(task);
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = now;
    task.failedToStart = options.failedToStart;
    this.bump(task, now);
    this.onChange(task);
    const resumeAt = now + (options.warningMs ?? 0);
    if (task.lastStatus === 'RUNNING') this.after(task, resumeAt, (due) => this.toDeactivating(task, due));
    else this.after(task, resumeAt, (due) => this.toDeprovisioning(task, due));
    return true;
  }

  /** An essential container exits on its own: it records the exit, then the task stops. */
  exitEssential(task: Task, exitCode: number, containerReason?: string): ContainerState | undefined {
    const container =
      task.containers.find((c) => c.essential && c.lastStatus === 'RUNNING') ?? task.containers[0];
    if (container) {
      container.lastStatus = 'STOPPED';
      container.exitCode = exitCode;
      if (containerReason) container.reason = containerReason;
    }
    this.requestStop(task, 'EssentialContainerExited', ESSENTIAL_EXITED);
    return container;
  }

  private toPending(task: Task, now: number): void {
    task.lastStatus = 'PENDING';
    task.connectivityAt = now;
    task.pullStartedAt = now;
    if (task.attachment) task.attachment.status = 'ATTACHED';
    this.bump(task, now);
    this.after(task, now + this.state.timings.pendingMs, (due) => this.toRunning(task, due));
  }

  private toRunning(task: Task, now: number): void {
    task.lastStatus = 'RUNNING';
    task.pullStoppedAt = now;
    task.startedAt = now;
    for (const container of task.containers) {
      container.lastStatus = 'RUNNING';
      container.runtimeId = `${task.id}-${randomInt(1_000_000_000, 4_000_000_000)}`;
    }
    this.bump(task, now);
    this.onChange(task);
    this.scheduleScriptedExit(task, now);
  }

  /** SANDBOX_EXIT_CODE=<n> on an essential container: it exits with n after SANDBOX_RUN_MS (default 1000). */
  private scheduleScriptedExit(task: Task, now: number): void {
    const scripted = task.containers.find(
      (c) => c.essential && c.environment.SANDBOX_EXIT_CODE !== undefined,
    );
    const exitCode = Number(scripted?.environment.SANDBOX_EXIT_CODE);
    if (!scripted || !Number.isInteger(exitCode)) return;
    const runMs = Number(scripted.environment.SANDBOX_RUN_MS ?? DEFAULT_RUN_MS);
    const delay = Number.isFinite(runMs) && runMs >= 0 ? runMs : DEFAULT_RUN_MS;
    this.after(task, now + delay, () => this.exitEssential(task, exitCode));
  }

  private toDeactivating(task: Task, now: number): void {
    task.lastStatus = 'DEACTIVATING';
    this.bump(task, now);
    this.after(task, now, (due) => this.toStopping(task, due));
  }

  private toStopping(task: Task, now: number): void {
    task.lastStatus = 'STOPPING';
    this.bump(task, now);
    this.after(task, now + this.state.timings.stoppingMs, (due) => this.toDeprovisioning(task, due));
  }

  /** Containers still running are stopped with SIGTERM (143); containers that never ran get no exit code. */
  private toDeprovisioning(task: Task, now: number): void {
    for (const container of task.containers) {
      if (container.lastStatus === 'RUNNING' && !task.failedToStart) container.exitCode = SIGTERM_EXIT;
      container.lastStatus = 'STOPPED';
    }
    task.executionStoppedAt = now;
    task.lastStatus = 'DEPROVISIONING';
    if (task.attachment) task.attachment.status = 'DETACHING';
    this.bump(task, now);
    this.after(task, now + this.state.timings.deprovisioningMs, (due) => this.toStopped(task, due));
  }

  private toStopped(task: Task, now: number): void {
    task.lastStatus = 'STOPPED';
    task.stoppedAt = now;
    if (task.attachment) task.attachment.status = 'DELETED';
    this.bump(task, now);
    this.onChange(task);
    // Not kept in task.timers: a stopped task has nothing left to cancel.
    this.state.at(now + STOPPED_TASK_RETENTION_MS, () => this.state.tasks.delete(task.id));
  }

  private bump(task: Task, now: number): void {
    task.version += 1;
    task.updatedAt = now;
    this.publish(task);
  }

  private publish(task: Task): void {
    this.state.publish('ECS Task State Change', [task.arn], renderTask(this.state, task, 'event'));
  }

  private after(task: Task, when: number, fn: (due: number) => void): void {
    const handle: TimerHandle = this.state.at(when, (due) => {
      task.timers = task.timers.filter((t) => t !== handle);
      fn(due);
    });
    task.timers.push(handle);
  }

  private cancelTimers(task: Task): void {
    for (const handle of task.timers) this.state.clock.clearTimeout(handle);
    task.timers = [];
  }

  /** A fake but well-formed ENI in one of the given subnets (round-robin). */
  private newAttachment(network: NetworkConfiguration | undefined): EniAttachment {
    const subnets = network?.awsvpcConfiguration.subnets ?? ['subnet-sandbox'];
    const n = this.ipCounter++;
    const subnetId = subnets[n % subnets.length] ?? 'subnet-sandbox';
    const ip = `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`;
    const domain = REGION === 'us-east-1' ? 'ec2.internal' : `${REGION}.compute.internal`;
    return {
      id: randomUUID(),
      status: 'PRECREATED',
      subnetId,
      networkInterfaceId: `eni-${hex(9).slice(0, 17)}`,
      macAddress: hex(6).replace(/(..)(?!$)/g, '$1:'),
      privateIPv4Address: ip,
      privateDnsName: `ip-${ip.replace(/\./g, '-')}.${domain}`,
    };
  }
}

/** Task-level cpu/memory (override, then task definition), else the sum over containers (EC2). */
export function taskSize(td: TaskDefinition, overrides: TaskOverrides): { cpu: number; memory: number } {
  const containers = td.containerDefinitions.map((definition) => {
    const override = overrides.containerOverrides?.find((o) => o.name === definition.name);
    return {
      cpu: override?.cpu ?? definition.cpu ?? 0,
      memory:
        override?.memory ??
        override?.memoryReservation ??
        definition.memory ??
        definition.memoryReservation ??
        0,
    };
  });
  const cpu = overrides.cpu ?? td.cpu;
  const memory = overrides.memory ?? td.memory;
  return {
    cpu: cpu !== undefined ? Number(cpu) : containers.reduce((sum, c) => sum + c.cpu, 0),
    memory: memory !== undefined ? Number(memory) : containers.reduce((sum, c) => sum + c.memory, 0),
  };
}

/** A stable availability zone per subnet, so tasks in one subnet share a zone. */
function zoneOf(subnetId: string): string {
  let hash = 0;
  for (const char of subnetId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${REGION}${'abc'[hash % 3]}`;
}
