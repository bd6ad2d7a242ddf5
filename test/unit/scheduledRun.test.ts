import { buildRunScheduled, LaunchLeaseBusyError, type ScheduledRunDeps } from '../../src/app/scheduledRun';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { LAUNCH_LEASE_MS } from '../../src/domain/leases';
import type { OutgoingEvent, ScheduleRun, ScheduleTrigger, StoredSchedule } from '../../src/ports';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import { unusedBuffer } from '../support/unusedDeps';

const T0 = '2026-11-28T12:00:00.000Z';
const T1 = '2026-11-28T12:05:00.000Z';
/** The request (and lease holder) of the due time T0. */
const DUE_ID = `s-nightly-${Date.parse(T0)}`;
const NIGHTLY: StoredSchedule = {
  name: 'nightly',
  expression: 'cron(0 2 * * ? *)',
  timezone: 'UTC',
  cluster: 'batch',
  taskDefinition: 'worker',
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] } },
  state: 'ENABLED',
  count: 1,
  concurrencyPolicy: 'Forbid',
  version: 1,
  createdAt: T0,
  updatedAt: T0,
};
const due = (scheduledTime: string): ScheduleTrigger => ({
  trigger: 'schedule',
  schedule: 'nightly',
  scheduledTime,
});
const runNow: ScheduleTrigger = { trigger: 'manual', schedule: 'nightly', scheduledTime: T0 };

/** Resolves after the other pending work has had its turns, so concurrent calls really interleave. */
const turns = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

/**
 * The schedule store's part of a scheduled run, in memory: the lease with the adapter's conditions
 * (test/support/fakeLaunchLeases.ts), and a journal of what happened in which order. `launch` plays the
 * launcher's part of the lease: it frees it once the task started, or parks it when `requeueNext` is set
 * (the launch waits on the queue, as after a throttle).
 */
function world(schedule: StoredSchedule = NIGHTLY) {
  const clock = { now: Date.parse(T0) };
  const journal: string[] = [];
  const leaseStore = fakeLaunchLeases(() => clock.now);
  const runs: ScheduleRun[] = [];
  const running: string[] = [];
  const launched: LaunchRequest[] = [];
  const fail: { release?: Error; launch?: Error } = {};
  const requeue = { next: false };
  const warn = jest.fn();
  const allow = { refusal: undefined as string | undefined };
  const published: OutgoingEvent[] = [];
  const deps: ScheduledRunDeps = {
    buffer: unusedBuffer,
    refusalOf: () => allow.refusal,
    publishEvents: async (events) => {
      published.push(...events);
    },
    store: {
      get: async (name) => (name === schedule.name ? structuredClone(schedule) : undefined),
      recordRun: async (_name, run) => {
        runs.push(run);
        return true;
      },
      acquireLaunchLease: async (name, holder, options) => {
        await turns();
        const acquired = await leaseStore.acquireLaunchLease(name, holder, options);
        journal.push(`${acquired ? 'acquire' : 'busy'} ${holder}`);
        return acquired;
      },
      releaseLaunchLease: async (name, holder) => {
        journal.push(`release ${holder}`);
        if (fail.release) throw fail.release;
        await leaseStore.releaseLaunchLease(name, holder);
      },
    },
    // ECS answers after a while: long enough for a concurrent preparation to ask too.
    listRunningTasks: async () => {
      journal.push('list');
      await turns();
      return [...running];
    },
    stopTasks: async (_cluster, taskArns) => {
      running.splice(0, running.length, ...running.filter((arn) => !taskArns.includes(arn)));
    },
    logger: { info: () => undefined, warn },
  };
  /** The launcher's side: what buildLaunch does with the lease a request carries. */
  const launch = async (request: LaunchRequest) => {
    journal.push(`launch ${request.requestId}`);
    await turns();
    if (fail.launch) throw fail.launch;
    const lease = request.launchLease;
    if (requeue.next) {
      requeue.next = false;
      if (lease) {
        const parked = { holdMs: 5_000 + LAUNCH_LEASE_MS, parked: true };
        await leaseStore.holdLaunchLease(lease.schedule, request.requestId, parked);
      }
      return 'requeued-throttled' as const;
    }
    if (
      lease &&
      !(await leaseStore.holdLaunchLease(lease.schedule, request.requestId, { holdMs: 1, parked: false }))
    )
      return 'gave-up' as const;
    launched.push(request);
    running.push(`arn:aws:ecs:us-east-1:111122223333:task/batch/${request.requestId}`);
    if (lease) await deps.store.releaseLaunchLease(lease.schedule, request.requestId);
    return 'launched' as const;
  };
  return {
    runScheduled: buildRunScheduled(deps),
    launch,
    journal,
    leases: leaseStore.leases,
    runs,
    launched,
    fail,
    requeue,
    warn,
    clock,
    allow,
    published,
  };
}

describe('a schedule the allowlist no longer allows', () => {
  it('is skipped at its due time, with the reason in its run history and an event, launching nothing', async () => {
    const w = world();
    w.allow.refusal = "task definition family worker is not on this stage's allowlist (allowedFamilies)";
    const { run, launched } = await w.runScheduled(due(T0), w.launch);
    expect(launched).toBeUndefined();
    expect(w.launched).toEqual([]);
    expect(run).toMatchObject({
      status: 'SKIPPED',
      message: `not allowed: ${w.allow.refusal}`,
    });
    expect(w.runs).toEqual([run]);
    expect(w.published).toEqual([
      expect.objectContaining({
        detailType: 'Scheduled Run Skipped',
        detail: expect.objectContaining({ schedule: 'nightly', cause: 'allowlist', reason: w.allow.refusal }),
      }),
    ]);
    expect(w.leases.size).toBe(0);
  });
});

describe('runs of a Forbid schedule prepared at the same time', () => {
  it('launch once: the other is skipped while the first is starting', async () => {
    const w = world();
    // A due time in one launcher invocation and a run-now in the API, at once.
    const [first, second] = await Promise.all([
      w.runScheduled(due(T0), w.launch),
      w.runScheduled(runNow, w.launch, { manualId: 'manual-1' }),
    ]);
    expect(w.launched.map((r) => r.requestId)).toEqual([DUE_ID]);
    expect(first).toMatchObject({ launched: 'launched' });
    expect(second.launched).toBeUndefined();
    expect(second.run).toMatchObject({
      status: 'SKIPPED',
      requestId: 'm-nightly-manual-1',
      message: 'concurrencyPolicy Forbid: the previous run is still starting',
    });
    // Both recorded: the run history shows the skipped one.
    expect(w.runs.map((r) => r.status).sort()).toEqual(['PENDING', 'SKIPPED']);
    expect(w.leases.size).toBe(0);
  });

  it('launch once when two launcher invocations take two due times at once', async () => {
    const w = world();
    const results = await Promise.all([w.runScheduled(due(T0), w.launch), w.runScheduled(due(T1), w.launch)]);
    expect(w.launched).toHaveLength(1);
    expect(results.map((r) => r.run.status).sort()).toEqual(['PENDING', 'SKIPPED']);
  });

  it('holds the lease from before ListTasks until the launch has started the task', async () => {
    const w = world();
    await w.runScheduled(due(T0), w.launch);
    expect(w.journal).toEqual([`acquire ${DUE_ID}`, 'list', `launch ${DUE_ID}`, `release ${DUE_ID}`]);
  });

  it('carries the lease in the launch request, for the launcher to keep and free', async () => {
    const w = world();
    await w.runScheduled(due(T0), w.launch);
    expect(w.launched[0]?.launchLease).toEqual({ schedule: 'nightly' });
  });
});

describe('a run waiting on the queue (its launch throttled or short of capacity)', () => {
  it('Forbid: the next due time is skipped while it waits, as if it were running', async () => {
    const w = world();
    w.requeue.next = true;
    expect((await w.runScheduled(due(T0), w.launch)).launched).toBe('requeued-throttled');
    // ECS shows nothing running yet, but the lease is parked with the waiting run.
    expect(w.leases.get('nightly')).toMatchObject({ holder: DUE_ID, parked: true });
    const next = await w.runScheduled(due(T1), w.launch);
    expect(next.run).toMatchObject({
      status: 'SKIPPED',
      message: 'concurrencyPolicy Forbid: the previous run is still starting',
    });
    expect(w.launched).toHaveLength(0);
  });

  it('Replace: the next due time takes the lease over and launches; the waiting run then gives up', async () => {
    const w = world({ ...NIGHTLY, concurrencyPolicy: 'Replace' });
    w.requeue.next = true;
    const first = await w.runScheduled(due(T0), w.launch);
    const next = await w.runScheduled(due(T1), w.launch);
    expect(next.launched).toBe('launched');
    // The waiting run comes back from the queue: its lease is gone, so it starts nothing.
    expect(await w.launch(first.request as LaunchRequest)).toBe('gave-up');
    expect(w.launched.map((r) => r.requestId)).toEqual([`s-nightly-${Date.parse(T1)}`]);
  });

  it('Replace: a run starting right now (lease not parked) is not taken over', async () => {
    const w = world({ ...NIGHTLY, concurrencyPolicy: 'Replace' });
    w.leases.set('nightly', { holder: DUE_ID, until: w.clock.now + LAUNCH_LEASE_MS });
    await expect(w.runScheduled(due(T1), w.launch)).rejects.toBeInstanceOf(LaunchLeaseBusyError);
    expect(w.leases.get('nightly')?.holder).toBe(DUE_ID);
  });
});

describe("a schedule's launch lease", () => {
  it('lets a redelivery of the same trigger through while that trigger holds it', async () => {
    const w = world();
    w.leases.set('nightly', { holder: DUE_ID, until: w.clock.now + LAUNCH_LEASE_MS });
    const { launched } = await w.runScheduled(due(T0), w.launch);
    expect(launched).toBe('launched');
  });

  it('is taken over from a holder that crashed, once expired', async () => {
    const w = world();
    w.leases.set('nightly', { holder: 'crashed', until: w.clock.now - 1 });
    expect((await w.runScheduled(due(T0), w.launch)).launched).toBe('launched');
  });

  it('is freed when the launch throws, and the error is the launch error', async () => {
    const w = world();
    w.fail.launch = new Error('RunTask throttled');
    await expect(w.runScheduled(due(T0), w.launch)).rejects.toThrow('RunTask throttled');
    expect(w.leases.size).toBe(0);
  });

  it('is left to expire, with a warning, when releasing it after a skip fails; the skip still counts', async () => {
    const w = world({ ...NIGHTLY, state: 'PAUSED' });
    w.fail.release = new Error('DynamoDB throttled');
    expect((await w.runScheduled(due(T0), w.launch)).run.status).toBe('SKIPPED');
    expect(w.warn).toHaveBeenCalledWith('launch lease not released; it expires on its own', {
      schedule: 'nightly',
      requestId: DUE_ID,
      error: w.fail.release,
    });
  });

  it('is taken under Replace too', async () => {
    const w = world({ ...NIGHTLY, concurrencyPolicy: 'Replace' });
    const results = await Promise.allSettled([
      w.runScheduled(due(T0), w.launch),
      w.runScheduled(due(T1), w.launch),
    ]);
    expect(w.launched).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message).toContain(
      'concurrencyPolicy Replace',
    );
  });

  it('is not taken under Allow: runs at once both launch', async () => {
    const w = world({ ...NIGHTLY, concurrencyPolicy: 'Allow' });
    await Promise.all([w.runScheduled(due(T0), w.launch), w.runScheduled(due(T1), w.launch)]);
    expect(w.launched).toHaveLength(2);
    expect(w.journal.filter((e) => !e.startsWith('launch'))).toEqual([]);
    expect(w.launched.every((r) => r.launchLease === undefined)).toBe(true);
  });
});
