/**
 * The HTTP API, declared once: each route's method and path, its path, query and body schemas, its
 * responses and the client errors it can answer. This table drives the dispatch (src/app/api/dispatch.ts:
 * it parses every input with these schemas before a handler runs), the OpenAPI document (src/openapi.ts)
 * and the checks that serverless.yml deploys exactly these routes (test/unit/openapi.test.ts).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { CLASSIFICATIONS } from '../../domain/classify';
import {
  backfillBodySchema,
  replaceScheduleSchema,
  runTaskBodySchema,
  scheduleNameSchema,
  schedulePatchSchema,
  scheduleSchema,
} from '../../domain/schedule';
import { pageParams } from '../../http';
import * as z from '../../zod';

/** The schemas of the OpenAPI document's components a response can name (src/openapi.ts defines them). */
export type ResponseComponent =
  | 'Schedule'
  | 'ScheduleList'
  | 'ScheduleRun'
  | 'ScheduleRunList'
  | 'Backfill'
  | 'LaunchResult'
  | 'Launch'
  | 'Service'
  | 'RestartBreaker'
  | 'TaskList'
  | 'TaskHistory'
  | 'ClusterState'
  | 'CapacityMix'
  | 'TaskStop'
  | 'ServiceScaled'
  | 'ServiceRedeploy'
  | 'OpenApiDocument';

/** The request body schemas the document names. */
export type BodyComponent =
  | 'ScheduleInput'
  | 'ReplaceScheduleInput'
  | 'SchedulePatch'
  | 'RunTaskBody'
  | 'BackfillInput'
  | 'StopTaskInput'
  | 'ScaleServiceInput';

export type ClientError = 400 | 403 | 404 | 409 | 413;

interface PathParameter {
  schema: z.ZodMiniType<string, unknown>;
  description: string;
}

export interface RouteSpec {
  operationId: string;
  summary: string;
  description?: string;
  tag: 'schedules' | 'tasks' | 'services' | 'clusters' | 'meta';
  path?: Record<string, PathParameter>;
  query?: z.ZodMiniObject;
  body?: { schema: z.ZodMiniType; component: BodyComponent; description: string };
  /** The route takes an Idempotency-Key header. */
  idempotencyKey?: boolean;
  responses: Record<
    number,
    { description: string; schema?: ResponseComponent; headers?: Record<string, string> }
  >;
  errors: ClientError[];
}

/** A name as ECS allows it for clusters, services and families. */
const ecsNameSchema = (what: string) =>
  z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, `must be a ${what} name (1 to 255 letters, digits, -, _)`));

const taskIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an ECS task id (1 to 64 letters, digits, -)'));

/** A launch request's id: t-<id> (POST /tasks), s-/m-<schedule>-… (runs), r-/s-<task id> (restarts, Spot). */
const requestIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(256),
    z.regex(/^[\x21-\x7e]+$/, 'must be 1 to 256 printable ASCII characters'),
  );

const listTasksQuerySchema = z.strictObject({
  cluster: z
    .string({ error: 'is required (tasks are listed per cluster)' })
    .check(
      z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a cluster name (1 to 255 letters, digits, -, _)'),
      z.describe('Tasks are listed per cluster (name).'),
    ),
  classification: z.optional(
    z
      .enum(CLASSIFICATIONS, `must be one of ${CLASSIFICATIONS.join(', ')}`)
      .check(z.describe('Only tasks with this classification.')),
  ),
  since: z.optional(
    z.pipe(
      z.string().check(
        z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date or time'),
        z.describe('Only tasks created at or after this ISO-8601 date or date-time.'),
      ),
      z.transform((s: string) => new Date(Date.parse(s)).toISOString()),
    ),
  ),
  ...pageParams,
});

const pageQuerySchema = z.strictObject({ ...pageParams });

const isoTime = (what: string) =>
  z.optional(
    z.pipe(
      z.string().check(
        z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date or time'),
        z.describe(what),
      ),
      z.transform((s: string) => new Date(Date.parse(s)).toISOString()),
    ),
  );

const capacityQuerySchema = z.strictObject({
  from: isoTime('The window starts here (ISO-8601); default: 24 hours before `to`.'),
  to: isoTime('The window ends here (ISO-8601, not in the future); default: now.'),
});

const clusterName: PathParameter = { schema: ecsNameSchema('cluster'), description: 'The cluster name.' };
const serviceName: PathParameter = { schema: ecsNameSchema('service'), description: 'The service name.' };

/** StopTask's reason: "Up to 255 characters are allowed" (API_StopTask). */
const stopTaskBodySchema = z.strictObject({
  reason: z
    .string({ error: 'is required (ECS keeps it as the stopped reason)' })
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(255, 'must be at most 255 characters (StopTask)'),
      z.describe("Why: ECS shows it as the task's stopped reason."),
    ),
  cluster: z.optional(
    ecsNameSchema('cluster').check(
      z.describe("The task's cluster; found from the task's history when left out."),
    ),
  ),
});

const scaleServiceBodySchema = z.strictObject({
  desiredCount: z
    .number({ error: 'is required (an integer)' })
    .check(
      z.int('must be an integer'),
      z.gte(0, 'must be 0 or more'),
      z.describe(
        "The tasks the service keeps running, within the stage's minServiceDesiredCount and maxServiceDesiredCount.",
      ),
    ),
});

const scheduleName: PathParameter = { schema: scheduleNameSchema, description: 'The schedule name.' };

const SCHEDULE_LIMITS =
  "While ENABLED, a schedule must leave at least the stage's minScheduleIntervalMinutes (default 5) between runs, and start at most its maxScheduledTasksPerHour (default 60) tasks in any hour: count × the runs of the expression in its busiest hour. A PAUSED schedule is not held to these, so pausing always works.";
const SIZE_LIMITS =
  "Task and container cpu and memory overrides stay within the stage's maxTaskCpu (default 4096 CPU units) and maxTaskMemory (default 16384 MiB); on Fargate (launchType FARGATE, or a FARGATE / FARGATE_SPOT strategy) the task cpu and memory must be a size Fargate offers.";

export const ROUTES = {
  'POST /schedules': {
    operationId: 'createSchedule',
    summary: 'Create a schedule that launches ECS tasks.',
    description: `${SCHEDULE_LIMITS} ${SIZE_LIMITS} The stage keeps at most its maxSchedules (default 200) schedules: one more is a 409 LimitExceeded.`,
    tag: 'schedules',
    body: {
      schema: scheduleSchema,
      component: 'ScheduleInput',
      description: 'The schedule; unknown fields are rejected.',
    },
    responses: { 201: { description: 'Created.', schema: 'Schedule' } },
    errors: [400, 403, 409, 413],
  },
  'GET /schedules': {
    operationId: 'listSchedules',
    summary: 'List schedules by name.',
    tag: 'schedules',
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of schedules.', schema: 'ScheduleList' } },
    errors: [400, 403],
  },
  'GET /schedules/{name}': {
    operationId: 'getSchedule',
    summary: 'One schedule.',
    tag: 'schedules',
    path: { name: scheduleName },
    responses: { 200: { description: 'The schedule.', schema: 'Schedule' } },
    errors: [400, 403, 404],
  },
  'PUT /schedules/{name}': {
    operationId: 'replaceSchedule',
    summary: 'Replace a schedule (the body name must be the path name).',
    description: `The body may be what GET answered, changed: \`version\` is checked (409 if the schedule changed since), the other bookkeeping fields are ignored. Omitted fields take their defaults, except \`state\`: a body without it keeps the stored state, so a PUT never resumes a PAUSED schedule. ${SCHEDULE_LIMITS} ${SIZE_LIMITS}`,
    tag: 'schedules',
    path: { name: scheduleName },
    body: {
      schema: replaceScheduleSchema,
      component: 'ReplaceScheduleInput',
      description: 'The whole schedule.',
    },
    responses: { 200: { description: 'The schedule.', schema: 'Schedule' } },
    errors: [400, 403, 404, 409, 413],
  },
  'PATCH /schedules/{name}': {
    operationId: 'updateSchedule',
    summary: 'Change some fields of a schedule.',
    description: `The result must still be a valid schedule. Setting launchType drops capacityProviderStrategy and the other way round. ${SCHEDULE_LIMITS} ${SIZE_LIMITS}`,
    tag: 'schedules',
    path: { name: scheduleName },
    body: {
      schema: schedulePatchSchema,
      component: 'SchedulePatch',
      description: 'Any fields but name, at least one.',
    },
    responses: { 200: { description: 'The schedule.', schema: 'Schedule' } },
    errors: [400, 403, 404, 409, 413],
  },
  'DELETE /schedules/{name}': {
    operationId: 'deleteSchedule',
    summary: 'Delete a schedule (tasks it started keep running).',
    tag: 'schedules',
    path: { name: scheduleName },
    responses: { 204: { description: 'Deleted.' } },
    errors: [400, 403, 404],
  },
  'POST /schedules/{name}/runs': {
    operationId: 'runSchedule',
    summary: 'Run a schedule now, as if it were due.',
    description:
      "409 when the schedule's overrides break the stage's size limits (a schedule stored before they were lowered): change it first.",
    tag: 'schedules',
    path: { name: scheduleName },
    idempotencyKey: true,
    responses: {
      200: {
        description:
          'The run: LAUNCHED with its tasks, PENDING (queued: follow location), FAILED with the reasons, or SKIPPED with why.',
        schema: 'ScheduleRun',
      },
    },
    errors: [400, 403, 404, 409],
  },
  'GET /schedules/{name}/runs': {
    operationId: 'listScheduleRuns',
    summary: "A schedule's runs, newest first.",
    tag: 'schedules',
    path: { name: scheduleName },
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of runs.', schema: 'ScheduleRunList' } },
    errors: [400, 403, 404],
  },
  'POST /schedules/{name}/backfill': {
    operationId: 'backfillSchedule',
    summary: 'Run the due times of a past window that have no run yet, in order.',
    description:
      "Each due time in [from, to) without a run (by EventBridge Scheduler's rules in the schedule's time zone, startDate and endDate included) is sent to the launcher as that due time, a few seconds apart in order, and runs as it would have: through the concurrencyPolicy, the state's and the stage's budgets and allowlist, and its startingDeadlineSeconds counted from this request. A due time that ran (or is asked for again) is never run twice. At most the stage's maxBackfillRuns (default 24) due times: a wider window is a 400. 409 when the schedule breaks the stage's size limits.",
    tag: 'schedules',
    path: { name: scheduleName },
    body: {
      schema: backfillBodySchema,
      component: 'BackfillInput',
      description: 'The window: from (included) and to (excluded, not after now).',
    },
    responses: {
      202: { description: 'What it will run, and the due times that had run.', schema: 'Backfill' },
    },
    errors: [400, 403, 404, 409, 413],
  },
  'POST /tasks': {
    operationId: 'runTask',
    summary: 'Start tasks now, through the launcher (history and restarts included).',
    description: SIZE_LIMITS,
    tag: 'tasks',
    idempotencyKey: true,
    body: {
      schema: runTaskBodySchema,
      component: 'RunTaskBody',
      description: 'What to launch; unknown fields are rejected.',
    },
    responses: {
      200: {
        description:
          'The launch: LAUNCHED with its tasks, PENDING (queued: follow location), or FAILED with the reasons.',
        schema: 'LaunchResult',
        headers: { Location: 'GET /launches/{requestId} of this launch.' },
      },
    },
    errors: [400, 403, 409, 413],
  },
  'GET /tasks': {
    operationId: 'listTasks',
    summary: 'Recent tasks of a cluster, newest first.',
    tag: 'tasks',
    query: listTasksQuerySchema,
    responses: { 200: { description: 'A page of task summaries.', schema: 'TaskList' } },
    errors: [400, 403],
  },
  'GET /tasks/{taskId}': {
    operationId: 'getTask',
    summary: "A task's summary and every state transition, plus its restart chain if it has one.",
    tag: 'tasks',
    path: {
      taskId: { schema: taskIdSchema, description: 'The ECS task id (the last part of the task ARN).' },
    },
    responses: { 200: { description: 'The task history.', schema: 'TaskHistory' } },
    errors: [400, 403, 404],
  },
  'GET /launches/{requestId}': {
    operationId: 'getLaunch',
    summary: 'What a launch came to: its tasks over every attempt, why it failed, or PENDING while queued.',
    tag: 'tasks',
    path: {
      requestId: {
        schema: requestIdSchema,
        description: 'The launch request id (requestId of POST /tasks, of a schedule run).',
      },
    },
    responses: { 200: { description: 'The launch.', schema: 'Launch' } },
    errors: [400, 403, 404],
  },
  'GET /services/{cluster}/{service}': {
    operationId: 'getService',
    summary: "A service's Spot fallback state and its switches (services ecs-autopilot moved off Spot).",
    tag: 'services',
    path: { cluster: clusterName, service: serviceName },
    responses: { 200: { description: 'The service.', schema: 'Service' } },
    errors: [400, 403, 404],
  },
  'GET /restart-breakers/{family}': {
    operationId: 'getRestartBreaker',
    summary: "A family's restart circuit breaker: open until when, and the relaunches that failed again.",
    tag: 'tasks',
    path: {
      family: { schema: ecsNameSchema('task definition family'), description: 'The task definition family.' },
    },
    responses: { 200: { description: 'The breaker.', schema: 'RestartBreaker' } },
    errors: [400, 403],
  },
  'DELETE /restart-breakers/{family}': {
    operationId: 'closeRestartBreaker',
    summary: "Close a family's restart circuit breaker now (its restarts resume; its count starts again).",
    tag: 'tasks',
    path: {
      family: { schema: ecsNameSchema('task definition family'), description: 'The task definition family.' },
    },
    responses: { 200: { description: 'The breaker, closed.', schema: 'RestartBreaker' } },
    errors: [400, 403],
  },
  'GET /clusters/{cluster}': {
    operationId: 'getClusterState',
    summary:
      "A cluster's state: its tasks by family and capacity, services, the last hour's stops and what the automation did.",
    description:
      "Running and pending tasks (ECS, cached a few seconds), services with their Spot fallback state, the last hour's stopped tasks by classification, restarts in flight and exhausted, restart circuit breakers and launch budgets, the Spot shortage memory, upcoming scheduled runs, and the last hour's actions (automatic and callers'). allowedClusters only.",
    tag: 'clusters',
    path: { cluster: clusterName },
    responses: { 200: { description: 'The state.', schema: 'ClusterState' } },
    errors: [400, 403, 404],
  },
  'GET /clusters/{cluster}/capacity': {
    operationId: 'getCapacityMix',
    summary: 'Task-hours on Spot and on-demand per family over a window, and what Spot saved.',
    description:
      "From the history: each task's hours inside [from, to), on Spot or on-demand, the on-demand hours of Spot fallback replacements, and an estimated saving at the stage's capacityPrices (per vCPU-hour and GB-hour; defaults: Fargate's published US East prices, Spot at 70% off). At most 31 days. allowedClusters only.",
    tag: 'clusters',
    path: { cluster: clusterName },
    query: capacityQuerySchema,
    responses: { 200: { description: 'The capacity mix.', schema: 'CapacityMix' } },
    errors: [400, 403],
  },
  'POST /tasks/{taskId}/stop': {
    operationId: 'stopTask',
    summary: 'Stop a task (StopTask with your reason); ecs-autopilot never restarts it.',
    description:
      "allowedClusters only. The caller's principal is recorded as an action of the cluster and published (Task Stop Requested). A task stopped or stopping already answers 200 with alreadyStopping, and nothing is done again.",
    tag: 'tasks',
    path: {
      taskId: { schema: taskIdSchema, description: 'The ECS task id (the last part of the task ARN).' },
    },
    body: {
      schema: stopTaskBodySchema,
      component: 'StopTaskInput',
      description: 'The reason, and the cluster.',
    },
    responses: { 200: { description: 'Stopping.', schema: 'TaskStop' } },
    errors: [400, 403, 404, 413],
  },
  'PATCH /services/{cluster}/{service}': {
    operationId: 'scaleService',
    summary: "Scale a service: set its desiredCount, within the stage's bounds.",
    description:
      "allowedClusters only; desiredCount from the stage's minServiceDesiredCount (default 0) to maxServiceDesiredCount (default 50), else a 400. Recorded with the caller's principal and published (Service Scaled).",
    tag: 'services',
    path: { cluster: clusterName, service: serviceName },
    body: {
      schema: scaleServiceBodySchema,
      component: 'ScaleServiceInput',
      description: 'The new desiredCount.',
    },
    responses: { 200: { description: 'Scaled.', schema: 'ServiceScaled' } },
    errors: [400, 403, 404, 413],
  },
  'POST /services/{cluster}/{service}/redeploy': {
    operationId: 'redeployService',
    summary:
      'Redeploy a service: new tasks of the same task definition replace the running ones (forceNewDeployment).',
    description:
      "allowedClusters only. Recorded with the caller's principal and published (Service Redeploy Requested).",
    tag: 'services',
    path: { cluster: clusterName, service: serviceName },
    responses: { 200: { description: 'The deployment started.', schema: 'ServiceRedeploy' } },
    errors: [400, 403, 404],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This document.',
    tag: 'meta',
    responses: { 200: { description: 'The OpenAPI 3.1 document.', schema: 'OpenApiDocument' } },
    errors: [403],
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteKey = keyof typeof ROUTES;
export const ROUTE_KEYS = Object.keys(ROUTES) as RouteKey[];

type SpecOf<K extends RouteKey> = (typeof ROUTES)[K];
type PathOf<S> = S extends { path: infer P } ? { [Name in keyof P]: string } : Record<string, never>;
type QueryOf<S> = S extends { query: infer Q extends z.ZodMiniType } ? z.output<Q> : undefined;
type BodyOf<S> = S extends { body: { schema: infer B extends z.ZodMiniType } } ? z.output<B> : undefined;

/** What a route's handler gets: its inputs parsed by the route's schemas, and the event itself. */
export interface RouteInput<K extends RouteKey> {
  path: PathOf<SpecOf<K>>;
  query: QueryOf<SpecOf<K>>;
  body: BodyOf<SpecOf<K>>;
  /** The body as JSON, before the schema filled in defaults (PUT tells "state omitted" from it). */
  rawBody: unknown;
  event: APIGatewayProxyEventV2;
}

export type RouteHandler<K extends RouteKey> = (input: RouteInput<K>) => Promise<APIGatewayProxyResultV2>;
export type RouteHandlers = { [K in RouteKey]: RouteHandler<K> };
