/**
 * The HTTP API's OpenAPI 3.1 document, generated from the zod schemas that validate the requests, so the
 * document cannot drift from the validation. docs/openapi.json is this document (scripts/openapi.ts writes it;
 * a unit test keeps them equal).
 */
import { version } from '../package.json';
import { type ClientError, ROUTES, type RouteKey, type RouteSpec } from './app/api/routes';
import { CLASSIFICATIONS, FAILURE_KINDS } from './domain/classify';
import { capacityMixSchema, clusterStateSchema } from './domain/clusterState';
import { IDEMPOTENCY_KEY_MAX } from './domain/idempotency';
import { LAUNCH_REASONS } from './domain/launchRequest';
import { RUN_OUTCOMES, SKIP_CAUSES } from './domain/runOutcome';
import {
  backfillBodySchema,
  replaceScheduleSchema,
  runTaskBodySchema,
  scheduleNameSchema,
  schedulePatchSchema,
  scheduleSchema,
} from './domain/schedule';
import * as z from './zod';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A zod schema as a self-contained JSON Schema (2020-12, the dialect of OpenAPI 3.1), without `$schema`. */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: json }) => {
      // zod adds its own date-time regex; `format` says the same and reads better.
      if (json.format === 'date-time') delete json.pattern;
      // A refinement JSON Schema cannot say: . and .. would be steps of the URL path, not names.
      if (zodSchema === scheduleNameSchema) json.not = { enum: ['.', '..'] };
    },
  }) as Json;
  return rest;
}

/** launchType and capacityProviderStrategy exclude each other (zod checks it in a refinement). */
const ONE_LAUNCH_CHOICE = { not: { required: ['launchType', 'capacityProviderStrategy'] } };

// ---------- response shapes ----------

const isoDateTime = z.iso.datetime({ offset: true });

const skipCauseField = z
  .enum(SKIP_CAUSES)
  .check(
    z.describe(
      'Why it was skipped: overlap (concurrencyPolicy), paused, allowlist, deadline (startingDeadlineSeconds: missed), budget.',
    ),
  );

/** A schedule as the API answers it: the stored fields (defaults applied) plus bookkeeping. */
const storedScheduleSchema = z.safeExtend(scheduleSchema, {
  pausedBy: z.optional(
    z.string().check(z.describe('Who paused it, when ecs-autopilot did (pauseAfterConsecutiveFailures).')),
  ),
  pausedReason: z.optional(z.string().check(z.describe('Why ecs-autopilot paused it.'))),
  pausedAt: z.optional(isoDateTime.check(z.describe('When ecs-autopilot paused it.'))),
  lastRun: z.optional(
    z
      .object({
        requestId: z.string(),
        scheduledTime: isoDateTime,
        status: z.enum(RUN_OUTCOMES),
        reason: z.string(),
        cause: z.optional(skipCauseField),
        endedAt: isoDateTime,
      })
      .check(z.describe('GET /schedules/{name} only: the run that ended last, and how.')),
  ),
  streak: z.optional(
    z
      .object({ status: z.enum(['SUCCEEDED', 'FAILED']), count: z.number().check(z.int(), z.gte(1)) })
      .check(
        z.describe(
          'GET /schedules/{name} only: how many runs in a row ended this way (skipped runs neither break nor extend it).',
        ),
      ),
  ),
  lastSuccessAt: z.optional(
    isoDateTime.check(z.describe('GET /schedules/{name} only: when the last SUCCEEDED run ended.')),
  ),
  version: z
    .number()
    .check(
      z.int(),
      z.gte(1),
      z.describe('1 when created, one more on every change; PUT it back to refuse a lost update (409).'),
    ),
  createdAt: isoDateTime.check(z.describe('When the schedule was created.')),
  updatedAt: isoDateTime.check(z.describe('When the schedule was last changed.')),
  createdBy: z.optional(z.string().check(z.describe('The IAM principal that created it.'))),
  updatedBy: z.optional(z.string().check(z.describe('The IAM principal that changed it last.'))),
  nextRunTimes: z.optional(
    z
      .array(
        z.object({
          time: isoDateTime.check(z.describe('The due time in UTC.')),
          localTime: isoDateTime.check(
            z.describe("The same instant as wall-clock time in the schedule's time zone, with its offset."),
          ),
        }),
      )
      .check(
        z.describe(
          "GET /schedules/{name} only: the next 5 due times (none while PAUSED), by EventBridge Scheduler's rules: a local time daylight saving skips does not run, a repeated one runs once (its first occurrence); startDate and endDate bound them; a rate() counts from startDate, else from updatedAt.",
        ),
      ),
  ),
});

const runTaskFailureSchema = z
  .object({ arn: z.optional(z.string()), reason: z.optional(z.string()), detail: z.optional(z.string()) })
  .check(z.describe('One of RunTask\'s failures[], e.g. reason "RESOURCE:MEMORY".'));
const launchStatusFields = {
  status: z
    .enum(['PENDING', 'LAUNCHED', 'FAILED'])
    .check(
      z.describe(
        'PENDING: queued (ECS throttled it, or capacity retries wait); LAUNCHED: every task started; FAILED: given up.',
      ),
    ),
  taskArns: z.array(z.string()).check(z.describe('The tasks started so far, over every attempt.')),
  failures: z.optional(z.array(runTaskFailureSchema).check(z.describe('The last RunTask failures.'))),
};
const requestIdField = z
  .string()
  .check(z.describe('The launch request: GET /launches/{requestId} shows what it became.'));
const locationField = z.string().check(z.describe('The path of GET /launches/{requestId} for this launch.'));

/** POST /tasks. */
const launchResultSchema = z.object({
  requestId: requestIdField,
  ...launchStatusFields,
  location: locationField,
  message: z.optional(z.string().check(z.describe('Why it is still PENDING.'))),
});

/** GET /launches/{requestId}. */
const launchSchema = z.object({
  requestId: requestIdField,
  reason: z.optional(z.enum(LAUNCH_REASONS)),
  requestedBy: z.optional(z.string().check(z.describe('The IAM principal that asked for it.'))),
  acceptedAt: z.optional(isoDateTime.check(z.describe('When the API accepted it (POST /tasks).'))),
  cluster: z.optional(z.string()),
  taskDefinition: z.optional(z.string()),
  count: z.optional(z.number().check(z.int())),
  ...launchStatusFields,
  attempts: z.number().check(z.int(), z.describe('RunTask attempts recorded (capacity retries add one).')),
  updatedAt: z.optional(isoDateTime.check(z.describe('When the last attempt was recorded.'))),
});

const scheduleRunSchema = z.object({
  requestId: requestIdField,
  trigger: z
    .enum(['schedule', 'manual', 'backfill'])
    .check(z.describe('Due time, POST /schedules/{name}/runs, or POST /schedules/{name}/backfill.')),
  scheduledTime: isoDateTime.check(z.describe('The due time (the request time for a manual run).')),
  status: z
    .enum(['WAITING', 'PENDING', 'RUNNING', 'LAUNCHED', 'SUCCEEDED', 'FAILED', 'SKIPPED'])
    .check(
      z.describe(
        'WAITING: BufferOne keeps it until the run in progress ends; PENDING: its launch is queued; RUNNING: its tasks started; SUCCEEDED: every task ended with every essential container at exit 0 (restarts included); FAILED: a task failed and will not be restarted (restarts exhausted), or its launch failed for good (reason, exitCodes); SKIPPED: it did not start (cause, message). POST /schedules/{name}/runs answers LAUNCHED for a run whose tasks it started.',
      ),
    ),
  cause: z.optional(skipCauseField),
  reason: z.optional(z.string().check(z.describe('How it ended (SUCCEEDED, FAILED, SKIPPED at launch).'))),
  exitCodes: z.optional(
    z
      .array(z.number().check(z.int()))
      .check(z.describe("The exit codes of the failed task's attempts, oldest first (FAILED).")),
  ),
  startedAt: z.optional(isoDateTime.check(z.describe('When its first task was launched.'))),
  endedAt: z.optional(isoDateTime.check(z.describe('When it ended.'))),
  durationSeconds: z.optional(
    z.number().check(z.int(), z.gte(0), z.describe('From its start to its end, in seconds.')),
  ),
  taskArns: z.array(z.string()),
  failures: z.optional(z.array(runTaskFailureSchema)),
  replacedTaskArns: z.optional(
    z
      .array(z.string())
      .check(z.describe('Tasks of the previous run it stopped (concurrencyPolicy Replace).')),
  ),
  message: z.optional(z.string()),
  requestedBy: z.optional(z.string().check(z.describe('The IAM principal of a manual run.'))),
  location: z.optional(locationField),
});

const plannedRunSchema = z.object({
  scheduledTime: isoDateTime.check(z.describe('The due time, in UTC.')),
  localTime: isoDateTime.check(z.describe("The due time in the schedule's time zone, with its offset.")),
  requestId: requestIdField,
  startsInSeconds: z.optional(
    z.number().check(z.int(), z.gte(0), z.describe('When it is sent to the launcher, from now.')),
  ),
});

/** POST /schedules/{name}/backfill. */
const backfillSchema = z.object({
  schedule: z.string(),
  from: isoDateTime,
  to: isoDateTime,
  requestedAt: isoDateTime.check(z.describe('When it was asked for: startingDeadlineSeconds count from it.')),
  requestedBy: z.optional(z.string()),
  runs: z.array(plannedRunSchema).check(z.describe('The due times it will run, in order.')),
  alreadyRun: z
    .array(plannedRunSchema)
    .check(z.describe('The due times of the window that have a run already: not run again.')),
});

const restartBreakerSchema = z.object({
  family: z.string(),
  state: z
    .enum(['OPEN', 'CLOSED'])
    .check(z.describe("OPEN: the family's restarts wait (Task Restart Paused was published).")),
  openUntil: z.optional(isoDateTime.check(z.describe('When it closes on its own.'))),
  relaunchesThatFailedAgain: z
    .number()
    .check(z.int(), z.describe('Relaunches (attempt 2 and later) counted in the window.')),
  limit: z.number().check(z.int(), z.describe('restartBreakerRelaunches: it opens past this.')),
  windowMinutes: z.number().check(z.int()),
  cooldownMinutes: z.number().check(z.int()),
});

/** POST /tasks/{taskId}/stop. */
const taskStopSchema = z.object({
  cluster: z.string(),
  taskArn: z.string(),
  family: z.string(),
  reason: z.string(),
  lastStatus: z.string().check(z.describe("The task's status when the stop was asked for.")),
  alreadyStopping: z.optional(
    z.literal(true).check(z.describe('It was stopped or stopping: nothing was done.')),
  ),
  requestedBy: z.optional(z.string().check(z.describe('The IAM principal that stopped it.'))),
  at: z.optional(isoDateTime),
});

const serviceActionFields = {
  cluster: z.string(),
  service: z.string(),
  requestedBy: z.string().check(z.describe('The IAM principal that asked.')),
  at: isoDateTime,
};
/** PATCH /services/{cluster}/{service}. */
const serviceScaledSchema = z.object({
  ...serviceActionFields,
  desiredCount: z.number().check(z.int()),
  previousDesiredCount: z.number().check(z.int()),
});
/** POST /services/{cluster}/{service}/redeploy. */
const serviceRedeploySchema = z.object(serviceActionFields);

const strategyItemSchema = z.object({
  capacityProvider: z.string(),
  weight: z.optional(z.number()),
  base: z.optional(z.number()),
});
const serviceSchema = z.object({
  cluster: z.string(),
  service: z.string(),
  mode: z.enum(['spot', 'on-demand']).check(z.describe('Where the service runs now.')),
  originalStrategy: z.optional(
    z.array(strategyItemSchema).check(z.describe('The strategy to restore (while on-demand).')),
  ),
  history: z
    .array(
      z.object({
        at: isoDateTime,
        action: z.enum(['fallback', 'restore']),
        cause: z.string().check(z.describe('placement-failure, spot-interruption, steady, tick.')),
        note: z.optional(z.string()),
        from: z.array(strategyItemSchema),
        to: z.array(strategyItemSchema),
      }),
    )
    .check(z.describe('The switches, oldest first.')),
});

// The task history: names as ECS gives them in the task state change event, plus what ecs-autopilot derives.
// Objects ECS defines (the ENI, network bindings, ...) are loose: their members are stored as ECS sends them.
// The others are strict, so a unit test parsing real transitions fails on a field this document does not describe.
const text = (description: string) => z.optional(z.string().check(z.describe(description)));
const time = (description: string) => z.optional(isoDateTime.check(z.describe(description)));
const millis = (description: string) =>
  z.optional(z.number().check(z.int(), z.nonnegative(), z.describe(description)));
const nameValueSchema = z.looseObject({ name: z.string(), value: z.optional(z.string()) });
const ephemeralStorageSchema = z.looseObject({ sizeInGiB: z.optional(z.number()) });

const transitionContainerSchema = z.strictObject({
  name: z.string(),
  image: text('The image as the task definition names it.'),
  imageDigest: text('The digest of the image that ran (images in ECR only).'),
  runtimeId: text("The container runtime's id (Docker container id)."),
  lastStatus: text('PENDING, RUNNING, STOPPED, ...'),
  exitCode: z.optional(z.number().check(z.int(), z.describe('Present once the container has exited.'))),
  reason: text('Why the container stopped, e.g. "OutOfMemoryError: Container killed due to memory usage".'),
  networkInterfaces: z.optional(
    z.array(
      z.looseObject({
        attachmentId: z.optional(z.string()),
        privateIpv4Address: z.optional(z.string()),
        ipv6Address: z.optional(z.string()),
      }),
    ),
  ),
  networkBindings: z.optional(
    z.array(
      z.looseObject({
        bindIP: z.optional(z.string()),
        containerPort: z.optional(z.number()),
        hostPort: z.optional(z.number()),
        protocol: z.optional(z.string()),
        containerPortRange: z.optional(z.string()),
        hostPortRange: z.optional(z.string()),
      }),
    ),
  ),
  cpu: text('CPU units, as a string ("0" when the task definition sets none).'),
  memory: text('Hard memory limit in MiB, as a string.'),
  memoryReservation: text('Soft memory limit in MiB, as a string.'),
  gpuIds: z.optional(z.array(z.string())),
});

const transitionOverridesSchema = z
  .object({
    containerOverrides: z.optional(
      z.array(
        z.strictObject({
          name: z.optional(z.string()),
          command: z.optional(z.array(z.string())),
          environment: z.optional(
            z
              .array(z.strictObject({ name: z.string() }))
              .check(z.describe('The variables the override set, by name: their values are never stored.')),
          ),
          environmentFiles: z.optional(z.array(z.looseObject({ value: z.string(), type: z.string() }))),
          cpu: z.optional(z.number().check(z.int())),
          memory: z.optional(z.number().check(z.int())),
          memoryReservation: z.optional(z.number().check(z.int())),
          resourceRequirements: z.optional(z.array(z.looseObject({ value: z.string(), type: z.string() }))),
        }),
      ),
    ),
    cpu: z.optional(z.string()),
    memory: z.optional(z.string()),
    taskRoleArn: z.optional(z.string()),
    executionRoleArn: z.optional(z.string()),
    ephemeralStorage: z.optional(ephemeralStorageSchema),
    inferenceAcceleratorOverrides: z.optional(z.array(z.looseObject({}))),
  })
  .check(z.describe('The RunTask overrides, environment variables by name only (values can be secrets).'));

const durationsSchema = z
  .object({
    provisioningMs: millis(
      'createdAt to pullStartedAt: PROVISIONING and PENDING until the image pull starts (capacity, the ENI).',
    ),
    pullMs: millis('pullStartedAt to pullStoppedAt: pulling the container images.'),
    createdToRunningMs: millis('createdAt to startedAt: until the task reached RUNNING.'),
    runningToStoppedMs: millis('startedAt to stoppedAt: how long the task ran.'),
    createdToStoppedMs: millis('createdAt to stoppedAt: the whole life of the task.'),
    stoppingMs: millis(
      'stoppingAt to stoppedAt: the stop (SIGTERM, the stop timeout, then deprovisioning the ENI).',
    ),
  })
  .check(
    z.describe('Derived from the times of the event, in milliseconds; absent until both times are known.'),
  );

/** One stored state change of a task, as GET /tasks/{taskId} and GET /tasks answer it. */
export const taskTransitionSchema = z.strictObject({
  taskArn: z.string(),
  taskId: z.string().check(z.describe('The last part of the task ARN.')),
  clusterArn: z.string(),
  cluster: z.string().check(z.describe('The cluster name.')),
  family: z.string(),
  revision: z.number().check(z.int()),
  taskDefinition: z.string().check(z.describe('family:revision')),
  // Absent from items written before it was stored.
  taskDefinitionArn: z.optional(z.string()),
  version: z
    .number()
    .check(z.int(), z.describe("ECS's version of the task: a later state change has a higher one.")),
  eventId: z.string().check(z.describe('The id of the EventBridge event.')),
  eventTime: isoDateTime.check(z.describe('When the event was sent.')),
  group: text('"service:<name>" for a service task, else "family:<family>" unless RunTask set one.'),
  startedBy: text('Who started the task (RunTask startedBy; ecs-autopilot/... for tasks it launched).'),
  lastStatus: z.string().check(z.describe('PROVISIONING, PENDING, RUNNING, ..., STOPPED.')),
  desiredStatus: z.string(),
  stopCode: text('EssentialContainerExited, TaskFailedToStart, UserInitiated, SpotInterruption, ...'),
  stoppedReason: z.optional(z.string()),
  healthStatus: text('Present when ECS gives it (not in events; in DescribeTasks).'),
  launchType: z.optional(z.string()),
  capacityProviderName: text('The capacity provider that placed the task, e.g. FARGATE_SPOT.'),
  platformVersion: text('Fargate only, e.g. 1.4.0.'),
  platformFamily: z.optional(z.string()),
  availabilityZone: z.optional(z.string()),
  containerInstanceArn: text('The EC2 container instance that ran the task (EC2 only).'),
  connectivity: text('CONNECTED or DISCONNECTED.'),
  connectivityAt: time('When the task last connected.'),
  attachments: z.optional(
    z
      .array(
        z.looseObject({
          id: z.optional(z.string()),
          type: z.optional(z.string()),
          status: z.optional(z.string()),
          details: z.optional(z.array(nameValueSchema)),
        }),
      )
      .check(
        z.describe(
          'The ENI (type eni) of an awsvpc task; details: subnetId, networkInterfaceId, macAddress, privateDnsName, privateIPv4Address.',
        ),
      ),
  ),
  attributes: z.optional(z.array(nameValueSchema)),
  cpu: text('Task CPU units, as a string ("512").'),
  memory: text('Task memory in MiB, as a string ("1024").'),
  ephemeralStorage: z.optional(ephemeralStorageSchema),
  enableExecuteCommand: z.optional(z.boolean()),
  containers: z.array(transitionContainerSchema),
  overrides: z.optional(transitionOverridesSchema),
  createdAt: time('When the task was created (RunTask).'),
  pullStartedAt: time('When the image pull started.'),
  pullStoppedAt: time('When the image pull ended.'),
  startedAt: time('When the task reached RUNNING.'),
  stoppingAt: time('When the task began to stop (RUNNING to STOPPING, or the stop request).'),
  executionStoppedAt: time("When the task's containers stopped."),
  stoppedAt: time('When the task reached STOPPED.'),
  updatedAt: time('When ECS last changed the task.'),
  durations: durationsSchema,
  classification: z.enum(CLASSIFICATIONS),
  failure: z.optional(
    z
      .object({
        kind: z.enum(FAILURE_KINDS),
        container: z.optional(z.string()),
        exitCode: z.optional(z.number().check(z.int())),
        reason: z.optional(z.string()),
      })
      .check(z.describe('Why a failed task failed.')),
  ),
});

const errorSchema = z.object({
  error: z
    .string()
    .check(
      z.describe('BadRequest, Forbidden, NotFound, Conflict, LimitExceeded, PayloadTooLarge, InternalError'),
    ),
  message: z
    .string()
    .check(z.describe('What to fix, e.g. "invalid body: count: must be an integer from 1 to 10".')),
});

const page = (itemsKey: string, item: Json, description: string): Json => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    [itemsKey]: { type: 'array', items: item },
    nextToken: {
      type: 'string',
      description: 'Pass as nextToken for the next page; absent on the last page.',
    },
  },
  required: [itemsKey],
  description,
});

const looseObject = (description: string): Json => ({
  type: 'object',
  additionalProperties: true,
  description,
});

// ---------- parameters ----------

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: `Send the same key again to get the same launch instead of a second one, for historyRetentionDays (default 30). A key is the caller's: another IAM principal's same key is another launch. On POST /tasks it is bound to the body: the same key with another body is a 409; on a run of a schedule, to the schedule. 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces (e.g. a UUID); a longer key is a 400, never cut short.`,
  schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX, pattern: '^[!-~]+$' },
};

// ---------- operations ----------

const json = (schema: Json) => ({ 'application/json': { schema } });
const body = (name: string, description: string) => ({
  required: true,
  description,
  content: json(ref(name)),
});
const ERRORS = {
  400: {
    name: 'BadRequest',
    description:
      'A field breaks a rule or one of the stage\'s limits; the message names it and the limit ("field.path: rule; ...").',
  },
  403: {
    name: 'Forbidden',
    description:
      'Missing or invalid SigV4 signature, or IAM does not allow execute-api:Invoke on this route.',
  },
  404: { name: 'NotFound', description: 'No such schedule, task or route.' },
  409: {
    name: 'Conflict',
    description:
      'The request conflicts with the current state (named in the message): error Conflict (a name taken, a version changed), or LimitExceeded (a quota of the stage is reached, e.g. maxSchedules: the same request succeeds once there is room).',
  },
  413: { name: 'PayloadTooLarge', description: 'The request body is larger than the API accepts.' },
  500: {
    name: 'InternalError',
    description: 'Something failed on our side (logged; no internals in the answer). Safe to retry.',
  },
} as const;

/** The stage's guardrails on what a schedule or a run-now may launch (400 when broken). */

/** The client errors a route can answer, and the 500 every route can. */
const errors = (...codes: ClientError[]) =>
  Object.fromEntries(
    [...codes, 500 as const].map((code) => [
      String(code),
      { $ref: `#/components/responses/${ERRORS[code].name}` },
    ]),
  );

/** A query schema's members as OpenAPI parameters (name, required, description, schema). */
function queryParameters(query: z.ZodMiniType | undefined): Json[] {
  if (!query) return [];
  const schema = jsonSchema(query, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: schema.required?.includes(name) ?? false,
      ...(description !== undefined && { description }),
      schema: rest,
    };
  });
}

/** The paths of the document, from the route table (src/app/api/routes.ts): one declaration per route. */
function paths(): Json {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, spec] of Object.entries(ROUTES) as [RouteKey, RouteSpec][]) {
    const [method = '', path = ''] = key.split(' ');
    out[path] ??= {};
    const item = out[path];
    const pathParameters = Object.entries(spec.path ?? {}).map(([name, parameter]) => ({
      name,
      in: 'path',
      required: true,
      description: parameter.description,
      schema: jsonSchema(parameter.schema, 'input'),
    }));
    // Path parameters belong to the path (every method of it takes the same).
    if (pathParameters.length > 0) item.parameters = pathParameters;
    const parameters = [
      ...queryParameters(spec.query),
      ...(spec.idempotencyKey ? [idempotencyKeyParameter] : []),
    ];
    const responses = Object.fromEntries(
      Object.entries(spec.responses).map(([status, response]) => [
        status,
        {
          description: response.description,
          ...(response.schema && { content: json(ref(response.schema)) }),
          ...(response.headers && {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }),
        },
      ]),
    );
    item[method.toLowerCase()] = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description && { description: spec.description }),
      tags: [spec.tag],
      ...(parameters.length > 0 && { parameters }),
      ...(spec.body && { requestBody: body(spec.body.component, spec.body.description) }),
      responses: { ...responses, ...errors(...spec.errors) },
    };
  }
  return out;
}

function components(): Json {
  return {
    schemas: {
      ScheduleInput: { ...jsonSchema(scheduleSchema, 'input'), ...ONE_LAUNCH_CHOICE },
      SchedulePatch: { ...jsonSchema(schedulePatchSchema, 'input'), minProperties: 1, ...ONE_LAUNCH_CHOICE },
      RunTaskBody: { ...jsonSchema(runTaskBodySchema, 'input'), ...ONE_LAUNCH_CHOICE },
      ReplaceScheduleInput: { ...jsonSchema(replaceScheduleSchema, 'input'), ...ONE_LAUNCH_CHOICE },
      Schedule: jsonSchema(storedScheduleSchema, 'output'),
      ScheduleList: page('schedules', ref('Schedule'), 'A page of schedules, by name.'),
      ScheduleRun: jsonSchema(scheduleRunSchema, 'output'),
      ScheduleRunList: page('runs', ref('ScheduleRun'), 'A page of runs, newest first.'),
      BackfillInput: jsonSchema(backfillBodySchema, 'input'),
      Backfill: jsonSchema(backfillSchema, 'output'),
      LaunchResult: jsonSchema(launchResultSchema, 'output'),
      Launch: jsonSchema(launchSchema, 'output'),
      Service: jsonSchema(serviceSchema, 'output'),
      RestartBreaker: jsonSchema(restartBreakerSchema, 'output'),
      ClusterState: jsonSchema(clusterStateSchema, 'output'),
      CapacityMix: jsonSchema(capacityMixSchema, 'output'),
      StopTaskInput: jsonSchema(ROUTES['POST /tasks/{taskId}/stop'].body.schema, 'input'),
      TaskStop: jsonSchema(taskStopSchema, 'output'),
      ScaleServiceInput: jsonSchema(ROUTES['PATCH /services/{cluster}/{service}'].body.schema, 'input'),
      ServiceScaled: jsonSchema(serviceScaledSchema, 'output'),
      ServiceRedeploy: jsonSchema(serviceRedeploySchema, 'output'),
      TaskTransition: {
        ...jsonSchema(taskTransitionSchema, 'output'),
        description: 'One state change of a task: the task as the ECS event describes it, and what it means.',
      },
      TaskSummary: {
        allOf: [ref('TaskTransition')],
        description: 'The newest state of a task: its newest transition.',
      },
      TaskList: page('tasks', ref('TaskSummary'), 'A page of tasks, newest first.'),
      TaskHistory: {
        type: 'object',
        additionalProperties: false,
        properties: {
          task: { anyOf: [ref('TaskSummary'), { type: 'null' }] },
          transitions: { type: 'array', items: ref('TaskTransition'), description: 'Oldest first.' },
          launch: looseObject('What ecs-autopilot started and why (tasks it launched).'),
          decision: looseObject('The restart decision (failed tasks).'),
          replacementLaunch: {
            ...ref('Launch'),
            description:
              'What became of the launch the decision asked for, while it has no replacement: PENDING, or FAILED with why (a budget, the allowlist, RunTask).',
          },
          originTaskArn: { type: 'string' },
          attempts: { type: 'array', items: looseObject('One attempt of the restart chain.') },
        },
        required: ['task', 'transitions'],
      },
      Error: jsonSchema(errorSchema, 'output'),
      OpenApiDocument: { type: 'object', description: 'An OpenAPI 3.1 document.' },
    },
    responses: Object.fromEntries(
      Object.values(ERRORS).map(({ name, description }) => [
        name,
        {
          description,
          content: json(ref('Error')),
        },
      ]),
    ),
    securitySchemes: {
      sigv4: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'awsSigv4',
        description: 'AWS_IAM: requests are signed with SigV4 (service execute-api).',
      },
    },
  };
}

/** The API's OpenAPI 3.1 document. */
export function buildOpenApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ecs-autopilot',
      version,
      description:
        'Task lifecycle history, restarts of failed standalone tasks and scheduled launches for Amazon ECS. Every route requires AWS_IAM (SigV4). Errors answer {"error", "message"}; a 400 names each field and the rule it breaks.',
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        variables: { apiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
    ],
    security: [{ sigv4: [] }],
    tags: [
      { name: 'schedules', description: 'Scheduled task launches.' },
      { name: 'tasks', description: 'Task history and run-now launches.' },
      {
        name: 'services',
        description: 'Services moved off Spot and back; scaled and redeployed by callers.',
      },
      { name: 'clusters', description: "A cluster's state, capacity mix and what the automation did." },
      { name: 'meta', description: 'The API itself.' },
    ],
    paths: paths(),
    components: components(),
  };
}
