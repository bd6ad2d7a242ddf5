import { createHash } from 'node:crypto';
import * as z from '../zod';
import { networkConfigurationSchema } from './networkConfiguration';
import { partialRestartPolicySchema } from './restartPolicy';

/**
 * A launch request: everything the launcher needs to start tasks, and everything needed later to
 * explain and repeat the launch (events carry neither network configuration nor tags).
 * RunTask members keep ECS's own camelCase shape so a request is readable next to the API docs.
 */
const keyValue = z.object({ name: z.string(), value: z.string() });
const tag = z.object({
  key: z.string().check(z.minLength(1), z.maxLength(128)),
  value: z.string().check(z.maxLength(256)),
});

export const capacityProviderItemSchema = z.object({
  capacityProvider: z.string().check(z.minLength(1), z.maxLength(255)),
  weight: z.optional(z.number().check(z.int(), z.gte(0), z.lte(1000))),
  base: z.optional(z.number().check(z.int(), z.gte(0), z.lte(100_000))),
});

export const containerOverrideSchema = z.object({
  name: z.string(),
  command: z.optional(z.array(z.string())),
  environment: z.optional(z.array(keyValue)),
  cpu: z.optional(z.number().check(z.int())),
  memory: z.optional(z.number().check(z.int())),
  memoryReservation: z.optional(z.number().check(z.int())),
});

export const runTaskInputSchema = z.object({
  cluster: z.string().check(z.minLength(1)),
  taskDefinition: z.string().check(z.minLength(1)),
  count: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
  launchType: z.optional(z.string()),
  capacityProviderStrategy: z.optional(z.array(capacityProviderItemSchema).check(z.maxLength(20))),
  platformVersion: z.optional(z.string()),
  networkConfiguration: z.optional(networkConfigurationSchema),
  overrides: z.optional(
    z.object({
      containerOverrides: z.optional(z.array(containerOverrideSchema)),
      cpu: z.optional(z.string()),
      memory: z.optional(z.string()),
      taskRoleArn: z.optional(z.string()),
      executionRoleArn: z.optional(z.string()),
    }),
  ),
  group: z.optional(z.string().check(z.maxLength(255))),
  startedBy: z.optional(z.string().check(z.maxLength(128))),
  tags: z.optional(z.array(tag).check(z.maxLength(50))),
  propagateTags: z.optional(z.enum(['TASK_DEFINITION', 'NONE'])),
  enableECSManagedTags: z.optional(z.boolean()),
  enableExecuteCommand: z.optional(z.boolean()),
  placementConstraints: z.optional(
    z.array(z.object({ type: z.string(), expression: z.optional(z.string()) })),
  ),
  placementStrategy: z.optional(z.array(z.object({ type: z.string(), field: z.optional(z.string()) }))),
});
export type RunTaskInput = z.infer<typeof runTaskInputSchema>;

export const LAUNCH_REASONS = ['restart', 'spot-interruption', 'schedule', 'run-now'] as const;

/** One earlier attempt in a restart chain: what happened and what was decided. */
export const attemptSchema = z.object({
  taskArn: z.string(),
  attempt: z.number().check(z.int(), z.gte(0)),
  exitCode: z.optional(z.number().check(z.int())),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  failureKind: z.optional(z.string()),
  decision: z.string(),
  delaySeconds: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const lineageSchema = z.object({
  originTaskArn: z.string(),
  /** Attempts used against the policy (infrastructure causes do not count). */
  attempt: z.number().check(z.int(), z.gte(0)),
  /** Every relaunch, counted: bounds infrastructure relaunches, which use no attempt. */
  launches: z.number().check(z.int(), z.gte(0)),
  previousTaskArn: z.optional(z.string()),
  chain: z.array(attemptSchema).check(z.maxLength(50)),
});
export type Lineage = z.infer<typeof lineageSchema>;

export const launchRequestSchema = z.object({
  /** Stable for one intended launch: the clientToken and the idempotency record derive from it. */
  requestId: z.string().check(z.minLength(1), z.maxLength(512)),
  reason: z.enum(LAUNCH_REASONS),
  runTask: runTaskInputSchema,
  lineage: z.optional(lineageSchema),
  policy: z.optional(partialRestartPolicySchema),
  /**
   * Delay still to wait when the message arrives. SQS delays at most 15 minutes per hop; the launcher
   * sends the request on again until this is 0. A duration, not a wall-clock time, so time passes
   * only through the queue (which the sandbox can fast-forward).
   */
  deferSeconds: z._default(z.number().check(z.int(), z.gte(0)), 0),
  /** Launch retries after capacity failures (RunTask failures[]), each with its own clientToken. */
  capacityRetries: z._default(z.number().check(z.int(), z.gte(0)), 0),
  /** Who asked (IAM principal for API launches, "ecs-autopilot" for automatic ones). */
  requestedBy: z.optional(z.string()),
  /** Extra fields for the events this launch emits (schedule name, ...). */
  context: z.optional(z.record(z.string(), z.string())),
  /**
   * The failed task whose tags the decision could not read (ECS throttled DescribeTasks, as in a mass
   * failure): the launcher reads them before RunTask, honours an opt-out tag and copies the user's tags.
   */
  tagsOf: z.optional(z.string().check(z.minLength(1))),
  /**
   * A run of a schedule with concurrencyPolicy Forbid or Replace: it holds the schedule's launch lease until
   * it has launched or given up, also while it waits on the queue, so no other run starts meanwhile.
   */
  launchLease: z.optional(z.object({ schedule: z.string().check(z.minLength(1), z.maxLength(64)) })),
  /**
   * A scheduled run with startingDeadlineSeconds: the instant by which it must have started. Past it the
   * launcher does not call RunTask: the run is missed (src/domain/startingDeadline.ts).
   */
  startBy: z.optional(z.iso.datetime({ offset: true })),
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
