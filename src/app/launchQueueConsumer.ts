import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { type buildLaunch, type LaunchBatch, parseQueueMessage } from './launcher';
import type { buildTagLaunchedTasks } from './lineageTags';
import { type buildRunScheduled, LaunchLeaseBusyError } from './scheduledRun';

export interface LaunchQueueConsumerDeps {
  launch: ReturnType<typeof buildLaunch>;
  runScheduled: ReturnType<typeof buildRunScheduled>;
  tagLaunchedTasks: ReturnType<typeof buildTagLaunchedTasks>;
  logger: Pick<Logger, 'info' | 'error'>;
}

/**
 * One message of the launch queue: a launch request (a restart, a Spot move, a run-now), a schedule's due
 * time, or a batched launch's lineage tags. A message that fails throws, so it stays on the queue (partial
 * batch failure) and comes back after the visibility timeout; the batch's other messages are not held up.
 * `batch` gathers the launches of one SQS batch (newBatch): requests that can share a RunTask call do.
 */
export function buildLaunchQueueConsumer(deps: LaunchQueueConsumerDeps) {
  /** Due times of one schedule in one batch run one after the other, so Forbid and Replace see each other's tasks. */
  const scheduleChains = new Map<string, Promise<unknown>>();
  const inTurn = <T>(schedule: string, work: () => Promise<T>): Promise<T> => {
    const run = (scheduleChains.get(schedule) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    scheduleChains.set(schedule, tail);
    void tail.then(() => scheduleChains.get(schedule) === tail && scheduleChains.delete(schedule));
    return run;
  };

  const consume = async (record: Pick<SQSRecord, 'messageId' | 'body'>, batch?: LaunchBatch) => {
    try {
      const message = parseQueueMessage(record);
      if (message.kind === 'request') return await deps.launch(message.request, batch);
      if (message.kind === 'tag') return await deps.tagLaunchedTasks(message.job);
      // A trigger whose schedule's launch lease is busy fails here and comes back after the visibility timeout.
      return await inTurn(message.trigger.schedule, async () => {
        const { launched } = await deps.runScheduled(message.trigger, (request) =>
          deps.launch(request, batch),
        );
        return launched ?? 'skipped';
      });
    } catch (error) {
      if (error instanceof LaunchLeaseBusyError) {
        // Expected contention (another run of the schedule is starting), not a fault.
        deps.logger.info('schedule busy; trigger left on the queue', {
          messageId: record.messageId,
          error: error.message,
        });
      } else
        deps.logger.error('launch request failed; left on the queue', { messageId: record.messageId, error });
      throw error;
    } finally {
      batch?.finish();
    }
  };
  return { consume, newBatch: deps.launch.newBatch };
}
