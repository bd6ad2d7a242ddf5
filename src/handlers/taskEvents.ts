import type { Logger } from '@aws-lambda-powertools/logger';
import type { RecordTransition } from '../adapters/taskHistory';
import { type TaskTransition, toTransition } from '../domain/lifecycle';
import { parseTaskStateChange, type TaskDetail } from '../domain/taskEvent';
import { type CountSink, publishCount } from '../observability';

export interface TaskEventsDeps {
  recordTransition: RecordTransition;
  /** Reactions to a task's final state (restart); absent in tests of the lifecycle log alone. */
  onStopped?: (t: TaskTransition, detail: TaskDetail) => Promise<unknown>;
  logger: Pick<Logger, 'info' | 'debug'>;
  metrics: CountSink;
}

/**
 * One "ECS Task State Change" event: store it, print one lifecycle line, count the stop.
 * An event that is not an ECS task event throws, so Lambda's async retries and the DLQ apply.
 */
export function buildTaskEventsHandler(deps: TaskEventsDeps) {
  return async (event: unknown) => {
    const parsed = parseTaskStateChange(event);
    const transition = toTransition(parsed);
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
    // Reactions run for duplicates too, so a delivery retried after a crash finishes what it started;
    // they are idempotent (one conditional decision per task).
    if (
      deps.onStopped &&
      (transition.lastStatus === 'STOPPED' || transition.classification === 'spot-interrupted')
    ) {
      await deps.onStopped(transition, parsed.detail);
    }
    return outcome;
  };
}
