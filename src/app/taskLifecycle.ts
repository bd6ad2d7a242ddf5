import type { Logger } from '@aws-lambda-powertools/logger';
import { type TaskTransition, toTransition } from '../domain/lifecycle';
import { parseTaskStateChange } from '../domain/taskEvent';
import { type CountSink, publishCount } from '../observability';
import type { RecordTransition } from '../ports';

export interface TaskLifecycleDeps {
  recordTransition: RecordTransition;
  logger: Pick<Logger, 'info' | 'debug'>;
  metrics: CountSink;
}

/**
 * The lifecycle log line: what an operator filters and reads in Logs Insights, not the whole transition
 * (the ENI, attributes and overrides are in GET /tasks/{taskId}), so the line stays short. Written out
 * rather than picked with a spread, for the per-event CPU (see toTransition).
 */
export function lifecycleLine(t: TaskTransition, late: boolean) {
  return {
    message: 'task state change',
    taskArn: t.taskArn,
    taskId: t.taskId,
    clusterArn: t.clusterArn,
    cluster: t.cluster,
    family: t.family,
    revision: t.revision,
    taskDefinition: t.taskDefinition,
    version: t.version,
    eventId: t.eventId,
    eventTime: t.eventTime,
    group: t.group,
    startedBy: t.startedBy,
    launchType: t.launchType,
    capacityProviderName: t.capacityProviderName,
    availabilityZone: t.availabilityZone,
    containerInstanceArn: t.containerInstanceArn,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    stopCode: t.stopCode,
    stoppedReason: t.stoppedReason,
    containers: t.containers.map((c) => ({
      name: c.name,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
    })),
    createdAt: t.createdAt,
    startedAt: t.startedAt,
    stoppingAt: t.stoppingAt,
    stoppedAt: t.stoppedAt,
    durations: t.durations,
    classification: t.classification,
    failure: t.failure,
    late,
  };
}

/**
 * One "ECS Task State Change" event: store it, print one lifecycle line, count the stop.
 * The reactions to a failure or an interruption run in their own function (taskReactions), so a burst of
 * lifecycle events never holds up a restart, and a fault in one path leaves the other working.
 * An event that is not an ECS task event throws, so Lambda's async retries and the DLQ apply.
 */
export function buildRecordTaskLifecycle(deps: TaskLifecycleDeps) {
  return async (event: unknown) => {
    const transition = toTransition(parseTaskStateChange(event));
    const outcome = await deps.recordTransition(transition);
    if (outcome.isNew) {
      deps.logger.info(lifecycleLine(transition, !outcome.isNewest));
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
