/**
 * A launch's task size against the stage's maxima: apart from the schedule limits (guardrails.ts), so the
 * launcher, which checks every run-now and schedule run again, does not bundle the schedule expressions.
 */
import type { LaunchLimits } from './guardrails';
import type { Schedule } from './schedule';
import { cpuUnits, memoryMiB } from './taskSize';

/** A limit a request breaks: the field, and the rule with the stage's value. */
export interface LimitIssue {
  path: string;
  message: string;
}

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

export const describeLimitIssues = (issues: LimitIssue[]) =>
  issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
