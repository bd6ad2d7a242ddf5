import type { Logger } from '@aws-lambda-powertools/logger';
import { isTransientError } from '../domain/launchOutcome';
import { ECS_BUCKETS, shareOf, TokenBucket, throttleDelayMs } from '../domain/pacing';
import type { SendTagJob, TagTask, TagTasksJob } from '../ports';

export interface LineageTagDeps {
  tagTask: TagTask;
  sendTagJob: SendTagJob;
  logger: Pick<Logger, 'info' | 'warn'>;
  countMetric: (name: string) => void;
  pacing: { runTaskShare: number; instances: number };
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The lineage tags of a batched launch's tasks (ecs-autopilot:origin-task, :attempt), one TagResource per
 * task, paced by this instance's part of ECS's tagging bucket (10 a second for the account). The launch
 * record holds the lineage already, so nothing waits on these: throttled, the rest goes back on the queue
 * after the wait the bucket needs; a task ECS no longer knows is skipped.
 */
export function buildTagLaunchedTasks(deps: LineageTagDeps) {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const part = shareOf(ECS_BUCKETS.tagResource, deps.pacing.runTaskShare, deps.pacing.instances);
  const bucket = new TokenBucket(part.burst, part.perSecond, now());

  return async (job: TagTasksJob): Promise<'tagged' | 'requeued'> => {
    for (const [i, task] of job.tasks.entries()) {
      const wait = bucket.reserve(1, now());
      if (wait > 0) await sleep(wait);
      try {
        await deps.tagTask(task.taskArn, task.tags);
      } catch (error) {
        if (isTransientError(error)) {
          deps.countMetric('TagThrottled');
          bucket.drain(now());
          const rest = job.tasks.slice(i);
          const delaySeconds = Math.ceil(throttleDelayMs(rest.length, 1, random) / 1000);
          await deps.sendTagJob({ ...job, tasks: rest }, delaySeconds);
          deps.logger.info('lineage tags throttled, requeued', { tasks: rest.length, delaySeconds });
          return 'requeued';
        }
        deps.logger.warn('could not add lineage tags; the launch record keeps the lineage', {
          taskArn: task.taskArn,
          error,
        });
      }
    }
    return 'tagged';
  };
}
