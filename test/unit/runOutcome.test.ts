import {
  countRun,
  endOf,
  launchEndVerdict,
  NO_STATS,
  type RunOutcome,
  runOf,
  shownRunStatus,
  taskEndVerdict,
} from '../../src/domain/runOutcome';
import { missedStartingDeadline, startDeadlineOf } from '../../src/domain/startingDeadline';

/** The outcome state machine of a schedule's run, and the policies around it, as pure rules. */
const stopped = (classification: string, extra: Record<string, unknown> = {}) =>
  ({
    lastStatus: 'STOPPED',
    classification,
    containers: [],
    stoppedReason: 'Essential container in task exited',
    ...extra,
  }) as Parameters<typeof taskEndVerdict>[0];

describe('taskEndVerdict: what the end of one task means for its run', () => {
  it('counts a task whose essential containers all exited 0 as succeeded', () => {
    expect(taskEndVerdict(stopped('succeeded'), undefined)).toEqual({ kind: 'succeeded' });
  });

  it('keeps the run going while a restart or a Spot move of the task is on its way', () => {
    const failed = stopped('failed', { failure: { kind: 'exit-code', exitCode: 1 } });
    expect(taskEndVerdict(failed, { action: 'restart' }).kind).toBe('continues');
    expect(taskEndVerdict(failed, { action: 'spot-fallback' }).kind).toBe('continues');
    expect(taskEndVerdict(failed, { action: 'not-restartable', provisional: true }).kind).toBe('continues');
  });

  it('fails the run when restarts are exhausted, with the exit codes of every attempt', () => {
    const failed = stopped('failed', { failure: { kind: 'exit-code', exitCode: 3 } });
    const decision = {
      action: 'give-up',
      reason: 'exhausted',
      maxAttempts: 2,
      chain: [{ exitCode: 1 }, { exitCode: 2 }, { exitCode: 3 }],
    };
    expect(taskEndVerdict(failed, decision)).toEqual({
      kind: 'failed',
      reason: 'restarts exhausted (2 attempt(s))',
      exitCodes: [1, 2, 3],
    });
  });

  it('fails the run for a task stopped without a restart (a user, a Replace), with its reason', () => {
    expect(
      taskEndVerdict(
        stopped('stopped-by-user', { stoppedReason: 'Replaced by a new run of schedule x' }),
        undefined,
      ),
    ).toEqual({ kind: 'failed', reason: 'stopped: Replaced by a new run of schedule x', exitCodes: [] });
    expect(
      taskEndVerdict(stopped('failed', { failure: { kind: 'exit-code', exitCode: 2 } }), {
        action: 'none',
        reason: 'a newer run of schedule x is running (1 task(s))',
      }),
    ).toEqual({
      kind: 'failed',
      reason: 'failed: a newer run of schedule x is running (1 task(s))',
      exitCodes: [2],
    });
  });

  it('does not end the run on a state before STOPPED (a Spot warning)', () => {
    expect(taskEndVerdict({ ...stopped('spot-interrupted'), lastStatus: 'RUNNING' }, undefined).kind).toBe(
      'continues',
    );
  });
});

describe('launchEndVerdict: what the end of one launch means for its run', () => {
  it('starts the run when every task started', () => {
    expect(launchEndVerdict({ status: 'launched', taskArns: ['a', 'b'] }, 2, true)).toEqual({
      kind: 'started',
    });
  });

  it("skips the run's own launch refused before RunTask: past its deadline, over a budget, superseded", () => {
    const refused = (refusal: string) =>
      launchEndVerdict(
        { status: 'failed', taskArns: [], failures: [{ reason: 'not launched: x' }], refusal },
        1,
        true,
      );
    expect(refused('deadline')).toEqual({ kind: 'skipped', cause: 'deadline', reason: 'not launched: x' });
    expect(refused('budget')).toMatchObject({ kind: 'skipped', cause: 'budget' });
    expect(refused('allowlist')).toMatchObject({ kind: 'skipped', cause: 'allowlist' });
    expect(refused('superseded')).toMatchObject({ kind: 'skipped', cause: 'overlap' });
  });

  it('fails the run when RunTask fails for good, or a relaunch is refused', () => {
    expect(
      launchEndVerdict(
        { status: 'failed', taskArns: [], failures: [{ reason: 'RESOURCE:MEMORY' }], refusal: 'runtask' },
        1,
        true,
      ),
    ).toEqual({ kind: 'failed', reason: 'launch failed: RESOURCE:MEMORY' });
    expect(
      launchEndVerdict(
        { status: 'failed', taskArns: [], failures: [{ reason: 'over budget' }], refusal: 'budget' },
        1,
        false,
      ),
    ).toEqual({ kind: 'failed', reason: 'relaunch failed: over budget' });
    expect(
      launchEndVerdict(
        { status: 'launched', taskArns: ['a'], failures: [{ reason: 'RESOURCE:CPU' }] },
        3,
        true,
      ),
    ).toEqual({ kind: 'failed', reason: '2 of 3 task(s) could not start: RESOURCE:CPU' });
  });
});

describe('countRun: the streak, the last success and pauseAfterConsecutiveFailures', () => {
  const run = (n: number) => ({ requestId: `s-x-${n}`, scheduledTime: `2026-05-01T0${n}:00:00.000Z` });
  const ended = (status: RunOutcome['status'], n: number): RunOutcome => ({
    status,
    reason: status.toLowerCase(),
    endedAt: `2026-05-01T0${n}:30:00.000Z`,
  });
  const replay = (statuses: RunOutcome['status'][], pauseAfter?: number) => {
    let stats = NO_STATS;
    const pauses: number[] = [];
    statuses.forEach((status, i) => {
      const counted = countRun(stats, run(i), ended(status, i), pauseAfter);
      stats = counted.stats;
      if (counted.pause) pauses.push(i);
    });
    return { stats, pauses };
  };

  it('counts runs in a row that ended the same way; skipped runs neither break nor extend it', () => {
    const { stats } = replay(['FAILED', 'SUCCEEDED', 'SKIPPED', 'SUCCEEDED']);
    expect(stats.streak).toEqual({ status: 'SUCCEEDED', count: 2 });
    expect(stats.lastSuccessAt).toBe('2026-05-01T03:30:00.000Z');
    expect(stats.lastRun).toMatchObject({ requestId: 's-x-3', status: 'SUCCEEDED' });
    expect(stats.seq).toBe(4);
  });

  it('pauses on the Nth failure in a row, and again only after N new failures', () => {
    expect(replay(['FAILED', 'FAILED', 'SUCCEEDED', 'FAILED', 'FAILED'], 3).pauses).toEqual([]);
    expect(replay(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'FAILED', 'FAILED'], 3).pauses).toEqual([2, 5]);
    expect(replay(['FAILED', 'FAILED', 'FAILED'], undefined).pauses).toEqual([]);
  });
});

describe('a run as shown', () => {
  it('shows its outcome once written, else RUNNING once its launch started, WAITING while it waits', () => {
    expect(shownRunStatus({ status: 'PENDING' }, 'LAUNCHED')).toBe('RUNNING');
    expect(shownRunStatus({ status: 'PENDING' }, 'PENDING')).toBe('PENDING');
    expect(shownRunStatus({ status: 'PENDING', outcome: { status: 'SUCCEEDED' } }, 'LAUNCHED')).toBe(
      'SUCCEEDED',
    );
    expect(shownRunStatus({ status: 'WAITING' }, undefined)).toBe('WAITING');
  });

  it('has a duration from its start to its end', () => {
    expect(
      endOf({ status: 'SUCCEEDED', reason: 'ok' }, '2026-05-01T10:00:00.000Z', '2026-05-01T10:02:05.400Z'),
    ).toMatchObject({ durationSeconds: 125, startedAt: '2026-05-01T10:00:00.000Z' });
    expect(
      endOf({ status: 'SKIPPED', reason: 'missed' }, undefined, '2026-05-01T10:00:00.000Z'),
    ).not.toHaveProperty('durationSeconds');
  });

  it('belongs to the run its context and run tag name (restarts keep both)', () => {
    const tags = [
      { key: 'ecs-autopilot:schedule', value: 'etl' },
      { key: 'ecs-autopilot:run', value: 's-etl-1' },
    ];
    expect(runOf({ runTask: { tags }, context: { schedule: 'etl', scheduledTime: 'T' } })).toEqual({
      schedule: 'etl',
      scheduledTime: 'T',
      requestId: 's-etl-1',
    });
    expect(runOf({ runTask: { tags } })).toBeUndefined();
    expect(runOf({ runTask: {}, context: { schedule: 'etl', scheduledTime: 'T' } })).toBeUndefined();
  });
});

describe('startingDeadlineSeconds', () => {
  it('counts from the due time, or from the backfill request', () => {
    expect(startDeadlineOf({ startingDeadlineSeconds: 60 }, { scheduledTime: '2026-05-01T10:00:00Z' })).toBe(
      '2026-05-01T10:01:00.000Z',
    );
    expect(
      startDeadlineOf(
        { startingDeadlineSeconds: 60 },
        { scheduledTime: '2026-05-01T10:00:00Z', requestedAt: '2026-05-02T08:00:00Z' },
      ),
    ).toBe('2026-05-02T08:01:00.000Z');
    expect(startDeadlineOf({}, { scheduledTime: '2026-05-01T10:00:00Z' })).toBeUndefined();
  });

  it('misses a launch only after its deadline', () => {
    const startBy = '2026-05-01T10:01:00.000Z';
    expect(missedStartingDeadline({ startBy }, Date.parse(startBy))).toBeUndefined();
    expect(missedStartingDeadline({ startBy }, Date.parse(startBy) + 1)).toMatch(/^missed: /);
    expect(missedStartingDeadline({}, Date.now())).toBeUndefined();
  });
});
