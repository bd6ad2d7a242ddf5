/**
 * Drill 8: random malformed HTTP API requests (fast-check) against the API handler wired as functions/api/handler.ts
 * wires it (buildApi with the buildScheduleRoutes routes, wrapped in middy with
 * @middy/http-error-handler and INTERNAL_ERROR_BODY), with in-memory fakes for the stores, the Scheduler,
 * the launcher and ECS. Expected: only 2xx/400/403/404/409/413, never 5xx; a 2xx only for a body that is
 * valid; `launch` called only by an accepted POST /tasks or run-now.
 *
 * The fakes answer like DynamoDB where input reaches it: a page token's ExclusiveStartKey must be a key of
 * the table or index queried, inside the query's partition and range condition, and a partition key value is
 * at most 2048 bytes (both as dynalite answers; the confirmation step replays such requests against the real
 * adapters on dynalite).
 */

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { buildRunTask } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { attemptOf, buildLaunchStore, requestKey } from '../../src/adapters/launchStore';
import { decodePageToken } from '../../src/adapters/pageToken';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildGetTaskHistory, buildListTasks } from '../../src/adapters/taskHistory';
import { buildScheduleRoutes, type LaunchAllowlist, MAX_BODY_BYTES } from '../../src/app/api/scheduleRoutes';
import { type ApiDeps, buildApi } from '../../src/app/api/taskRoutes';
import { buildLaunch, type LaunchResult } from '../../src/app/launcher';
import { buildRunScheduled } from '../../src/app/scheduledRun';
import { CLASSIFICATIONS } from '../../src/domain/classify';
import { idempotencyKeyProblem } from '../../src/domain/idempotency';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { toTransition } from '../../src/domain/lifecycle';
import {
  runTaskBodySchema,
  type ScheduleInput,
  schedulePatchSchema,
  scheduleSchema,
} from '../../src/domain/schedule';
import { scheduleCadence } from '../../src/domain/scheduleExpression';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { INTERNAL_ERROR_BODY } from '../../src/http';
import { buildOpenApiDocument } from '../../src/openapi';
import type {
  AcceptedLaunch,
  ListTasks,
  RequestOutcome,
  ScheduleRun,
  SchedulerPort,
  ScheduleStore,
  StoredSchedule,
  TaskHistory,
} from '../../src/ports';
import { ScheduleConflictError, ScheduleLimitError } from '../../src/ports';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import { fixture } from '../support/fixtures';
import { launcherTestDefaults } from '../support/launcherDefaults';
import { defaultLimits } from '../support/limits';
import { openLaunchGuard } from '../support/openLaunchGuard';
import {
  ignoredRunEnds,
  noRunStats,
  unusedBackfill,
  unusedBreakers,
  unusedBuffer,
  unusedClusterRoutes,
  unusedDescribeTaskTags,
} from '../support/unusedDeps';
import { FakeEcs, FakeEventBus, FakeLaunchQueue, QUEUE_URL } from './launcherHarness';
import { clip, type DrillDb, type DrillResult, quietLogger, Tally } from './support';

export interface ApiFuzzOptions {
  runs: number;
  seed?: number;
}

// ---------- the world the API sees ----------

const ALLOWLIST: LaunchAllowlist = {
  clusters: new Set(['batch', 'etl']),
  families: new Set(['worker', 'report']),
  taskRoles: new Set(['arn:aws:iam::111122223333:role/worker-task']),
};
const ALLOWED_ROLE = 'arn:aws:iam::111122223333:role/worker-task';
/** The stage's default guardrails (serverless.yml). */
const LIMITS = defaultLimits();
const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const STOPPED = toTransition(parseTaskStateChange(fixture('stopped-exit-1')));
const KNOWN_TASK_ID = STOPPED.taskId;

/** Schedules present before each request: runnable, skipped by Forbid (a run is still going), not allowed. */
const SEEDED: ScheduleInput[] = [
  {
    name: 'nightly-etl',
    expression: 'cron(30 2 ? * MON-FRI *)',
    timezone: 'Europe/Paris',
    cluster: 'batch',
    taskDefinition: 'worker',
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } },
  },
  {
    name: 'hourly-report',
    expression: 'rate(1 hour)',
    cluster: 'etl',
    taskDefinition: 'report:12',
    launchType: 'EC2',
    concurrencyPolicy: 'Forbid',
  },
  { name: 'legacy-prod', expression: 'rate(5 minutes)', cluster: 'prod', taskDefinition: 'worker:3' },
];
export const EXISTING_SCHEDULES = SEEDED.map((s) => s.name);

const stored = (input: ScheduleInput): StoredSchedule => ({
  ...scheduleSchema.parse(input),
  version: 1,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'arn:aws:iam::111122223333:user/alice',
});

/** An error as the DynamoDB client throws it for a request DynamoDB refuses (HTTP 400). */
export function dynamoValidation(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

const encodeKey = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

/** DynamoDB's checks of a Query's ExclusiveStartKey (as dynalite answers them). */
function checkStartKey(
  key: Record<string, unknown>,
  spec: { keys: string[]; partition: [string, string]; range?: [string, (value: string) => boolean] },
): void {
  const names = Object.keys(key);
  if (names.length !== spec.keys.length || !spec.keys.every((k) => names.includes(k))) {
    throw dynamoValidation('The provided starting key is invalid');
  }
  for (const k of spec.keys) {
    if (typeof key[k] !== 'string') {
      throw dynamoValidation(
        'The provided starting key is invalid: The provided key element does not match the schema',
      );
    }
    if (key[k] === '') {
      throw dynamoValidation(
        `One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty string value. Key: ${k}`,
      );
    }
  }
  if (key[spec.partition[0]] !== spec.partition[1]) {
    throw dynamoValidation(
      'The provided starting key is outside query boundaries based on provided conditions',
    );
  }
  if (spec.range && !spec.range[1](key[spec.range[0]] as string)) {
    throw dynamoValidation('The provided starting key does not match the range key predicate');
  }
}

/** DynamoDB's limit on a partition key value. */
function checkPartitionKey(value: string): void {
  if (Buffer.byteLength(value) > 2048) {
    throw dynamoValidation(
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
    );
  }
}

/** The schedule items of the single table, in memory, with the adapter's conditions and page tokens. */
class FakeScheduleStore implements ScheduleStore {
  readonly schedules = new Map<string, StoredSchedule>();
  readonly runs = new Map<string, ScheduleRun[]>();

  constructor() {
    for (const input of SEEDED) this.schedules.set(input.name, stored(input));
  }

  async get(name: string) {
    const found = this.schedules.get(name);
    return found && structuredClone(found);
  }

  async create(schedule: StoredSchedule, maxSchedules: number) {
    if (this.schedules.has(schedule.name))
      throw new ScheduleConflictError(`schedule ${schedule.name} exists`);
    if (this.schedules.size >= maxSchedules) throw new ScheduleLimitError(maxSchedules);
    this.schedules.set(schedule.name, structuredClone(schedule));
  }

  async put(schedule: StoredSchedule, expectedVersion: number) {
    if (this.schedules.get(schedule.name)?.version !== expectedVersion) {
      throw new ScheduleConflictError(`schedule ${schedule.name} changed meanwhile`);
    }
    this.schedules.set(schedule.name, structuredClone(schedule));
  }

  async remove(name: string) {
    this.schedules.delete(name);
  }

  async list(limit: number, nextToken?: string) {
    // The adapters' own page-token check (src/adapters/pageToken.ts), then DynamoDB's.
    const start = decodePageToken(nextToken, ['pk', 'sk'], { pk: 'SCHEDULES' });
    if (start) checkStartKey(start, { keys: ['pk', 'sk'], partition: ['pk', 'SCHEDULES'] });
    const names = [...this.schedules.keys()].sort().filter((n) => !start || n > (start.sk as string));
    const page = names.slice(0, limit);
    const last = page[page.length - 1];
    return {
      schedules: page.map((n) => structuredClone(this.schedules.get(n) as StoredSchedule)),
      nextToken: names.length > limit && last ? encodeKey({ pk: 'SCHEDULES', sk: last }) : undefined,
    };
  }

  async recordRun(name: string, run: ScheduleRun) {
    const runs = this.runs.get(name) ?? [];
    if (runs.some((r) => r.requestId === run.requestId && r.scheduledTime === run.scheduledTime))
      return false;
    runs.push(structuredClone(run));
    this.runs.set(name, runs);
    return true;
  }

  /** Launch leases with the adapter's conditions (test/support/fakeLaunchLeases.ts). */
  private readonly launchLeases = fakeLaunchLeases(() => NOW);
  readonly acquireLaunchLease = this.launchLeases.acquireLaunchLease;
  readonly holdLaunchLease = this.launchLeases.holdLaunchLease;
  readonly releaseLaunchLease = this.launchLeases.releaseLaunchLease;

  async listRuns(name: string, limit: number, nextToken?: string) {
    const start = decodePageToken(nextToken, ['pk', 'sk'], { pk: `SCHEDULE#${name}` });
    if (start) {
      checkStartKey(start, {
        keys: ['pk', 'sk'],
        partition: ['pk', `SCHEDULE#${name}`],
        range: ['sk', (sk) => sk.startsWith('RUN#')],
      });
    }
    const runs = (this.runs.get(name) ?? []).map((r) => ({ sk: `RUN#${r.scheduledTime}#${r.requestId}`, r }));
    runs.sort((a, b) => (a.sk < b.sk ? 1 : -1));
    const after = runs.filter(({ sk }) => !start || sk < (start.sk as string));
    return { runs: after.slice(0, limit).map(({ r }) => structuredClone(r)), nextToken: undefined };
  }
}

/** Task summaries in the byCluster / byClassification indexes, with the adapter's page tokens. */
const fakeListTasks: ListTasks = async (q) => {
  const [pk, sk, partition] = q.classification
    ? ['gsi2pk', 'gsi2sk', `${q.cluster}#${q.classification}`]
    : ['gsi1pk', 'gsi1sk', q.cluster];
  const start = decodePageToken(q.nextToken, ['pk', 'sk', pk, sk], { [pk]: partition });
  if (start) {
    checkStartKey(start, {
      keys: ['pk', 'sk', pk, sk],
      partition: [pk, partition],
      ...(q.since && {
        range: [sk, (value: string) => value >= (q.since as string)] as [string, (v: string) => boolean],
      }),
    });
  }
  return { tasks: q.cluster === STOPPED.cluster ? [STOPPED] : [], nextToken: undefined };
};

const history: TaskHistory = { summary: STOPPED, transitions: [STOPPED] };

let openApiDocument: object | undefined;
const openApi = () => {
  openApiDocument ??= buildOpenApiDocument();
  return openApiDocument;
};

export interface ApiWorld {
  call(
    event: Partial<APIGatewayProxyEventV2>,
  ): Promise<{ response: APIGatewayProxyStructuredResultV2; error?: unknown }>;
  launches: () => number;
}

/**
 * @middy/core and its error handler are ESM-only: imported when first needed, so the drills also run from
 * CommonJS (tsx, the runner) and jest (through its moduleNameMapper).
 */
let middyModules:
  | Promise<{
      middy: typeof import('@middy/core').default;
      httpErrorHandler: typeof import('@middy/http-error-handler').default;
    }>
  | undefined;
const loadMiddy = () => {
  middyModules ??= Promise.all([import('@middy/core'), import('@middy/http-error-handler')]).then(
    ([core, errors]) => ({
      middy: core.default,
      httpErrorHandler: errors.default,
    }),
  );
  return middyModules;
};

/** The middy-wrapped handler as functions/api/handler.ts builds it; `lastError` is what reached the error handler. */
async function wrap(deps: ApiDeps, launches: () => number): Promise<ApiWorld> {
  const { middy, httpErrorHandler } = await loadMiddy();
  let lastError: unknown;
  const handler = middy(buildApi(deps)).use(
    httpErrorHandler({
      logger: (error: unknown) => {
        lastError = error;
      },
      fallbackMessage: INTERNAL_ERROR_BODY,
    }),
  );
  return {
    async call(event) {
      lastError = undefined;
      const response = (await handler(
        event as APIGatewayProxyEventV2,
        {} as never,
      )) as APIGatewayProxyStructuredResultV2;
      return { response, error: lastError };
    },
    launches,
  };
}

/** A fresh world with fakes: three schedules, one known task, a launcher that records what it was asked. */
export function fakeApi(): Promise<ApiWorld> {
  const schedules = new FakeScheduleStore();
  const outcomes = new Map<string, RequestOutcome>();
  const accepted = new Map<string, AcceptedLaunch>();
  let launched = 0;
  const scheduler: SchedulerPort = { put: async () => undefined, remove: async () => undefined };
  // The launcher's first step is the outcome marker read (GetItem on REQ#<requestId>#<retry>).
  const launch = async (request: LaunchRequest): Promise<LaunchResult> => {
    checkPartitionKey(`REQ#${requestKey(request)}`);
    launched++;
    outcomes.set(requestKey(request), {
      status: 'launched',
      taskArns: [`arn:aws:ecs:us-east-1:111122223333:task/batch/${String(launched).padStart(32, '0')}`],
      events: [],
      done: true,
      at: new Date(NOW).toISOString(),
    });
    return 'launched';
  };
  const routes = buildScheduleRoutes({
    runs: noRunStats,
    backfill: unusedBackfill,
    schedules,
    scheduler,
    launch,
    launches: {
      getAttempts: async (requestId) => {
        checkPartitionKey(`REQ#${requestKey({ requestId, capacityRetries: 0 })}`);
        const outcome = outcomes.get(requestKey({ requestId, capacityRetries: 0 }));
        return outcome ? [attemptOf(outcome)] : [];
      },
      acceptLaunch: async (launch) => {
        checkPartitionKey(`REQ#${launch.requestId}`);
        const existing = accepted.get(launch.requestId);
        if (existing) return { created: false as const, existing };
        accepted.set(launch.requestId, launch);
        return { created: true as const };
      },
      getAcceptedLaunch: async (requestId) => {
        checkPartitionKey(`REQ#${requestId}`);
        return accepted.get(requestId);
      },
    },
    runScheduled: buildRunScheduled({
      buffer: unusedBuffer,
      refusalOf: () => undefined,
      publishEvents: async () => undefined,
      store: schedules,
      listRunningTasks: async (_cluster, startedBy) =>
        startedBy.endsWith('/hourly-report') ? ['arn:aws:ecs:us-east-1:111122223333:task/etl/1111'] : [],
      stopTasks: async () => undefined,
      logger: quietLogger(),
    }),
    scope: { partition: 'aws', region: 'us-east-1', account: '111122223333' },
    allowlist: ALLOWLIST,
    limits: LIMITS,
    openApi,
    now: () => NOW,
  });
  return wrap(
    {
      getTaskHistory: async (id) => (id === KNOWN_TASK_ID ? structuredClone(history) : undefined),
      listTasks: fakeListTasks,
      getServiceState: async () => undefined,
      breakers: unusedBreakers,
      routes: { ...routes, ...unusedClusterRoutes },
    },
    () => launched,
  );
}

/**
 * The same API on the real adapters (task history, schedule store, launch store on dynalite; the real
 * launcher on the fake ECS), for the confirmation replays.
 */
export async function realApi(dynamo: DrillDb): Promise<ApiWorld & { ecs: FakeEcs }> {
  const table = await dynamo.newTable('drill-api');
  const schedules = buildScheduleStore(dynamo.db, table, 30);
  for (const input of SEEDED) await schedules.create(stored(input), LIMITS.maxSchedules);
  const store = buildLaunchStore(dynamo.db, table, 30);
  const ecs = new FakeEcs();
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  const launch = buildLaunch({
    ...launcherTestDefaults(),
    guard: openLaunchGuard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    runTask: buildRunTask(ecs.client),
    store,
    sendLaunchRequest: buildSendLaunchRequest(queue.client, QUEUE_URL),
    publishEvents: buildPublishEvents(bus.client, 'default'),
    logger: quietLogger(),
    leases: schedules,
    describeTaskTags: unusedDescribeTaskTags,
  });
  const routes = buildScheduleRoutes({
    runs: noRunStats,
    backfill: unusedBackfill,
    schedules,
    scheduler: { put: async () => undefined, remove: async () => undefined },
    launch,
    launches: store,
    runScheduled: buildRunScheduled({
      buffer: unusedBuffer,
      refusalOf: () => undefined,
      publishEvents: async () => undefined,
      store: schedules,
      listRunningTasks: async () => [],
      stopTasks: async () => undefined,
      logger: quietLogger(),
    }),
    scope: { partition: 'aws', region: 'us-east-1', account: '111122223333' },
    allowlist: ALLOWLIST,
    limits: LIMITS,
    openApi,
    now: () => NOW,
  });
  const world = await wrap(
    {
      getTaskHistory: buildGetTaskHistory(dynamo.db, table),
      listTasks: buildListTasks(dynamo.db, table),
      getServiceState: async () => undefined,
      breakers: unusedBreakers,
      routes: { ...routes, ...unusedClusterRoutes },
    },
    () => ecs.counts.runTaskCalls,
  );
  return { ...world, ecs };
}

// ---------- requests ----------

const ROUTES = {
  'GET /tasks/{taskId}': ['taskId'],
  'GET /tasks': [],
  'GET /services/{cluster}/{service}': ['cluster', 'service'],
  'GET /openapi.json': [],
  'POST /schedules': [],
  'GET /schedules': [],
  'GET /schedules/{name}': ['name'],
  'PUT /schedules/{name}': ['name'],
  'PATCH /schedules/{name}': ['name'],
  'DELETE /schedules/{name}': ['name'],
  'POST /schedules/{name}/runs': ['name'],
  'GET /schedules/{name}/runs': ['name'],
  'POST /tasks': [],
} as const satisfies Record<string, readonly string[]>;
type RouteKey = keyof typeof ROUTES;
export const ROUTE_KEYS = Object.keys(ROUTES) as RouteKey[];
const BODY_ROUTES = new Set<string>([
  'POST /schedules',
  'PUT /schedules/{name}',
  'PATCH /schedules/{name}',
  'POST /tasks',
]);
const LAUNCH_ROUTES = new Set<string>(['POST /tasks', 'POST /schedules/{name}/runs']);

/** How the body was made: valid by construction, broken in one field, valid but not allowlisted, or anything. */
export type BodyKind = 'none' | 'valid' | 'broken' | 'forbidden' | 'random' | 'oversized';

export interface ApiCase {
  routeKey: string;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  caller?: string;
  kind: BodyKind;
  /** The breaker or generator that made the body. */
  note: string;
}

type Json = Record<string, unknown>;

const validName = fc.stringMatching(/^[0-9A-Za-z_.-]{1,64}$/);
const nameParam = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EXISTING_SCHEDULES) },
  { weight: 2, arbitrary: validName },
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '..', 'a/b', 'x'.repeat(65), '%20', 'nightly-etl ', '\u0000') },
);
const taskIdParam = fc.oneof(
  fc.constant(KNOWN_TASK_ID),
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.string({ maxLength: 70 }),
  fc.constantFrom('', 'x'.repeat(65), '../etc', 'a b'),
);
const resourceNameParam = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', 'x'.repeat(256), 'a#b'),
);
const paramArb: Record<string, fc.Arbitrary<string>> = {
  name: nameParam,
  taskId: taskIdParam,
  cluster: resourceNameParam,
  service: resourceNameParam,
};

/** Page tokens: junk, tokens that decode to some JSON, and tokens shaped like keys with a string pk. */
const pageToken = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  },
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          pk: fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.constantFrom('SCHEDULES', 'TASK#abc', 'SCHEDULE#nightly-etl'),
          ),
          sk: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant('SUMMARY')),
          gsi1pk: fc.constantFrom('batch', 'etl', ''),
          gsi1sk: fc.string({ maxLength: 12 }),
          other: fc.string({ maxLength: 5 }),
        },
        { requiredKeys: ['pk'] },
      )
      .map(encodeKey),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'x'.repeat(2049), encodeKey({ pk: 'SCHEDULES', sk: 'hourly-report' })),
  },
);

/** One unknown query parameter, now and then. */
const junkParam = fc.option(
  fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })),
  {
    freq: 5,
    nil: undefined,
  },
);
const withJunk = <T extends Record<string, string>>(arb: fc.Arbitrary<T>) =>
  fc
    .tuple(arb, junkParam)
    .map(([known, extra]) => (extra ? { ...known, [extra[0]]: extra[1] } : known) as Record<string, string>);
const limitParam = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 200 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('1e2', '0x10', ' 5', 'Infinity', 'NaN', '', '2.5') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
/** GET /tasks: mostly well-formed filters, so the page token is what gets tested. */
const tasksQuery = withJunk(
  fc.record(
    {
      cluster: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('batch', 'batch-cluster', 'etl') },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      ),
      classification: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...CLASSIFICATIONS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
      ),
      since: fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .date({ noInvalidDate: true, min: new Date(-1e14), max: new Date(1e14) })
            .map((d) => d.toISOString()),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '2024-05-14',
            'yesterday',
            '2024-13-01',
            '0',
            '+275760-09-13T00:00:00.001Z',
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      ),
      limit: limitParam,
      nextToken: pageToken,
    },
    { requiredKeys: [] },
  ),
);
/** GET /schedules and GET /schedules/{name}/runs. */
const pageQuery = withJunk(fc.record({ limit: limitParam, nextToken: pageToken }, { requiredKeys: [] }));
/** Routes that take no query: anything, ignored. */
const ignoredQuery = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
const queryFor = (routeKey: string): fc.Arbitrary<Record<string, string> | undefined> =>
  fc.option(
    routeKey === 'GET /tasks'
      ? tasksQuery
      : routeKey === 'GET /schedules' || routeKey === 'GET /schedules/{name}/runs'
        ? pageQuery
        : ignoredQuery,
    { nil: undefined },
  );

const headersArb = fc.option(
  fc.record(
    {
      'idempotency-key': fc.oneof(
        { weight: 3, arbitrary: fc.string({ maxLength: 60 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 4000 }).map((n) => 'k'.repeat(n)) },
      ),
      'content-type': fc.constantFrom('application/json', 'text/plain'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

// Valid bodies, by construction.

const tagChars = /^[A-Za-z0-9 _.:/=+@-]{1,20}$/;
const validTags = fc
  .uniqueArray(
    fc.record({ key: fc.stringMatching(tagChars), value: fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,20}$/) }),
    { selector: (t) => t.key, maxLength: 5 },
  )
  .map((tags) => tags.filter((t) => !/^(aws|ecs-autopilot):/i.test(t.key)));
const validOverrides = fc.record(
  {
    containerOverrides: fc.array(
      fc.record(
        {
          name: fc.constantFrom('worker', 'sidecar'),
          command: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
          environment: fc.array(
            fc.record({ name: fc.stringMatching(/^[A-Z_]{1,10}$/), value: fc.string({ maxLength: 20 }) }),
            {
              maxLength: 3,
            },
          ),
          cpu: fc.integer({ min: 0, max: 4096 }),
          memory: fc.integer({ min: 4, max: 8192 }),
        },
        { requiredKeys: ['name'] },
      ),
      { maxLength: 2 },
    ),
    cpu: fc.constantFrom('1024', '1 vCPU', '0.5 vcpu'),
    memory: fc.constantFrom('2048', '2 GB'),
    taskRoleArn: fc.constant(ALLOWED_ROLE),
  },
  { requiredKeys: [] },
);
const validRestartPolicy = fc.record(
  {
    maxAttempts: fc.integer({ min: 0, max: 10 }),
    backoff: fc.record(
      {
        baseSeconds: fc.integer({ min: 1, max: 3600 }),
        factor: fc.integer({ min: 1, max: 10 }),
        maxSeconds: fc.integer({ min: 1, max: 86_400 }),
        jitter: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    retryOn: fc.array(
      fc.record({
        exitCodes: fc.array(fc.oneof(fc.integer({ min: -1, max: 255 }), fc.constantFrom('1-5', '0-0')), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
      { maxLength: 2 },
    ),
    giveUpOn: fc.array(fc.record({ reasonPrefixes: fc.constant(['CannotPullContainerError']) }), {
      maxLength: 1,
    }),
  },
  { requiredKeys: [] },
);
const validNetwork = fc.record({
  awsvpcConfiguration: fc.record(
    {
      subnets: fc.array(fc.constantFrom('subnet-0a1b2c3d', 'subnet-0a1b2c3d4e5f60718'), {
        minLength: 1,
        maxLength: 3,
      }),
      securityGroups: fc.array(fc.constantFrom('sg-0abc1234', 'sg-0abc1234def567890'), { maxLength: 5 }),
      assignPublicIp: fc.constantFrom('ENABLED', 'DISABLED'),
    },
    { requiredKeys: ['subnets'] },
  ),
});
const launchChoice = fc.constantFrom<Json>(
  {},
  { launchType: 'FARGATE' },
  { launchType: 'EC2' },
  {
    capacityProviderStrategy: [
      { capacityProvider: 'FARGATE_SPOT', weight: 2 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ],
  },
);
const validLaunchFields = fc
  .tuple(
    fc.record(
      {
        cluster: fc.constantFrom('batch', 'etl', 'arn:aws:ecs:us-east-1:111122223333:cluster/batch'),
        taskDefinition: fc.constantFrom(
          'worker',
          'worker:7',
          'report:12',
          'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:3',
        ),
        count: fc.integer({ min: 1, max: 10 }),
        networkConfiguration: validNetwork,
        overrides: validOverrides,
        tags: validTags,
        restartPolicy: validRestartPolicy,
      },
      { requiredKeys: ['cluster', 'taskDefinition'] },
    ),
    launchChoice,
  )
  .map(([fields, choice]) => {
    const body: Json = { ...fields, ...choice };
    const net = (body.networkConfiguration as { awsvpcConfiguration: Json } | undefined)?.awsvpcConfiguration;
    // assignPublicIp ENABLED is for FARGATE only.
    if (net && body.launchType === 'EC2' && net.assignPublicIp === 'ENABLED') net.assignPublicIp = 'DISABLED';
    return body;
  });
const validScheduleFields = fc.record(
  {
    expression: fc.constantFrom(
      'rate(5 minutes)',
      'rate(1 hour)',
      'cron(30 2 ? * MON-FRI *)',
      'cron(0/15 * * * ? *)',
      'at(2030-01-01T09:00:00)',
    ),
    timezone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'),
    state: fc.constantFrom('ENABLED', 'PAUSED'),
    concurrencyPolicy: fc.constantFrom('Allow', 'Forbid', 'Replace'),
    flexibleWindowMinutes: fc.integer({ min: 1, max: 1440 }),
    description: fc.string({ maxLength: 100 }),
    startDate: fc.constant('2030-01-01T00:00:00Z'),
    endDate: fc.constant('2031-01-01T00:00:00+02:00'),
  },
  { requiredKeys: ['expression'] },
);
/** At most the tasks an hour the stage allows: a valid schedule's count, for its expression. */
const withinHourlyTasks = (body: Json): Json => {
  if (typeof body.expression !== 'string' || typeof body.count !== 'number') return body;
  const { maxRunsPerHour } = scheduleCadence(body.expression);
  return {
    ...body,
    count: Math.min(body.count, Math.floor(LIMITS.maxScheduledTasksPerHour / maxRunsPerHour)),
  };
};
const validSchedule = fc
  .tuple(validName, validScheduleFields, validLaunchFields)
  .map(([name, schedule, launch]) => withinHourlyTasks({ name, ...schedule, ...launch }));
const validPatch = fc
  .tuple(validScheduleFields, validLaunchFields, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }))
  .map(([schedule, launch, picks]) => {
    const all: Json = { ...schedule, ...launch };
    const keys = Object.keys(all);
    const patch: Json = {};
    for (const pick of picks) {
      const key = keys[pick % keys.length] as string;
      patch[key] = all[key];
    }
    // launchType and capacityProviderStrategy exclude each other in a patch too.
    if ('launchType' in patch && 'capacityProviderStrategy' in patch) delete patch.capacityProviderStrategy;
    return patch;
  });
const validRunTask = fc
  .tuple(validLaunchFields, fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }))
  .map(([launch, group]) => (group === undefined ? launch : { ...launch, group }));

// One field broken on a valid body: each of these makes any body of the route invalid.

type BodyRoute = 'schedule' | 'patch' | 'runTask';
interface Breaker {
  name: string;
  /** The kinds of body it breaks (default: all). */
  only?: BodyRoute[];
  apply(body: Json): unknown;
}
const set = (field: string, value: unknown) => (b: Json) => ({ ...b, [field]: value });
const without = (field: string) => (b: Json) => {
  const { [field]: _dropped, ...rest } = b;
  return rest;
};
const BREAKERS: Breaker[] = [
  { name: 'count 0', apply: set('count', 0) },
  { name: 'count 11', apply: set('count', 11) },
  { name: 'count 1.5', apply: set('count', 1.5) },
  { name: 'count as a string', apply: set('count', '2') },
  { name: 'count null', apply: set('count', null) },
  { name: 'cluster with a space', apply: set('cluster', 'bad cluster') },
  { name: 'cluster of 256 characters', apply: set('cluster', 'c'.repeat(256)) },
  { name: 'cluster a number', apply: set('cluster', 42) },
  { name: 'taskDefinition revision 0', apply: set('taskDefinition', 'worker:0') },
  { name: 'taskDefinition empty', apply: set('taskDefinition', '') },
  {
    name: 'launchType lower case',
    apply: (b) => ({ ...without('capacityProviderStrategy')(b), launchType: 'fargate' }),
  },
  {
    name: 'launchType with capacityProviderStrategy',
    apply: (b) => ({
      ...b,
      launchType: 'FARGATE',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    }),
  },
  {
    name: 'capacity provider without weight',
    apply: (b) => ({
      ...without('launchType')(b),
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
    }),
  },
  {
    name: 'FARGATE mixed with an Auto Scaling group provider',
    apply: (b) => ({
      ...without('launchType')(b),
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', weight: 1 },
        { capacityProvider: 'batch-asg', weight: 1 },
      ],
    }),
  },
  {
    name: 'malformed subnet id',
    apply: set('networkConfiguration', { awsvpcConfiguration: { subnets: ['subnet-xyz'] } }),
  },
  { name: 'no subnets', apply: set('networkConfiguration', { awsvpcConfiguration: { subnets: [] } }) },
  {
    name: 'six security groups',
    apply: set('networkConfiguration', {
      awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: Array(6).fill('sg-0abc1234') },
    }),
  },
  {
    name: 'assignPublicIp ENABLED on EC2',
    apply: (b) => ({
      ...without('capacityProviderStrategy')(b),
      launchType: 'EC2',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], assignPublicIp: 'ENABLED' },
      },
    }),
  },
  { name: 'tag key aws:', apply: set('tags', [{ key: 'aws:owner', value: 'x' }]) },
  { name: 'tag key ECS-Autopilot:', apply: set('tags', [{ key: 'ECS-Autopilot:attempt', value: '9' }]) },
  {
    name: 'duplicate tag keys',
    apply: set('tags', [
      { key: 'team', value: 'a' },
      { key: 'team', value: 'b' },
    ]),
  },
  {
    name: '51 tags',
    apply: set(
      'tags',
      Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
    ),
  },
  { name: 'tag value of 257 characters', apply: set('tags', [{ key: 'team', value: 'v'.repeat(257) }]) },
  { name: 'tag key with #', apply: set('tags', [{ key: 'a#b', value: 'v' }]) },
  { name: 'taskRoleArn not an ARN', apply: set('overrides', { taskRoleArn: 'worker-task' }) },
  {
    name: 'container name with a space',
    apply: set('overrides', { containerOverrides: [{ name: 'my worker' }] }),
  },
  {
    name: 'overrides over 8192 characters',
    apply: set('overrides', {
      containerOverrides: [{ name: 'worker', environment: [{ name: 'BIG', value: 'x'.repeat(9000) }] }],
    }),
  },
  { name: 'restartPolicy maxAttempts 11', apply: set('restartPolicy', { maxAttempts: 11 }) },
  { name: 'restartPolicy unknown field', apply: set('restartPolicy', { maxAttempts: 1, forever: true }) },
  { name: 'restartPolicy backoff factor 0.5', apply: set('restartPolicy', { backoff: { factor: 0.5 } }) },
  { name: 'retryOn rule without a matcher', apply: set('restartPolicy', { retryOn: [{}] }) },
  { name: 'exit code range 5-1', apply: set('restartPolicy', { retryOn: [{ exitCodes: ['5-1'] }] }) },
  { name: 'unknown top-level field', apply: set('priority', 'high') },
  { name: 'an array, not an object', apply: (b) => [b] },
  { name: 'a string, not an object', apply: (b) => JSON.stringify(b) },
  { name: 'name empty', apply: set('name', '') },
  { name: 'name of 65 characters', apply: set('name', 'n'.repeat(65)) },
  { name: 'name with a slash', apply: set('name', 'a/b') },
  { name: 'expression rate(0 minutes)', apply: set('expression', 'rate(0 minutes)') },
  { name: 'expression rate(1 minutes)', apply: set('expression', 'rate(1 minutes)') },
  { name: 'expression cron with both day fields', apply: set('expression', 'cron(0 12 * * * *)') },
  { name: 'expression cron hour 24', apply: set('expression', 'cron(0 24 * * ? *)') },
  { name: 'expression at(2030-02-30T00:00:00)', apply: set('expression', 'at(2030-02-30T00:00:00)') },
  { name: 'expression in words', apply: set('expression', 'every day at noon') },
  { name: 'timezone Mars/Olympus', apply: set('timezone', 'Mars/Olympus') },
  { name: 'timezone empty', apply: set('timezone', '') },
  {
    name: 'endDate before startDate',
    apply: (b) => ({ ...b, startDate: '2030-06-01T00:00:00Z', endDate: '2030-01-01T00:00:00Z' }),
  },
  { name: 'startDate without an offset', apply: set('startDate', '2030-01-01T00:00:00') },
  { name: 'state lower case', apply: set('state', 'paused') },
  { name: 'concurrencyPolicy lower case', apply: set('concurrencyPolicy', 'forbid') },
  { name: 'flexibleWindowMinutes 0', apply: set('flexibleWindowMinutes', 0) },
  { name: 'flexibleWindowMinutes 1441', apply: set('flexibleWindowMinutes', 1441) },
  { name: 'description of 513 characters', apply: set('description', 'd'.repeat(513)) },
  { name: 'group empty', apply: set('group', '') },
  { name: 'cluster missing', only: ['schedule', 'runTask'], apply: without('cluster') },
  { name: 'taskDefinition missing', only: ['schedule', 'runTask'], apply: without('taskDefinition') },
  { name: 'expression missing', only: ['schedule'], apply: without('expression') },
  { name: 'name missing', only: ['schedule'], apply: without('name') },
  { name: 'empty patch', only: ['patch'], apply: () => ({}) },
];

/** Valid bodies that ask for what the stage's allowlist refuses. */
const FORBIDDERS: Breaker[] = [
  { name: 'cluster not allowlisted', apply: set('cluster', 'prod') },
  {
    name: 'cluster ARN not allowlisted',
    apply: set('cluster', 'arn:aws:ecs:us-east-1:111122223333:cluster/prod'),
  },
  { name: 'family not allowlisted', apply: set('taskDefinition', 'billing:3') },
  {
    name: 'taskRoleArn not allowlisted',
    apply: set('overrides', { taskRoleArn: 'arn:aws:iam::111122223333:role/admin' }),
  },
  {
    name: 'executionRoleArn not allowlisted',
    apply: set('overrides', { executionRoleArn: 'arn:aws:iam::111122223333:role/ecsTaskExecutionRole' }),
  },
];

const validBody: Record<BodyRoute, fc.Arbitrary<Json>> = {
  schedule: validSchedule,
  patch: validPatch,
  runTask: validRunTask,
};

interface GeneratedBody {
  json?: unknown;
  text?: string;
  kind: BodyKind;
  note: string;
}

function bodyFor(route: BodyRoute): fc.Arbitrary<GeneratedBody> {
  const breakers = BREAKERS.filter((b) => !b.only || b.only.includes(route));
  const replaceField = fc
    .tuple(validBody[route], fc.nat(), fc.jsonValue({ maxDepth: 2 }))
    .map(([body, pick, value]) => {
      const keys = Object.keys(body);
      const key = keys[pick % keys.length] as string;
      return {
        json: { ...body, [key]: value },
        kind: 'random' as const,
        note: `${key} replaced by random JSON`,
      };
    });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: validBody[route].map((json) => ({ json, kind: 'valid' as const, note: 'valid' })),
    },
    {
      weight: 5,
      arbitrary: fc.tuple(validBody[route], fc.constantFrom(...breakers)).map(([body, breaker]) => ({
        json: breaker.apply(body),
        kind: 'broken' as const,
        note: breaker.name,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(validBody[route], fc.constantFrom(...FORBIDDERS)).map(([body, breaker]) => ({
        json: breaker.apply(body),
        kind: 'forbidden' as const,
        note: breaker.name,
      })),
    },
    { weight: 2, arbitrary: replaceField },
    {
      weight: 1,
      arbitrary: fc.jsonValue().map((json) => ({ json, kind: 'random' as const, note: 'fc.jsonValue' })),
    },
    {
      weight: 1,
      arbitrary: fc.string().map((text) => ({ text, kind: 'random' as const, note: 'fc.string' })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { text: '', kind: 'random' as const, note: 'empty body' },
        { text: '   ', kind: 'random' as const, note: 'blank body' },
        { text: 'null', kind: 'random' as const, note: 'null' },
        { text: '{', kind: 'random' as const, note: 'truncated JSON' },
        { text: '{"__proto__":{"x":1}}', kind: 'random' as const, note: '__proto__' },
        { kind: 'random' as const, note: 'no body' },
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 16_000 }), fc.constantFrom('x', 'é', '😀'))
        .map(([extra, ch]) => {
          const prefix = '{"description":"';
          const fill = ch.repeat(Math.ceil((MAX_BODY_BYTES - prefix.length + extra) / Buffer.byteLength(ch)));
          return {
            text: `${prefix}${fill}"}`,
            kind: 'oversized' as const,
            note: `over ${MAX_BODY_BYTES} bytes (${ch})`,
          };
        }),
    },
  );
}

const ROUTE_BODY: Partial<Record<string, BodyRoute>> = {
  'POST /schedules': 'schedule',
  'PUT /schedules/{name}': 'schedule',
  'PATCH /schedules/{name}': 'patch',
  'POST /tasks': 'runTask',
};

const unknownRoute = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'GET /',
    'DELETE /tasks',
    'POST /schedules/{name}',
    'get /tasks',
    '$default',
    'GET /tasks/{id}',
  ),
);

/** One request: a route (now and then an unknown one), its path parameters, a query, headers, a body. */
export const apiCase: fc.Arbitrary<ApiCase> = fc
  .oneof(
    { weight: 25, arbitrary: fc.constantFrom(...ROUTE_KEYS) as fc.Arbitrary<string> },
    { weight: 1, arbitrary: unknownRoute },
  )
  .chain((routeKey) => {
    const params = (ROUTES as Record<string, readonly string[]>)[routeKey] ?? [];
    const bodyRoute = ROUTE_BODY[routeKey];
    const pathArb =
      params.length === 0
        ? fc.constant(undefined)
        : fc.option(
            fc.record(Object.fromEntries(params.map((p) => [p, paramArb[p] as fc.Arbitrary<string>])), {
              requiredKeys: [],
            }),
            {
              freq: 8,
              nil: undefined,
            },
          );
    const bodyArb: fc.Arbitrary<GeneratedBody> = bodyRoute
      ? bodyFor(bodyRoute)
      : fc.oneof(
          fc.constant({ kind: 'none' as const, note: 'no body' }),
          fc
            .jsonValue({ maxDepth: 1 })
            .map((json) => ({ json, kind: 'none' as const, note: 'ignored body' })),
        );
    return fc.record({
      routeKey: fc.constant(routeKey),
      pathParameters: pathArb as fc.Arbitrary<Record<string, string> | undefined>,
      queryStringParameters: queryFor(routeKey),
      headers: headersArb,
      body: bodyArb,
      base64: fc.boolean(),
      caller: fc.option(fc.constantFrom('arn:aws:iam::111122223333:user/alice', ''), { nil: undefined }),
    });
  })
  .map(({ routeKey, pathParameters, queryStringParameters, headers, body, base64, caller }) => {
    // PUT names the schedule twice: mostly the same name in the path and the body, so the body is what decides.
    const json = body.json as Json | undefined;
    const path =
      routeKey === 'PUT /schedules/{name}' &&
      json &&
      typeof json === 'object' &&
      typeof json.name === 'string' &&
      pathParameters
        ? { ...pathParameters, name: json.name }
        : pathParameters;
    let text = body.text ?? (body.json === undefined ? undefined : JSON.stringify(body.json));
    const encoded = base64 && text !== undefined;
    if (encoded) text = Buffer.from(text as string, 'utf8').toString('base64');
    return {
      routeKey,
      ...(path && { pathParameters: path }),
      ...(queryStringParameters && { queryStringParameters }),
      ...(headers && { headers }),
      ...(text !== undefined && { body: text }),
      ...(encoded && { isBase64Encoded: true }),
      ...(caller !== undefined && { caller }),
      kind: body.kind,
      note: body.note,
    } satisfies ApiCase;
  });

export function toEvent(c: ApiCase): Partial<APIGatewayProxyEventV2> {
  return {
    routeKey: c.routeKey,
    rawPath: '/',
    pathParameters: c.pathParameters,
    queryStringParameters: c.queryStringParameters,
    headers: c.headers ?? {},
    body: c.body,
    isBase64Encoded: c.isBase64Encoded ?? false,
    requestContext: (c.caller
      ? { authorizer: { iam: { userArn: c.caller } } }
      : {}) as APIGatewayProxyEventV2['requestContext'],
  };
}

/** A short description of a request, for failure lines. */
export function describeCase(c: ApiCase): string {
  const parts = [c.routeKey];
  if (c.pathParameters) parts.push(`path ${clip(JSON.stringify(c.pathParameters), 80)}`);
  if (c.queryStringParameters) parts.push(`query ${clip(JSON.stringify(c.queryStringParameters), 160)}`);
  const key = c.headers?.['idempotency-key'];
  if (key !== undefined) parts.push(`Idempotency-Key of ${Buffer.byteLength(key)} bytes`);
  if (c.body !== undefined)
    parts.push(`${c.kind} body (${c.note})${c.isBase64Encoded ? ' base64' : ''}: ${clip(c.body, 120)}`);
  return parts.join(', ');
}

const ALLOWED_STATUS = new Set([200, 201, 204, 400, 403, 404, 409, 413]);

function bodyText(c: ApiCase): string | undefined {
  if (c.body === undefined) return undefined;
  return c.isBase64Encoded ? Buffer.from(c.body, 'base64').toString('utf8') : c.body;
}

/** Whether the body passes the route's schema (the API's own rules, as an oracle for 2xx answers). */
function schemaAccepts(routeKey: string, c: ApiCase): boolean {
  const text = bodyText(c);
  if (text === undefined || Buffer.byteLength(text) > MAX_BODY_BYTES) return false;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return false;
  }
  const schema =
    ROUTE_BODY[routeKey] === 'patch'
      ? schedulePatchSchema
      : ROUTE_BODY[routeKey] === 'runTask'
        ? runTaskBodySchema
        : scheduleSchema;
  return schema.safeParse(json).success;
}

export interface Verdict {
  /** Empty when the answer is acceptable. */
  problems: string[];
  status: number;
  launched: number;
  /** For 5xx: the error that reached the error handler. */
  cause?: string;
}

/** Judges one answer: the status allowed for this request, the error body, the launches it caused. */
export function judge(
  c: ApiCase,
  response: APIGatewayProxyStructuredResultV2,
  error: unknown,
  launched: number,
): Verdict {
  const problems: string[] = [];
  const status = response.statusCode ?? 0;
  const cause = error === undefined ? undefined : `${(error as Error).name}: ${(error as Error).message}`;
  if (!ALLOWED_STATUS.has(status))
    problems.push(status >= 500 ? `5xx (${status}) from ${cause}` : `status ${status}`);
  if (status >= 500 && response.body !== INTERNAL_ERROR_BODY)
    problems.push(`5xx body shows ${clip(response.body, 80)}`);
  if (status >= 400 && status < 500) {
    try {
      const body = JSON.parse(response.body ?? '');
      if (typeof body.error !== 'string' || typeof body.message !== 'string')
        problems.push('4xx body without {error, message}');
    } catch {
      problems.push(`4xx body is not JSON: ${clip(response.body, 80)}`);
    }
  }
  const ok = status >= 200 && status < 300;
  const route = c.routeKey;
  if (
    ok &&
    BODY_ROUTES.has(route) &&
    (c.kind === 'broken' || c.kind === 'oversized' || !schemaAccepts(route, c))
  ) {
    problems.push(`accepted an invalid body with ${status}`);
  }
  if (ok && c.kind === 'forbidden') problems.push(`accepted a launch the allowlist refuses with ${status}`);
  // A key out of the Idempotency-Key rule is refused before the body matters (never cut short).
  const key = c.headers?.['idempotency-key'];
  const badKey = LAUNCH_ROUTES.has(route) && key !== undefined && idempotencyKeyProblem(key) !== undefined;
  if (badKey && ok) problems.push(`accepted an Idempotency-Key out of the rule with ${status}`);
  if (route === 'POST /schedules' || (route === 'POST /tasks' && !badKey)) {
    const expected =
      c.kind === 'broken'
        ? [400]
        : c.kind === 'forbidden'
          ? [403]
          : c.kind === 'oversized'
            ? [413]
            : undefined;
    if (expected && !expected.includes(status))
      problems.push(`${c.kind} body answered ${status}, expected ${expected.join('/')}`);
    if (c.kind === 'valid' && route === 'POST /tasks' && status !== 200)
      problems.push(`valid run-now answered ${status}`);
    if (c.kind === 'valid' && route === 'POST /schedules' && status !== 201 && status !== 409) {
      problems.push(`valid schedule answered ${status}`);
    }
  }
  if (c.kind === 'broken' && route !== 'POST /schedules' && BODY_ROUTES.has(route) && status !== 400) {
    problems.push(`broken body answered ${status}, expected 400`);
  }
  // Launches: only an accepted run-now or run of a schedule, and then one; POST /tasks always launches.
  if (launched > 0 && !(ok && LAUNCH_ROUTES.has(route)))
    problems.push(`launch called ${launched} times for a ${status}`);
  if (launched > 1) problems.push(`launch called ${launched} times for one request`);
  if (ok && route === 'POST /tasks' && launched !== 1)
    problems.push(`accepted run-now launched ${launched} times`);
  return { problems, status, launched, ...(cause && { cause }) };
}

/** The error classes of the known bugs, by what DynamoDB said (see drills/README.md). */
export function knownBug(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  if (/ValidationException: .*starting key|ValidationException: .*empty string value/.test(cause)) {
    return 'page token decoding to a non-key object answers 500';
  }
  return undefined;
}

/** Requests that reproduce what the fuzz found, replayed against the real adapters on dynalite. */
export const CONFIRMATIONS: { name: string; case: ApiCase }[] = [
  {
    name: 'GET /tasks with a nextToken that decodes to {"pk":"x"}',
    case: {
      routeKey: 'GET /tasks',
      queryStringParameters: { cluster: 'batch', nextToken: encodeKey({ pk: 'x' }) },
      kind: 'none',
      note: '',
    },
  },
  {
    name: 'GET /schedules with a nextToken that decodes to {"pk":"x"}',
    case: {
      routeKey: 'GET /schedules',
      queryStringParameters: { nextToken: encodeKey({ pk: 'x' }) },
      kind: 'none',
      note: '',
    },
  },
  {
    name: 'GET /schedules/nightly-etl/runs with a nextToken that decodes to {"pk":"x","sk":"y"}',
    case: {
      routeKey: 'GET /schedules/{name}/runs',
      pathParameters: { name: 'nightly-etl' },
      queryStringParameters: { nextToken: encodeKey({ pk: 'x', sk: 'y' }) },
      kind: 'none',
      note: '',
    },
  },
  {
    // Answered 500 until d1b6540 cut the key at 200 characters (DynamoDB's 2048-byte partition key limit);
    // a key over 128 characters is now a 400 naming the header (cut keys collided).
    name: 'POST /tasks (valid body) with an Idempotency-Key of 2,100 bytes',
    case: {
      routeKey: 'POST /tasks',
      headers: { 'idempotency-key': 'k'.repeat(2100) },
      body: JSON.stringify({
        cluster: 'batch',
        taskDefinition: 'worker:7',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } },
      }),
      kind: 'valid',
      note: 'valid',
    },
  },
];

export async function apiFuzzDrill(
  dynamo: DrillDb | undefined,
  options: ApiFuzzOptions,
): Promise<DrillResult> {
  const tally = new Tally('8 random malformed API requests');
  const cases = fc.sample(apiCase, { numRuns: options.runs, seed: options.seed ?? 8 });
  const causes = new Map<string, { count: number; example: string }>();
  const kinds = new Map<string, number>();
  const statuses = new Map<number, number>();
  const fiveXx = new Map<string, number>();
  const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
  let launches = 0;
  let unexplained = 0;
  for (const c of cases) {
    const world = await fakeApi();
    const { response, error } = await world.call(toEvent(c));
    const verdict = judge(c, response, error, world.launches());
    bump(kinds, c.kind);
    bump(statuses, verdict.status);
    launches += verdict.launched;
    if (verdict.problems.length === 0) continue;
    const bug = knownBug(verdict.cause);
    if (verdict.status >= 500) bump(fiveXx, `5xx on ${c.routeKey}${bug ? ` (${bug})` : ''}`);
    if (!bug) unexplained++;
    for (const problem of verdict.problems) {
      const key = bug ?? problem.replace(/\d+/g, 'N').slice(0, 120);
      const seen = causes.get(key);
      if (seen) seen.count++;
      else causes.set(key, { count: 1, example: `${problem} — ${describeCase(c)}` });
    }
  }
  for (const [key, { count, example }] of causes) tally.fail(`${count}× ${key}; e.g. ${example}`);
  tally.set('requests', cases.length);
  for (const kind of ['none', 'valid', 'broken', 'forbidden', 'random', 'oversized']) {
    tally.set(`${kind} bodies`, kinds.get(kind) ?? 0);
  }
  for (const [status, n] of [...statuses].sort(([a], [b]) => a - b)) tally.set(`status ${status}`, n);
  tally.set('launches (accepted POST /tasks and runs)', launches);
  for (const [key, n] of [...fiveXx].sort()) tally.set(key, n);
  tally.set('unexplained problems', unexplained);

  // The fakes answer like DynamoDB: check it on the real adapters (dynalite) for what the fuzz found.
  if (dynamo) {
    for (const confirmation of CONFIRMATIONS) {
      const world = await realApi(dynamo);
      const { response, error } = await world.call(toEvent(confirmation.case));
      const verdict = judge(confirmation.case, response, error, world.ecs.counts.launches);
      tally.add('confirmations on dynalite');
      if (verdict.problems.length > 0) {
        tally.add('confirmations failing on dynalite');
        tally.fail(
          `real adapters: ${confirmation.name} answered ${verdict.status} (${verdict.cause ?? 'no error'})`,
        );
      }
    }
  }
  return tally.result();
}
