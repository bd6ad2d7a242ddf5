import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { RunTask } from '../adapters/ecs';
import type { PublishEvents } from '../adapters/events';
import type { SendLaunchRequest } from '../adapters/launchQueue';
import type { LaunchStore } from '../adapters/launchStore';
import {
  capacityRetryDelaySeconds,
  classifyRunTask,
  isTransientError,
  MAX_CAPACITY_RETRIES,
  type RunTaskFailure,
} from '../domain/launchOutcome';
import { clientTokenFor, type LaunchRequest, launchRequestSchema } from '../domain/launchRequest';
import { resolvePolicy } from '../domain/restartPolicy';

export interface LauncherDeps {
  runTask: RunTask;
  store: Pick<LaunchStore, 'getRequest' | 'recordLaunch' | 'recordFailure'>;
  sendLaunchRequest: SendLaunchRequest;
  publishEvents: PublishEvents;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  random?: () => number;
}

export type LaunchResult =
  | 'deferred'
  | 'already-launched'
  | 'launched'
  | 'requeued-throttled'
  | 'requeued-capacity'
  | 'gave-up';

export class InvalidLaunchRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLaunchRequestError';
  }
}

/** Detail types of the events announcing a successful launch, by reason. */
const LAUNCHED_EVENT: Record<LaunchRequest['reason'], string> = {
  restart: 'Task Restarted',
  'spot-interruption': 'Spot Fallback',
  schedule: 'Task Launched',
  'run-now': 'Task Launched',
};

/**
 * One launch request from the queue. Every path ends in exactly one of: launched (recorded once),
 * put back on the queue (later, throttled, capacity), or given up with `Task Launch Failed`.
 * Throwing leaves the message on the queue (partial batch failure), so nothing is lost.
 */
export function buildLaunchRecord(deps: LauncherDeps) {
  const random = deps.random ?? Math.random;

  const requeue = (request: LaunchRequest, delaySeconds: number) =>
    deps.sendLaunchRequest(request, delaySeconds);

  async function giveUp(request: LaunchRequest, failures: RunTaskFailure[] | string): Promise<LaunchResult> {
    const list = typeof failures === 'string' ? [{ reason: failures }] : failures;
    await deps.store.recordFailure(request, list);
    deps.logger.warn('launch failed', { requestId: request.requestId, failures: list });
    await deps.publishEvents([
      {
        detailType: 'Task Launch Failed',
        resources: request.lineage?.previousTaskArn ? [request.lineage.previousTaskArn] : [],
        detail: {
          requestId: request.requestId,
          reason: request.reason,
          cluster: request.runTask.cluster,
          taskDefinition: request.runTask.taskDefinition,
          failures: list,
          willRetry: false,
          capacityRetries: request.capacityRetries,
          originTaskArn: request.lineage?.originTaskArn,
          ...request.context,
        },
      },
    ]);
    return 'gave-up';
  }

  return async (request: LaunchRequest): Promise<LaunchResult> => {
    if (request.deferSeconds > 0) {
      // A wait longer than SQS can delay in one hop: another hop.
      await deps.sendLaunchRequest({ ...request, deferSeconds: 0 }, request.deferSeconds);
      return 'deferred';
    }
    if (await deps.store.getRequest(request)) return 'already-launched';

    let result: Awaited<ReturnType<RunTask>>;
    try {
      result = await deps.runTask(request.runTask, clientTokenFor(request));
    } catch (error) {
      if (isTransientError(error)) {
        // Throttled or ECS-side fault: back on the queue, spread over a few seconds. Never dropped.
        await requeue(request, 1 + Math.round(random() * 4));
        deps.logger.info('launch throttled, requeued', {
          requestId: request.requestId,
          error: (error as Error).name,
        });
        return 'requeued-throttled';
      }
      return giveUp(request, `${(error as Error).name}: ${(error as Error).message}`);
    }

    const outcome = classifyRunTask(result.taskArns, result.failures);
    if (outcome.taskArns.length > 0) {
      const { first } = await deps.store.recordLaunch(request, outcome.taskArns);
      if (first) {
        deps.logger.info('launched', {
          requestId: request.requestId,
          reason: request.reason,
          taskArns: outcome.taskArns,
        });
        await deps.publishEvents([
          {
            detailType: LAUNCHED_EVENT[request.reason],
            resources: outcome.taskArns,
            detail: {
              requestId: request.requestId,
              reason: request.reason,
              cluster: request.runTask.cluster,
              taskDefinition: request.runTask.taskDefinition,
              taskArns: outcome.taskArns,
              attempt: request.lineage?.attempt,
              originTaskArn: request.lineage?.originTaskArn,
              replacedTaskArn: request.lineage?.previousTaskArn,
              ...request.context,
            },
          },
        ]);
      }
    }
    if (outcome.failures.length === 0) return 'launched';

    const missing = request.runTask.count - outcome.taskArns.length;
    if (outcome.kind === 'capacity' && request.capacityRetries < MAX_CAPACITY_RETRIES && missing > 0) {
      const retry = request.capacityRetries + 1;
      const delay = capacityRetryDelaySeconds(retry, resolvePolicy(request.policy), random);
      await requeue(
        { ...request, capacityRetries: retry, runTask: { ...request.runTask, count: missing } },
        delay,
      );
      deps.logger.info('no capacity, launch requeued', {
        requestId: request.requestId,
        retry,
        delaySeconds: delay,
      });
      await deps.publishEvents([
        {
          detailType: 'Task Launch Failed',
          resources: [],
          detail: {
            requestId: request.requestId,
            reason: request.reason,
            cluster: request.runTask.cluster,
            taskDefinition: request.runTask.taskDefinition,
            failures: outcome.failures,
            willRetry: true,
            retryInSeconds: delay,
            capacityRetries: retry,
            ...request.context,
          },
        },
      ]);
      return 'requeued-capacity';
    }
    return giveUp(request, outcome.failures);
  };
}

/** Parses an SQS record into a launch request; a malformed one throws (it goes to the DLQ after retries). */
export function parseLaunchRecord(record: Pick<SQSRecord, 'body'>): LaunchRequest {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new InvalidLaunchRequestError('launch request is not JSON');
  }
  const parsed = launchRequestSchema.safeParse(body);
  if (!parsed.success) throw new InvalidLaunchRequestError(`invalid launch request: ${parsed.error.message}`);
  return parsed.data;
}
