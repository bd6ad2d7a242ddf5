import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RecordTransition } from '../adapters/taskHistory';
import { toTransition } from '../domain/lifecycle';
import { parseTaskStateChange } from '../domain/taskEvent';

export interface TaskEventsDeps {
  recordTransition: RecordTransition;
  logger: Pick<Logger, 'info' | 'debug'>;
  metrics: Pick<Metrics, 'singleMetric'>;
}

/**
 * One "ECS Task State Change" event: store it, print one lifecycle line, count the stop.
 * An event that is not an ECS task event throws, so Lambda's async retries and the DLQ apply.
 */
export function buildTaskEventsHandler(deps: TaskEventsDeps) {
  return async (event: unknown) => {
    const transition = toTransition(parseTaskStateChange(event));
    const outcome = await deps.recordTransition(transition);
    if (!outcome.isNew) {
      deps.logger.debug('duplicate task state change ignored', {
        taskArn: transition.taskArn,
        version: transition.version,
      });
      return outcome;
    }
    deps.logger.info({ message: 'task state change', ...transition, late: !outcome.isNewest });
    if (outcome.firstStop) {
      const metric = deps.metrics.singleMetric();
      metric.addDimension('classification', transition.classification);
      metric.addDimension('family', transition.family);
      metric.addMetric('StoppedTasks', MetricUnit.Count, 1);
    }
    return outcome;
  };
}
