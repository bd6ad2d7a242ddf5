/**
 * The stage's limits on what the HTTP API launches (stage parameters, read by the api function): how often a
 * schedule may run and how many tasks it may start in an hour, how many schedules may exist, and how large a
 * task an override may ask for. Static rules (Fargate's task sizes, the restart policy's bounds) are in the
 * request schemas instead (schedule.ts); these depend on the stage, so they are checked after parsing.
 */

import { type LimitIssue, launchLimitIssues } from './launchLimits';
import type { Schedule } from './schedule';
import { scheduleCadence } from './scheduleExpression';

export { describeLimitIssues, type LimitIssue, launchLimitIssues } from './launchLimits';

export interface LaunchLimits {
  /** Fewest minutes between two runs of a schedule (minScheduleIntervalMinutes). */
  minScheduleIntervalMinutes: number;
  /** Most tasks one schedule may start in any hour: count × runs in that hour (maxScheduledTasksPerHour). */
  maxScheduledTasksPerHour: number;
  /** Most schedules the stage keeps (maxSchedules). */
  maxSchedules: number;
  /** Largest task or container cpu an override may ask for, in CPU units (maxTaskCpu). */
  maxTaskCpu: number;
  /** Largest task or container memory an override may ask for, in MiB (maxTaskMemory). */
  maxTaskMemory: number;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * A schedule against the stage's limits: its launch's size, and, while it is ENABLED, how often it runs and
 * how many tasks it starts in an hour. A PAUSED schedule starts nothing on its own, so pausing one that a
 * lowered limit now refuses always works; resuming it checks again.
 */
export function scheduleLimitIssues(schedule: Schedule, limits: LaunchLimits): LimitIssue[] {
  const issues = launchLimitIssues(schedule, limits);
  if (schedule.state !== 'ENABLED') return issues;
  const { minIntervalMinutes, maxRunsPerHour } = scheduleCadence(schedule.expression);
  if (minIntervalMinutes !== undefined && minIntervalMinutes < limits.minScheduleIntervalMinutes) {
    issues.push({
      path: 'expression',
      message: `must leave at least ${plural(limits.minScheduleIntervalMinutes, 'minute')} between runs (this stage's minScheduleIntervalMinutes), but ${schedule.expression} has runs ${plural(minIntervalMinutes, 'minute')} apart`,
    });
  }
  const perHour = schedule.count * maxRunsPerHour;
  if (perHour > limits.maxScheduledTasksPerHour) {
    issues.push({
      path: 'count',
      message: `${plural(schedule.count, 'task')} a run × ${plural(maxRunsPerHour, 'run')} in an hour (${schedule.expression}) is ${perHour} tasks an hour, more than this stage's maxScheduledTasksPerHour (${limits.maxScheduledTasksPerHour})`,
    });
  }
  return issues;
}

/** "path: rule; ..." as describeIssues words a schema's problems. */
