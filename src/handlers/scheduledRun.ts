import type { Logger } from '@aws-lambda-powertools/logger';
import type { ListRunningTasks, StopTasks } from '../adapters/ecs';
import type { ScheduleTrigger } from '../adapters/scheduler';
import type { ScheduleRun, ScheduleStore } from '../adapters/scheduleStore';
import type { LaunchRequest } from '../domain/launchRequest';
import { scheduleStartedBy, toRunTaskInput } from '../domain/scheduleLaunch';

export const SCHEDULE_TAG = 'ecs-autopilot:schedule';

export interface ScheduledRunDeps {
  store: Pick<ScheduleStore, 'get' | 'recordRun'>;
  listRunningTasks: ListRunningTasks;
  stopTasks: StopTasks;
  logger: Pick<Logger, 'info'>;
}

/** One request per due time: a redelivered trigger maps to the same request (and clientToken). */
export function scheduledRequestId(trigger: ScheduleTrigger, manualId?: string): string {
  return trigger.trigger === 'manual'
    ? `m-${trigger.schedule}-${manualId ?? Date.parse(trigger.scheduledTime)}`
    : `s-${trigger.schedule}-${Date.parse(trigger.scheduledTime)}`;
}

/**
 * Turns a schedule's due time (or a manual run) into a launch request, applying the schedule's state and
 * concurrency policy (checked with ListTasks on the schedule's startedBy): Forbid skips while a run is still
 * running, Replace stops it first. Records the run either way, once per request.
 */
export function buildPrepareScheduledRun(deps: ScheduledRunDeps) {
  return async (
    trigger: ScheduleTrigger,
    options: { requestedBy?: string; manualId?: string } = {},
  ): Promise<{ request?: LaunchRequest; run: ScheduleRun }> => {
    const requestId = scheduledRequestId(trigger, options.manualId);
    const base = {
      requestId,
      trigger: trigger.trigger,
      scheduledTime: trigger.scheduledTime,
      requestedBy: options.requestedBy,
    };
    const schedule = await deps.store.get(trigger.schedule);
    if (!schedule) return { run: { ...base, status: 'SKIPPED', message: 'the schedule no longer exists' } };
    const skip = async (message: string) => {
      const run: ScheduleRun = { ...base, status: 'SKIPPED', message };
      await deps.store.recordRun(schedule.name, run);
      deps.logger.info('scheduled run skipped', { schedule: schedule.name, message });
      return { run };
    };
    if (schedule.state === 'PAUSED' && trigger.trigger === 'schedule') return skip('the schedule is paused');

    const startedBy = scheduleStartedBy(schedule.name);
    let replacedTaskArns: string[] | undefined;
    if (schedule.concurrencyPolicy !== 'Allow') {
      const running = await deps.listRunningTasks(schedule.cluster, startedBy);
      if (running.length > 0 && schedule.concurrencyPolicy === 'Forbid') {
        return skip(`concurrencyPolicy Forbid: ${running.length} task(s) of the previous run still running`);
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
        tags: [...(runTask.tags ?? []), { key: SCHEDULE_TAG, value: schedule.name }],
      },
      policy: schedule.restartPolicy,
      capacityRetries: 0,
      deferSeconds: 0,
      requestedBy: options.requestedBy ?? `schedule ${schedule.name}`,
      context: { schedule: schedule.name, scheduledTime: trigger.scheduledTime },
    };
    const run: ScheduleRun = { ...base, status: 'PENDING', ...(replacedTaskArns && { replacedTaskArns }) };
    await deps.store.recordRun(schedule.name, run);
    return { request, run };
  };
}
