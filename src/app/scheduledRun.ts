import type { Logger } from '@aws-lambda-powertools/logger';
import type { LaunchRequest } from '../domain/launchRequest';
import { SCHEDULE_RUN_TAG, SCHEDULE_TAG, scheduleStartedBy, toRunTaskInput } from '../domain/scheduleLaunch';
import { AutopilotError } from '../errors';
import type {
  ListRunningTasks,
  PublishEvents,
  ScheduleRun,
  ScheduleStore,
  ScheduleTrigger,
  StopTasks,
  StoredSchedule,
} from '../ports';

export interface ScheduledRunDeps {
  store: Pick<ScheduleStore, 'get' | 'recordRun' | 'acquireLaunchLease' | 'releaseLaunchLease'>;
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
      return skip(schedule, base, 'concurrencyPolicy Forbid: the previous run is still starting');
    }
    let leaseHandedOver = false;
    try {
      const prepared = await prepare(schedule, trigger, base);
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

  async function skip(schedule: StoredSchedule, base: Omit<ScheduleRun, 'status'>, message: string) {
    const run: ScheduleRun = { ...base, status: 'SKIPPED', message };
    await deps.store.recordRun(schedule.name, run);
    deps.logger.info('scheduled run skipped', { schedule: schedule.name, message });
    return { run };
  }

  async function prepare(
    schedule: StoredSchedule,
    trigger: ScheduleTrigger,
    base: Omit<ScheduleRun, 'status'>,
  ): Promise<{ request?: LaunchRequest; run: ScheduleRun }> {
    const { requestId, requestedBy } = base;
    if (schedule.state === 'PAUSED' && trigger.trigger === 'schedule')
      return skip(schedule, base, 'the schedule is paused');
    const refused = deps.refusalOf(schedule);
    if (refused) {
      const skipped = await skip(schedule, base, `not allowed: ${refused}`);
      await deps.publishEvents([
        {
          detailType: 'Scheduled Run Skipped',
          resources: [],
          detail: {
            schedule: schedule.name,
            requestId,
            scheduledTime: trigger.scheduledTime,
            trigger: trigger.trigger,
            cause: 'allowlist',
            reason: refused,
          },
        },
      ]);
      return skipped;
    }

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
        );
      }
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
    };
    const run: ScheduleRun = { ...base, status: 'PENDING', ...(replacedTaskArns && { replacedTaskArns }) };
    await deps.store.recordRun(schedule.name, run);
    return { request, run };
  }
}
