/**
 * How scheduled runs end, end to end in the sandbox on its virtual clock: outcomes (SUCCEEDED, FAILED with exit
 * codes and its event), BufferOne, startingDeadlineSeconds, pauseAfterConsecutiveFailures and backfill.
 */
import {
  advanceUntil,
  captureProductEvents,
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
  waitFor,
} from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;

beforeAll(async () => {
  env = await startTestSandbox();
}, 60_000);
afterAll(() => env?.stop());

async function api(method: string, path: string, body?: unknown) {
  const response = await sandboxFetch(`${env.sandbox.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
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
const FAST_RESTARTS = { backoff: { baseSeconds: 1, maxSeconds: 1, jitter: false } };
const tasksOf = (name: string) =>
  env.sandbox.ecs.taskTable().filter((t) => t.startedBy === `ecs-autopilot/schedule/${name}`);
const taskId = (arn: string) => arn.split('/').pop() as string;

async function create(name: string, extra: Record<string, unknown>) {
  const created = await api('POST', '/schedules', {
    name,
    expression: 'cron(0 3 * * ? *)',
    ...launch,
    ...extra,
  });
  expect(created.status).toBe(201);
}

/** Runs the schedule now; the id of its first task once it is RUNNING. */
async function runNow(name: string): Promise<string> {
  const run = await api('POST', `/schedules/${name}/runs`);
  expect(run.body.status).toBe('LAUNCHED');
  const id = taskId(run.body.taskArns[0]);
  await waitFor(`${id} RUNNING`, () =>
    tasksOf(name).some((t) => t.taskId === id && t.lastStatus === 'RUNNING'),
  );
  return id;
}

/** The newest run of the schedule once `done` holds for it, moving the clock (backoffs, queue delays). */
const runOnce = (name: string, done: (run: Record<string, unknown>) => boolean, what: string) =>
  advanceUntil(
    env.sandbox,
    what,
    async () => {
      const runs = await api('GET', `/schedules/${name}/runs`);
      const run = runs.body.runs[0];
      return run && done(run) ? run : undefined;
    },
    { stepMs: 2_000 },
  );

/** Makes every task of the schedule that is RUNNING exit with `code`, until `until` holds. */
async function failUntil(name: string, code: number, until: () => Promise<boolean>) {
  await advanceUntil(
    env.sandbox,
    `${name} until done`,
    async () => {
      for (const t of tasksOf(name)) if (t.lastStatus === 'RUNNING') env.sandbox.ecs.exitTask(t.taskId, code);
      return until();
    },
    { stepMs: 2_000 },
  );
}

describe('scheduled run outcomes', () => {
  it('shows SUCCEEDED for a run whose task exits 0, with its streak and last success on the schedule', async () => {
    await create('ok-job', {});
    const id = await runNow('ok-job');
    env.sandbox.ecs.exitTask(id, 0);
    const run = await runOnce('ok-job', (r) => r.status === 'SUCCEEDED', 'the run SUCCEEDED');
    expect(run).toMatchObject({ reason: '1 task(s) exited 0', exitCodes: [0] });
    expect(typeof run.durationSeconds).toBe('number');
    const schedule = await api('GET', '/schedules/ok-job');
    expect(schedule.body).toMatchObject({
      lastRun: { status: 'SUCCEEDED', requestId: run.requestId },
      streak: { status: 'SUCCEEDED', count: 1 },
      lastSuccessAt: run.endedAt,
    });
  }, 60_000);

  it('shows FAILED with the exit codes of a task that failed three times, and publishes Scheduled Run Failed', async () => {
    const events = await captureProductEvents(env.clients, 'run-outcomes');
    await create('bad-job', { restartPolicy: { maxAttempts: 2, ...FAST_RESTARTS } });
    await runNow('bad-job');
    let failed: Record<string, unknown> | undefined;
    await failUntil('bad-job', 3, async () => {
      const runs = await api('GET', '/schedules/bad-job/runs');
      failed = runs.body.runs[0]?.status === 'FAILED' ? runs.body.runs[0] : undefined;
      // While a restart is on its way the run is not FAILED yet.
      if (!failed) expect(['RUNNING', 'PENDING']).toContain(runs.body.runs[0]?.status);
      return failed !== undefined;
    });
    expect(tasksOf('bad-job')).toHaveLength(3);
    expect(failed).toMatchObject({ reason: 'restarts exhausted (2 attempt(s))', exitCodes: [3, 3, 3] });
    const published = await waitFor('the event', async () => {
      const seen = await events.ofType('Scheduled Run Failed');
      return seen.length > 0 && seen;
    });
    expect(published).toHaveLength(1);
    expect(published[0]?.detail).toMatchObject({
      schedule: 'bad-job',
      status: 'FAILED',
      exitCodes: [3, 3, 3],
    });
  }, 90_000);

  it('pauses a schedule after three failed runs in a row (pauseAfterConsecutiveFailures: 3); a PATCH resumes it', async () => {
    const events = await captureProductEvents(env.clients, 'schedule-paused');
    await create('flaky', { pauseAfterConsecutiveFailures: 3, restartPolicy: { maxAttempts: 0 } });
    for (let n = 1; n <= 3; n++) {
      const id = await runNow('flaky');
      expect((await api('GET', '/schedules/flaky')).body.state).toBe('ENABLED');
      env.sandbox.ecs.exitTask(id, 1);
      await runOnce(
        'flaky',
        (r) => r.status === 'FAILED' && taskId(String((r.taskArns as string[])[0])) === id,
        `failure ${n}`,
      );
    }
    const paused = await waitFor('the pause', async () => {
      const schedule = await api('GET', '/schedules/flaky');
      return schedule.body.state === 'PAUSED' && schedule.body;
    });
    expect(paused).toMatchObject({ pausedBy: 'ecs-autopilot', streak: { status: 'FAILED', count: 3 } });
    expect(paused.pausedReason).toMatch(/3 scheduled runs failed in a row/);
    expect((await events.ofType('Schedule Paused'))[0]?.detail).toMatchObject({ schedule: 'flaky' });
    const resumed = await api('PATCH', '/schedules/flaky', { state: 'ENABLED' });
    expect(resumed.body.state).toBe('ENABLED');
    expect(resumed.body.pausedBy).toBeUndefined();
  }, 90_000);

  it('keeps exactly one run waiting under BufferOne and starts it when the run in progress ends', async () => {
    await create('buffered', { concurrencyPolicy: 'BufferOne' });
    const first = await runNow('buffered');
    const second = await api('POST', '/schedules/buffered/runs');
    expect(second.body).toMatchObject({ status: 'WAITING', taskArns: [] });
    const third = await api('POST', '/schedules/buffered/runs');
    expect(third.body).toMatchObject({ status: 'SKIPPED', cause: 'overlap' });
    expect(third.body.message).toMatch(/another already waits/);
    expect(tasksOf('buffered')).toHaveLength(1);
    env.sandbox.ecs.exitTask(first, 0);
    const started = await advanceUntil(
      env.sandbox,
      'the waiting run started',
      () => tasksOf('buffered').find((t) => t.taskId !== first && t.lastStatus === 'RUNNING'),
      { stepMs: 1_000 },
    );
    expect(started.tags['ecs-autopilot:run']).toBe(second.body.requestId);
    await sleep(500);
    await env.sandbox.idle();
    expect(tasksOf('buffered')).toHaveLength(2);
  }, 60_000);

  it('skips as missed a run that RunTask throttling holds back past its startingDeadlineSeconds', async () => {
    await create('deadline-job', { startingDeadlineSeconds: 2 });
    await env.sandbox.control('faults', { throttle: 1, api: ['RunTask'] });
    let run: { body: Record<string, unknown> };
    try {
      run = await api('POST', '/schedules/deadline-job/runs');
      expect(run.body).toMatchObject({ status: 'PENDING', taskArns: [] });
      // The deadline passes (real time: the launcher's clock) while ECS throttles every RunTask.
      await sleep(2_500);
    } finally {
      await env.sandbox.control('faults', { throttle: 0, error: 0 });
    }
    const skipped = await runOnce('deadline-job', (r) => r.status === 'SKIPPED', 'the run missed');
    expect(skipped).toMatchObject({ requestId: run.body.requestId, cause: 'deadline' });
    expect(String(skipped.reason)).toMatch(/missed/);
    expect(tasksOf('deadline-job')).toHaveLength(0);
  }, 60_000);

  it('backfills a 3-hour window of an hourly schedule with 3 runs, and never twice', async () => {
    await create('hourly', { expression: 'cron(0 * * * ? *)' });
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const window = { from: new Date(hour - 3 * 3_600_000).toISOString(), to: new Date(hour).toISOString() };
    const backfill = await api('POST', '/schedules/hourly/backfill', window);
    expect(backfill.status).toBe(202);
    expect(backfill.body.runs.map((r: { scheduledTime: string }) => r.scheduledTime)).toEqual(
      [3, 2, 1].map((h) => new Date(hour - h * 3_600_000).toISOString()),
    );
    await advanceUntil(env.sandbox, 'three backfilled runs RUNNING', () =>
      tasksOf('hourly').filter((t) => t.lastStatus === 'RUNNING').length === 3 ? true : undefined,
    );
    const again = await api('POST', '/schedules/hourly/backfill', window);
    expect(again.body).toMatchObject({ runs: [] });
    expect(again.body.alreadyRun).toHaveLength(3);
    const runs = (await api('GET', '/schedules/hourly/runs')).body.runs;
    expect(runs.map((r: { trigger: string }) => r.trigger)).toEqual(['backfill', 'backfill', 'backfill']);
    expect(
      (await api('POST', '/schedules/hourly/backfill', { from: window.to, to: window.from })).body.message,
    ).toMatch(/to: must be after from/);
  }, 60_000);
});
