import { DescribeTasksCommand, type ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import type { RunTaskFailure } from '../domain/launchOutcome';
import type { RunTaskInput } from '../domain/launchRequest';

export interface RunTaskResult {
  taskArns: string[];
  failures: RunTaskFailure[];
  /** true when ECS answered ConflictException: this clientToken already started these tasks. */
  alreadyStarted: boolean;
}

export type RunTask = (input: RunTaskInput, clientToken: string) => Promise<RunTaskResult>;

export function buildRunTask(ecs: ECSClient): RunTask {
  return async (input, clientToken) => {
    try {
      const out = await ecs.send(new RunTaskCommand({ ...input, clientToken } as RunTaskCommand['input']));
      return {
        taskArns: (out.tasks ?? []).map((t) => t.taskArn).filter((a): a is string => !!a),
        failures: (out.failures ?? []).map((f) => ({ arn: f.arn, reason: f.reason, detail: f.detail })),
        alreadyStarted: false,
      };
    } catch (error) {
      // Same token, different parameters: the tasks this token already started are the launch (fact sheet §5).
      const resourceIds = (error as { name?: string; resourceIds?: string[] }).resourceIds;
      if ((error as Error).name === 'ConflictException' && resourceIds?.length) {
        return { taskArns: resourceIds, failures: [], alreadyStarted: true };
      }
      throw error;
    }
  };
}

export type DescribeTaskTags = (cluster: string, taskArn: string) => Promise<Record<string, string>>;

/** Tags are not in events; DescribeTasks with TAGS reads them while the task is still visible (~1 h). */
export function buildDescribeTaskTags(ecs: ECSClient): DescribeTaskTags {
  return async (cluster, taskArn) => {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ['TAGS'] }));
    const tags = out.tasks?.[0]?.tags ?? [];
    return Object.fromEntries(tags.filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']));
  };
}
