import {
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  type Task,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import type {
  DescribeTaskTags,
  DrainSpotInstance,
  ListRunningTasks,
  RunTask,
  StopTasks,
  TagTask,
} from '../ports';

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
      // Same token, different parameters: a ConflictException naming the tasks this token already started,
      // which are the launch ("Ensuring idempotency", Amazon ECS API Reference,
      // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html).
      const resourceIds = (error as { name?: string; resourceIds?: string[] }).resourceIds;
      if ((error as Error).name === 'ConflictException' && resourceIds?.length) {
        return { taskArns: resourceIds, failures: [], alreadyStarted: true };
      }
      throw error;
    }
  };
}

/** ECS's tag list as key -> value. */
const tagRecord = (tags: { key?: string; value?: string }[] = []): Record<string, string> =>
  Object.fromEntries(tags.filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']));

/** Tags are not in events; DescribeTasks with TAGS reads them while the task is still visible (~1 h). */
export function buildDescribeTaskTags(ecs: ECSClient): DescribeTaskTags {
  return async (cluster, taskArn) => {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ['TAGS'] }));
    return tagRecord(out.tasks?.[0]?.tags);
  };
}

/**
 * The same, for a function that reads many tags at once (the launcher's concurrent batch records): calls made
 * within `windowMs` of each other share one DescribeTasks per cluster (up to 100 tasks a call), so a batch
 * of 10 requests costs one call of ECS's DescribeTasks rate (20 a second) instead of ten.
 */
export function buildBatchedDescribeTaskTags(ecs: ECSClient, windowMs = 15): DescribeTaskTags {
  type Waiter = {
    taskArn: string;
    resolve: (tags: Record<string, string>) => void;
    reject: (e: unknown) => void;
  };
  const pending = new Map<string, { waiters: Waiter[]; timer: NodeJS.Timeout }>();
  const flush = async (cluster: string) => {
    const batch = pending.get(cluster);
    if (!batch) return;
    pending.delete(cluster);
    clearTimeout(batch.timer);
    const tasks = [...new Set(batch.waiters.map((w) => w.taskArn))];
    try {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks, include: ['TAGS'] }));
      const byArn = new Map((out.tasks ?? []).map((t) => [t.taskArn, tagRecord(t.tags)]));
      for (const w of batch.waiters) w.resolve(byArn.get(w.taskArn) ?? {});
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
    }
  };
  return (cluster, taskArn) =>
    new Promise((resolve, reject) => {
      let batch = pending.get(cluster);
      if (!batch) {
        const timer = setTimeout(() => void flush(cluster), windowMs);
        timer.unref?.();
        batch = { waiters: [], timer };
        pending.set(cluster, batch);
      }
      batch.waiters.push({ taskArn, resolve, reject });
      if (batch.waiters.length >= 100) void flush(cluster);
    });
}

/**
 * Finds the container instance of an EC2 instance in the given clusters (all clusters when none are
 * configured), sets it DRAINING (ECS moves service tasks; standalone tasks are ours to move), and returns
 * its running tasks with their tags.
 */
export function buildDrainSpotInstance(ecs: ECSClient): DrainSpotInstance {
  return async (clusters, ec2InstanceId) => {
    const candidates = clusters.length > 0 ? clusters : await listAllClusters(ecs);
    for (const cluster of candidates) {
      const found = await ecs.send(
        new ListContainerInstancesCommand({ cluster, filter: `ec2InstanceId == ${ec2InstanceId}` }),
      );
      const containerInstanceArn = found.containerInstanceArns?.[0];
      if (!containerInstanceArn) continue;
      await ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: [containerInstanceArn],
          status: 'DRAINING',
        }),
      );
      const tasks: Task[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(
          new ListTasksCommand({
            cluster,
            containerInstance: containerInstanceArn,
            desiredStatus: 'RUNNING',
            nextToken,
          }),
        );
        nextToken = page.nextToken;
        const arns = page.taskArns ?? [];
        for (let i = 0; i < arns.length; i += 100) {
          const described = await ecs.send(
            new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
          );
          tasks.push(...(described.tasks ?? []));
        }
      } while (nextToken);
      return { cluster, containerInstanceArn, tasks };
    }
    return undefined;
  };
}

async function listAllClusters(ecs: ECSClient): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListClustersCommand({ nextToken }));
    arns.push(...(page.clusterArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

export function buildListRunningTasks(ecs: ECSClient): ListRunningTasks {
  return async (cluster, startedBy) => {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      // startedBy must be ListTasks' only filter besides the cluster; desiredStatus defaults to RUNNING
      // (ListTasks, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html).
      const page = await ecs.send(new ListTasksCommand({ cluster, startedBy, nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  };
}

export function buildStopTasks(ecs: ECSClient): StopTasks {
  return async (cluster, taskArns, reason) => {
    for (const task of taskArns) await ecs.send(new StopTaskCommand({ cluster, task, reason }));
  };
}

export function buildTagTask(ecs: ECSClient): TagTask {
  return async (taskArn, tags) => {
    await ecs.send(new TagResourceCommand({ resourceArn: taskArn, tags }));
  };
}
