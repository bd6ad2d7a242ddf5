import * as z from 'zod/v4';

/**
 * "ECS Task State Change" as EventBridge delivers it (fact sheet §1).
 * Objects are loose so fields AWS adds later pass through; enums that AWS extends
 * (stopCode, lastStatus, launchType, ...) are open strings.
 */

// Old format: task/<id>; new format: task/<cluster>/<id>.
const TASK_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task\/(?:([A-Za-z0-9_-]{1,255})\/)?([A-Za-z0-9-]{1,64})$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/([A-Za-z0-9_-]{1,255})$/;
const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]{1,255}):(\d+)$/;

const isoTime = z.iso.datetime({ offset: true });
const nameValue = z.looseObject({ name: z.string(), value: z.string().optional() });

export const containerSchema = z.looseObject({
  containerArn: z.string().optional(),
  name: z.string(),
  image: z.string().optional(),
  imageDigest: z.string().optional(),
  runtimeId: z.string().optional(),
  lastStatus: z.string().optional(),
  exitCode: z.number().int().optional(),
  reason: z.string().optional(),
  taskArn: z.string().optional(),
  networkInterfaces: z.array(z.looseObject({})).optional(),
  networkBindings: z.array(z.looseObject({})).optional(),
  cpu: z.string().optional(),
  memory: z.string().optional(),
  memoryReservation: z.string().optional(),
  gpuIds: z.array(z.string()).optional(),
  healthStatus: z.string().optional(),
});

export const containerOverrideSchema = z.looseObject({
  name: z.string().optional(),
  command: z.array(z.string()).optional(),
  environment: z.array(nameValue).optional(),
  cpu: z.number().int().optional(),
  memory: z.number().int().optional(),
  memoryReservation: z.number().int().optional(),
});

export const taskDetailSchema = z.looseObject({
  taskArn: z.string().regex(TASK_ARN, 'must be an ECS task ARN'),
  clusterArn: z.string().regex(CLUSTER_ARN, 'must be an ECS cluster ARN'),
  taskDefinitionArn: z.string().regex(TASK_DEFINITION_ARN, 'must be a task definition ARN with a revision'),
  version: z.number().int().nonnegative(),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().min(1),
  attachments: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        type: z.string().optional(),
        status: z.string().optional(),
        details: z.array(nameValue).optional(),
      }),
    )
    .optional(),
  attributes: z.array(nameValue).optional(),
  availabilityZone: z.string().optional(),
  capacityProviderName: z.string().optional(),
  connectivity: z.string().optional(),
  connectivityAt: isoTime.optional(),
  containerInstanceArn: z.string().optional(),
  containers: z.array(containerSchema).default([]),
  cpu: z.string().optional(),
  memory: z.string().optional(),
  createdAt: isoTime.optional(),
  executionStoppedAt: isoTime.optional(),
  group: z.string().optional(),
  launchType: z.string().optional(),
  overrides: z
    .looseObject({
      containerOverrides: z.array(containerOverrideSchema).optional(),
      cpu: z.string().optional(),
      memory: z.string().optional(),
      taskRoleArn: z.string().optional(),
      executionRoleArn: z.string().optional(),
    })
    .optional(),
  platformVersion: z.string().optional(),
  pullStartedAt: isoTime.optional(),
  pullStoppedAt: isoTime.optional(),
  startedAt: isoTime.optional(),
  startedBy: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedAt: isoTime.optional(),
  stoppedReason: z.string().optional(),
  stoppingAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
});

export const taskStateChangeEventSchema = z.looseObject({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.literal('ECS Task State Change'),
  source: z.literal('aws.ecs'),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  time: isoTime,
  region: z.string().min(1),
  resources: z.array(z.string()),
  detail: taskDetailSchema,
});

export type TaskDetail = z.infer<typeof taskDetailSchema>;
export type TaskContainer = z.infer<typeof containerSchema>;
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

export class InvalidEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
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
