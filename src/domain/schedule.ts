/**
 * The HTTP API's request bodies for scheduled and immediate task launches: schedules (POST /schedules,
 * PUT and PATCH /schedules/{name}) and run-now requests (POST /tasks). Every message reads as the rule the
 * caller broke, and describeIssues (src/http.ts) turns a ZodError into "field.path: rule; ...".
 * The launch fields keep RunTask's own camelCase shapes, so a body reads next to the ECS API reference.
 */
import * as z from '../zod';
import { restartPolicySchema } from './restartPolicy';
import { isValidTimezone, validateScheduleExpression } from './scheduleExpression';
import { fargateSizeProblem } from './taskSize';

/** One rule message for a field, whatever check failed; a missing required field "is required". */
function rule(message: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) };
}

/** Strict objects: an unknown member is an error naming it (describeIssues lists one per key). */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = (issue as { keys?: string[] }).keys ?? [];
        return `unknown field${keys.length === 1 ? '' : 's'} ${keys.join(', ')} (allowed: ${Object.keys(shape).join(', ')})`;
      }
      return issue.input === undefined ? 'is required' : 'must be an object';
    },
  });
}

// ---------- launch fields (RunTask) ----------

const NAME_CHARS = /^[0-9A-Za-z_.-]+$/;
const CLUSTER =
  /^(?:[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;
const TASK_DEFINITION =
  /^(?:[A-Za-z0-9_-]{1,255}(?::[1-9]\d{0,8})?|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}(?::[1-9]\d{0,8})?)$/;
const SUBNET = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** Tag keys and values: Unicode letters, digits, spaces and _ . : / = + - @ (the ECS tagging rules). */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);
export const MAX_OVERRIDES_CHARS = 8192;
export const LAUNCH_TYPES = ['FARGATE', 'EC2', 'EXTERNAL'] as const;
export const SCHEDULE_STATES = ['ENABLED', 'PAUSED'] as const;
export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace', 'BufferOne'] as const;
export const RESERVED_TAG_PREFIXES = ['aws:', 'ecs-autopilot:'] as const;

const clusterSchema = z
  .string(rule('must be a cluster name (1 to 255 letters, digits, -, _) or a cluster ARN'))
  .check(z.regex(CLUSTER), z.describe('Cluster name or ARN.'));

const taskDefinitionSchema = z
  .string(
    rule(
      'must be a task definition family, family:revision or task-definition ARN (family: letters, digits, -, _)',
    ),
  )
  .check(
    z.regex(TASK_DEFINITION),
    z.describe('family (the latest ACTIVE revision at each run), family:revision, or a task-definition ARN.'),
  );

const countSchema = z
  .number(rule('must be an integer from 1 to 10 (RunTask starts at most 10 tasks per call)'))
  .check(z.int(), z.gte(1), z.lte(10), z.describe('Tasks to start per run.'));

const launchTypeSchema = z
  .enum(LAUNCH_TYPES, rule(`must be one of ${LAUNCH_TYPES.join(', ')}`))
  .check(z.describe('Launch type; give either this or capacityProviderStrategy, not both.'));

const capacityProviderItemSchema = strictObject({
  capacityProvider: z
    .string(rule('must be a capacity provider name (1 to 255 letters, digits, -, _)'))
    .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/)),
  weight: z.optional(
    z.number(rule('must be an integer from 0 to 1000')).check(z.int(), z.gte(0), z.lte(1000)),
  ),
  base: z.optional(
    z.number(rule('must be an integer from 0 to 100000')).check(z.int(), z.gte(0), z.lte(100_000)),
  ),
});

const capacityProviderStrategySchema = z
  .array(capacityProviderItemSchema, rule('must list 1 to 6 capacity providers'))
  .check(
    z.minLength(1),
    z.maxLength(6),
    z.superRefine((strategy, ctx) => {
      const names = strategy.map((item) => item.capacityProvider);
      names.forEach((name, index) => {
        if (names.indexOf(name) !== index) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'capacityProvider'],
            message: 'must appear only once',
          });
        }
      });
      if (strategy.filter((item) => (item.base ?? 0) > 0).length > 1) {
        ctx.addIssue({ code: 'custom', message: 'at most one capacity provider may have a base above 0' });
      }
      if (!strategy.some((item) => (item.weight ?? 0) > 0)) {
        ctx.addIssue({
          code: 'custom',
          message: 'at least one capacity provider must have a weight above 0 (weight defaults to 0)',
        });
      }
      const fargate = names.filter((name) => FARGATE_PROVIDERS.has(name)).length;
      if (fargate > 0 && fargate < names.length) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not mix FARGATE or FARGATE_SPOT with Auto Scaling group capacity providers',
        });
      }
    }),
    z.describe('Capacity provider strategy (1 to 6 items, at most one base, some weight above 0).'),
  );

const networkConfigurationSchema = strictObject({
  awsvpcConfiguration: strictObject({
    subnets: z
      .array(
        z
          .string(rule('must be a subnet id (subnet- and 8 or 17 hex digits, e.g. subnet-0abc1234)'))
          .check(z.regex(SUBNET)),
        rule('must list 1 to 16 subnets'),
      )
      .check(z.minLength(1), z.maxLength(16)),
    securityGroups: z.optional(
      z
        .array(
          z
            .string(rule('must be a security group id (sg- and 8 or 17 hex digits, e.g. sg-0abc1234)'))
            .check(z.regex(SECURITY_GROUP)),
          rule('must list at most 5 security groups'),
        )
        .check(z.maxLength(5)),
    ),
    assignPublicIp: z.optional(z.enum(['ENABLED', 'DISABLED'], rule('must be ENABLED or DISABLED'))),
  }),
}).check(z.describe('awsvpc network configuration, as in RunTask (required by Fargate tasks).'));

const keyValueSchema = strictObject({
  name: z.string(rule('must be 1 to 255 characters')).check(z.minLength(1), z.maxLength(255)),
  value: z.string(rule('must be a string of at most 32768 characters')).check(z.maxLength(32_768)),
});

const containerOverrideSchema = strictObject({
  name: z
    .string(rule('must be a container name (1 to 255 letters, digits, -, _)'))
    .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/)),
  command: z.optional(z.array(z.string(rule('must be a string')), rule('must be a list of strings'))),
  environment: z.optional(z.array(keyValueSchema, rule('must be a list of {name, value}'))),
  cpu: z.optional(
    z
      .number(rule('must be an integer of CPU units from 0 to 196608'))
      .check(z.int(), z.gte(0), z.lte(196_608)),
  ),
  memory: z.optional(
    z.number(rule('must be an integer of MiB from 4 to 1048576')).check(z.int(), z.gte(4), z.lte(1_048_576)),
  ),
  memoryReservation: z.optional(
    z.number(rule('must be an integer of MiB from 4 to 1048576')).check(z.int(), z.gte(4), z.lte(1_048_576)),
  ),
});

const overridesSchema = strictObject({
  containerOverrides: z.optional(
    z.array(containerOverrideSchema, rule('must be a list of container overrides')).check(z.maxLength(10)),
  ),
  cpu: z.optional(
    z
      .string(rule('must be CPU units like "1024" or vCPUs like "1 vCPU"'))
      .check(z.regex(/^(?:\d{1,6}|\d{1,3}(?:\.\d{1,2})? ?[vV][cC][pP][uU])$/)),
  ),
  memory: z.optional(
    z
      .string(rule('must be MiB like "2048" or GB like "2 GB"'))
      .check(z.regex(/^(?:\d{1,7}|\d{1,4}(?:\.\d{1,2})? ?[gG][bB])$/)),
  ),
  taskRoleArn: z.optional(
    z.string(rule('must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)')).check(z.regex(ROLE_ARN)),
  ),
  executionRoleArn: z.optional(
    z.string(rule('must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)')).check(z.regex(ROLE_ARN)),
  ),
}).check(
  z.superRefine((overrides, ctx) => {
    const size = JSON.stringify(overrides).length;
    if (size > MAX_OVERRIDES_CHARS) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${MAX_OVERRIDES_CHARS} characters as JSON (an ECS limit), got ${size}`,
      });
    }
  }),
  z.describe(`Task overrides, as in RunTask; at most ${MAX_OVERRIDES_CHARS} characters as JSON.`),
);

const tagSchema = strictObject({
  key: z.string(rule('must be 1 to 128 letters, digits, spaces or _ . : / = + - @')).check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(TAG_CHARS),
    z.refine(
      (key) => !key.toLowerCase().startsWith('aws:'),
      'must not start with aws: (reserved by AWS, in any case)',
    ),
    z.refine(
      (key) => !key.toLowerCase().startsWith('ecs-autopilot:'),
      "must not start with ecs-autopilot: (reserved for ecs-autopilot's own tags)",
    ),
  ),
  value: z
    .string(rule('must be at most 256 letters, digits, spaces or _ . : / = + - @'))
    .check(z.maxLength(256), z.regex(TAG_CHARS)),
});

const tagsSchema = z.array(tagSchema, rule('must list at most 50 tags')).check(
  z.maxLength(50),
  z.superRefine((tags, ctx) => {
    const keys = tags.map((tag) => tag.key);
    keys.forEach((key, index) => {
      if (keys.indexOf(key) !== index) {
        ctx.addIssue({ code: 'custom', path: [index, 'key'], message: 'must appear only once' });
      }
    });
  }),
  z.describe(
    `Task tags (key 1-128, value up to 256; keys must not start with ${RESERVED_TAG_PREFIXES.join(' or ')}).`,
  ),
);

/** Restarts an API caller may ask for: the ceiling restartPolicySchema and the max-attempts tag already have. */
export const MAX_API_RESTART_ATTEMPTS = 10;

/**
 * A restart policy as an API caller may set it: at most 10 attempts, and never a backoff of 0 (its base and
 * its cap at least a second), so a task that fails at once cannot restart in a tight loop: count 10 with
 * 10 attempts at base 0 started 110 tasks in about 90 s.
 */
const restartPolicyField = z
  .partial(
    z.extend(restartPolicySchema, {
      maxAttempts: z
        .number(
          rule(
            `must be an integer from 0 to ${MAX_API_RESTART_ATTEMPTS} (restarts after the first run fails)`,
          ),
        )
        .check(z.int(), z.gte(0), z.lte(MAX_API_RESTART_ATTEMPTS)),
      backoff: z.partial(
        z.extend(restartPolicySchema.shape.backoff, {
          baseSeconds: z
            .number(
              rule(
                'must be from 1 to 3600 seconds (the delay before the first restart; 0 would restart a failing task at once)',
              ),
            )
            .check(z.gte(1), z.lte(3600)),
          maxSeconds: z
            .number(
              rule(
                'must be from 1 to 86400 seconds (the longest delay between restarts; 0 would restart a failing task at once)',
              ),
            )
            .check(z.gte(1), z.lte(86_400)),
        }),
      ),
    }),
  )
  .check(
    z.describe(
      'Restart policy for the launched tasks when they fail (any subset; the rest comes from tags, family rules, defaults).',
    ),
  );

/** The launch fields shared by schedules and run-now requests, without defaults (so PATCH can omit them). */
const launchFields = {
  cluster: clusterSchema,
  taskDefinition: taskDefinitionSchema,
  count: z.optional(countSchema),
  launchType: z.optional(launchTypeSchema),
  capacityProviderStrategy: z.optional(capacityProviderStrategySchema),
  networkConfiguration: z.optional(networkConfigurationSchema),
  overrides: z.optional(overridesSchema),
  tags: z.optional(tagsSchema),
  restartPolicy: z.optional(restartPolicyField),
};

// ---------- schedules ----------

/** A schedule's name: in the body and in the path of its routes (where . and .. would be path steps). */
export const scheduleNameSchema = z
  .string(rule('must be 1 to 64 characters, each a letter, digit, -, _ or .'))
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(NAME_CHARS),
    z.refine((name) => name !== '.' && name !== '..', 'must not be . or .. (a URL path step, not a name)'),
    z.describe('Schedule name, unique in the account and Region.'),
  );
const nameSchema = scheduleNameSchema;

const expressionSchema = z
  .string(
    rule('must be rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(...)'),
  )
  .check(
    z.maxLength(256, 'must be at most 256 characters'),
    z.superRefine((expression, ctx) => {
      const problem = validateScheduleExpression(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    z.describe(
      'rate(value unit) with minute(s)|hour(s)|day(s); cron(minutes hours day-of-month month day-of-week year) with exactly one of day-of-month and day-of-week set to ?; or at(yyyy-mm-ddThh:mm:ss) for one run.',
    ),
  );

const timezoneSchema = z
  .string(rule('must be an IANA time zone name such as UTC or Europe/Paris'))
  .check(
    z.maxLength(50),
    z.refine(isValidTimezone),
    z.describe('IANA time zone the expression is evaluated in.'),
  );

const dateTimeSchema = (what: string) =>
  z.iso
    .datetime({
      offset: true,
      ...rule('must be an ISO-8601 date and time with Z or an offset, e.g. 2025-01-01T09:00:00Z'),
    })
    .check(z.describe(what));

const stateSchema = z
  .enum(SCHEDULE_STATES, rule(`must be one of ${SCHEDULE_STATES.join(', ')}`))
  .check(z.describe('PAUSED keeps the schedule but starts nothing.'));

const concurrencyPolicySchema = z
  .enum(CONCURRENCY_POLICIES, rule(`must be one of ${CONCURRENCY_POLICIES.join(', ')}`))
  .check(
    z.describe(
      'When a run is due while the previous one is in progress (its tasks run, start, or wait to restart): Allow starts anyway, Forbid skips the run, Replace stops the running tasks first (like Kubernetes CronJob), BufferOne keeps the run WAITING and starts it when the run in progress ends (at most one waits: a further run is skipped, like Temporal).',
    ),
  );

const flexibleWindowSchema = z
  .number(rule('must be an integer from 1 to 1440 (minutes)'))
  .check(
    z.int(),
    z.gte(1),
    z.lte(1440),
    z.describe('Runs start at a random time within this many minutes after the due time (spreads load).'),
  );

/** The longest startingDeadlineSeconds: a day (a run that could not start within a day is not the one due). */
export const MAX_STARTING_DEADLINE_SECONDS = 86_400;
const startingDeadlineSchema = z
  .number(rule(`must be an integer from 1 to ${MAX_STARTING_DEADLINE_SECONDS} (seconds)`))
  .check(
    z.int(),
    z.gte(1),
    z.lte(MAX_STARTING_DEADLINE_SECONDS),
    z.describe(
      'A run that cannot start within this many seconds of its due time (ECS throttling, capacity retries, a budget pause, a BufferOne wait) is SKIPPED as missed instead of started late (like Kubernetes CronJob). A manual run counts from its request, a backfilled one from the backfill request. At least flexibleWindowMinutes x 60.',
    ),
  );

export const MAX_PAUSE_AFTER_FAILURES = 100;
const pauseAfterFailuresSchema = z
  .number(rule(`must be an integer from 1 to ${MAX_PAUSE_AFTER_FAILURES} (failed runs in a row)`))
  .check(
    z.int(),
    z.gte(1),
    z.lte(MAX_PAUSE_AFTER_FAILURES),
    z.describe(
      'After this many FAILED runs in a row, ecs-autopilot pauses the schedule (state PAUSED, pausedBy, pausedReason; Schedule Paused published). PATCH state ENABLED resumes it; it pauses again after this many new failures.',
    ),
  );

const descriptionSchema = z.string(rule('must be at most 512 characters')).check(z.maxLength(512));

/** Schedule fields other than the name, without defaults. */
const scheduleFields = {
  expression: expressionSchema,
  timezone: z.optional(timezoneSchema),
  startDate: z.optional(dateTimeSchema('No run before this instant.')),
  endDate: z.optional(dateTimeSchema('No run after this instant (after startDate).')),
  state: z.optional(stateSchema),
  ...launchFields,
  concurrencyPolicy: z.optional(concurrencyPolicySchema),
  flexibleWindowMinutes: z.optional(flexibleWindowSchema),
  startingDeadlineSeconds: z.optional(startingDeadlineSchema),
  pauseAfterConsecutiveFailures: z.optional(pauseAfterFailuresSchema),
  description: z.optional(descriptionSchema),
};

interface CrossFields {
  startingDeadlineSeconds?: unknown;
  flexibleWindowMinutes?: unknown;
  startDate?: string;
  endDate?: string;
  launchType?: (typeof LAUNCH_TYPES)[number];
  capacityProviderStrategy?: unknown[];
  networkConfiguration?: { awsvpcConfiguration?: { assignPublicIp?: string } };
  overrides?: { cpu?: unknown; memory?: unknown };
}

/** A launch on Fargate: its launch type, or a strategy of FARGATE / FARGATE_SPOT (they cannot be mixed). */
function isFargate(body: CrossFields): boolean {
  if (body.launchType !== undefined) return body.launchType === 'FARGATE';
  const strategy = Array.isArray(body.capacityProviderStrategy) ? body.capacityProviderStrategy : [];
  return (
    strategy.length > 0 &&
    strategy.every((item) =>
      FARGATE_PROVIDERS.has(String((item as { capacityProvider?: unknown } | null)?.capacityProvider)),
    )
  );
}

/**
 * Rules between fields, for whichever of them are present. zod also runs this after a field failed one of its
 * checks, so it reads every field defensively.
 */
function checkCrossFields(body: CrossFields, ctx: z.core.$RefinementCtx): void {
  if (typeof body.startDate === 'string' && typeof body.endDate === 'string') {
    if (Date.parse(body.endDate) <= Date.parse(body.startDate)) {
      ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must be after startDate' });
    }
  }
  const { startingDeadlineSeconds: deadline, flexibleWindowMinutes: window } = body;
  if (typeof deadline === 'number' && typeof window === 'number' && deadline < window * 60) {
    ctx.addIssue({
      code: 'custom',
      path: ['startingDeadlineSeconds'],
      message: `must be at least flexibleWindowMinutes x 60 (${window * 60}): a run the window starts late would be missed`,
    });
  }
  if (body.launchType !== undefined && body.capacityProviderStrategy !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['launchType'],
      message: 'must not be set together with capacityProviderStrategy (give one or the other)',
    });
  }
  if (
    (body.launchType === 'EC2' || body.launchType === 'EXTERNAL') &&
    body.networkConfiguration?.awsvpcConfiguration?.assignPublicIp === 'ENABLED'
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['networkConfiguration', 'awsvpcConfiguration', 'assignPublicIp'],
      message: 'must not be ENABLED unless the launch type is FARGATE',
    });
  }
  const { cpu, memory } = body.overrides ?? {};
  if (isFargate(body) && (typeof cpu === 'string' || typeof memory === 'string')) {
    const problem = fargateSizeProblem(
      typeof cpu === 'string' ? cpu : undefined,
      typeof memory === 'string' ? memory : undefined,
    );
    if (problem)
      ctx.addIssue({ code: 'custom', path: ['overrides', problem.field], message: problem.message });
  }
}

/** POST /schedules and PUT /schedules/{name}. */
export const scheduleSchema = strictObject({
  name: nameSchema,
  ...scheduleFields,
  timezone: z._default(timezoneSchema, 'UTC'),
  state: z._default(stateSchema, 'ENABLED'),
  count: z._default(countSchema, 1),
  concurrencyPolicy: z._default(concurrencyPolicySchema, 'Allow'),
}).check(z.superRefine(checkCrossFields));
export type ScheduleInput = z.input<typeof scheduleSchema>;
export type Schedule = z.output<typeof scheduleSchema>;

/**
 * PUT /schedules/{name}: a whole schedule, which may be what GET answered: its bookkeeping fields are
 * accepted, `version` as the version the caller read (a conflict if the schedule changed since), the others
 * ignored (they are the API's to set).
 */
export const replaceScheduleSchema = z.safeExtend(scheduleSchema, {
  version: z.optional(
    z
      .number(rule('must be the version you read (an integer from 1)'))
      .check(
        z.int(),
        z.gte(1),
        z.describe('The version you read: a 409 if the schedule has changed since. Optional.'),
      ),
  ),
  createdAt: z.optional(z.string().check(z.describe('Ignored (the API keeps its own).'))),
  createdBy: z.optional(z.string().check(z.describe('Ignored (the API keeps its own).'))),
  updatedAt: z.optional(z.string().check(z.describe('Ignored (the API sets it).'))),
  updatedBy: z.optional(z.string().check(z.describe('Ignored (the API sets it).'))),
  nextRunTimes: z.optional(z.array(z.unknown()).check(z.describe('Ignored (the API computes it).'))),
  lastRun: z.optional(z.unknown().check(z.describe('Ignored (the API computes it).'))),
  streak: z.optional(z.unknown().check(z.describe('Ignored (the API computes it).'))),
  lastSuccessAt: z.optional(z.string().check(z.describe('Ignored (the API computes it).'))),
  pausedBy: z.optional(z.string().check(z.describe('Ignored (the API sets it).'))),
  pausedReason: z.optional(z.string().check(z.describe('Ignored (the API sets it).'))),
  pausedAt: z.optional(z.string().check(z.describe('Ignored (the API sets it).'))),
});

/** What GET /schedules/{name} answers besides the definition, which a PUT of that body ignores. */
export const READ_ONLY_SCHEDULE_FIELDS = [
  'version',
  'createdAt',
  'createdBy',
  'updatedAt',
  'updatedBy',
  'nextRunTimes',
  'lastRun',
  'streak',
  'lastSuccessAt',
  'pausedBy',
  'pausedReason',
  'pausedAt',
] as const;

/** PATCH /schedules/{name}: any of the schedule's fields but its name, at least one. */
export const schedulePatchSchema = strictObject(
  Object.fromEntries(Object.entries(scheduleFields).map(([key, schema]) => [key, z.optional(schema)])) as {
    [K in keyof typeof scheduleFields]: z.ZodMiniOptional<(typeof scheduleFields)[K]>;
  },
).check(
  z.refine((patch) => Object.keys(patch).length > 0, 'must set at least one field'),
  z.superRefine(checkCrossFields),
);
export type SchedulePatchInput = z.input<typeof schedulePatchSchema>;
export type SchedulePatch = z.output<typeof schedulePatchSchema>;

/**
 * A schedule with a patch applied (the result still has to pass scheduleSchema). Setting launchType drops the
 * schedule's capacityProviderStrategy, and the other way round, so a PATCH can switch between them.
 */
export function applySchedulePatch(schedule: Schedule, patch: SchedulePatch): ScheduleInput {
  const merged: ScheduleInput = { ...structuredClone(schedule), ...structuredClone(patch) };
  if (patch.launchType !== undefined && patch.capacityProviderStrategy === undefined) {
    delete merged.capacityProviderStrategy;
  }
  if (patch.capacityProviderStrategy !== undefined && patch.launchType === undefined)
    delete merged.launchType;
  return merged;
}

// ---------- backfill ----------

/** POST /schedules/{name}/backfill: the window [from, to) whose due times that have no run are run. */
export const backfillBodySchema = strictObject({
  from: dateTimeSchema('The first instant of the window (included).'),
  to: dateTimeSchema('The end of the window (excluded); not after now.'),
}).check(
  z.superRefine((body, ctx) => {
    if (
      typeof body.from === 'string' &&
      typeof body.to === 'string' &&
      Date.parse(body.to) <= Date.parse(body.from)
    )
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  }),
);
export type BackfillBody = z.output<typeof backfillBodySchema>;

// ---------- run now ----------

/** POST /tasks: start tasks now, through the launcher (restarts and history included). */
export const runTaskBodySchema = strictObject({
  ...launchFields,
  count: z._default(countSchema, 1),
  group: z.optional(
    z
      .string(rule('must be 1 to 255 characters'))
      .check(z.minLength(1), z.maxLength(255), z.describe('Task group (default family:<family>).')),
  ),
}).check(z.superRefine(checkCrossFields));
export type RunTaskBodyInput = z.input<typeof runTaskBodySchema>;
export type RunTaskBody = z.output<typeof runTaskBodySchema>;

// Launch shaping lives apart (no schemas, no cron parser) so the launcher's bundle stays small.
export { type LaunchSpec, scheduleStartedBy, toRunTaskInput } from './scheduleLaunch';
