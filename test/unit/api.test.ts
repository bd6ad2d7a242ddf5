import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildScheduleRoutes, type ScheduleApiDeps } from '../../src/app/api/scheduleRoutes';
import { buildApi } from '../../src/app/api/taskRoutes';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { INTERNAL_ERROR_BODY } from '../../src/http';
import type { ListTasksQuery, TaskHistory } from '../../src/ports';
import { InvalidPageTokenError } from '../../src/ports';
import { fixture } from '../support/fixtures';
import { documented } from '../support/openApiContract';
import { unusedBreakers, unusedClusterRoutes } from '../support/unusedDeps';

const stopped = toTransition(parseTaskStateChange(fixture('stopped-exit-1')));
const history: TaskHistory = { summary: stopped, transitions: [stopped] };
/** The parts of a restart's launch request these tests do not look at. */
const relaunch = { reason: 'restart' as const, capacityRetries: 0, deferSeconds: 0 };

function api(overrides: Partial<Parameters<typeof buildApi>[0]> = {}) {
  const queries: ListTasksQuery[] = [];
  const handler = middy(
    buildApi({
      getTaskHistory: async (id) => (id === stopped.taskId ? history : undefined),
      listTasks: async (q) => {
        queries.push(q);
        return { tasks: [stopped], nextToken: undefined };
      },
      // Not under test here: the schedule routes' own tests are in schedulesApi.test.ts.
      routes: { ...buildScheduleRoutes({} as ScheduleApiDeps), ...unusedClusterRoutes },
      breakers: unusedBreakers,
      getServiceState: async () => undefined,
      ...overrides,
    }),
  ).use(httpErrorHandler({ logger: false, fallbackMessage: INTERNAL_ERROR_BODY }));
  const call = documented(
    async (routeKey: string, parts: Partial<APIGatewayProxyEventV2> = {}) =>
      (await handler(
        { routeKey, ...parts } as APIGatewayProxyEventV2,
        {} as never,
      )) as APIGatewayProxyStructuredResultV2,
  );
  return { call, queries };
}

const body = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null');

describe('GET /tasks/{taskId}', () => {
  it('returns the summary and the ordered transitions', async () => {
    const r = await api().call('GET /tasks/{taskId}', { pathParameters: { taskId: stopped.taskId } });
    expect(r.statusCode).toBe(200);
    expect(body(r)).toEqual(JSON.parse(JSON.stringify({ task: stopped, transitions: [stopped] })));
  });

  it('answers 404 for a task it has no history of', async () => {
    const r = await api().call('GET /tasks/{taskId}', {
      pathParameters: { taskId: 'ffffffffffffffffffffffffffffffff' },
    });
    expect(r.statusCode).toBe(404);
    expect(body(r)).toEqual({
      error: 'NotFound',
      message: 'no history for task ffffffffffffffffffffffffffffffff',
    });
  });

  it('answers 400 naming the parameter for a malformed task id', async () => {
    const r = await api().call('GET /tasks/{taskId}', { pathParameters: { taskId: 'not a task!' } });
    expect(r.statusCode).toBe(400);
    expect(body(r).message).toBe(
      'invalid path parameter: taskId: must be an ECS task id (1 to 64 letters, digits, -)',
    );
  });
});

describe('a query parameter it does not know', () => {
  it('gets the same words on every route, whatever its name (Object.prototype names included)', async () => {
    for (const key of ['constructor', '__proto__', 'clusterName']) {
      const r = await api().call('GET /tasks', { queryStringParameters: { cluster: 'batch', [key]: 'x' } });
      expect(r.statusCode).toBe(400);
      expect(body(r).message).toBe(`invalid query: ${key}: is not a known field`);
    }
  });
});

describe('GET /tasks', () => {
  it('passes validated filters to the index query', async () => {
    const { call, queries } = api();
    const r = await call('GET /tasks', {
      queryStringParameters: {
        cluster: 'batch-cluster',
        classification: 'failed',
        since: '2024-05-14',
        limit: '10',
      },
    });
    expect(r.statusCode).toBe(200);
    expect(body(r).tasks).toHaveLength(1);
    expect(queries).toEqual([
      { cluster: 'batch-cluster', classification: 'failed', since: '2024-05-14T00:00:00.000Z', limit: 10 },
    ]);
  });

  it.each([
    [{}, /cluster: is required/],
    [{ cluster: 'c', classification: 'exploded' }, /classification: must be one of running, succeeded/],
    [{ cluster: 'c', since: 'yesterday-ish' }, /since: must be an ISO-8601 date or time/],
    [{ cluster: 'c', limit: '0' }, /limit: must be at least 1/],
    [{ cluster: 'c', limit: '1000' }, /limit: must be at most 100/],
    [{ cluster: 'c', limit: 'ten' }, /limit:/],
    [{ cluster: 'c', colour: 'blue' }, /colour/],
  ])('answers 400 naming the parameter for %j', async (query, message) => {
    const { call, queries } = api();
    const r = await call('GET /tasks', { queryStringParameters: query as Record<string, string> });
    expect(r.statusCode).toBe(400);
    expect(body(r).message).toMatch(message);
    expect(queries).toEqual([]);
  });

  it('answers 400 for a page token it did not issue', async () => {
    const { call } = api({
      listTasks: async () => {
        throw new InvalidPageTokenError();
      },
    });
    const r = await call('GET /tasks', { queryStringParameters: { cluster: 'c', nextToken: 'x' } });
    expect(r.statusCode).toBe(400);
    expect(body(r).message).toMatch(/nextToken/);
  });

  it('hides internals behind a generic 500', async () => {
    const { call } = api({
      listTasks: async () => {
        throw new Error('ProvisionedThroughputExceeded on table secret-table-name');
      },
    });
    const r = await call('GET /tasks', { queryStringParameters: { cluster: 'c' } });
    expect(r.statusCode).toBe(500);
    expect(r.body).toBe(INTERNAL_ERROR_BODY);
  });
});

describe('the restart circuit breaker routes', () => {
  const rule = { relaunches: 10, windowMinutes: 15, cooldownMinutes: 15 };
  function withBreaker(openUntil?: string) {
    const state = { used: 10, openUntil };
    const resets: string[] = [];
    const info = jest.fn();
    const { call } = api({
      breakers: {
        budgets: {
          state: async () => ({ ...state }),
          reset: async (key) => {
            resets.push(key);
            state.used = 0;
            state.openUntil = undefined;
          },
        },
        rule,
        logger: { info },
      },
    });
    return { call, resets, info };
  }

  it('shows an open breaker with its count, until when, and how it resumes', async () => {
    const until = new Date(Date.now() + 600_000).toISOString();
    const r = await withBreaker(until).call('GET /restart-breakers/{family}', {
      pathParameters: { family: 'etl' },
    });
    expect(body(r)).toEqual({
      family: 'etl',
      state: 'OPEN',
      openUntil: until,
      relaunchesThatFailedAgain: 10,
      limit: 10,
      windowMinutes: 15,
      cooldownMinutes: 15,
    });
  });

  it('closes it for the caller, and says who did in the log', async () => {
    const { call, resets, info } = withBreaker(new Date(Date.now() + 600_000).toISOString());
    const r = await call('DELETE /restart-breakers/{family}', {
      pathParameters: { family: 'etl' },
      requestContext: { authorizer: { iam: { userArn: 'arn:aws:iam::111122223333:user/alice' } } },
    } as never);
    expect(body(r)).toMatchObject({ family: 'etl', state: 'CLOSED', relaunchesThatFailedAgain: 0 });
    expect(resets).toEqual(['breaker#etl']);
    expect(info).toHaveBeenCalledWith('restart circuit breaker closed by a caller', {
      family: 'etl',
      caller: 'arn:aws:iam::111122223333:user/alice',
    });
  });
});

describe('a task launched with a secret in its environment overrides', () => {
  it('is answered with the variable names and no value, in its launch and its decision', async () => {
    const environment = [{ name: 'DB_PASSWORD', value: 'hunter2' }];
    const runTask = {
      cluster: stopped.clusterArn,
      taskDefinition: 'worker:7',
      count: 1,
      overrides: { containerOverrides: [{ name: 'worker', environment }] },
    };
    const withLaunch: TaskHistory = {
      ...history,
      launch: {
        taskArn: stopped.taskArn,
        taskId: stopped.taskId,
        requestId: 't-1',
        reason: 'run-now',
        runTask,
        launchedAt: '2024-05-14T09:00:00.000Z',
      },
      decision: {
        taskArn: stopped.taskArn,
        action: 'restart',
        decidedAt: '2024-05-14T09:13:00.000Z',
        request: { ...relaunch, requestId: `r-${stopped.taskId}`, runTask },
        events: [],
        done: true,
      },
    };
    const r = await api({ getTaskHistory: async () => withLaunch }).call('GET /tasks/{taskId}', {
      pathParameters: { taskId: stopped.taskId },
    });
    expect(r.body).not.toContain('hunter2');
    expect(body(r).launch.runTask.overrides.containerOverrides[0].environment).toEqual([
      { name: 'DB_PASSWORD', value: '(redacted)' },
    ]);
    expect(body(r).decision.request.runTask.overrides.containerOverrides[0].environment).toEqual([
      { name: 'DB_PASSWORD', value: '(redacted)' },
    ]);
  });
});

describe('a failed task whose restart a budget refused', () => {
  it('shows in its history what became of the launch its decision asked for', async () => {
    const requestId = `r-${stopped.taskId}`;
    const decided: TaskHistory = {
      ...history,
      decision: {
        taskArn: stopped.taskArn,
        action: 'restart',
        decidedAt: '2024-05-14T09:13:00.000Z',
        request: {
          ...relaunch,
          requestId,
          runTask: { cluster: 'batch', taskDefinition: 'worker:7', count: 1 },
        },
        events: [],
        done: true,
      },
    };
    const why =
      'not launched: budget launchesPerClusterHour: cluster batch started 2000 of 2000 tasks in the last 60 minutes, 1 more would exceed it';
    const { call } = api({
      getTaskHistory: async () => decided,
      launches: {
        getAttempts: async (id) =>
          id === requestId
            ? [
                {
                  status: 'failed',
                  taskArns: [],
                  failures: [{ reason: why }],
                  requeued: false,
                  at: '2025-03-01T10:00:00.000Z',
                },
              ]
            : [],
      },
    });
    const r = await call('GET /tasks/{taskId}', { pathParameters: { taskId: stopped.taskId } });
    expect(body(r).replacementLaunch).toEqual({
      requestId,
      status: 'FAILED',
      taskArns: [],
      failures: [{ reason: why }],
      attempts: 1,
      updatedAt: '2025-03-01T10:00:00.000Z',
    });
  });
});
