import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { applyLateTags } from '../domain/lateTags';
import {
  capacityRetryDelaySeconds,
  classifyRunTask,
  isTransientError,
  MAX_CAPACITY_RETRIES,
  type RunTaskFailure,
} from '../domain/launchOutcome';
import { clientTokenFor, type LaunchRequest, launchRequestSchema } from '../domain/launchRequest';
import { leaseHold } from '../domain/leases';
import { resolvePolicy } from '../domain/restartPolicy';
import { type SpotMapping, toOnDemand } from '../domain/spotFallback';
import { missedStartingDeadline } from '../domain/startingDeadline';
import { lastArnSegment } from '../domain/taskEvent';
import { AutopilotError, type AutopilotErrorOptions } from '../errors';
import type {
  DescribeTaskTags,
  LaunchStore,
  OutgoingEvent,
  PublishEvents,
  RequestOutcome,
  RunTask,
  ScheduleStore,
  ScheduleTrigger,
  SendLaunchRequest,
} from '../ports';
import * as z from '../zod';
import { buildFollowUps } from './followUps';
import type { LaunchGuard } from './launchGuard';
import type { RunOutcomes } from './runOutcomes';

export interface LauncherDeps {
  runTask: RunTask;
  /** For requests whose decision could not read the failed task's tags (LaunchRequest.tagsOf). */
  describeTaskTags: DescribeTaskTags;
  store: Pick<LaunchStore, 'getOutcome' | 'recordOutcome' | 'markOutcomeDone'>;
  sendLaunchRequest: SendLaunchRequest;
  publishEvents: PublishEvents;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Spot provider -> on-demand provider, per cluster, for launches Spot capacity cannot take. */
  spotMapping?: SpotMapping;
  /** Schedules' launch leases, for the runs that hold one (LaunchRequest.launchLease). */
  leases: Pick<ScheduleStore, 'holdLaunchLease' | 'releaseLaunchLease'>;
  /** What may be launched, and how many: checked before any ECS call (src/app/launchGuard.ts). */
  guard: Pick<LaunchGuard, 'verify' | 'admit'>;
  /** A count for the stage's alarms and dashboard (LaunchThrottled: ECS throttled a RunTask, requeued). */
  countMetric: (name: string) => void;
  /** A schedule's run learns how its launches ended (src/app/runOutcomes.ts). */
  runs: Pick<RunOutcomes, 'launchEnded'>;
  random?: () => number;
}

export type LaunchResult =
  | 'deferred'
  | 'paused'
  | 'replayed'
  | 'launched'
  | 'requeued-throttled'
  | 'requeued-capacity'
  | 'gave-up';

export class InvalidLaunchRequestError extends AutopilotError {
  constructor(message: string, options?: AutopilotErrorOptions) {
    super(message, options);
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

type Outcome = Omit<RequestOutcome, 'done' | 'at'>;

/** Capacity was short: what started is recorded, and the rest goes back on the queue as `retry`. */
const requeued = (
  taskArns: string[],
  failures: RunTaskFailure[],
  events: OutgoingEvent[],
  retry: LaunchRequest,
  delaySeconds = 0,
): Outcome => ({
  status: taskArns.length > 0 ? 'launched' : 'requeued',
  taskArns,
  failures,
  events,
  requeue: { request: retry, delaySeconds },
});

const summary = (request: LaunchRequest) => ({
  requestId: request.requestId,
  reason: request.reason,
  cluster: request.runTask.cluster,
  taskDefinition: request.runTask.taskDefinition,
  originTaskArn: request.lineage?.originTaskArn,
  ...request.context,
});

/**
 * Why a launch did not start (Task Launch Failed's `cause`; its `reason` names why the launch was made):
 * RunTask refused it, or ecs-autopilot did not call RunTask (a budget, the allowlist, the task's opt-out tag,
 * another run of its schedule).
 */
export type LaunchFailureCause = 'runtask' | 'budget' | 'allowlist' | 'opt-out' | 'superseded' | 'deadline';

function launchFailed(
  request: LaunchRequest,
  failures: RunTaskFailure[],
  retry?: { delaySeconds: number },
  refusal: { cause: LaunchFailureCause; budget?: string } = { cause: 'runtask' },
): OutgoingEvent {
  return {
    detailType: 'Task Launch Failed',
    resources: request.lineage?.previousTaskArn ? [request.lineage.previousTaskArn] : [],
    detail: {
      ...summary(request),
      ...refusal,
      failures,
      willRetry: retry !== undefined,
      ...(retry && { retryInSeconds: retry.delaySeconds }),
      capacityRetries: request.capacityRetries + (retry ? 1 : 0),
    },
  };
}

/**
 * One launch request from the queue. Each RunTask attempt ends in one recorded outcome (launched,
 * requeued for capacity, or given up), written once with the follow-ups it owes (a retry to enqueue,
 * events to publish); the follow-ups run after the record and are marked done, so a redelivery
 * finishes them without a second RunTask. Throwing leaves the message on the queue: nothing is lost.
 */
export function buildLaunch(deps: LauncherDeps) {
  const random = deps.random ?? Math.random;
  const doOwed = buildFollowUps(deps);

  /**
   * A run holding its schedule's launch lease keeps it while it waits on the queue (`waitSeconds`, plus the
   * usual margin), and checks it still holds it before RunTask. False: the lease is gone or another's (a
   * Replace took it over, or it expired while the launcher was down): this run must not launch.
   */
  async function keepLease(request: LaunchRequest, waitSeconds?: number): Promise<boolean> {
    if (!request.launchLease) return true;
    return deps.leases.holdLaunchLease(
      request.launchLease.schedule,
      request.requestId,
      leaseHold(waitSeconds),
    );
  }

  /** The run launched or gave up: the next run of its schedule may start. */
  async function releaseLease(request: LaunchRequest) {
    if (request.launchLease)
      await deps.leases.releaseLaunchLease(request.launchLease.schedule, request.requestId);
  }

  /** What a RunTask answer means for this request, as a recordable outcome. */
  function outcomeOf(request: LaunchRequest, taskArns: string[], failures: RunTaskFailure[]): Outcome {
    const outcome = classifyRunTask(taskArns, failures);
    const events: OutgoingEvent[] = [];
    if (taskArns.length > 0) {
      events.push({
        detailType: LAUNCHED_EVENT[request.reason],
        resources: taskArns,
        detail: {
          ...summary(request),
          taskArns,
          attempt: request.lineage?.attempt,
          replacedTaskArn: request.lineage?.previousTaskArn,
        },
      });
    }
    if (failures.length === 0) return { status: 'launched', taskArns, events };
    const missing = request.runTask.count - taskArns.length;
    const clusterName = lastArnSegment(request.runTask.cluster);
    const onDemand =
      outcome.kind === 'capacity'
        ? toOnDemand(request.runTask, clusterName, deps.spotMapping ?? {})
        : undefined;
    if (onDemand && missing > 0 && request.capacityRetries < MAX_CAPACITY_RETRIES) {
      // Spot has no capacity: the same launch on on-demand at once (a new clientToken: the parameters differ).
      events.push({
        detailType: 'Spot Fallback',
        resources: [],
        detail: {
          ...summary(request),
          cause: 'spot-capacity',
          failures,
          from: request.runTask.capacityProviderStrategy,
          to: onDemand.capacityProviderStrategy,
        },
      });
      return requeued(taskArns, failures, events, {
        ...request,
        capacityRetries: request.capacityRetries + 1,
        runTask: { ...onDemand, count: missing },
      });
    }
    if (outcome.kind === 'capacity' && request.capacityRetries < MAX_CAPACITY_RETRIES && missing > 0) {
      const retry = request.capacityRetries + 1;
      const delaySeconds = capacityRetryDelaySeconds(retry, resolvePolicy(request.policy), random);
      events.push(launchFailed(request, failures, { delaySeconds }));
      return requeued(
        taskArns,
        failures,
        events,
        { ...request, capacityRetries: retry, runTask: { ...request.runTask, count: missing } },
        delaySeconds,
      );
    }
    events.push(launchFailed(request, failures));
    return { status: taskArns.length > 0 ? 'launched' : 'failed', taskArns, failures, events };
  }

  /** Sends the retry an outcome owes and publishes its events, then marks it done. */
  function finish(request: LaunchRequest, outcome: RequestOutcome | Outcome) {
    return doOwed(
      { send: outcome.requeue, events: outcome.events },
      () => deps.store.markOutcomeDone(request),
      {
        // Parked before it is sent, so the lease cannot lapse while the retry waits.
        beforeSend: (send) => keepLease(send.request, send.delaySeconds),
        // Launched or given up: the schedule's next run may start.
        afterPublish: async () => {
          if (!outcome.requeue) await releaseLease(request);
          if (!outcome.requeue) await deps.runs.launchEnded(request, outcome);
        },
      },
    );
  }

  const resultOf = (o: Outcome): LaunchResult =>
    o.requeue ? 'requeued-capacity' : o.status === 'launched' ? 'launched' : 'gave-up';

  /** Gives the request up before RunTask, recording and announcing why (once, as any outcome). */
  async function notLaunched(
    request: LaunchRequest,
    why: string,
    logMessage: string,
    refusal: { cause: LaunchFailureCause; budget?: string },
  ): Promise<LaunchResult> {
    const failures = [{ reason: `not launched: ${why}` }];
    const outcome: Outcome = {
      status: 'failed',
      taskArns: [],
      failures,
      events: [launchFailed(request, failures, undefined, refusal)],
    };
    const recorded = await deps.store.recordOutcome(request, outcome);
    deps.logger.info(logMessage, { requestId: request.requestId, reason: why });
    if (!recorded.outcome.done) await finish(request, recorded.outcome);
    return recorded.first ? 'gave-up' : 'replayed';
  }

  /** Throttled or an ECS-side fault: back on the queue, spread over a few seconds, never dropped. */
  async function requeueThrottled(request: LaunchRequest, error: unknown) {
    const delaySeconds = 1 + Math.round(random() * 4);
    await keepLease(request, delaySeconds);
    await deps.sendLaunchRequest(request, delaySeconds);
    deps.countMetric('LaunchThrottled');
    deps.logger.info('launch throttled, requeued', {
      requestId: request.requestId,
      error: (error as Error).name,
    });
  }

  /**
   * The failed task's tags, read now because the decision could not. Throttled: back on the queue like a
   * throttled RunTask. Gone (stopped tasks are described for about an hour): launched without them.
   */
  async function readLateTags(request: LaunchRequest, taskArn: string) {
    try {
      const tags = await deps.describeTaskTags(request.runTask.cluster, taskArn);
      return applyLateTags(request, tags);
    } catch (error) {
      if (isTransientError(error)) {
        await requeueThrottled(request, error);
        return 'requeued' as const;
      }
      deps.logger.warn("could not read the failed task's tags; launching without them", {
        requestId: request.requestId,
        taskArn,
        error,
      });
      const { tagsOf: _unread, ...rest } = request;
      return { request: rest };
    }
  }

  return async (request: LaunchRequest): Promise<LaunchResult> => {
    if (request.deferSeconds > 0) {
      // A wait longer than SQS can delay in one hop: another hop.
      await deps.sendLaunchRequest({ ...request, deferSeconds: 0 }, request.deferSeconds);
      return 'deferred';
    }
    const known = await deps.store.getOutcome(request);
    if (known) {
      if (!known.done) await finish(request, known);
      // A redelivered run that had ended: its trigger took the lease again, which no launch will free.
      else if (!known.requeue) await releaseLease(request);
      return 'replayed';
    }

    // Before any ECS call: a message that no part of ecs-autopilot sent as it is throws (to the DLQ).
    const verified = await deps.guard.verify(request);
    if (verified.action === 'refuse') {
      return notLaunched(request, verified.why, 'launch refused by the allowlist', { cause: 'allowlist' });
    }

    if (!(await keepLease(request))) {
      return notLaunched(
        request,
        `schedule ${request.launchLease?.schedule} started another run while this one waited (its launch lease is no longer this run's)`,
        'launch superseded by another run of its schedule',
        { cause: 'superseded' },
      );
    }

    const missed = missedStartingDeadline(request, Date.now());
    if (missed)
      return notLaunched(request, missed, 'launch missed its starting deadline', { cause: 'deadline' });

    if (request.tagsOf) {
      const read = await readLateTags(request, request.tagsOf);
      if (read === 'requeued') return 'requeued-throttled';
      if ('refuse' in read) {
        return notLaunched(request, read.refuse, "launch refused by the failed task's tags", {
          cause: 'opt-out',
        });
      }
      request = read.request;
    }

    const admitted = await deps.guard.admit(request);
    if (admitted.action === 'refuse') {
      return notLaunched(request, admitted.why, 'launch refused by a budget', {
        cause: 'budget',
        ...(admitted.budget && { budget: admitted.budget }),
      });
    }
    if (admitted.action === 'pause') {
      const { delaySeconds } = admitted;
      await keepLease(request, delaySeconds);
      await deps.sendLaunchRequest(request, delaySeconds);
      deps.logger.info('launch paused', { requestId: request.requestId, reason: admitted.why, delaySeconds });
      return 'paused';
    }

    let outcome: Outcome;
    try {
      const result = await deps.runTask(request.runTask, clientTokenFor(request));
      outcome = outcomeOf(request, result.taskArns, result.failures);
    } catch (error) {
      if (isTransientError(error)) {
        // A retry reuses the clientToken, so a call that did start a task is not repeated.
        await requeueThrottled(request, error);
        return 'requeued-throttled';
      }
      const failures = [{ reason: `${(error as Error).name}: ${(error as Error).message}` }];
      outcome = { status: 'failed', taskArns: [], failures, events: [launchFailed(request, failures)] };
    }

    const recorded = await deps.store.recordOutcome(request, outcome);
    const log = outcome.status === 'failed' ? deps.logger.warn : deps.logger.info;
    log.call(deps.logger, `launch ${resultOf(recorded.outcome)}`, {
      requestId: request.requestId,
      reason: request.reason,
      taskArns: recorded.outcome.taskArns,
      failures: recorded.outcome.failures,
    });
    if (!recorded.outcome.done) await finish(request, recorded.outcome);
    return recorded.first ? resultOf(outcome) : 'replayed';
  };
}

/** Parses an SQS record into a launch request; a malformed one throws (it goes to the DLQ after retries). */
export function parseLaunchRequestMessage(record: Pick<SQSRecord, 'body'>): LaunchRequest {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidLaunchRequestError('launch request is not JSON', { cause: error });
  }
  const parsed = launchRequestSchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidLaunchRequestError(`invalid launch request: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  return parsed.data;
}

const triggerSchema = z.object({
  trigger: z.enum(['schedule', 'manual', 'backfill']),
  schedule: z.string().check(z.minLength(1), z.maxLength(64)),
  scheduledTime: z.iso.datetime({ offset: true }),
  requestedAt: z.optional(z.iso.datetime({ offset: true })),
  requestId: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** A queue message is a launch request, or a schedule's due time (sent by EventBridge Scheduler). */
export function parseQueueMessage(
  record: Pick<SQSRecord, 'body'>,
): { kind: 'request'; request: LaunchRequest } | { kind: 'trigger'; trigger: ScheduleTrigger } {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidLaunchRequestError('launch request is not JSON', { cause: error });
  }
  if (typeof body === 'object' && body !== null && 'trigger' in body) {
    const trigger = triggerSchema.safeParse(body);
    if (!trigger.success)
      throw new InvalidLaunchRequestError(`invalid schedule trigger: ${trigger.error.message}`, {
        cause: trigger.error,
      });
    return { kind: 'trigger', trigger: trigger.data };
  }
  return { kind: 'request', request: parseLaunchRequestMessage(record) };
}
