import { AutopilotError, type AutopilotErrorOptions } from '../errors';
import * as z from '../zod';

/**
 * "ECS Task State Change" as EventBridge delivers it ("Amazon ECS task state change events",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 * Objects are loose so fields AWS adds later pass through; enums that AWS extends
 * (stopCode, lastStatus, launchType, ...) are open strings. Only the fields this system computes on are
 * checked: the rest, those the history only stores and serves included (StoredTaskFields), pass through
 * unchecked, so a change AWS makes to a field nobody computes on cannot send the lifecycle log to its DLQ
 * (and checking them cost time on every event and at cold start).
 */

// Old format: task/<id>; new format: task/<cluster>/<id>.
const TASK_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task\/(?:([A-Za-z0-9_-]{1,255})\/)?([A-Za-z0-9-]{1,64})$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/([A-Za-z0-9_-]{1,255})$/;
const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]{1,255}):(\d+)$/;

const isoTime = z.iso.datetime({ offset: true });
const nameValue = z.looseObject({ name: z.string(), value: z.optional(z.string()) });

export const containerSchema = z.looseObject({
  name: z.string(),
  lastStatus: z.optional(z.string()),
  exitCode: z.optional(z.number().check(z.int())),
  reason: z.optional(z.string()),
});

export const containerOverrideSchema = z.looseObject({
  name: z.optional(z.string()),
  command: z.optional(z.array(z.string())),
  environment: z.optional(z.array(nameValue)),
  cpu: z.optional(z.number().check(z.int())),
  memory: z.optional(z.number().check(z.int())),
  memoryReservation: z.optional(z.number().check(z.int())),
});

export const taskDetailSchema = z.looseObject({
  taskArn: z.string().check(z.regex(TASK_ARN, 'must be an ECS task ARN')),
  clusterArn: z.string().check(z.regex(CLUSTER_ARN, 'must be an ECS cluster ARN')),
  taskDefinitionArn: z
    .string()
    .check(z.regex(TASK_DEFINITION_ARN, 'must be a task definition ARN with a revision')),
  version: z.number().check(z.int(), z.nonnegative()),
  lastStatus: z.string().check(z.minLength(1)),
  desiredStatus: z.string().check(z.minLength(1)),
  // Only the attachment type is read (an ENI means awsvpc).
  attachments: z.optional(z.array(z.looseObject({ type: z.optional(z.string()) }))),
  availabilityZone: z.optional(z.string()),
  capacityProviderName: z.optional(z.string()),
  containers: z._default(z.array(containerSchema), []),
  createdAt: z.optional(isoTime),
  group: z.optional(z.string()),
  launchType: z.optional(z.string()),
  overrides: z.optional(
    z.looseObject({
      containerOverrides: z.optional(z.array(containerOverrideSchema)),
      cpu: z.optional(z.string()),
      memory: z.optional(z.string()),
      taskRoleArn: z.optional(z.string()),
      executionRoleArn: z.optional(z.string()),
    }),
  ),
  platformVersion: z.optional(z.string()),
  pullStartedAt: z.optional(isoTime),
  pullStoppedAt: z.optional(isoTime),
  startedAt: z.optional(isoTime),
  startedBy: z.optional(z.string()),
  stopCode: z.optional(z.string()),
  stoppedAt: z.optional(isoTime),
  stoppedReason: z.optional(z.string()),
  stoppingAt: z.optional(isoTime),
});

export const taskStateChangeEventSchema = z.looseObject({
  version: z.string(),
  id: z.string().check(z.minLength(1)),
  'detail-type': z.literal('ECS Task State Change'),
  source: z.literal('aws.ecs'),
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id')),
  time: isoTime,
  region: z.string().check(z.minLength(1)),
  resources: z.array(z.string()),
  detail: taskDetailSchema,
});

export type TaskDetail = z.infer<typeof taskDetailSchema>;
export type TaskContainer = z.infer<typeof containerSchema>;

/**
 * Fields the history stores and serves but nothing computes on, typed as ECS documents them (the Task and
 * Container shapes of the ECS API, which the event's detail follows). Not checked, as the schema above
 * explains: checking their types cost about 9 µs more per event (zod, on the bench's per-event workload) for
 * values that are only stored and shown.
 */
export interface StoredTaskFields {
  /** The ENI: type "eni", details subnetId, networkInterfaceId, macAddress, privateDnsName, privateIPv4Address. */
  attachments?: {
    id?: string;
    type?: string;
    status?: string;
    details?: { name: string; value?: string }[];
  }[];
  attributes?: { name: string; value?: string; targetType?: string; targetId?: string }[];
  connectivity?: string;
  connectivityAt?: string;
  containerInstanceArn?: string;
  cpu?: string;
  memory?: string;
  enableExecuteCommand?: boolean;
  ephemeralStorage?: { sizeInGiB?: number };
  executionStoppedAt?: string;
  healthStatus?: string;
  platformFamily?: string;
  updatedAt?: string;
}

export interface StoredContainerFields {
  image?: string;
  imageDigest?: string;
  runtimeId?: string;
  networkInterfaces?: { attachmentId?: string; privateIpv4Address?: string; ipv6Address?: string }[];
  networkBindings?: {
    bindIP?: string;
    containerPort?: number;
    hostPort?: number;
    protocol?: string;
    containerPortRange?: string;
    hostPortRange?: string;
  }[];
  cpu?: string;
  memory?: string;
  memoryReservation?: string;
  gpuIds?: string[];
}

export interface StoredContainerOverrideFields {
  environmentFiles?: { value: string; type: string }[];
  resourceRequirements?: { value: string; type: string }[];
}

export interface StoredOverrideFields {
  ephemeralStorage?: { sizeInGiB?: number };
  inferenceAcceleratorOverrides?: { deviceName?: string; deviceType?: string }[];
}
export type TaskStateChangeEvent = z.infer<typeof taskStateChangeEventSchema>;

/** Parses an EventBridge event; throws a readable error for anything that is not an ECS task event. */
export function parseTaskStateChange(input: unknown): TaskStateChangeEvent {
  const result = taskStateChangeEventSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidEventError(
      `not an ECS Task State Change event: ${z.prettifyError(result.error).replace(/\n/g, '; ')}`,
      { cause: result.error },
    );
  }
  return result.data;
}

export class InvalidEventError extends AutopilotError {
  constructor(message: string, options?: AutopilotErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

export interface TaskIdentity {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  cluster: string;
  family: string;
  revision: number;
}

export function taskIdentity(
  detail: Pick<TaskDetail, 'taskArn' | 'clusterArn' | 'taskDefinitionArn'>,
): TaskIdentity {
  const task = TASK_ARN.exec(detail.taskArn);
  const cluster = CLUSTER_ARN.exec(detail.clusterArn);
  const definition = TASK_DEFINITION_ARN.exec(detail.taskDefinitionArn);
  if (!task?.[2] || !cluster?.[1] || !definition?.[1] || !definition[2]) {
    throw new InvalidEventError(`cannot read task identity from ${detail.taskArn}`);
  }
  return {
    taskArn: detail.taskArn,
    taskId: task[2],
    clusterArn: detail.clusterArn,
    cluster: cluster[1],
    family: definition[1],
    revision: Number(definition[2]),
  };
}

/** Task ids are the last ARN segment in both ARN formats. */
export function taskIdFromArn(taskArn: string): string | undefined {
  return TASK_ARN.exec(taskArn)?.[2];
}

/** The name at the end of an ARN (task id, cluster or provider name); a plain name is returned as it is. */
export function lastArnSegment(arnOrName: string): string {
  return arnOrName.split('/').pop() ?? arnOrName;
}

/**
 * A DescribeTasks task in the shape of an event's `detail` (ISO times), so one decision path serves both.
 * Pure: the SDK's Task is only JSON and Dates.
 */
export function taskAsEventDetail(task: object): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(task, (_key, value) => (value instanceof Date ? value.toISOString() : value)),
  );
}
