import type { Logger } from '@aws-lambda-powertools/logger';
import { isSpotInterruption } from '../domain/classify';
import { unreadTagsVerdict } from '../domain/lateTags';
import type { LaunchRequest } from '../domain/launchRequest';
import { leaseHold } from '../domain/leases';
import { isServiceTask, type TaskTransition } from '../domain/lifecycle';
import {
  decideRestart,
  mayNeedRestart,
  type NetworkDefaults,
  type RestartDecision,
} from '../domain/restartDecision';
import { type PartialRestartPolicy, policyFromTags } from '../domain/restartPolicy';
import { OWN_STARTED_BY, SCHEDULE_RUN_TAG, scheduleStartedBy } from '../domain/scheduleLaunch';
import { decideSpotFallback, type SpotDecision, type SpotMapping } from '../domain/spotFallback';
import type { TaskDetail } from '../domain/taskEvent';
import { AutopilotError } from '../errors';
import type {
  DecisionRecord,
  DescribeTaskTags,
  LaunchStore,
  ListRunningTasks,
  OutgoingEvent,
  PublishEvents,
  ScheduleStore,
  SendLaunchRequest,
} from '../ports';
import { buildFollowUps } from './followUps';

export interface ReactionConfig {
  defaultPolicy?: PartialRestartPolicy;
  familyPolicies: Record<string, PartialRestartPolicy>;
  networkDefaults: NetworkDefaults;
  /** Spot provider -> on-demand provider, per cluster (FARGATE_SPOT -> FARGATE is built in). */
  spotMapping?: SpotMapping;
  /** Families whose standalone tasks are not moved off Spot. */
  spotOptOutFamilies?: ReadonlySet<string>;
}

export interface ReactionDeps {
  store: Pick<LaunchStore, 'getLaunch' | 'getDecision' | 'putDecision' | 'markDecisionDone'>;
  describeTaskTags: DescribeTaskTags;
  sendLaunchRequest: SendLaunchRequest;
  publishEvents: PublishEvents;
  config: ReactionConfig;
  logger: Pick<Logger, 'info' | 'warn'>;
  countDecision: (action: string, family: string) => void;
  /** For restarts of a Forbid or Replace schedule's runs (their requests carry launchLease). */
  scheduleRuns: {
    leases: Pick<ScheduleStore, 'acquireLaunchLease' | 'releaseLaunchLease'>;
    listRunningTasks: ListRunningTasks;
    /** The schedule's running tasks' tags: which run each belongs to. */
    describeTaskTags: DescribeTaskTags;
  };
  now?: () => number;
  random?: () => number;
}

/** How long the follow-ups of a decision not done yet belong to the delivery that took it (ownerGaveUp). */
const FOLLOW_UP_LEASE_MS = 30_000;

/**
 * The decision cannot be taken yet, and will be once what it waits for is there: thrown so the event is
 * tried again soon (taskReactions puts it on its retry queue), not dropped and not decided on a guess.
 */
export class DecideLaterError extends AutopilotError {
  override name = 'DecideLaterError';
}

/** The decision depends on tags ECS would not tell (throttled). */
export class TagsUnreadError extends DecideLaterError {
  constructor(taskArn: string, cause?: unknown) {
    super(`could not read the tags of ${taskArn}, which decide whether it may restart; retry`, {
      cause,
      context: { taskArn },
    });
    this.name = 'TagsUnreadError';
  }
}

/**
 * A task ecs-autopilot started (its startedBy says so) whose launch record is not written yet: the launcher
 * records it just after RunTask, so a task that fails at once can stop first. Deciding without the record
 * would lose its lineage and restart a replacement as a new origin (attempts counted from 0 again, a loop):
 * decided once the record is there.
 */
export class LaunchNotRecordedError extends DecideLaterError {
  constructor(taskArn: string) {
    super(`${taskArn} was started by ecs-autopilot but its launch is not recorded yet; retry`, {
      context: { taskArn },
    });
    this.name = 'LaunchNotRecordedError';
  }
}

/** Past this age a missing launch record is not late but gone (it expired with the history): decide on tags. */
const LAUNCH_RECORD_WAIT_MS = 60 * 60_000;

/**
 * The automatic reactions to one task state change, taken once per task (a conditional write):
 * a Spot interruption of a standalone task moves it to on-demand at once (on the warning or the stop,
 * whichever arrives first); the final STOPPED state of a failed standalone task restarts it by policy.
 * Duplicate and concurrent deliveries find the decision and do nothing new; the launcher's clientToken and
 * outcome marker make a resend after a crash start no second task.
 */
export function buildReactions(deps: ReactionDeps) {
  const now = deps.now ?? Date.now;
  const doOwed = buildFollowUps(deps);
  return async (
    t: TaskTransition,
    detail: TaskDetail,
    /** The EC2 Spot warning names an instance, not its tasks: the caller knows they are being interrupted. */
    options: { spotInterrupted?: boolean } = {},
  ): Promise<RestartDecision | SpotDecision | undefined> => {
    const spot = (options.spotInterrupted || isSpotInterruption(detail)) && !isServiceTask(t);
    if (!spot && !mayNeedRestart(t)) return undefined;
    // Every later event of an interrupted or failed task lands here too: a decided task costs one read.
    const earlier = await deps.store.getDecision(t.taskId);
    // A provisional verdict (not restartable yet) is decided again: the configuration may allow it now.
    if (earlier && !earlier.provisional) {
      if (ownerGaveUp(earlier)) await followUp(t.taskId, earlier);
      return undefined;
    }

    const launch = await deps.store.getLaunch(t.taskId);
    if (!launch && t.startedBy?.startsWith(OWN_STARTED_BY)) {
      const createdAt = Date.parse(t.createdAt ?? t.eventTime);
      if (!(now() - createdAt > LAUNCH_RECORD_WAIT_MS)) throw new LaunchNotRecordedError(t.taskArn);
    }
    /** Why the tags could not be read, when they could not. */
    let tagsUnread: { error: unknown } | undefined;
    // Tags are read from ECS only for failed tasks launched elsewhere; our own launches recorded them.
    const tags = launch
      ? Object.fromEntries((launch.runTask.tags ?? []).map((tag) => [tag.key, tag.value]))
      : await deps.describeTaskTags(t.clusterArn, t.taskArn).catch((error) => {
          // A mass failure throttles DescribeTasks. Deciding now keeps the restart; the launcher reads the
          // tags before RunTask (retrying through the queue) and honours an opt-out then.
          deps.logger.warn('could not read task tags; the launcher reads them before launching', {
            taskArn: t.taskArn,
            error,
          });
          tagsUnread = { error };
          return {} as Record<string, string>;
        });
    const decision: RestartDecision | SpotDecision = spot
      ? decideSpotFallback({
          ...t,
          detail,
          launch,
          tags,
          optOutFamilies: deps.config.spotOptOutFamilies ?? new Set(),
          mapping: deps.config.spotMapping ?? {},
          networkDefaults: deps.config.networkDefaults,
        })
      : decideRestart({
          transition: t,
          detail,
          launch,
          tags,
          tagPolicy: policyFromTags(tags),
          familyPolicy: deps.config.familyPolicies[t.family],
          defaultPolicy: deps.config.defaultPolicy,
          networkDefaults: deps.config.networkDefaults,
          random: deps.random,
        });
    if (decision.action === 'none') {
      // Recorded for Spot only: an interrupted task sends several more events, each would ask ECS for tags again.
      if (spot) await recordNone(t, decision.reason);
      return decision;
    }

    if (tagsUnread) {
      const verdict = unreadTagsVerdict(decision);
      if (verdict === 'read-at-launch' && 'request' in decision) decision.request.tagsOf = t.taskArn;
      // Decide later, with the tags: the event is retried.
      if (verdict === 'decide-later') throw new TagsUnreadError(t.taskArn, tagsUnread.error);
    }
    const schedule =
      (decision.action === 'restart' || decision.action === 'spot-fallback') &&
      decision.request.launchLease?.schedule;
    if (schedule) {
      const delaySeconds = decision.action === 'restart' ? decision.delaySeconds : 0;
      const why = await claimScheduleRun(t, schedule, decision.request, delaySeconds);
      if (why) {
        // Recorded, so a later delivery (when the newer run may be over) does not relaunch it either.
        if (await recordNone(t, why))
          deps.logger.info('restart decision: none', { taskArn: t.taskArn, reason: why });
        return { action: 'none', reason: why };
      }
    }
    // Still not restartable: the provisional verdict recorded before stands, nothing new to record or log.
    if (earlier && decision.action === 'not-restartable') return decision;
    const base = {
      taskArn: t.taskArn,
      cluster: t.cluster,
      family: t.family,
      taskDefinition: t.taskDefinition,
    };
    const record: DecisionRecord = {
      taskArn: t.taskArn,
      action: decision.action,
      reason: 'reason' in decision ? decision.reason : undefined,
      decidedAt: new Date(now()).toISOString(),
      ...(decision.action === 'restart' && {
        delaySeconds: decision.delaySeconds,
        attempt: decision.request.lineage?.attempt,
        infrastructure: decision.infrastructure,
        request: decision.request,
      }),
      ...(decision.action === 'spot-fallback' && { delaySeconds: 0, request: decision.request }),
      ...((decision.action === 'restart' || decision.action === 'spot-fallback') &&
        decision.withoutValuesOf && {
          note: `relaunched without the values of ${decision.withoutValuesOf.join(', ')}: this stage does not store environment override values (storeOverrideValues false)`,
        }),
      ...(decision.action === 'give-up' && { chain: decision.chain, originTaskArn: decision.originTaskArn }),
      ...('policy' in decision && { maxAttempts: decision.policy.maxAttempts }),
      events: announce(decision, t, base),
      done: false,
      ...(decision.action === 'not-restartable' && { provisional: true }),
    };
    const put = await deps.store.putDecision(t.taskId, record);
    if (!put.created) {
      // Decided before. If that delivery stopped before its follow-ups were done, finish them; resending is
      // safe (the launcher's clientToken and outcome marker start no second task).
      if (ownerGaveUp(put.existing)) await followUp(t.taskId, put.existing);
      return decision;
    }
    deps.countDecision(decision.action, t.family);
    const log = decision.action === 'not-restartable' ? deps.logger.warn : deps.logger.info;
    log.call(deps.logger, `restart decision: ${decision.action}`, {
      ...base,
      reason: record.reason,
      attempt: record.attempt,
      delaySeconds: record.delaySeconds,
      ...(decision.action === 'not-restartable' && {
        hint: 'set the networkDefaults stage parameter for this cluster; a later event of the task is decided again',
      }),
    });
    await followUp(t.taskId, record);
    return decision;
  };

  /** Records that nothing is done for this task, once; true when this delivery recorded it. */
  async function recordNone(t: TaskTransition, reason: string): Promise<boolean> {
    const put = await deps.store.putDecision(t.taskId, {
      taskArn: t.taskArn,
      action: 'none',
      reason,
      decidedAt: new Date(now()).toISOString(),
      events: [],
      done: true,
    });
    return put.created;
  }

  /**
   * A failed or interrupted run of a Forbid or Replace schedule is relaunched only while it is still the
   * schedule's run. Its relaunch takes the schedule's launch lease, parked for the backoff, so a due time
   * meanwhile sees a run starting (Forbid skips it, Replace takes the lease over and the relaunch gives up).
   * A run that started after this task stopped and before this decision wins: no relaunch. Returns why not,
   * or undefined when the relaunch holds the lease (the launcher frees it once the task has started).
   */
  async function claimScheduleRun(
    t: TaskTransition,
    schedule: string,
    request: LaunchRequest,
    delaySeconds: number,
  ): Promise<string | undefined> {
    const { leases, listRunningTasks, describeTaskTags } = deps.scheduleRuns;
    if (!(await leases.acquireLaunchLease(schedule, request.requestId, { hold: leaseHold(delaySeconds) })))
      return `another run of schedule ${schedule} is starting`;
    const newer = await newerRunTasks(t, schedule, request, listRunningTasks, describeTaskTags);
    if (newer.length === 0) return undefined;
    await leases.releaseLaunchLease(schedule, request.requestId);
    return `a newer run of schedule ${schedule} is running (${newer.length} task(s))`;
  }

  /**
   * The schedule's running tasks that belong to another run than the failed task's (by the run tag): the
   * failed task's siblings and their replacements are its own run. Tasks launched before runs were tagged
   * cannot be told apart, so they count as this run.
   */
  async function newerRunTasks(
    t: TaskTransition,
    schedule: string,
    request: LaunchRequest,
    listRunningTasks: ListRunningTasks,
    describeTaskTags: DescribeTaskTags,
  ): Promise<string[]> {
    const others = (await listRunningTasks(t.clusterArn, scheduleStartedBy(schedule))).filter(
      (arn) => arn !== t.taskArn,
    );
    const thisRun = request.runTask.tags?.find((tag) => tag.key === SCHEDULE_RUN_TAG)?.value;
    if (others.length === 0 || thisRun === undefined) return [];
    const runs = await Promise.all(
      others.map(async (arn) => (await describeTaskTags(t.clusterArn, arn))[SCHEDULE_RUN_TAG]),
    );
    return others.filter((_, i) => runs[i] !== undefined && runs[i] !== thisRun);
  }

  /**
   * A decision not done yet is either in flight in a concurrent delivery or left by a crash. Its follow-ups
   * are finished by another delivery only after a lease, so a concurrent duplicate does not repeat them;
   * Lambda retries a crashed delivery minutes later, well after the lease.
   */
  function ownerGaveUp(decision: DecisionRecord): boolean {
    return !decision.done && now() - Date.parse(decision.decidedAt) >= FOLLOW_UP_LEASE_MS;
  }

  /** Sends the launch request (unless its replacement runs already), publishes the events, marks it done. */
  function followUp(taskId: string, record: DecisionRecord) {
    const send =
      record.request && !record.replacementTaskArns
        ? { request: record.request, delaySeconds: record.delaySeconds ?? 0 }
        : undefined;
    return doOwed({ send, events: record.events }, () => deps.store.markDecisionDone(taskId));
  }
}

function announce(
  decision: RestartDecision | SpotDecision,
  t: TaskTransition,
  base: Record<string, unknown>,
): OutgoingEvent[] {
  switch (decision.action) {
    case 'restart':
      return [
        {
          detailType: 'Task Restart Scheduled',
          resources: [t.taskArn],
          detail: {
            ...base,
            attempt: decision.request.lineage?.attempt,
            maxAttempts: decision.policy.maxAttempts,
            delaySeconds: decision.delaySeconds,
            infrastructure: decision.infrastructure,
            originTaskArn: decision.request.lineage?.originTaskArn,
            exitCode: t.failure?.exitCode,
            stopCode: t.stopCode,
            stoppedReason: t.stoppedReason,
          },
        },
      ];
    case 'give-up':
      // A task whose policy says "never" is not news; every other give-up is.
      return decision.reason === 'restart disabled'
        ? []
        : [
            {
              detailType: 'Task Restart Exhausted',
              resources: [t.taskArn],
              detail: {
                ...base,
                reason: decision.reason,
                originTaskArn: decision.originTaskArn,
                attempts: decision.chain,
              },
            },
          ];
    default:
      return [];
  }
}
