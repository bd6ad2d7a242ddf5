import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { attemptOf } from '../../src/adapters/launchStore';
import { buildScheduleRoutes, MAX_BODY_BYTES } from '../../src/app/api/scheduleRoutes';
import { buildApi } from '../../src/app/api/taskRoutes';
import type { LaunchResult } from '../../src/app/launcher';
import { buildRunScheduled } from '../../src/app/scheduledRun';
import type { LaunchLimits } from '../../src/domain/guardrails';
import { idempotencyDigest } from '../../src/domain/idempotency';
import { clientTokenFor, type LaunchRequest } from '../../src/domain/launchRequest';
import type { RunStats } from '../../src/domain/runOutcome';
import type { Schedule } from '../../src/domain/schedule';
import { INTERNAL_ERROR_BODY } from '../../src/http';
import type {
  AcceptedLaunch,
  RequestOutcome,
  ScheduleRun,
  SchedulerPort,
  ScheduleStore,
  ScheduleTrigger,
  StoredSchedule,
} from '../../src/ports';
import { InvalidPageTokenError, ScheduleConflictError, ScheduleLimitError } from '../../src/ports';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import { defaultLimits } from '../support/limits';
import { documented } from '../support/openApiContract';
import { unusedBreakers, unusedBuffer, unusedClusterRoutes } from '../support/unusedDeps';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const BOB = 'arn:aws:iam::111122223333:user/bob';
const WORKER_ROLE = 'arn:aws:iam::111122223333:role/worker-task';
const ADMIN_ROLE = 'arn:aws:iam::111122223333:role/admin';
const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T11:30:00.000Z';
const RUNNING_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/batch/11111111111111111111111111111111';
/** The stage defaults (serverless.yml): 5 minutes, 60 tasks an hour, 200 schedules, 4 vCPU, 16 GB. */
const DEFAULT_LIMITS = defaultLimits();
const OPENAPI_DOC = { openapi: '3.1.0', info: { title: 'ecs-autopilot', version: 'test' }, paths: {} };

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] } };
const NIGHTLY = {
  name: 'nightly',
  expression: 'cron(0 2 * * ? *)',
  timezone: 'Europe/Paris',
  cluster: 'batch',
  taskDefinition: 'worker',
  launchType: 'FARGATE',
  networkConfiguration: NETWORK,
};
/** NIGHTLY as stored after a POST by alice at T0: defaults filled in, version 1. */
const CREATED: StoredSchedule = {
  ...NIGHTLY,
  launchType: 'FARGATE',
  state: 'ENABLED',
  count: 1,
  concurrencyPolicy: 'Allow',
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  createdBy: ALICE,
};
const RUN_BODY = {
  cluster: 'batch',
  taskDefinition: 'worker',
  launchType: 'FARGATE',
  networkConfiguration: NETWORK,
};

/**
 * An in-memory ScheduleStore with the real one's conditions: create needs a free name and room under the cap,
 * update the version read,
 * a launch lease is taken when free, expired or already the holder's, and released only by its holder.
 */
function fakeScheduleStore(now: () => number = Date.now) {
  const definitions = new Map<string, StoredSchedule>();
  const { leases, ...launchLeases } = fakeLaunchLeases(now);
  const runs = new Map<string, ScheduleRun[]>();
  const listCalls: Array<[number, string | undefined]> = [];
  const issued = new Map<string, number>();
  const store: ScheduleStore = {
    async get(name) {
      const found = definitions.get(name);
      return found && structuredClone(found);
    },
    async create(schedule, maxSchedules) {
      if (definitions.has(schedule.name)) throw new ScheduleConflictError(`schedule ${schedule.name} exists`);
      if (definitions.size >= maxSchedules) throw new ScheduleLimitError(maxSchedules);
      definitions.set(schedule.name, structuredClone(schedule));
    },
    async put(schedule, expectedVersion) {
      if (definitions.get(schedule.name)?.version !== expectedVersion) {
        throw new ScheduleConflictError(`schedule ${schedule.name} changed meanwhile`);
      }
      definitions.set(schedule.name, structuredClone(schedule));
    },
    async remove(name) {
      definitions.delete(name);
    },
    async list(limit, nextToken) {
      listCalls.push([limit, nextToken]);
      let start = 0;
      if (nextToken !== undefined) {
        const at = issued.get(nextToken);
        if (at === undefined) throw new InvalidPageTokenError();
        start = at;
      }
      const names = [...definitions.keys()].sort();
      const schedules = names
        .slice(start, start + limit)
        .flatMap((name) => definitions.get(name) ?? [])
        .map((s) => structuredClone(s));
      if (start + limit >= names.length) return { schedules };
      const token = `page-${start + limit}`;
      issued.set(token, start + limit);
      return { schedules, nextToken: token };
    },
    async recordRun(name, run) {
      const recorded = runs.get(name) ?? [];
      if (recorded.some((r) => r.requestId === run.requestId)) return false;
      runs.set(name, [...recorded, structuredClone(run)]);
      return true;
    },
    async listRuns(name, limit, nextToken) {
      if (nextToken !== undefined) throw new InvalidPageTokenError();
      return { runs: (runs.get(name) ?? []).slice(0, limit) };
    },
    ...launchLeases,
  };
  return { store, definitions, runs, listCalls, leases };
}

type SchedulerCall =
  | { op: 'put'; mode: 'create' | 'update'; schedule: Schedule }
  | { op: 'remove'; name: string };

/** A Scheduler port that records its calls; `fail.put` / `fail.remove` make the next calls throw. */
function fakeScheduler() {
  const calls: SchedulerCall[] = [];
  const fail: { put?: Error; remove?: Error } = {};
  const port: SchedulerPort = {
    async put(schedule, mode) {
      calls.push({ op: 'put', mode, schedule: structuredClone(schedule) });
      if (fail.put) throw fail.put;
    },
    async remove(name) {
      calls.push({ op: 'remove', name });
      if (fail.remove) throw fail.remove;
    },
  };
  return { port, calls, fail };
}

interface Req {
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** The body as sent, when it is not a JSON encoding of `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  caller?: string;
}

function setup(options: { limits?: Partial<LaunchLimits> } = {}) {
  const clock = { now: Date.parse(T0) };
  const { store, definitions, runs, listCalls, leases } = fakeScheduleStore(() => clock.now);
  const scheduler = fakeScheduler();
  const stats = new Map<string, RunStats>();
  const triggers: { trigger: ScheduleTrigger; delaySeconds: number }[] = [];
  const order: string[] = [];
  const launched: LaunchRequest[] = [];
  const outcomes = new Map<string, RequestOutcome>();
  const accepted = new Map<string, AcceptedLaunch>();
  const running: string[] = [];
  const listRunningCalls: Array<[string, string]> = [];
  const stopCalls: Array<{ cluster: string; taskArns: string[]; reason: string }> = [];

  /** 'throttled': ECS throttles the first RunTask, so the launch is queued with nothing recorded yet. */
  const ecs = { mode: 'launch' as 'launch' | 'throttled' };
  const launch = async (request: LaunchRequest): Promise<LaunchResult> => {
    launched.push(structuredClone(request));
    order.push('launch');
    if (ecs.mode === 'throttled') return 'requeued-throttled';
    // As the launcher does: a request it has launched is answered from its record, with no second task.
    if (outcomes.has(request.requestId)) return 'replayed';
    // ListTasks sees the schedule's new task from now on.
    if (request.runTask.startedBy) running.push(`launched-by-${request.requestId}`);
    outcomes.set(request.requestId, {
      status: 'launched',
      taskArns: [`arn:aws:ecs:us-east-1:111122223333:task/batch/launched${launched.length}`],
      events: [],
      done: true,
      at: new Date(clock.now).toISOString(),
    });
    // As the launcher does: the run has started, so its schedule's lease is free again.
    if (request.launchLease) await store.releaseLaunchLease(request.launchLease.schedule, request.requestId);
    return 'launched';
  };
  const runScheduled = buildRunScheduled({
    buffer: unusedBuffer,
    refusalOf: () => undefined,
    publishEvents: async () => undefined,
    store,
    listRunningTasks: async (cluster, startedBy) => {
      listRunningCalls.push([cluster, startedBy]);
      return [...running];
    },
    stopTasks: async (cluster, taskArns, reason) => {
      stopCalls.push({ cluster, taskArns: [...taskArns], reason });
      order.push('stop');
    },
    logger: { info: () => undefined, warn: () => undefined },
  });
  const handler = middy(
    buildApi({
      getTaskHistory: async () => undefined,
      listTasks: async () => {
        throw new Error('GET /tasks is not under test here');
      },
      breakers: unusedBreakers,
      getServiceState: async () => undefined,
      routes: {
        ...buildScheduleRoutes({
          schedules: store,
          runs: { getStats: async (name) => stats.get(name) },
          backfill: {
            maxRuns: 24,
            recordedRunIds: async (name, from, to) =>
              new Set(
                (runs.get(name) ?? [])
                  .filter((r) => Date.parse(r.scheduledTime) >= from && Date.parse(r.scheduledTime) < to)
                  .map((r) => r.requestId),
              ),
            sendTrigger: async (trigger, delaySeconds) => {
              triggers.push({ trigger, delaySeconds });
            },
          },
          scheduler: scheduler.port,
          launch,
          launches: {
            getAttempts: async (requestId) => {
              const outcome = outcomes.get(requestId);
              return outcome ? [attemptOf(outcome)] : [];
            },
            acceptLaunch: async (launch) => {
              const existing = accepted.get(launch.requestId);
              if (existing) return { created: false, existing: structuredClone(existing) };
              accepted.set(launch.requestId, structuredClone(launch));
              return { created: true };
            },
            getAcceptedLaunch: async (requestId) => accepted.get(requestId),
          },
          runScheduled,
          scope: { partition: 'aws', region: 'us-east-1', account: '111122223333' },
          allowlist: {
            clusters: new Set(['batch']),
            families: new Set(['worker']),
            taskRoles: new Set([WORKER_ROLE]),
          },
          limits: { ...DEFAULT_LIMITS, ...options.limits },
          openApi: () => OPENAPI_DOC,
          now: () => clock.now,
        }),
        ...unusedClusterRoutes,
      },
    }),
  ).use(httpErrorHandler({ logger: false, fallbackMessage: INTERNAL_ERROR_BODY }));

  const call = documented(
    async (routeKey: string, req: Req = {}) =>
      (await handler(
        {
          routeKey,
          pathParameters: req.pathParameters,
          queryStringParameters: req.query,
          body: req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
          headers: req.headers ?? {},
          requestContext: { authorizer: { iam: { userArn: req.caller ?? ALICE } } },
        } as unknown as APIGatewayProxyEventV2,
        {} as never,
      )) as APIGatewayProxyStructuredResultV2,
  );

  /** POST /schedules with NIGHTLY (changed by `changes`), which must succeed. */
  const create = async (changes: Record<string, unknown> = {}) => {
    const r = await call('POST /schedules', { body: { ...NIGHTLY, ...changes } });
    if (r.statusCode !== 201) throw new Error(`create failed: ${r.statusCode} ${r.body}`);
    return parse(r) as StoredSchedule;
  };
  const get = (name: string) => call('GET /schedules/{name}', { pathParameters: { name } });

  return {
    call,
    create,
    get,
    clock,
    definitions,
    runs,
    listCalls,
    scheduler,
    launched,
    running,
    listRunningCalls,
    stopCalls,
    order,
    leases,
    ecs,
    outcomes,
    accepted,
    stats,
    triggers,
  };
}

const parse = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null');
/** The request ids alice's Idempotency-Keys name (the key's digest with her principal). */
const JOB = `t-${idempotencyDigest(ALICE, 'job-2025-03-01')}`;
const JOB_7 = `t-${idempotencyDigest(ALICE, 'job-7')}`;
const MANUAL_1 = `m-nightly-${idempotencyDigest(ALICE, 'manual-1')}`;
const byName = { pathParameters: { name: 'nightly' } };

/** A GET /schedules/{name} body without what the API computes on read (next run times, run statistics). */
function definitionOf(body: Record<string, unknown>) {
  const { nextRunTimes: _n, lastRun: _l, streak: _s, lastSuccessAt: _ls, ...definition } = body;
  return definition;
}

describe('POST /schedules', () => {
  it('stores the schedule as version 1 created by the caller and creates its Scheduler schedule', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', { body: NIGHTLY });
    expect(r.statusCode).toBe(201);
    expect(parse(r)).toEqual(CREATED);
    expect(h.definitions.get('nightly')).toEqual(CREATED);
    expect(h.scheduler.calls).toEqual([{ op: 'put', mode: 'create', schedule: CREATED }]);
  });

  it('answers 409 for a name already taken, keeping the existing schedule and not calling the Scheduler again', async () => {
    const h = setup();
    await h.create();
    const r = await h.call('POST /schedules', {
      body: { ...NIGHTLY, expression: 'rate(1 hour)' },
      caller: BOB,
    });
    expect(r.statusCode).toBe(409);
    expect(parse(r)).toEqual({ error: 'Conflict', message: 'schedule nightly exists' });
    expect(h.scheduler.calls).toHaveLength(1);
    const after = await h.get('nightly');
    expect(after.statusCode).toBe(200);
    expect(definitionOf(parse(after))).toEqual(CREATED);
  });

  it('removes the stored definition when the Scheduler schedule cannot be created, answering the generic 500', async () => {
    const h = setup();
    h.scheduler.fail.put = new Error(
      'AccessDeniedException: scheduler:CreateSchedule on arn:aws:scheduler:secret',
    );
    const r = await h.call('POST /schedules', { body: NIGHTLY });
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe(INTERNAL_ERROR_BODY);
    expect(h.definitions.has('nightly')).toBe(false);
    const after = await h.get('nightly');
    expect(after.statusCode).toBe(404);
    expect(parse(after)).toEqual({ error: 'NotFound', message: 'no schedule nightly' });
  });

  it('can create the schedule once the Scheduler works again after a failed create', async () => {
    const h = setup();
    h.scheduler.fail.put = new Error('ThrottlingException');
    expect((await h.call('POST /schedules', { body: NIGHTLY })).statusCode).toBe(500);
    h.scheduler.fail.put = undefined;
    const r = await h.call('POST /schedules', { body: NIGHTLY });
    expect(r.statusCode).toBe(201);
    expect(parse(r)).toEqual(CREATED);
  });

  it('answers 403 for a cluster off the allowlist, storing nothing and launching nothing', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, cluster: 'prod' } });
    expect(r.statusCode).toBe(403);
    expect(parse(r)).toEqual({
      error: 'Forbidden',
      message: "cluster prod is not on this stage's allowlist (allowedClusters)",
    });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
    expect(h.launched).toEqual([]);
  });

  it('answers 403 for a task definition family off the allowlist, storing nothing', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, taskDefinition: 'admin-tool:3' } });
    expect(r.statusCode).toBe(403);
    expect(parse(r)).toEqual({
      error: 'Forbidden',
      message: "task definition family admin-tool is not on this stage's allowlist (allowedFamilies)",
    });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
  });

  it('answers 403 for a taskRoleArn override off the allowlist, storing nothing', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', {
      body: { ...NIGHTLY, overrides: { taskRoleArn: ADMIN_ROLE } },
    });
    expect(r.statusCode).toBe(403);
    expect(parse(r)).toEqual({
      error: 'Forbidden',
      message: `overrides.taskRoleArn ${ADMIN_ROLE} is not on this stage's allowlist (allowedTaskRoles)`,
    });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
  });

  it('accepts a taskRoleArn override on the allowlist', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', {
      body: { ...NIGHTLY, overrides: { taskRoleArn: WORKER_ROLE } },
    });
    expect(r.statusCode).toBe(201);
    expect(h.definitions.get('nightly')).toEqual({ ...CREATED, overrides: { taskRoleArn: WORKER_ROLE } });
  });

  it('answers 413 for a body over 64 KiB, storing nothing', async () => {
    const h = setup();
    const rawBody = JSON.stringify({ ...NIGHTLY, description: 'x'.repeat(MAX_BODY_BYTES) });
    const r = await h.call('POST /schedules', { rawBody });
    expect(r.statusCode).toBe(413);
    expect(parse(r)).toEqual({ error: 'PayloadTooLarge', message: 'body is larger than 65536 bytes' });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const h = setup();
    const json = JSON.stringify(NIGHTLY);
    const rawBody = json + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(json));
    expect(Buffer.byteLength(rawBody)).toBe(64 * 1024);
    expect((await h.call('POST /schedules', { rawBody })).statusCode).toBe(201);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', { rawBody: '{"name": "nightly",' });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({ error: 'BadRequest', message: 'invalid body: (body): must be valid JSON' });
    expect(h.definitions.size).toBe(0);
  });
});

describe('GET /schedules/{name}', () => {
  it("shows the next 5 due times in UTC and in the schedule's time zone", async () => {
    const h = setup();
    await h.create();
    const body = parse(await h.get('nightly'));
    // cron(0 2 * * ? *) in Paris, read at T0 (2025-03-01 10:00 UTC): 02:00 CET is 01:00 UTC.
    expect(body.nextRunTimes).toEqual(
      ['02', '03', '04', '05', '06'].map((day) => ({
        time: `2025-03-${day}T01:00:00Z`,
        localTime: `2025-03-${day}T02:00:00+01:00`,
      })),
    );
  });
});

describe('GET /schedules', () => {
  it('pages through the schedules with the limit given', async () => {
    const h = setup();
    for (const name of ['alpha', 'beta', 'gamma']) await h.create({ name });
    const first = await h.call('GET /schedules', { query: { limit: '2' } });
    expect(first.statusCode).toBe(200);
    const page1 = parse(first);
    expect(page1.schedules.map((s: StoredSchedule) => s.name)).toEqual(['alpha', 'beta']);
    expect(page1.nextToken).toBe('page-2');
    const second = await h.call('GET /schedules', { query: { limit: '2', nextToken: page1.nextToken } });
    expect(second.statusCode).toBe(200);
    expect(parse(second)).toEqual({ schedules: [{ ...CREATED, name: 'gamma' }] });
    expect(h.listCalls).toEqual([
      [2, undefined],
      [2, 'page-2'],
    ]);
  });

  it('lists 25 schedules per page when no limit is given', async () => {
    const h = setup();
    expect((await h.call('GET /schedules')).statusCode).toBe(200);
    expect(h.listCalls).toEqual([[25, undefined]]);
  });

  it('answers 400 for a page token it did not issue', async () => {
    const h = setup();
    const r = await h.call('GET /schedules', { query: { nextToken: 'forged' } });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({
      error: 'BadRequest',
      message: 'invalid query: nextToken: nextToken is not a token this API returned',
    });
  });

  it('answers 400 for a limit below 1 without querying the store', async () => {
    const h = setup();
    const r = await h.call('GET /schedules', { query: { limit: '0' } });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({ error: 'BadRequest', message: 'invalid query: limit: must be at least 1' });
    expect(h.listCalls).toEqual([]);
  });
});

describe('PUT /schedules/{name}', () => {
  it('replaces the definition as version 2, keeping its creation and recording who changed it', async () => {
    const h = setup();
    await h.create();
    h.clock.now = Date.parse(T1);
    const r = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...NIGHTLY, expression: 'cron(30 3 * * ? *)' },
      caller: BOB,
    });
    const updated = {
      ...CREATED,
      expression: 'cron(30 3 * * ? *)',
      version: 2,
      updatedAt: T1,
      updatedBy: BOB,
    };
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toEqual(updated);
    expect(h.definitions.get('nightly')).toEqual(updated);
    expect(h.scheduler.calls[1]).toEqual({ op: 'put', mode: 'update', schedule: updated });
  });

  it('accepts what GET answered, changed: the version read is checked, the other bookkeeping fields ignored', async () => {
    const h = setup();
    await h.create();
    const read = parse(await h.get('nightly'));
    h.clock.now = Date.parse(T1);
    const r = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...read, expression: 'cron(30 3 * * ? *)', createdBy: BOB, createdAt: T1 },
      caller: BOB,
    });
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toEqual({
      ...CREATED,
      expression: 'cron(30 3 * * ? *)',
      version: 2,
      updatedAt: T1,
      updatedBy: BOB,
    });
  });

  it('answers 409 naming version when the schedule changed since the version sent, changing nothing', async () => {
    const h = setup();
    await h.create();
    const read = parse(await h.get('nightly'));
    await h.call('PATCH /schedules/{name}', { ...byName, body: { description: 'by someone else' } });
    const r = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...read, expression: 'cron(30 3 * * ? *)' },
    });
    expect(r.statusCode).toBe(409);
    expect(parse(r)).toEqual({
      error: 'Conflict',
      message: 'version: schedule nightly is at version 2, not 1 (it changed since you read it)',
    });
    expect(h.definitions.get('nightly')?.expression).toBe(NIGHTLY.expression);
  });

  it('keeps a PAUSED schedule paused when the body does not say state, and resumes it when it says ENABLED', async () => {
    const h = setup();
    await h.create();
    await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' } });
    const kept = await h.call('PUT /schedules/{name}', { ...byName, body: NIGHTLY });
    expect(parse(kept)).toMatchObject({ state: 'PAUSED', version: 3 });
    expect(h.scheduler.calls.at(-1)).toMatchObject({ op: 'put', schedule: { state: 'PAUSED' } });
    const resumed = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...NIGHTLY, state: 'ENABLED' },
    });
    expect(parse(resumed)).toMatchObject({ state: 'ENABLED', version: 4 });
  });

  it('answers 400 naming name when the body names another schedule, changing nothing', async () => {
    const h = setup();
    await h.create();
    const r = await h.call('PUT /schedules/{name}', { ...byName, body: { ...NIGHTLY, name: 'weekly' } });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({
      error: 'BadRequest',
      message: 'invalid body: name: must equal the path (nightly)',
    });
    expect(h.definitions.get('nightly')).toEqual(CREATED);
    expect(h.definitions.has('weekly')).toBe(false);
    expect(h.scheduler.calls).toHaveLength(1);
  });

  it('restores the previous version when the Scheduler schedule cannot be updated, answering the generic 500', async () => {
    const h = setup();
    await h.create();
    h.clock.now = Date.parse(T1);
    h.scheduler.fail.put = new Error('ValidationException: secret detail');
    const r = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...NIGHTLY, expression: 'cron(30 3 * * ? *)' },
      caller: BOB,
    });
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe(INTERNAL_ERROR_BODY);
    expect(h.definitions.get('nightly')).toEqual(CREATED);
    const after = await h.get('nightly');
    expect(after.statusCode).toBe(200);
    expect(definitionOf(parse(after))).toEqual(CREATED);
  });

  it('answers 404 for a schedule that does not exist, calling no Scheduler', async () => {
    const h = setup();
    const r = await h.call('PUT /schedules/{name}', { ...byName, body: NIGHTLY });
    expect(r.statusCode).toBe(404);
    expect(parse(r)).toEqual({ error: 'NotFound', message: 'no schedule nightly' });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
  });
});

describe('PATCH /schedules/{name}', () => {
  it('answers 403 for a cluster ARN of another account whose name is allowlisted, storing nothing', async () => {
    const h = setup();
    await h.create();
    const foreign = 'arn:aws:ecs:us-east-1:999999999999:cluster/batch';
    const r = await h.call('PATCH /schedules/{name}', { ...byName, body: { cluster: foreign } });
    expect(r.statusCode).toBe(403);
    expect(parse(r)).toEqual({
      error: 'Forbidden',
      message: `cluster ${foreign} is outside this stack's scope: account 999999999999 (this stack: 111122223333)`,
    });
    expect(h.definitions.get('nightly')).toEqual(CREATED);
  });

  it('pauses the schedule as version 2 and updates its Scheduler schedule with state PAUSED', async () => {
    const h = setup();
    await h.create();
    h.clock.now = Date.parse(T1);
    const r = await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' }, caller: BOB });
    const paused = { ...CREATED, state: 'PAUSED', version: 2, updatedAt: T1, updatedBy: BOB };
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toEqual(paused);
    expect(h.definitions.get('nightly')).toEqual(paused);
    expect(h.scheduler.calls).toEqual([
      { op: 'put', mode: 'create', schedule: CREATED },
      { op: 'put', mode: 'update', schedule: paused },
    ]);
  });

  it('restores the previous version when the Scheduler schedule cannot be updated, answering the generic 500', async () => {
    const h = setup();
    await h.create();
    h.clock.now = Date.parse(T1);
    h.scheduler.fail.put = new Error('InternalServerException');
    const r = await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' }, caller: BOB });
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe(INTERNAL_ERROR_BODY);
    expect(h.definitions.get('nightly')).toEqual(CREATED);
    expect(definitionOf(parse(await h.get('nightly')))).toEqual(CREATED);
  });

  it('updates as version 2 once the Scheduler works again after a failed update', async () => {
    const h = setup();
    await h.create();
    h.scheduler.fail.put = new Error('InternalServerException');
    expect(
      (await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' } })).statusCode,
    ).toBe(500);
    h.scheduler.fail.put = undefined;
    const r = await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' } });
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toMatchObject({ state: 'PAUSED', version: 2 });
  });
});

describe('DELETE /schedules/{name}', () => {
  it('removes the Scheduler schedule and the definition, answering 204', async () => {
    const h = setup();
    await h.create();
    const r = await h.call('DELETE /schedules/{name}', byName);
    expect(r.statusCode).toBe(204);
    expect(h.scheduler.calls.at(-1)).toEqual({ op: 'remove', name: 'nightly' });
    const after = await h.get('nightly');
    expect(after.statusCode).toBe(404);
    expect(parse(after)).toEqual({ error: 'NotFound', message: 'no schedule nightly' });
  });

  it('answers 404 for a schedule that does not exist, calling no Scheduler', async () => {
    const h = setup();
    const r = await h.call('DELETE /schedules/{name}', { pathParameters: { name: 'ghost' } });
    expect(r.statusCode).toBe(404);
    expect(parse(r)).toEqual({ error: 'NotFound', message: 'no schedule ghost' });
    expect(h.scheduler.calls).toEqual([]);
  });

  it('keeps the definition when the Scheduler schedule cannot be removed', async () => {
    const h = setup();
    await h.create();
    h.scheduler.fail.remove = new Error('InternalServerException');
    const r = await h.call('DELETE /schedules/{name}', byName);
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe(INTERNAL_ERROR_BODY);
    expect(h.definitions.get('nightly')).toEqual(CREATED);
  });
});

describe('POST /tasks', () => {
  it('launches the body once, as a run-now request by the caller named after the Idempotency-Key', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', {
      body: RUN_BODY,
      headers: { 'idempotency-key': 'job-2025-03-01' },
    });
    expect(r.statusCode).toBe(200);
    expect(h.launched).toEqual([
      {
        requestId: JOB,
        reason: 'run-now',
        runTask: { ...RUN_BODY, count: 1 },
        capacityRetries: 0,
        deferSeconds: 0,
        requestedBy: ALICE,
      },
    ]);
    expect(parse(r)).toEqual({
      requestId: JOB,
      status: 'LAUNCHED',
      taskArns: ['arn:aws:ecs:us-east-1:111122223333:task/batch/launched1'],
      location: `/launches/${JOB}`,
    });
    expect(r.headers?.location).toBe(`/launches/${JOB}`);
  });

  it('answers a queued launch with where to follow it, and GET /launches/{requestId} shows what it became', async () => {
    const h = setup();
    h.ecs.mode = 'throttled';
    const r = await h.call('POST /tasks', { body: RUN_BODY, headers: { 'idempotency-key': 'job-7' } });
    expect(parse(r)).toEqual({
      requestId: JOB_7,
      status: 'PENDING',
      taskArns: [],
      location: `/launches/${JOB_7}`,
      message: `queued (requeued-throttled): GET /launches/${JOB_7} shows the tasks it starts, or why it failed`,
    });
    const pending = await h.call('GET /launches/{requestId}', { pathParameters: { requestId: JOB_7 } });
    expect(parse(pending)).toEqual({
      requestId: JOB_7,
      reason: 'run-now',
      requestedBy: ALICE,
      acceptedAt: T0,
      cluster: 'batch',
      taskDefinition: 'worker',
      count: 1,
      status: 'PENDING',
      taskArns: [],
      attempts: 0,
    });

    // The queue's launcher starts it later.
    const task = 'arn:aws:ecs:us-east-1:111122223333:task/batch/22222222222222222222222222222222';
    h.outcomes.set(JOB_7, { status: 'launched', taskArns: [task], events: [], done: true, at: T1 });
    const later = await h.call('GET /launches/{requestId}', { pathParameters: { requestId: JOB_7 } });
    expect(parse(later)).toMatchObject({ status: 'LAUNCHED', taskArns: [task], attempts: 1, updatedAt: T1 });
  });

  it('answers 404 for a launch it never accepted nor attempted', async () => {
    const r = await setup().call('GET /launches/{requestId}', { pathParameters: { requestId: 't-nope' } });
    expect(r.statusCode).toBe(404);
    expect(parse(r)).toEqual({ error: 'NotFound', message: 'no launch t-nope' });
  });

  it('names the request with a fresh id when no Idempotency-Key is given', async () => {
    const h = setup();
    expect((await h.call('POST /tasks', { body: RUN_BODY })).statusCode).toBe(200);
    expect(h.launched).toHaveLength(1);
    expect(h.launched[0]?.requestId).toMatch(
      /^t-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('answers 400 for a restart backoff of 0 seconds (the 110-task storm), launching and accepting nothing', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', {
      body: { ...RUN_BODY, count: 10, restartPolicy: { maxAttempts: 10, backoff: { baseSeconds: 0 } } },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({
      error: 'BadRequest',
      message:
        'invalid body: restartPolicy.backoff.baseSeconds: must be from 1 to 3600 seconds (the delay before the first restart; 0 would restart a failing task at once)',
    });
    expect(h.launched).toEqual([]);
    expect(h.accepted.size).toBe(0);
  });

  it('answers 400 for more than 10 restart attempts on a schedule, storing nothing', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, restartPolicy: { maxAttempts: 11 } } });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({
      error: 'BadRequest',
      message:
        'invalid body: restartPolicy.maxAttempts: must be an integer from 0 to 10 (restarts after the first run fails)',
    });
    expect(h.definitions.size).toBe(0);
    expect(h.scheduler.calls).toEqual([]);
  });

  it('answers 403 for a cluster off the allowlist, launching nothing', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', { body: { ...RUN_BODY, cluster: 'prod' } });
    expect(r.statusCode).toBe(403);
    expect(parse(r)).toEqual({
      error: 'Forbidden',
      message: "cluster prod is not on this stage's allowlist (allowedClusters)",
    });
    expect(h.launched).toEqual([]);
  });
});

describe('the Idempotency-Key', () => {
  const key = (value: string) => ({ headers: { 'idempotency-key': value } });
  const RULE =
    'invalid header: Idempotency-Key: must be 1 to 128 printable ASCII characters without spaces (33-126), e.g. a UUID; got';

  it('answers a retried POST /tasks with the same launch, however its JSON is laid out, starting one task', async () => {
    const h = setup();
    const first = await h.call('POST /tasks', { body: RUN_BODY, ...key('job-1') });
    const reordered = {
      networkConfiguration: NETWORK,
      count: 1,
      launchType: 'FARGATE',
      taskDefinition: 'worker',
      cluster: 'batch',
    };
    const retry = await h.call('POST /tasks', { body: reordered, ...key('job-1') });
    expect(retry.statusCode).toBe(200);
    expect(parse(retry)).toEqual(parse(first));
    expect(parse(first).taskArns).toHaveLength(1);
    expect(h.outcomes.size).toBe(1);
    expect(h.accepted.size).toBe(1);
  });

  it('answers 409 naming the header for the same key with another body, launching nothing more', async () => {
    const h = setup();
    await h.call('POST /tasks', { body: RUN_BODY, ...key('job-1') });
    const other = await h.call('POST /tasks', { body: { ...RUN_BODY, count: 2 }, ...key('job-1') });
    expect(other.statusCode).toBe(409);
    expect(parse(other)).toEqual({
      error: 'Conflict',
      message: 'Idempotency-Key: was used with another body (a new launch needs a new key)',
    });
    expect(h.launched).toHaveLength(1);
    expect([...h.accepted.values()]).toMatchObject([{ count: 1, requestedBy: ALICE }]);
  });

  it("scopes a key to the caller: bob's job-1 is another launch than alice's", async () => {
    const h = setup();
    const alice = parse(await h.call('POST /tasks', { body: RUN_BODY, ...key('job-1') }));
    const bob = parse(
      await h.call('POST /tasks', { body: { ...RUN_BODY, count: 2 }, ...key('job-1'), caller: BOB }),
    );
    expect(bob.requestId).not.toBe(alice.requestId);
    expect(bob.taskArns).toHaveLength(1);
    expect(h.outcomes.size).toBe(2);
    expect(h.launched.map((l) => l.requestedBy)).toEqual([ALICE, BOB]);
  });

  it('names the request t- and 32 base64url characters, the clientToken ECS gets, for a key of 128 characters', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', { body: RUN_BODY, ...key('k'.repeat(128)) });
    expect(r.statusCode).toBe(200);
    const request = h.launched[0] as LaunchRequest;
    expect(request.requestId).toMatch(/^t-[A-Za-z0-9_-]{32}$/);
    expect(clientTokenFor({ ...request, capacityRetries: 3 })).toBe(`${request.requestId}~c3`);
  });

  it.each([
    ['129 characters', 'k'.repeat(129), `${RULE} 129 characters`],
    ['2,100 characters', 'k'.repeat(2100), `${RULE} 2100 characters`],
    ['a space', 'job 1', `${RULE} 5 characters, some outside that range`],
    ['a non-ASCII letter', 'tâche-1', `${RULE} 7 characters, some outside that range`],
    ['nothing', '', `${RULE} 0 characters`],
  ])(
    'answers 400 for a key of %s on POST /tasks, accepting and launching nothing',
    async (_what, value, message) => {
      const h = setup();
      const r = await h.call('POST /tasks', { body: RUN_BODY, ...key(value) });
      expect(r.statusCode).toBe(400);
      expect(parse(r)).toEqual({ error: 'BadRequest', message });
      expect(h.launched).toEqual([]);
      expect(h.accepted.size).toBe(0);
    },
  );

  it('answers 400 for a key over 128 characters on a run of a schedule, recording no run', async () => {
    const h = setup();
    await h.create();
    const r = await h.call('POST /schedules/{name}/runs', { ...byName, ...key('k'.repeat(129)) });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual({ error: 'BadRequest', message: `${RULE} 129 characters` });
    expect(h.launched).toEqual([]);
    expect(h.runs.get('nightly')).toBeUndefined();
  });

  it('runs a schedule once per key and caller: a retry is the same run, two keys alike in their first 40 characters are two', async () => {
    const h = setup();
    await h.create();
    const long = 'nightly-rerun-2025-03-01-requested-by-ops';
    const first = parse(await h.call('POST /schedules/{name}/runs', { ...byName, ...key(`${long}-1`) }));
    const retry = parse(await h.call('POST /schedules/{name}/runs', { ...byName, ...key(`${long}-1`) }));
    const second = parse(await h.call('POST /schedules/{name}/runs', { ...byName, ...key(`${long}-2`) }));
    const bobs = parse(
      await h.call('POST /schedules/{name}/runs', { ...byName, ...key(`${long}-1`), caller: BOB }),
    );
    expect(retry.requestId).toBe(first.requestId);
    expect(retry.taskArns).toEqual(first.taskArns);
    expect(new Set([first.requestId, second.requestId, bobs.requestId]).size).toBe(3);
    expect(h.outcomes.size).toBe(3);
  });
});

describe('POST /schedules/{name}/runs', () => {
  const manual = { ...byName, headers: { 'idempotency-key': 'manual-1' } };

  it('skips the run under concurrencyPolicy Forbid while a task of the schedule still runs', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Forbid' });
    h.running.push(RUNNING_ARN);
    const r = await h.call('POST /schedules/{name}/runs', manual);
    const skipped = {
      requestId: MANUAL_1,
      trigger: 'manual',
      scheduledTime: T0,
      requestedBy: ALICE,
      status: 'SKIPPED',
      cause: 'overlap',
      message: 'concurrencyPolicy Forbid: 1 task(s) of the previous run still running',
    };
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toEqual({ ...skipped, taskArns: [] });
    expect(h.listRunningCalls).toEqual([['batch', 'ecs-autopilot/schedule/nightly']]);
    expect(h.launched).toEqual([]);
    expect(h.stopCalls).toEqual([]);
    expect(h.runs.get('nightly')).toEqual([skipped]);
  });

  it('launches the run under concurrencyPolicy Forbid when nothing of the schedule runs', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Forbid' });
    const r = await h.call('POST /schedules/{name}/runs', manual);
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toMatchObject({ status: 'LAUNCHED' });
    expect(h.launched).toHaveLength(1);
  });

  it('skips the run under Forbid while another run of the schedule holds the launch lease (it is starting)', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Forbid' });
    h.leases.set('nightly', { holder: 's-nightly-1', until: h.clock.now + 60_000 });
    const r = await h.call('POST /schedules/{name}/runs', manual);
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toMatchObject({
      status: 'SKIPPED',
      message: 'concurrencyPolicy Forbid: the previous run is still starting',
      taskArns: [],
    });
    expect(h.listRunningCalls).toEqual([]);
    expect(h.launched).toEqual([]);
    expect(h.leases.get('nightly')?.holder).toBe('s-nightly-1');
  });

  it('answers 409 naming the schedule under Replace while another run of it is starting, launching nothing', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Replace' });
    h.leases.set('nightly', { holder: 's-nightly-1', until: h.clock.now + 60_000 });
    const r = await h.call('POST /schedules/{name}/runs', manual);
    expect(r.statusCode).toBe(409);
    expect(parse(r)).toEqual({
      error: 'Conflict',
      message:
        'a run of schedule nightly is starting: concurrencyPolicy Replace launches one run at a time; try again shortly',
    });
    expect(h.listRunningCalls).toEqual([]);
    expect(h.launched).toEqual([]);
    expect(h.leases.get('nightly')?.holder).toBe('s-nightly-1');
  });

  it('launches once for two run-now calls at the same time under concurrencyPolicy Forbid', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Forbid' });
    const [a, b] = await Promise.all([
      h.call('POST /schedules/{name}/runs', { ...byName, headers: { 'idempotency-key': 'manual-1' } }),
      h.call('POST /schedules/{name}/runs', { ...byName, headers: { 'idempotency-key': 'manual-2' } }),
    ]);
    expect(h.launched).toHaveLength(1);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect([parse(a).status, parse(b).status].sort()).toEqual(['LAUNCHED', 'SKIPPED']);
    expect(h.leases.size).toBe(0);
  });

  it('launches again once the lease is freed, after the run that held it', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Replace' });
    await h.call('POST /schedules/{name}/runs', manual);
    const r = await h.call('POST /schedules/{name}/runs', {
      ...byName,
      headers: { 'idempotency-key': 'manual-2' },
    });
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toMatchObject({
      status: 'LAUNCHED',
      replacedTaskArns: [`launched-by-${MANUAL_1}`],
    });
    expect(h.launched).toHaveLength(2);
  });

  it('stops the running task, then launches the run under concurrencyPolicy Replace', async () => {
    const h = setup();
    await h.create({ concurrencyPolicy: 'Replace' });
    h.running.push(RUNNING_ARN);
    const r = await h.call('POST /schedules/{name}/runs', manual);
    expect(h.stopCalls).toEqual([
      { cluster: 'batch', taskArns: [RUNNING_ARN], reason: 'Replaced by a new run of schedule nightly' },
    ]);
    expect(h.launched).toEqual([
      {
        requestId: MANUAL_1,
        reason: 'run-now',
        runTask: {
          cluster: 'batch',
          taskDefinition: 'worker',
          count: 1,
          launchType: 'FARGATE',
          networkConfiguration: NETWORK,
          startedBy: 'ecs-autopilot/schedule/nightly',
          tags: [
            { key: 'ecs-autopilot:schedule', value: 'nightly' },
            { key: 'ecs-autopilot:run', value: MANUAL_1 },
          ],
        },
        capacityRetries: 0,
        deferSeconds: 0,
        requestedBy: ALICE,
        context: { schedule: 'nightly', scheduledTime: T0 },
        launchLease: { schedule: 'nightly' },
      },
    ]);
    expect(h.order).toEqual(['stop', 'launch']);
    expect(r.statusCode).toBe(200);
    expect(parse(r)).toEqual({
      location: `/launches/${MANUAL_1}`,
      requestId: MANUAL_1,
      trigger: 'manual',
      scheduledTime: T0,
      requestedBy: ALICE,
      status: 'LAUNCHED',
      replacedTaskArns: [RUNNING_ARN],
      taskArns: ['arn:aws:ecs:us-east-1:111122223333:task/batch/launched1'],
    });
  });
});

describe("the stage's guardrails (default limits)", () => {
  const refused = (message: string) => ({ error: 'BadRequest', message: `invalid body: ${message}` });
  const EVERY_MINUTE =
    "expression: must leave at least 5 minutes between runs (this stage's minScheduleIntervalMinutes), but";

  it.each([
    ['a nightly ETL of 10 tasks', { expression: 'cron(0 2 * * ? *)', count: 10 }],
    ['an hourly job of 10 tasks', { expression: 'rate(1 hour)', count: 10 }],
    ['5 tasks every 5 minutes (60 an hour)', { expression: 'rate(5 minutes)', count: 5 }],
    ['10 tasks every 15 minutes in office hours', { expression: 'cron(0/15 9-17 ? * MON-FRI *)', count: 10 }],
    ['one run of 10 tasks', { expression: 'at(2030-01-01T09:00:00)', count: 10 }],
  ])('accept %s', async (_what, fields) => {
    const h = setup();
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, ...fields } });
    expect(r.statusCode).toBe(201);
    expect(parse(r)).toMatchObject(fields);
  });

  it.each([
    ['rate(1 minute)', `${EVERY_MINUTE} rate(1 minute) has runs 1 minute apart`],
    ['cron(* * * * ? *)', `${EVERY_MINUTE} cron(* * * * ? *) has runs 1 minute apart`],
    ['cron(0/1 * * * ? *)', `${EVERY_MINUTE} cron(0/1 * * * ? *) has runs 1 minute apart`],
    ['cron(0,2 3 * * ? *)', `${EVERY_MINUTE} cron(0,2 3 * * ? *) has runs 2 minutes apart`],
    ['rate(4 minutes)', `${EVERY_MINUTE} rate(4 minutes) has runs 4 minutes apart`],
  ])(
    'refuse a schedule running more often than every 5 minutes: %s, storing nothing',
    async (expression, message) => {
      const h = setup();
      const r = await h.call('POST /schedules', { body: { ...NIGHTLY, expression } });
      expect(r.statusCode).toBe(400);
      expect(parse(r)).toEqual(refused(message));
      expect(h.definitions.size).toBe(0);
      expect(h.scheduler.calls).toEqual([]);
    },
  );

  it('refuse 10 tasks every 5 minutes (120 an hour), naming count and the hourly limit', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', {
      body: { ...NIGHTLY, expression: 'rate(5 minutes)', count: 10 },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual(
      refused(
        "count: 10 tasks a run × 12 runs in an hour (rate(5 minutes)) is 120 tasks an hour, more than this stage's maxScheduledTasksPerHour (60)",
      ),
    );
    expect(h.scheduler.calls).toEqual([]);
  });

  it('refuse rate(1 minute) with count 10 (10 tasks a minute, forever) for both limits at once', async () => {
    const r = await setup().call('POST /schedules', {
      body: { ...NIGHTLY, expression: 'rate(1 minute)', count: 10 },
    });
    expect(parse(r)).toEqual(
      refused(
        `${EVERY_MINUTE} rate(1 minute) has runs 1 minute apart; count: 10 tasks a run × 60 runs in an hour (rate(1 minute)) is 600 tasks an hour, more than this stage's maxScheduledTasksPerHour (60)`,
      ),
    );
  });

  it("counts a cron's runs in its busiest hour, not over the day: every 5 minutes of two night hours", async () => {
    const r = await setup().call('POST /schedules', {
      body: { ...NIGHTLY, expression: 'cron(0/5 0,23 * * ? *)', count: 6 },
    });
    expect(parse(r)).toEqual(
      refused(
        "count: 6 tasks a run × 12 runs in an hour (cron(0/5 0,23 * * ? *)) is 72 tasks an hour, more than this stage's maxScheduledTasksPerHour (60)",
      ),
    );
  });

  it('refuse a PUT or a PATCH that makes a schedule run too often, keeping the stored version', async () => {
    const h = setup();
    await h.create({ expression: 'rate(5 minutes)' });
    const put = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...NIGHTLY, expression: 'rate(1 minute)' },
    });
    expect(put.statusCode).toBe(400);
    expect(parse(put)).toEqual(refused(`${EVERY_MINUTE} rate(1 minute) has runs 1 minute apart`));
    const patch = await h.call('PATCH /schedules/{name}', { ...byName, body: { count: 10 } });
    expect(patch.statusCode).toBe(400);
    expect(parse(patch)).toEqual(
      refused(
        "count: 10 tasks a run × 12 runs in an hour (rate(5 minutes)) is 120 tasks an hour, more than this stage's maxScheduledTasksPerHour (60)",
      ),
    );
    expect(h.definitions.get('nightly')).toMatchObject({
      version: 1,
      expression: 'rate(5 minutes)',
      count: 1,
    });
    expect(h.scheduler.calls).toHaveLength(1);
  });

  it('pause a schedule stored before the limits (rate(1 minute), count 10), and refuse to resume it', async () => {
    const h = setup();
    h.definitions.set('nightly', { ...CREATED, expression: 'rate(1 minute)', count: 10 });
    const pause = await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'PAUSED' } });
    expect(pause.statusCode).toBe(200);
    expect(parse(pause)).toMatchObject({ state: 'PAUSED', version: 2 });
    const resume = await h.call('PATCH /schedules/{name}', { ...byName, body: { state: 'ENABLED' } });
    expect(resume.statusCode).toBe(400);
    expect(parse(resume).message).toMatch(/^invalid body: expression: must leave at least 5 minutes/);
    expect(h.definitions.get('nightly')).toMatchObject({ state: 'PAUSED', version: 2 });
  });

  it('answer 409 LimitExceeded past maxSchedules, creating nothing, and create again once one is deleted', async () => {
    const h = setup({ limits: { maxSchedules: 2 } });
    await h.create({ name: 'first' });
    await h.create({ name: 'second' });
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, name: 'third' } });
    expect(r.statusCode).toBe(409);
    expect(parse(r)).toEqual({
      error: 'LimitExceeded',
      message: 'this stage keeps at most 2 schedules (maxSchedules): delete one, or raise maxSchedules',
    });
    expect(h.definitions.has('third')).toBe(false);
    expect(h.scheduler.calls).toHaveLength(2);
    const removed = await h.call('DELETE /schedules/{name}', { pathParameters: { name: 'first' } });
    expect(removed.statusCode).toBe(204);
    expect((await h.call('POST /schedules', { body: { ...NIGHTLY, name: 'third' } })).statusCode).toBe(201);
  });

  it('follow the stage: rate(1 minute) is accepted where minScheduleIntervalMinutes is 1', async () => {
    const h = setup({ limits: { minScheduleIntervalMinutes: 1 } });
    const r = await h.call('POST /schedules', { body: { ...NIGHTLY, expression: 'rate(1 minute)' } });
    expect(r.statusCode).toBe(201);
  });

  it('refuse a run-now of 16 vCPU and 120 GB, naming both overrides and their limits, launching nothing', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', {
      body: { ...RUN_BODY, launchType: 'EC2', overrides: { cpu: '16 vCPU', memory: '120 GB' } },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual(
      refused(
        "overrides.cpu: must be at most 4096 CPU units (4 vCPU, this stage's maxTaskCpu), got 16 vCPU; overrides.memory: must be at most 16384 MiB (16 GB, this stage's maxTaskMemory), got 120 GB",
      ),
    );
    expect(h.launched).toEqual([]);
    expect(h.accepted.size).toBe(0);
  });

  it('refuse a container override over the limits on a schedule', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', {
      body: {
        ...NIGHTLY,
        overrides: { containerOverrides: [{ name: 'worker', cpu: 8192, memoryReservation: 32_768 }] },
      },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual(
      refused(
        "overrides.containerOverrides.0.cpu: must be at most 4096 CPU units (4 vCPU, this stage's maxTaskCpu), got 8192; overrides.containerOverrides.0.memoryReservation: must be at most 16384 MiB (16 GB, this stage's maxTaskMemory), got 32768",
      ),
    );
  });

  it('accept 4 vCPU and 16 GB on Fargate, and 16 vCPU and 120 GB where the stage allows them', async () => {
    const at4 = await setup().call('POST /tasks', {
      body: { ...RUN_BODY, overrides: { cpu: '4 vCPU', memory: '16 GB' } },
    });
    expect(at4.statusCode).toBe(200);
    const big = setup({ limits: { maxTaskCpu: 16_384, maxTaskMemory: 122_880 } });
    const at16 = await big.call('POST /tasks', {
      body: { ...RUN_BODY, overrides: { cpu: '16384', memory: '122880' } },
    });
    expect(at16.statusCode).toBe(200);
    expect(big.launched[0]?.runTask.overrides).toEqual({ cpu: '16384', memory: '122880' });
  });

  it('refuse a Fargate run-now whose memory its cpu does not go with', async () => {
    const h = setup();
    const r = await h.call('POST /tasks', {
      body: { ...RUN_BODY, overrides: { cpu: '1024', memory: '512' } },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r)).toEqual(
      refused(
        'overrides.memory: must be a task memory Fargate offers with 1024 CPU units: 2048 to 8192 MiB in steps of 1024, got 512',
      ),
    );
    expect(h.launched).toEqual([]);
  });

  it('answer 409 to a run-now of a schedule stored before the size limits, launching nothing', async () => {
    const h = setup();
    h.definitions.set('nightly', { ...CREATED, launchType: 'EC2', overrides: { cpu: '8192' } });
    const r = await h.call('POST /schedules/{name}/runs', byName);
    expect(r.statusCode).toBe(409);
    expect(parse(r)).toEqual({
      error: 'Conflict',
      message:
        "schedule nightly breaks this stage's limits (change it first): overrides.cpu: must be at most 4096 CPU units (4 vCPU, this stage's maxTaskCpu), got 8192",
    });
    expect(h.launched).toEqual([]);
  });
});

describe('a schedule name', () => {
  it.each(['.', '..'])('%s is refused with a 400 naming name, in the path and in the body', async (name) => {
    const h = setup();
    const rule = 'name: must not be . or .. (a URL path step, not a name)';
    const inPath = await h.get(name);
    expect(inPath.statusCode).toBe(400);
    expect(parse(inPath)).toEqual({ error: 'BadRequest', message: `invalid path parameter: ${rule}` });
    const inBody = await h.call('POST /schedules', { body: { ...NIGHTLY, name } });
    expect(inBody.statusCode).toBe(400);
    expect(parse(inBody)).toEqual({ error: 'BadRequest', message: `invalid body: ${rule}` });
    expect(h.definitions.size).toBe(0);
  });

  it('names the path parameter when it breaks the rule, not (body)', async () => {
    const r = await setup().get('night ly');
    expect(parse(r).message).toBe(
      'invalid path parameter: name: must be 1 to 64 characters, each a letter, digit, -, _ or .',
    );
  });

  it('gets the same words for an unknown query parameter as every other route', async () => {
    const r = await setup().call('GET /schedules', { query: { constructor: 'x' } });
    expect(parse(r).message).toBe('invalid query: constructor: is not a known field');
  });
});

describe('GET /openapi.json', () => {
  it('answers 200 with the document the openApi dependency builds', async () => {
    const h = setup();
    const r = await h.call('GET /openapi.json');
    expect(r.statusCode).toBe(200);
    expect(r.headers).toEqual({ 'content-type': 'application/json' });
    expect(parse(r)).toEqual(OPENAPI_DOC);
  });
});

describe('environment override values', () => {
  const SECRET = { name: 'DB_PASSWORD', value: 'hunter2' };
  const withSecret = {
    ...NIGHTLY,
    overrides: {
      containerOverrides: [{ name: 'worker', environment: [SECRET, { name: 'MODE', value: 'full' }] }],
    },
  };
  const environmentOf = (schedule: unknown) =>
    (schedule as typeof withSecret).overrides.containerOverrides[0]?.environment;

  it('are never answered: every schedule response shows the names with the value redacted', async () => {
    const h = setup();
    const created = await h.call('POST /schedules', { body: withSecret });
    expect(created.body).not.toContain('hunter2');
    expect(environmentOf(parse(created))).toEqual([
      { name: 'DB_PASSWORD', value: '(redacted)' },
      { name: 'MODE', value: '(redacted)' },
    ]);
    expect((await h.get('nightly')).body).not.toContain('hunter2');
    expect((await h.call('GET /schedules')).body).not.toContain('hunter2');
    // Stored as given: the schedule's runs need them.
    expect(environmentOf(h.definitions.get('nightly'))).toEqual(
      withSecret.overrides.containerOverrides[0]?.environment,
    );
  });

  it('keep their stored value when a GET body is sent back with a change', async () => {
    const h = setup();
    await h.call('POST /schedules', { body: withSecret });
    const read = parse(await h.get('nightly'));
    const r = await h.call('PUT /schedules/{name}', {
      ...byName,
      body: { ...read, expression: 'cron(0 3 * * ? *)' },
    });
    expect(r.statusCode).toBe(200);
    expect(environmentOf(h.definitions.get('nightly'))).toEqual(
      withSecret.overrides.containerOverrides[0]?.environment,
    );
    const patched = await h.call('PATCH /schedules/{name}', {
      ...byName,
      body: { overrides: read.overrides },
    });
    expect(patched.statusCode).toBe(200);
    expect(environmentOf(h.definitions.get('nightly'))?.[0]).toEqual(SECRET);
  });

  it('refuse the redaction marker where no value is stored behind it', async () => {
    const h = setup();
    const r = await h.call('POST /schedules', {
      body: {
        ...NIGHTLY,
        overrides: {
          containerOverrides: [
            { name: 'worker', environment: [{ name: 'DB_PASSWORD', value: '(redacted)' }] },
          ],
        },
      },
    });
    expect(r.statusCode).toBe(400);
    expect(parse(r).message).toBe(
      'invalid body: overrides.containerOverrides: worker.DB_PASSWORD: the value is (redacted), and no value is stored for it (send the value)',
    );
    expect(h.definitions.size).toBe(0);
  });
});
