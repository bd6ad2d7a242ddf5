import { type Classification, classify, type Verdict } from './classify';
import {
  type StoredContainerFields,
  type StoredContainerOverrideFields,
  type StoredOverrideFields,
  type StoredTaskFields,
  type TaskContainer,
  type TaskDetail,
  type TaskStateChangeEvent,
  taskIdentity,
} from './taskEvent';

/**
 * The event's task with the fields the history stores unchecked (see StoredTaskFields); the map callbacks
 * below take containers and container overrides as the Stored types too.
 */
type StoredDetail = TaskDetail &
  StoredTaskFields & { overrides?: NonNullable<TaskDetail['overrides']> & StoredOverrideFields };
type StoredContainer = TaskContainer & StoredContainerFields;
type StoredContainerOverride = NonNullable<
  NonNullable<TaskDetail['overrides']>['containerOverrides']
>[number] &
  StoredContainerOverrideFields;

/** A container of the task as ECS describes it, names as ECS spells them (containerArn and taskArn left out). */
export interface TransitionContainer extends StoredContainerFields {
  name: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
}

/** The overrides without environment values: each variable keeps its name only (see historyOverrides). */
export interface TransitionOverrides extends StoredOverrideFields {
  containerOverrides?: ({
    name?: string;
    command?: string[];
    environment?: { name: string }[];
    cpu?: number;
    memory?: number;
    memoryReservation?: number;
  } & StoredContainerOverrideFields)[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
}

export interface TransitionDurations {
  /** createdAt to pullStartedAt: PROVISIONING and PENDING until the image pull starts (ENI, capacity). */
  provisioningMs?: number;
  /** pullStartedAt to pullStoppedAt: pulling the images. */
  pullMs?: number;
  createdToRunningMs?: number;
  runningToStoppedMs?: number;
  createdToStoppedMs?: number;
  /** stoppingAt to stoppedAt: the stop (SIGTERM, the stop timeout, deprovisioning). */
  stoppingMs?: number;
}

/**
 * One task state change: the task as the event describes it, under the names ECS gives its fields, plus
 * the identity read from its ARNs, the derived timings and the classification. What the history stores
 * and GET /tasks/{taskId} serves.
 */
export interface TaskTransition {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  cluster: string;
  family: string;
  revision: number;
  taskDefinition: string; // family:revision
  /** Absent from items stored before the history kept it (family and revision are there). */
  taskDefinitionArn?: string;
  version: number;
  eventId: string;
  eventTime: string;
  group?: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  healthStatus?: string;
  launchType?: string;
  capacityProviderName?: string;
  platformVersion?: string;
  platformFamily?: string;
  availabilityZone?: string;
  /** The EC2 container instance that ran the task (EC2 launch type only). */
  containerInstanceArn?: string;
  connectivity?: string;
  connectivityAt?: string;
  attachments?: StoredTaskFields['attachments'];
  attributes?: StoredTaskFields['attributes'];
  cpu?: string;
  memory?: string;
  ephemeralStorage?: StoredTaskFields['ephemeralStorage'];
  enableExecuteCommand?: boolean;
  containers: TransitionContainer[];
  overrides?: TransitionOverrides;
  createdAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  executionStoppedAt?: string;
  stoppedAt?: string;
  updatedAt?: string;
  durations: TransitionDurations;
  classification: Classification;
  failure?: Verdict['failure'];
}

function millisBetween(from: number, to: number): number | undefined {
  const ms = to - from;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

const epochMs = (time: string | undefined) => (time === undefined ? Number.NaN : Date.parse(time));

export function durationsOf(
  detail: Pick<
    TaskDetail,
    'createdAt' | 'pullStartedAt' | 'pullStoppedAt' | 'startedAt' | 'stoppingAt' | 'stoppedAt'
  >,
): TransitionDurations {
  // Each time parsed once: NaN for a time the event does not have yet, which leaves its durations out.
  const created = epochMs(detail.createdAt);
  const pullStarted = epochMs(detail.pullStartedAt);
  const started = epochMs(detail.startedAt);
  const stopped = epochMs(detail.stoppedAt);
  return {
    provisioningMs: millisBetween(created, pullStarted),
    pullMs: millisBetween(pullStarted, epochMs(detail.pullStoppedAt)),
    createdToRunningMs: millisBetween(created, started),
    runningToStoppedMs: millisBetween(started, stopped),
    createdToStoppedMs: millisBetween(created, stopped),
    stoppingMs: millisBetween(epochMs(detail.stoppingAt), stopped),
  };
}

/**
 * The overrides as the history keeps them: environment variables by name only. Values can be secrets
 * (DB_PASSWORD=...) and the history is readable by anyone with GET /tasks; it never stores them. Fields are
 * copied one by one, so a field AWS adds to the overrides later is left out rather than stored unseen.
 */
function historyOverrides(overrides: StoredDetail['overrides']): TransitionOverrides | undefined {
  if (!overrides) return undefined;
  return {
    containerOverrides: overrides.containerOverrides?.map((c: StoredContainerOverride) => ({
      name: c.name,
      command: c.command,
      environment: c.environment?.map((variable) => ({ name: variable.name })),
      environmentFiles: c.environmentFiles,
      cpu: c.cpu,
      memory: c.memory,
      memoryReservation: c.memoryReservation,
      resourceRequirements: c.resourceRequirements,
    })),
    cpu: overrides.cpu,
    memory: overrides.memory,
    taskRoleArn: overrides.taskRoleArn,
    executionRoleArn: overrides.executionRoleArn,
    ephemeralStorage: overrides.ephemeralStorage,
    inferenceAcceleratorOverrides: overrides.inferenceAcceleratorOverrides,
  };
}

export function toTransition(
  event: TaskStateChangeEvent,
  essentialContainers?: ReadonlySet<string>,
): TaskTransition {
  const d = event.detail as StoredDetail;
  const id = taskIdentity(d);
  const verdict = classify(d, essentialContainers);
  // Fields written out rather than spread from `id` or `d`: on Node 20 the spread into this many properties
  // costs ~100 µs per event (bench/README.md, per-event), 30x the rest of this function.
  return {
    taskArn: id.taskArn,
    taskId: id.taskId,
    clusterArn: id.clusterArn,
    cluster: id.cluster,
    family: id.family,
    revision: id.revision,
    taskDefinition: `${id.family}:${id.revision}`,
    taskDefinitionArn: d.taskDefinitionArn,
    version: d.version,
    eventId: event.id,
    eventTime: event.time,
    group: d.group,
    startedBy: d.startedBy,
    lastStatus: d.lastStatus,
    desiredStatus: d.desiredStatus,
    stopCode: d.stopCode,
    stoppedReason: d.stoppedReason,
    healthStatus: d.healthStatus,
    launchType: d.launchType,
    capacityProviderName: d.capacityProviderName,
    platformVersion: d.platformVersion,
    platformFamily: d.platformFamily,
    availabilityZone: d.availabilityZone,
    containerInstanceArn: d.containerInstanceArn,
    connectivity: d.connectivity,
    connectivityAt: d.connectivityAt,
    attachments: d.attachments,
    attributes: d.attributes,
    cpu: d.cpu,
    memory: d.memory,
    ephemeralStorage: d.ephemeralStorage,
    enableExecuteCommand: d.enableExecuteCommand,
    containers: d.containers.map((c: StoredContainer) => ({
      name: c.name,
      image: c.image,
      imageDigest: c.imageDigest,
      runtimeId: c.runtimeId,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      networkInterfaces: c.networkInterfaces,
      networkBindings: c.networkBindings,
      cpu: c.cpu,
      memory: c.memory,
      memoryReservation: c.memoryReservation,
      gpuIds: c.gpuIds,
    })),
    overrides: historyOverrides(d.overrides),
    createdAt: d.createdAt,
    pullStartedAt: d.pullStartedAt,
    pullStoppedAt: d.pullStoppedAt,
    startedAt: d.startedAt,
    stoppingAt: d.stoppingAt,
    executionStoppedAt: d.executionStoppedAt,
    stoppedAt: d.stoppedAt,
    updatedAt: d.updatedAt,
    durations: durationsOf(d),
    classification: verdict.classification,
    failure: verdict.failure,
  };
}

/** Stopped tasks (and Spot warnings) are what operators count; running states are not. */
export function isFinalForMetrics(t: Pick<TaskTransition, 'lastStatus'>): boolean {
  return t.lastStatus === 'STOPPED';
}

/**
 * The service that owns a task, from its group: ECS sets `service:<name>` for a service's tasks, and
 * `family:<name>` (or the startedBy group a caller gave) otherwise. Undefined for a standalone task.
 */
export function serviceOfGroup(group: string | undefined): string | undefined {
  return group?.startsWith('service:') ? group.slice('service:'.length) || undefined : undefined;
}

/** A task a service owns: ECS replaces it, so the reactions leave it to the service (and its fallback). */
export function isServiceTask(t: { group?: string }): boolean {
  return t.group?.startsWith('service:') ?? false;
}
