/** Scheduled launches over the HTTP API, end to end in the sandbox (EventBridge Scheduler -> launch queue -> launcher). */
import {
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
  waitFor,
} from '../support/sandbox';
import { SANDBOX_CALLER_ARN, sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;

beforeAll(async () => {
  env = await startTestSandbox();
}, 60_000);
afterAll(() => env?.stop());

async function api(method: string, path: string, body?: unknown) {
  const response = await sandboxFetch(`${env.sandbox.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const launch = {
  cluster: 'sandbox',
  taskDefinition: 'sandbox-worker',
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
};
const scheduleTasks = (name: string) =>
  env.sandbox.ecs
    .taskTable()
    .filter((t) => t.startedBy === `ecs-autopilot/schedule/${name.replace(/[^A-Za-z0-9_-]/g, '_')}`);
const running = (name: string) => scheduleTasks(name).filter((t) => t.desiredStatus === 'RUNNING');

/** Creates a daily Forbid schedule launching `launch` (with `extra` fields), checking it was created. */
async function createForbidSchedule(name: string, extra: Record<string, unknown> = {}) {
  const created = await api('POST', '/schedules', {
    name,
    expression: 'cron(0 3 * * ? *)',
    concurrencyPolicy: 'Forbid',
    ...launch,
    ...extra,
  });
  expect(created.status).toBe(201);
}

/** Moves the sandbox clock five minutes (a rate(5 minutes) schedule fires once) and lets the launch happen. */
async function nextRun() {
  env.sandbox.clock.advance(5 * 60_000);
  await sleep(200);
  await env.sandbox.idle();
  await sleep(300);
}

describe('schedules', () => {
  it('runs a rate(5 minutes) schedule in a non-UTC timezone after a fast-forward, and shows the run', async () => {
    const created = await api('POST', '/schedules', {
      name: 'nightly.report',
      expression: 'rate(5 minutes)',
      timezone: 'Europe/Paris',
      concurrencyPolicy: 'Forbid',
      ...launch,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'nightly.report',
      state: 'ENABLED',
      version: 1,
      createdBy: SANDBOX_CALLER_ARN,
    });
    expect(
      (await api('POST', '/schedules', { name: 'nightly.report', expression: 'rate(5 minutes)', ...launch }))
        .status,
    ).toBe(409);

    // Without a start date, a rate() schedule runs at once (as EventBridge Scheduler does).
    await waitFor('the first run', () => running('nightly.report').length === 1);
    await env.sandbox.idle();
    const runs = await api('GET', '/schedules/nightly.report/runs');
    expect(runs.body.runs[0]).toMatchObject({ trigger: 'schedule', status: 'RUNNING' });
    expect(runs.body.runs[0].taskArns).toHaveLength(1);
  }, 60_000);

  it('skips a run while the previous one is RUNNING with Forbid, and replaces it with Replace', async () => {
    await nextRun();
    expect(running('nightly.report')).toHaveLength(1);
    const runs = await api('GET', '/schedules/nightly.report/runs');
    expect(runs.body.runs[0]).toMatchObject({ status: 'SKIPPED' });
    expect(runs.body.runs[0].message).toMatch(/Forbid/);

    const before = running('nightly.report')[0]?.taskId;
    expect((await api('PATCH', '/schedules/nightly.report', { concurrencyPolicy: 'Replace' })).status).toBe(
      200,
    );
    await nextRun();
    await waitFor('the replacing run', () => {
      const now = running('nightly.report');
      return now.length === 1 && now[0]?.taskId !== before;
    });
    expect(scheduleTasks('nightly.report').find((t) => t.taskId === before)?.desiredStatus).toBe('STOPPED');
  }, 60_000);

  it('stops running a paused schedule, and deleting it removes the Scheduler schedule', async () => {
    expect((await api('PATCH', '/schedules/nightly.report', { state: 'PAUSED' })).status).toBe(200);
    const count = scheduleTasks('nightly.report').length;
    await nextRun();
    await nextRun();
    expect(scheduleTasks('nightly.report')).toHaveLength(count);

    expect((await api('DELETE', '/schedules/nightly.report')).status).toBe(204);
    expect(env.sandbox.scheduler.listSchedules().map((s) => s.Name)).not.toContain('nightly.report');
    expect((await api('GET', '/schedules/nightly.report')).status).toBe(404);
  }, 60_000);

  it('refuses a cluster off the allowlist with 403 and launches nothing', async () => {
    const before = env.sandbox.ecs.taskTable().length;
    const refused = await api('POST', '/tasks', { ...launch, cluster: 'production' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/cluster production/);
    const schedule = await api('POST', '/schedules', {
      name: 'prod',
      expression: 'rate(5 minutes)',
      ...launch,
      cluster: 'production',
    });
    expect(schedule.status).toBe(403);
    expect(env.sandbox.ecs.taskTable()).toHaveLength(before);
  });

  it("counts a restarted run as the schedule's run: Forbid skips while the replacement runs", async () => {
    await createForbidSchedule('flaky-job', {
      restartPolicy: { maxAttempts: 2, backoff: { baseSeconds: 1, maxSeconds: 1, jitter: false } },
    });
    const first = await api('POST', '/schedules/flaky-job/runs');
    expect(first.body.status).toBe('LAUNCHED');
    const origin = (first.body.taskArns[0] as string).split('/').pop() as string;
    await waitFor('the run RUNNING', () => running('flaky-job').some((t) => t.lastStatus === 'RUNNING'));
    env.sandbox.ecs.exitTask(origin, 1);
    // The restart keeps the schedule's startedBy, so the schedule's ListTasks sees it.
    const replacement = await waitFor('the restarted run', async () => {
      env.sandbox.clock.advance(2_000);
      await sleep(100);
      return running('flaky-job').find((t) => t.taskId !== origin && t.lastStatus === 'RUNNING');
    });
    expect(replacement.tags['ecs-autopilot:attempt']).toBe('1');
    const second = await api('POST', '/schedules/flaky-job/runs');
    expect(second.body).toMatchObject({ status: 'SKIPPED' });
    expect(second.body.message).toMatch(/Forbid/);
    expect(running('flaky-job')).toHaveLength(1);
  }, 60_000);

  it('keeps a Forbid run that waits on the queue (RunTask throttled) as the running one: one task in the end', async () => {
    await createForbidSchedule('throttled-job');
    await env.sandbox.control('faults', { throttle: 1, api: ['RunTask'] });
    try {
      const first = await api('POST', '/schedules/throttled-job/runs');
      expect(first.body).toMatchObject({ status: 'PENDING', taskArns: [] });
      // Nothing runs yet, but the first run is on its way: the second is skipped, not launched beside it.
      const second = await api('POST', '/schedules/throttled-job/runs');
      expect(second.body).toMatchObject({
        status: 'SKIPPED',
        message: 'concurrencyPolicy Forbid: the previous run is still starting',
      });
    } finally {
      await env.sandbox.control('faults', { throttle: 0, error: 0 });
    }
    // The throttled launch comes back from the queue within 5 s and starts its task.
    await waitFor('the waiting run RUNNING', async () => {
      env.sandbox.clock.advance(2_000);
      await sleep(100);
      return running('throttled-job').some((t) => t.lastStatus === 'RUNNING');
    });
    const third = await api('POST', '/schedules/throttled-job/runs');
    expect(third.body).toMatchObject({ status: 'SKIPPED' });
    expect(third.body.message).toMatch(/task\(s\) of the previous run still running/);
    env.sandbox.clock.advance(60_000);
    await sleep(300);
    await env.sandbox.idle();
    expect(scheduleTasks('throttled-job')).toHaveLength(1);
  }, 60_000);

  it('keeps a Forbid run in its restart backoff as the running one: a run-now meanwhile is skipped', async () => {
    await createForbidSchedule('backoff-job', {
      restartPolicy: { maxAttempts: 1, backoff: { baseSeconds: 60, maxSeconds: 60, jitter: false } },
    });
    const first = await api('POST', '/schedules/backoff-job/runs');
    expect(first.body.status).toBe('LAUNCHED');
    const origin = (first.body.taskArns[0] as string).split('/').pop() as string;
    await waitFor('the run RUNNING', () => running('backoff-job').some((t) => t.lastStatus === 'RUNNING'));
    env.sandbox.ecs.exitTask(origin, 1);
    await waitFor('the restart decided', async () => {
      const history = await api('GET', `/tasks/${origin}`);
      return history.body?.decision?.action === 'restart';
    });
    // Nothing of the schedule runs during the 60 s backoff, but its run is not over.
    expect(running('backoff-job')).toHaveLength(0);
    const meanwhile = await api('POST', '/schedules/backoff-job/runs');
    expect(meanwhile.body).toMatchObject({
      status: 'SKIPPED',
      message: 'concurrencyPolicy Forbid: the previous run is still starting',
    });
    const replacement = await waitFor('the restarted run', async () => {
      env.sandbox.clock.advance(10_000);
      await sleep(100);
      return running('backoff-job').find((t) => t.taskId !== origin && t.lastStatus === 'RUNNING');
    });
    expect(replacement.tags['ecs-autopilot:attempt']).toBe('1');
    expect(scheduleTasks('backoff-job').filter((t) => t.taskId !== origin)).toHaveLength(1);
  }, 60_000);

  it('restarts one failed task of a two-task Forbid run while its sibling still runs', async () => {
    await createForbidSchedule('pair-job', {
      count: 2,
      restartPolicy: { maxAttempts: 1, backoff: { baseSeconds: 1, maxSeconds: 1, jitter: false } },
    });
    const first = await api('POST', '/schedules/pair-job/runs');
    expect(first.body.taskArns).toHaveLength(2);
    await waitFor(
      'both RUNNING',
      () => running('pair-job').filter((t) => t.lastStatus === 'RUNNING').length === 2,
    );
    const [failed, sibling] = running('pair-job');
    expect(failed?.tags['ecs-autopilot:run']).toBe(first.body.requestId);
    env.sandbox.ecs.exitTask(failed?.taskId as string, 1);
    const replacement = await waitFor('the failed task restarted beside its sibling', async () => {
      env.sandbox.clock.advance(2_000);
      await sleep(100);
      return running('pair-job').find((t) =>
        t.tags['ecs-autopilot:origin-task']?.endsWith(`/${failed?.taskId}`),
      );
    });
    expect(replacement.tags['ecs-autopilot:run']).toBe(first.body.requestId);
    expect(
      running('pair-job')
        .map((t) => t.taskId)
        .sort(),
    ).toEqual([sibling?.taskId, replacement.taskId].sort());
  }, 60_000);

  it('runs a task now through the launcher and answers with its ARN', async () => {
    const out = await api('POST', '/tasks', { ...launch, count: 2 });
    expect(out.status).toBe(200);
    expect(out.body.status).toBe('LAUNCHED');
    expect(out.body.taskArns).toHaveLength(2);
  });

  it('answers 400 naming the field and the rule, and 413 for a huge body', async () => {
    const bad = await api('POST', '/schedules', { name: 'x', expression: 'cron(0 12 * * *)', ...launch });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/expression: .*6 fields/);
    expect((await api('POST', '/schedules', '{"name":')).status).toBe(400);
    expect((await api('POST', '/tasks', { ...launch, colour: 'blue' })).body.message).toMatch(/colour/);
    expect((await api('POST', '/tasks', 'x'.repeat(70_000))).status).toBe(413);
  });
});
