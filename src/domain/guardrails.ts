/**
 * The stage's limits on what the HTTP API launches (stage parameters, read by the api function): how often a
 * schedule may run and how many tasks it may start in an hour, how many schedules may exist, and how large a
 * task an override may ask for. Static rules (Fargate's task sizes, the restart policy's bounds) are in the
 * request schemas instead (schedule.ts); these depend on the stage, so they are checked after parsing.
 */
import type { Schedule } from './schedule';
import { scheduleCadence } from './scheduleExpression';
import { cpuUnits, memoryMiB } from './taskSize';

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

/** A limit a request breaks: the field, and the rule with the stage's value. */
export interface LimitIssue {
  path: string;
  message: string;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
const vcpu = (units: number) => `${Number((units / 1024).toFixed(2))} vCPU`;
const gb = (mib: number) => `${Number((mib / 1024).toFixed(2))} GB`;

/** The task and container cpu and memory overrides of a launch, against the stage's maxima. */
export function launchLimitIssues(
  launch: Pick<Schedule, 'overrides'>,
  limits: Pick<LaunchLimits, 'maxTaskCpu' | 'maxTaskMemory'>,
): LimitIssue[] {
  const issues: LimitIssue[] = [];
  const cpuRule = `must be at most ${limits.maxTaskCpu} CPU units (${vcpu(limits.maxTaskCpu)}, this stage's maxTaskCpu)`;
  const memoryRule = `must be at most ${limits.maxTaskMemory} MiB (${gb(limits.maxTaskMemory)}, this stage's maxTaskMemory)`;
  const { cpu, memory, containerOverrides = [] } = launch.overrides ?? {};
  if (cpu !== undefined && cpuUnits(cpu) > limits.maxTaskCpu) {
    issues.push({ path: 'overrides.cpu', message: `${cpuRule}, got ${cpu}` });
  }
  if (memory !== undefined && memoryMiB(memory) > limits.maxTaskMemory) {
    issues.push({ path: 'overrides.memory', message: `${memoryRule}, got ${memory}` });
  }
  containerOverrides.forEach((container, index) => {
    const at = `overrides.containerOverrides.${index}`;
    if (container.cpu !== undefined && container.cpu > limits.maxTaskCpu) {
      issues.push({ path: `${at}.cpu`, message: `${cpuRule}, got ${container.cpu}` });
    }
    for (const field of ['memory', 'memoryReservation'] as const) {
      const value = container[field];
      if (value !== undefined && value > limits.maxTaskMemory) {
        issues.push({ path: `${at}.${field}`, message: `${memoryRule}, got ${value}` });
      }
    }
  });
  return issues;
}

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
export const describeLimitIssues = (issues: LimitIssue[]) =>
  issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
