import type { Logger } from '@aws-lambda-powertools/logger';
import type { TaskTransition } from '../domain/lifecycle';
import { isServiceTask, toTransition } from '../domain/lifecycle';
import { parseTaskStateChange, type TaskDetail, taskAsEventDetail } from '../domain/taskEvent';
import type { DrainSpotInstance } from '../ports';
import * as z from '../zod';

const spotWarningSchema = z.looseObject({
  id: z.string(),
  time: z.string(),
  account: z.string(),
  region: z.string(),
  source: z.literal('aws.ec2'),
  'detail-type': z.enum(['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation']),
  detail: z.looseObject({
    'instance-id': z.string().check(z.regex(/^i-[0-9a-z]+$/, 'must be an EC2 instance id')),
  }),
});

export interface SpotWarningDeps {
  clusters: string[];
  drainSpotInstance: DrainSpotInstance;
  react: (t: TaskTransition, detail: TaskDetail, options: { spotInterrupted: boolean }) => Promise<unknown>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * EC2 Spot interruption warning (best effort, two minutes ahead): drain the instance so ECS moves its
 * service tasks, and move its standalone tasks to on-demand ourselves, each exactly once (the same
 * decision path as Fargate Spot; the tasks' later TerminationNotice stops find the decision taken).
 */
export function buildReactToSpotWarning(deps: SpotWarningDeps) {
  return async (input: unknown) => {
    const parsed = spotWarningSchema.safeParse(input);
    if (!parsed.success) throw new Error(`not an EC2 Spot warning: ${z.prettifyError(parsed.error)}`);
    const event = parsed.data;
    const instanceId = event.detail['instance-id'];
    const found = await deps.drainSpotInstance(deps.clusters, instanceId);
    if (!found) {
      deps.logger.info('EC2 instance is not an ECS container instance here', { instanceId });
      return { instanceId, tasks: 0 };
    }
    let moved = 0;
    const undecided: { taskArn: string; error: unknown }[] = [];
    for (const task of found.tasks) {
      // Re-read through the event schema: same validation, same transition as the task-events path.
      const detail = parseTaskStateChange({
        version: '0',
        id: `${event.id}/${task.taskArn}`,
        'detail-type': 'ECS Task State Change',
        source: 'aws.ecs',
        account: event.account,
        time: event.time,
        region: event.region,
        resources: [task.taskArn],
        detail: { ...taskAsEventDetail(task), version: task.version ?? 0 },
      });
      const transition = toTransition(detail);
      if (isServiceTask(transition)) continue;
      // One task that cannot be decided yet (its launch not recorded, a throttled read) must not hold up
      // the others: the instance has two minutes left.
      try {
        await deps.react(transition, detail.detail, { spotInterrupted: true });
        moved++;
      } catch (error) {
        undecided.push({ taskArn: transition.taskArn, error });
        deps.logger.warn('could not decide on a task of the Spot instance yet', {
          instanceId,
          taskArn: transition.taskArn,
          error,
        });
      }
    }
    deps.logger.info('drained Spot instance', { instanceId, cluster: found.cluster, standaloneTasks: moved });
    if (undecided.length > 0) {
      // Lambda retries the warning; the tasks decided now find their decisions and are not moved twice.
      throw new AggregateError(
        undecided.map((u) => u.error),
        `${undecided.length} standalone task(s) on ${instanceId} not decided yet: ${undecided.map((u) => u.taskArn).join(', ')}`,
      );
    }
    return { instanceId, cluster: found.cluster, tasks: moved };
  };
}
