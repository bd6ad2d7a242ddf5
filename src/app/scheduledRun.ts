import type { Logger } from '@aws-lambda-powertools/logger';
import type { LaunchRequest } from '../domain/launchRequest';
import type { SkipCause } from '../domain/runOutcome';
import { SCHEDULE_RUN_TAG, SCHEDULE_TAG, scheduleStartedBy, toRunTaskInput } from '../domain/scheduleLaunch';
import { startDeadlineOf } from '../domain/startingDeadline';
import { AutopilotError } from '../errors';
import type {
  ListRunningTasks,
  PublishEvents,
  RunOutcomeStore,
  ScheduleRun,
  ScheduleStore,
  ScheduleTrigger,
  StopTasks,
  StoredSchedule,
} from '../ports';

export interface ScheduledRunDeps {
  store: Pick<ScheduleStore, 'get' | 'recordRun' | 'acquireLaunchLease' | 'releaseLaunchLease'>;
  /** BufferOne's waiting run (one per schedule). */
  buffer: Pick<RunOutcomeStore, 'buffer' | 'takeBuffered'>;
  now?: () => number;
  listRunningTasks: ListRunningTasks;
  stopTasks: StopTasks;
  logger: Pick<Logger, 'info' | 'warn'>;
  /**
   * Why the stage may no longer launch this schedule (its allowlist, checked at every run, so narrowing it
   * stops existing schedules), or undefined when it may.
   */
  refusalOf: (schedule: StoredSchedule) => string | undefined;
  publishEvents: PublishEvents;
}

/** Another run of the schedule holds its launch lease: this one must wait (trigger redelivered, API 409). */
export class LaunchLeaseBusyError extends AutopilotError {
  constructor(
    readonly schedule: string,
    policy: StoredSchedule['concurrencyPolicy'],
  ) {
    super(
      `a run of schedule ${schedule} is starting: concurrencyPolicy ${policy} launches one run at a time; try again shortly`,
      { context: { schedule } },
    );
    this.name = 'LaunchLeaseBusyError';
  }
}

/** One request per due time: a redelivered trigger maps to the same request (and clientToken). */
export function scheduledRequestId(trigger: ScheduleTrigger, manualId?: string): string {
  // A run let go after waiting (BufferOne) is the run recorded when it was due.
  if (trigger.requestId !== undefined) return trigger.requestId;
  // A backfilled due time is the run of that due time: never launched twice, whoever asks.
  return trigger.trigger === 'manual'
    ? `m-${trigger.schedule}-${manualId ?? Date.parse(trigger.scheduledTime)}`
    : `s-${trigger.schedule}-${Date.parse(trigger.scheduledTime)}`;
}

/**
 * Turns a schedule's due time (or a manual run) into a launch request and launches it with `launch`, applying
 * the schedule's state and concurrency policy (checked with ListTasks on the schedule's startedBy): Forbid
 * skips while a run is still running, Replace stops it first. Records the run either way, once per request.
 *
 * Under Forbid and Replace the check and the launch happen under the schedule's launch lease, so two runs
 * (concurrent launcher invocations, a due time and a run-now, a launch waiting on the queue after a throttle
 * or a capacity shortage) cannot both see nothing running and both launch. The request carries the lease
 * (`launchLease`) into `launch`, which keeps it while the launch waits on the queue and frees it once the
 * launch has started its task or given up. While another run holds it: Forbid skips ("still starting"),
 * Replace takes it over from a run waiting on the queue (which then gives up) and otherwise throws
 * LaunchLeaseBusyError (the other run is starting right now; try again shortly).
 */
export function buildRunScheduled(deps: ScheduledRunDeps) {
  const now = deps.now ?? Date.now;
  return async <R>(
    trigger: ScheduleTrigger,
    launch: (request: LaunchRequest) => Promise<R>,
    options: { requestedBy?: string; manualId?: string } = {},
  ): Promise<{ run: ScheduleRun; request?: LaunchRequest; launched?: R }> => {
    const requestId = scheduledRequestId(trigger, options.manualId);
    const base = {
      requestId,
      trigger: trigger.trigger,
      scheduledTime: trigger.scheduledTime,
      requestedBy: options.requestedBy,
    };
    const schedule = await deps.store.get(trigger.schedule);
    if (!schedule) return { run: { ...base, status: 'SKIPPED', message: 'the schedule no longer exists' } };
    const startBy = startDeadlineOf(schedule, trigger);
    if (startBy !== undefined && now() > Date.parse(startBy)) {
      return skip(
        schedule,
        base,
        `missed: not started within startingDeadlineSeconds (${schedule.startingDeadlineSeconds}) of ${trigger.requestedAt ? 'the backfill request' : 'its due time'}`,
        'deadline',
        { reason: 'missed: not started within startingDeadlineSeconds' },
      );
    }
    const policy = schedule.concurrencyPolicy;
    // Allow: runs may overlap anyway, so there is nothing to serialize.
    const leased = policy !== 'Allow';
    if (
      leased &&
      !(await deps.store.acquireLaunchLease(schedule.name, requestId, {
        takeOverParked: policy === 'Replace',
      }))
    ) {
      if (policy === 'Replace') throw new LaunchLeaseBusyError(schedule.name, policy);
      if (policy !== 'BufferOne')
        return skip(
          schedule,
          base,
          'concurrencyPolicy Forbid: the previous run is still starting',
          'overlap',
        );
      const waiting = await wait(schedule, trigger, base, 'the previous run is still starting');
      // The starting run may have started or given up meanwhile, without seeing this one wait: look again.
      if (!waiting.waiting || !(await deps.store.acquireLaunchLease(schedule.name, requestId)))
        return waiting;
      if (!(await deps.buffer.takeBuffered(schedule.name, requestId))) {
        await deps.store.releaseLaunchLease(schedule.name, requestId);
        return waiting;
      }
    }
    let leaseHandedOver = false;
    try {
      const prepared = await prepare(schedule, trigger, base, startBy);
      if (!prepared.request) return prepared;
      const launched = await launch(prepared.request);
      // The launch holds the lease from here: it frees it when it ends, and keeps it while it waits.
      leaseHandedOver = true;
      return { ...prepared, launched };
    } finally {
      // A lease left behind expires on its own; failing the launch for it would only launch it again.
      if (leased && !leaseHandedOver) {
        await deps.store.releaseLaunchLease(schedule.name, requestId).catch((error: unknown) => {
          deps.logger.warn('launch lease not released; it expires on its own', {
            schedule: schedule.name,
            requestId,
            error,
          });
        });
      }
    }
  };

  async function skip(
    schedule: StoredSchedule,
    base: Omit<ScheduleRun, 'status'>,
    message: string,
    cause: SkipCause,
    /** Announced (Scheduled Run Skipped), with this reason: a run missed, or refused by the allowlist. */
    announce?: { reason: string },
  ) {
    const run: ScheduleRun = { ...base, status: 'SKIPPED', cause, message };
    const recorded = await deps.store.recordRun(schedule.name, run);
    deps.logger.info('scheduled run skipped', { schedule: schedule.name, message, cause });
    if (announce && recorded) {
      await deps.publishEvents([
        {
          detailType: 'Scheduled Run Skipped',
          resources: [],
          detail: {
            schedule: schedule.name,
            requestId: base.requestId,
            scheduledTime: base.scheduledTime,
            trigger: base.trigger,
            cause,
            reason: announce.reason,
          },
        },
      ]);
    }
    return { run };
  }

  /**
   * BufferOne: a run in progress keeps this one WAITING (recorded, and in the schedule's one waiting slot)
   * until it ends (src/app/runOutcomes.ts lets it go then). A slot another run holds: skipped, at most one
   * waits. The run in progress may have ended while this one took the slot: checked again after, and if
   * nothing is in progress any more, this run takes itself out of the slot and is let go at once.
   */
  async function wait(
    schedule: StoredSchedule,
    trigger: ScheduleTrigger,
    base: Omit<ScheduleRun, 'status'>,
    why: string,
  ): Promise<{ run: ScheduleRun; waiting?: true }> {
    const entry = {
      requestId: base.requestId,
      scheduledTime: base.scheduledTime,
      trigger: base.trigger,
      ...(trigger.requestedAt && { requestedAt: trigger.requestedAt }),
    };
    if (!(await deps.buffer.buffer(schedule.name, entry))) {
      return skip(
        schedule,
        base,
        'concurrencyPolicy BufferOne: a run is in progress and another already waits',
        'overlap',
      );
    }
    const run: ScheduleRun = {
      ...base,
      status: 'WAITING',
      count: schedule.count,
      message: `concurrencyPolicy BufferOne: waits until the run in progress ends (${why})`,
    };
    await deps.store.recordRun(schedule.name, run);
    deps.logger.info('scheduled run waits', { schedule: schedule.name, requestId: base.requestId, why });
    return { run, waiting: true };
  }

  /**
   * Nothing is in progress and this run starts: a run still in the waiting slot waited for a run whose end
   * went unseen (its follow-ups failed). It is not started after this one: recorded as skipped.
   */
  async function dropStaleWaiting(schedule: StoredSchedule, requestId: string) {
    const stale = await deps.buffer.takeBuffered(schedule.name);
    if (!stale || stale.requestId === requestId) return;
    await deps.store.recordRun(schedule.name, {
      requestId: stale.requestId,
      trigger: stale.trigger,
      scheduledTime: stale.scheduledTime,
      status: 'SKIPPED',
      cause: 'overlap',
      message: `concurrencyPolicy BufferOne: the run it waited for ended unseen; run ${requestId} started instead`,
    });
  }

  async function prepare(
    schedule: StoredSchedule,
    trigger: ScheduleTrigger,
    base: Omit<ScheduleRun, 'status'>,
    startBy: string | undefined,
  ): Promise<{ request?: LaunchRequest; run: ScheduleRun }> {
    const { requestId, requestedBy } = base;
    if (schedule.state === 'PAUSED' && trigger.trigger === 'schedule')
      return skip(schedule, base, 'the schedule is paused', 'paused');
    const refused = deps.refusalOf(schedule);
    if (refused) return skip(schedule, base, `not allowed: ${refused}`, 'allowlist', { reason: refused });

    const startedBy = scheduleStartedBy(schedule.name);
    let replacedTaskArns: string[] | undefined;
    // Forbid and Replace check for a running run, and launch under the schedule's lease.
    const leased = schedule.concurrencyPolicy !== 'Allow';
    if (leased) {
      const running = await deps.listRunningTasks(schedule.cluster, startedBy);
      if (running.length > 0 && schedule.concurrencyPolicy === 'Forbid') {
        return skip(
          schedule,
          base,
          `concurrencyPolicy Forbid: ${running.length} task(s) of the previous run still running`,
          'overlap',
        );
      }
      if (running.length > 0 && schedule.concurrencyPolicy === 'BufferOne') {
        const waiting = await wait(schedule, trigger, base, `${running.length} task(s) running`);
        if (!waiting.waiting) return waiting;
        // The run in progress may have ended meanwhile, without seeing this one wait: look again.
        if ((await deps.listRunningTasks(schedule.cluster, startedBy)).length > 0) return waiting;
        if (!(await deps.buffer.takeBuffered(schedule.name, requestId))) return waiting;
      }
      if (schedule.concurrencyPolicy === 'BufferOne') await dropStaleWaiting(schedule, requestId);
      if (running.length > 0) {
        await deps.stopTasks(schedule.cluster, running, `Replaced by a new run of schedule ${schedule.name}`);
        replacedTaskArns = running;
      }
    }
    const runTask = toRunTaskInput(schedule);
    const request: LaunchRequest = {
      requestId,
      reason: trigger.trigger === 'manual' ? 'run-now' : 'schedule',
      runTask: {
        ...runTask,
        startedBy,
        tags: [
          ...(runTask.tags ?? []),
          { key: SCHEDULE_TAG, value: schedule.name },
          { key: SCHEDULE_RUN_TAG, value: requestId },
        ],
      },
      policy: schedule.restartPolicy,
      capacityRetries: 0,
      deferSeconds: 0,
      requestedBy: requestedBy ?? `schedule ${schedule.name}`,
      context: { schedule: schedule.name, scheduledTime: trigger.scheduledTime },
      ...(leased && { launchLease: { schedule: schedule.name } }),
      ...(startBy !== undefined && { startBy }),
    };
    const run: ScheduleRun = {
      ...base,
      status: 'PENDING',
      count: schedule.count,
      ...(replacedTaskArns && { replacedTaskArns }),
    };
    await deps.store.recordRun(schedule.name, run);
    return { request, run };
  }
}
