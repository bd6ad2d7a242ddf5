/**
 * startingDeadlineSeconds (as in Kubernetes CronJob): a run that cannot start within this many seconds of
 * when it was asked for is missed, SKIPPED, not started late. A due time counts from itself; a manual run
 * from its request (its scheduledTime); a backfilled due time from the backfill request. The launcher checks
 * it again before RunTask, since a run can wait on the queue (ECS throttling, capacity retries, a budget
 * pause) past it. Pure.
 */
import type { Schedule } from './schedule';

/** The instant by which a run must have started (ISO-8601), or undefined for a schedule without a deadline. */
export function startDeadlineOf(
  schedule: Pick<Schedule, 'startingDeadlineSeconds'>,
  trigger: { scheduledTime: string; requestedAt?: string },
): string | undefined {
  if (schedule.startingDeadlineSeconds === undefined) return undefined;
  const from = Date.parse(trigger.requestedAt ?? trigger.scheduledTime);
  if (Number.isNaN(from)) return undefined;
  return new Date(from + schedule.startingDeadlineSeconds * 1000).toISOString();
}

/** Why a launch must not start now (its run missed its starting deadline), or undefined when it may. */
export function missedStartingDeadline(request: { startBy?: string }, nowMs: number): string | undefined {
  if (request.startBy === undefined || nowMs <= Date.parse(request.startBy)) return undefined;
  return `missed: the run could not start by its starting deadline (${request.startBy}, startingDeadlineSeconds)`;
}
