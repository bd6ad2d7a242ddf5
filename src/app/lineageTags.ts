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
}

/**
 * The lineage tags of a batched launch's tasks (ecs-autopilot:origin-task, :attempt), one TagResource per
 * task, paced by this instance's part of ECS's tagging bucket (10 a second for the account). The launch
 * record holds the lineage already, so nothing waits on these: what the bucket cannot take now, or what ECS
 * throttled, goes back on the queue for when it can; a task ECS no longer knows (or has stopped) is skipped.
 */
export function buildTagLaunchedTasks(deps: LineageTagDeps) {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const part = shareOf(ECS_BUCKETS.tagResource, deps.pacing.runTaskShare, deps.pacing.instances);
  const bucket = new TokenBucket(part.burst, part.perSecond, now());

  /** The rest of a job, back on the queue for when the bucket will have tokens for it. */
  async function later(job: TagTasksJob, rest: TagTasksJob['tasks'], delayMs: number, why: string) {
    const delaySeconds = Math.max(1, Math.ceil(delayMs / 1000));
    await deps.sendTagJob({ ...job, tasks: rest }, delaySeconds);
    deps.logger.info(`lineage tags ${why}, requeued`, { tasks: rest.length, delaySeconds });
    return 'requeued' as const;
  }

  // Never waits in process: a launcher instance busy tagging would be one less launching.
  return async (job: TagTasksJob): Promise<'tagged' | 'requeued'> => {
    const now_ = now();
    const allowed = bucket.takeAvailable(job.tasks.length, now_);
    for (const [i, task] of job.tasks.slice(0, allowed).entries()) {
      try {
        await deps.tagTask(task.taskArn, task.tags);
      } catch (error) {
        if (isTransientError(error)) {
          deps.countMetric('TagThrottled');
          bucket.drain(now());
          const rest = job.tasks.slice(i);
          return later(job, rest, throttleDelayMs(rest.length, 1, random), 'throttled');
        }
        deps.logger.warn('could not add lineage tags; the launch record keeps the lineage', {
          taskArn: task.taskArn,
          error,
        });
      }
    }
    const rest = job.tasks.slice(allowed);
    if (rest.length === 0) return 'tagged';
    // Jittered, so the instances' requeued jobs do not all come back at once.
    return later(job, rest, bucket.msUntil(rest.length, now()) * (0.5 + random()), 'paced');
  };
}
