import type { Logger } from '@aws-lambda-powertools/logger';
import type { RecordTransition } from '../adapters/taskHistory';
import { toTransition } from '../domain/lifecycle';
import { parseTaskStateChange } from '../domain/taskEvent';
import { type CountSink, publishCount } from '../observability';

export interface TaskEventsDeps {
  recordTransition: RecordTransition;
  logger: Pick<Logger, 'info' | 'debug'>;
  metrics: CountSink;
}

/**
 * One "ECS Task State Change" event: store it, print one lifecycle line, count the stop.
 * The reactions to a failure or an interruption run in their own function (taskReactions), so a burst of
 * lifecycle events never holds up a restart, and a fault in one path leaves the other working.
 * An event that is not an ECS task event throws, so Lambda's async retries and the DLQ apply.
 */
export function buildTaskEventsHandler(deps: TaskEventsDeps) {
  return async (event: unknown) => {
    const transition = toTransition(parseTaskStateChange(event));
    const outcome = await deps.recordTransition(transition);
    if (outcome.isNew) {
      deps.logger.info({ message: 'task state change', ...transition, late: !outcome.isNewest });
    } else {
      deps.logger.debug('duplicate task state change', {
        taskArn: transition.taskArn,
        version: transition.version,
      });
    }
    // Counted by whichever copy saw the summary become STOPPED, so two concurrent copies count it once.
    if (outcome.firstStop) {
      publishCount(deps.metrics, 'StoppedTasks', {
        classification: transition.classification,
        family: transition.family,
      });
    }
    return outcome;
  };
}
