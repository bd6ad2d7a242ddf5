import { readServerlessConfig, yamlBlock, yamlScalar } from '../../bench/lib/serverlessConfig';
import type { LaunchLimits } from '../../src/domain/guardrails';

/**
 * The guardrails a stage gets by default, read from serverless.yml's params.default: tests that ordinary
 * schedules pass them check the defaults a user deploys, not a copy of them.
 */
export function defaultLimits(): LaunchLimits {
  const params = yamlBlock(readServerlessConfig().text, ['params', 'default']);
  const value = (name: keyof LaunchLimits) => {
    const parsed = yamlScalar(params[name] ?? '');
    if (typeof parsed !== 'number') throw new Error(`serverless.yml params.default.${name} is not a number`);
    return parsed;
  };
  return {
    minScheduleIntervalMinutes: value('minScheduleIntervalMinutes'),
    maxScheduledTasksPerHour: value('maxScheduledTasksPerHour'),
    maxSchedules: value('maxSchedules'),
    maxTaskCpu: value('maxTaskCpu'),
    maxTaskMemory: value('maxTaskMemory'),
  };
}
