import { createHash } from 'node:crypto';
import * as z from 'zod/v4';
import { partialRestartPolicySchema } from './restartPolicy';

/**
 * A launch request: everything the launcher needs to start tasks, and everything needed later to
 * explain and repeat the launch (events carry neither network configuration nor tags).
 * RunTask members keep ECS's own camelCase shape so a request is readable next to the API docs.
 */
const keyValue = z.object({ name: z.string(), value: z.string() });
const tag = z.object({ key: z.string().min(1).max(128), value: z.string().max(256) });

export const capacityProviderItemSchema = z.object({
  capacityProvider: z.string().min(1).max(255),
  weight: z.number().int().min(0).max(1000).optional(),
  base: z.number().int().min(0).max(100_000).optional(),
});

export const networkConfigurationSchema = z.object({
  awsvpcConfiguration: z.object({
    subnets: z.array(z.string()).min(1).max(16),
    securityGroups: z.array(z.string()).max(5).optional(),
    assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
  }),
});

export const containerOverrideSchema = z.object({
  name: z.string(),
  command: z.array(z.string()).optional(),
  environment: z.array(keyValue).optional(),
  cpu: z.number().int().optional(),
  memory: z.number().int().optional(),
  memoryReservation: z.number().int().optional(),
});

export const runTaskInputSchema = z.object({
  cluster: z.string().min(1),
  taskDefinition: z.string().min(1),
  count: z.number().int().min(1).max(10).default(1),
  launchType: z.string().optional(),
  capacityProviderStrategy: z.array(capacityProviderItemSchema).max(20).optional(),
  platformVersion: z.string().optional(),
  networkConfiguration: networkConfigurationSchema.optional(),
  overrides: z
    .object({
      containerOverrides: z.array(containerOverrideSchema).optional(),
      cpu: z.string().optional(),
      memory: z.string().optional(),
      taskRoleArn: z.string().optional(),
      executionRoleArn: z.string().optional(),
    })
    .optional(),
  group: z.string().max(255).optional(),
  startedBy: z.string().max(128).optional(),
  tags: z.array(tag).max(50).optional(),
  propagateTags: z.enum(['TASK_DEFINITION', 'NONE']).optional(),
  enableECSManagedTags: z.boolean().optional(),
  enableExecuteCommand: z.boolean().optional(),
  placementConstraints: z.array(z.object({ type: z.string(), expression: z.string().optional() })).optional(),
  placementStrategy: z.array(z.object({ type: z.string(), field: z.string().optional() })).optional(),
});
export type RunTaskInput = z.infer<typeof runTaskInputSchema>;

export const LAUNCH_REASONS = ['restart', 'spot-interruption', 'schedule', 'run-now'] as const;

/** One earlier attempt in a restart chain: what happened and what was decided. */
export const attemptSchema = z.object({
  taskArn: z.string(),
  attempt: z.number().int().min(0),
  exitCode: z.number().int().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  failureKind: z.string().optional(),
  decision: z.string(),
  delaySeconds: z.number().int().min(0).optional(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const lineageSchema = z.object({
  originTaskArn: z.string(),
  /** Attempts used against the policy (infrastructure causes do not count). */
  attempt: z.number().int().min(0),
  /** Every relaunch, counted: bounds infrastructure relaunches, which use no attempt. */
  launches: z.number().int().min(0),
  previousTaskArn: z.string().optional(),
  chain: z.array(attemptSchema).max(50),
});
export type Lineage = z.infer<typeof lineageSchema>;

export const launchRequestSchema = z.object({
  /** Stable for one intended launch: the clientToken and the idempotency record derive from it. */
  requestId: z.string().min(1).max(512),
  reason: z.enum(LAUNCH_REASONS),
  runTask: runTaskInputSchema,
  lineage: lineageSchema.optional(),
  policy: partialRestartPolicySchema.optional(),
  /**
   * Delay still to wait when the message arrives. SQS delays at most 15 minutes per hop; the launcher
   * sends the request on again until this is 0. A duration, not a wall-clock time, so time passes
   * only through the queue (which the sandbox can fast-forward).
   */
  deferSeconds: z.number().int().min(0).default(0),
  /** Launch retries after capacity failures (RunTask failures[]), each with its own clientToken. */
  capacityRetries: z.number().int().min(0).default(0),
  /** Who asked (IAM principal for API launches, "ecs-autopilot" for automatic ones). */
  requestedBy: z.string().optional(),
  /** Extra fields for the events this launch emits (schedule name, ...). */
  context: z.record(z.string(), z.string()).optional(),
  /**
   * The failed task whose tags the decision could not read (ECS throttled DescribeTasks, as in a mass
   * failure): the launcher reads them before RunTask, honours an opt-out tag and copies the user's tags.
   */
  tagsOf: z.string().min(1).optional(),
});
export type LaunchRequest = z.infer<typeof launchRequestSchema>;
export type LaunchRequestInput = z.input<typeof launchRequestSchema>;

const TOKEN_CHARS = /^[\x21-\x7e]{1,64}$/;

/**
 * RunTask's clientToken (≤64 printable ASCII, unique per cluster for 24 h): the request id plus the
 * capacity retry, so a redelivered or retried Lambda reuses the token and ECS starts no second task,
 * while a deliberate retry after a capacity failure gets a fresh one.
 */
export function clientTokenFor(request: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>): string {
  const key =
    request.capacityRetries > 0 ? `${request.requestId}~c${request.capacityRetries}` : request.requestId;
  if (TOKEN_CHARS.test(key)) return key;
  return `h-${createHash('sha256').update(key).digest('base64url').slice(0, 43)}`;
}

/** One replacement per failed task: the request id names the task it replaces, so duplicates collapse. */
export function replacementRequestId(kind: 'restart' | 'spot', failedTaskId: string): string {
  return `${kind === 'restart' ? 'r' : 's'}-${failedTaskId}`;
}
