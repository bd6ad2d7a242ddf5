import type { ScheduleTrigger } from '../../src/adapters/scheduler';
import { LAUNCH_LEASE_MS, type ScheduleRun, type StoredSchedule } from '../../src/adapters/scheduleStore';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import {
  buildRunScheduled,
  LaunchLeaseBusyError,
  type ScheduledRunDeps,
} from '../../src/handlers/scheduledRun';

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
 * The schedule store's part of a scheduled run, in memory: the lease with the adapter's conditions (free,
 * expired or the same holder; released only by its holder), and a journal of what happened in which order.
 */
function world(schedule: StoredSchedule = NIGHTLY) {
  const clock = { now: Date.parse(T0) };
  const journal: string[] = [];
  const leases = new Map<string, { holder: string; until: number }>();
  const runs: ScheduleRun[] = [];
  const running: string[] = [];
  const launched: LaunchRequest[] = [];
  const fail: { release?: Error; launch?: Error } = {};
  const warn = jest.fn();
  const deps: ScheduledRunDeps = {
    store: {
      get: async (name) => (name === schedule.name ? structuredClone(schedule) : undefined),
      recordRun: async (_name, run) => {
        runs.push(run);
        return true;
      },
      acquireLaunchLease: async (name, holder) => {
        await turns();
        const lease = leases.get(name);
        if (lease && lease.holder !== holder && lease.until >= clock.now) {
          journal.push(`busy ${holder}`);
          return false;
        }
        leases.set(name, { holder, until: clock.now + LAUNCH_LEASE_MS });
        journal.push(`acquire ${holder}`);
        return true;
      },
      releaseLaunchLease: async (name, holder) => {
        journal.push(`release ${holder}`);
        if (fail.release) throw fail.release;
        if (leases.get(name)?.holder === holder) leases.delete(name);
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
  const launch = async (request: LaunchRequest) => {
    journal.push(`launch ${request.requestId}`);
    await turns();
    if (fail.launch) throw fail.launch;
    launched.push(request);
    running.push(`arn:aws:ecs:us-east-1:111122223333:task/batch/${request.requestId}`);
    return 'launched' as const;
  };
  return {
    runScheduled: buildRunScheduled(deps),
    launch,
    journal,
    leases,
    runs,
    launched,
    fail,
    warn,
    clock,
  };
}

describe('runs of a Forbid schedule prepared at the same time', () => {
  it('launch once: the other finds the lease busy, naming the schedule', async () => {
    const w = world();
    // A due time in one launcher invocation and a run-now in the API, at once.
    const [first, second] = await Promise.allSettled([
      w.runScheduled(due(T0), w.launch),
      w.runScheduled(runNow, w.launch, { manualId: 'manual-1' }),
    ]);
    expect(w.launched.map((r) => r.requestId)).toEqual([DUE_ID]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { launched: 'launched' } });
    expect(second.status).toBe('rejected');
    const error = (second as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(LaunchLeaseBusyError);
    expect(error.message).toBe(
      'a run of schedule nightly is starting: concurrencyPolicy Forbid launches one run at a time; try again shortly',
    );
    expect(w.leases.size).toBe(0);
  });

  it('launch once when two launcher invocations take two due times at once', async () => {
    const w = world();
    const results = await Promise.allSettled([
      w.runScheduled(due(T0), w.launch),
      w.runScheduled(due(T1), w.launch),
    ]);
    expect(w.launched).toHaveLength(1);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('holds the lease from before ListTasks until the launch has returned', async () => {
    const w = world();
    await w.runScheduled(due(T0), w.launch);
    expect(w.journal).toEqual([`acquire ${DUE_ID}`, 'list', `launch ${DUE_ID}`, `release ${DUE_ID}`]);
  });

  it('skip the due time that comes back after the lease was freed, since the first run still runs', async () => {
    const w = world();
    const [, second] = await Promise.allSettled([
      w.runScheduled(due(T0), w.launch),
      w.runScheduled(due(T1), w.launch),
    ]);
    expect(second.status).toBe('rejected');
    // The trigger comes back from the queue after the visibility timeout.
    const retried = await w.runScheduled(due(T1), w.launch);
    expect(retried.run).toMatchObject({
      status: 'SKIPPED',
      message: 'concurrencyPolicy Forbid: 1 task(s) of the previous run still running',
    });
    expect(w.launched).toHaveLength(1);
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

  it('is left to expire, with a warning, when releasing it fails; the launch still counts', async () => {
    const w = world();
    w.fail.release = new Error('DynamoDB throttled');
    expect((await w.runScheduled(due(T0), w.launch)).launched).toBe('launched');
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
  });
});
