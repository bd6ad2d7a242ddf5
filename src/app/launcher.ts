import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { applyLateTags } from '../domain/lateTags';
import {
  assignTasks,
  formGroup,
  groupRequests,
  type LaunchGroup,
  lineageTagsOf,
  MAX_TASKS_PER_CALL,
} from '../domain/launchGroup';
import {
  capacityRetryDelaySeconds,
  classifyRunTask,
  isTransientError,
  MAX_CAPACITY_RETRIES,
  type RunTaskFailure,
} from '../domain/launchOutcome';
import { type LaunchRequest, launchRequestSchema } from '../domain/launchRequest';
import { leaseHold } from '../domain/leases';
import { ECS_BUCKETS, shareOf, TokenBucket, throttleDelayMs } from '../domain/pacing';
import { resolvePolicy } from '../domain/restartPolicy';
import { type SpotMapping, spotProvidersOf, toOnDemand } from '../domain/spotFallback';
import { missedStartingDeadline } from '../domain/startingDeadline';
import { lastArnSegment } from '../domain/taskEvent';
import { AutopilotError, type AutopilotErrorOptions } from '../errors';
import {
  type DescribeTaskTags,
  isClaim,
  type LaunchStore,
  type OutgoingEvent,
  type PublishEvents,
  type RequestOutcome,
  type RunTask,
  type ScheduleStore,
  type ScheduleTrigger,
  type SendLaunchRequest,
  type SendTagJob,
  type SpotShortages,
  type TagTasksJob,
} from '../ports';
import * as z from '../zod';
import { buildFollowUps } from './followUps';
import { Gathering } from './gathering';
import type { LaunchGuard } from './launchGuard';
import type { RunOutcomes } from './runOutcomes';

export interface LauncherDeps {
  runTask: RunTask;
  /** For requests whose decision could not read the failed task's tags (LaunchRequest.tagsOf). */
  describeTaskTags: DescribeTaskTags;
  store: Pick<
    LaunchStore,
    | 'getOutcome'
    | 'recordOutcome'
    | 'markOutcomeDone'
    | 'claimGroup'
    | 'getGroup'
    | 'releaseGroup'
    | 'recordGroup'
  >;
  sendLaunchRequest: SendLaunchRequest;
  /** A batched launch's lineage tags, added off the launch's path (a job on the launch queue). */
  sendTagJob: SendTagJob;
  publishEvents: PublishEvents;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Spot provider -> on-demand provider, per cluster, for launches Spot capacity cannot take. */
  spotMapping?: SpotMapping;
  /** Spot shortages seen lately, shared by every launcher: launches go on-demand at once meanwhile. */
  spotShortages: SpotShortages;
  /** Schedules' launch leases, for the runs that hold one (LaunchRequest.launchLease). */
  leases: Pick<ScheduleStore, 'holdLaunchLease' | 'releaseLaunchLease'>;
  /** What may be launched, and how many: checked before any ECS call (src/app/launchGuard.ts). */
  guard: Pick<LaunchGuard, 'verify' | 'admit'>;
  /** A count for the stage's alarms and dashboard (LaunchThrottled: ECS throttled a RunTask call). */
  countMetric: (name: string) => void;
  pacing: LaunchPacing;
  /** A schedule's run learns how its launches ended (src/app/runOutcomes.ts). */
  runs: Pick<RunOutcomes, 'launchEnded'>;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LaunchPacing {
  /** The share of the account's RunTask bucket the launchers may use together (0 to 1). */
  runTaskShare: number;
  /** How many launcher instances run at once (the queue's maximum concurrency): each takes its part. */
  instances: number;
  /** How long a Spot shortage sends launches for that provider straight to on-demand. */
  spotShortageSeconds: number;
  /** The longest a group waits in process for ECS's buckets before it goes back on the queue. */
  maxInlineWaitMs?: number;
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

/** How long a delivery that lost the record of its group waits for the winner to finish its members' follow-ups. */
const OWNER_LOOKS = 3;
const OWNER_WAIT_MS = 500;

/** One Spot probe per shortage in this long: a launch tries Spot, and its success ends the shortage early. */
export const SPOT_PROBE_EVERY_MS = 30_000;

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

/** A record's launch, handed to the batch's gathering: a request to group, or a member of a claimed group. */
interface Pending {
  request: LaunchRequest;
  /** The group this request was claimed for before (a redelivery): it launches with that group again. */
  rejoin?: string;
  resolve: (result: LaunchResult) => void;
  reject: (error: unknown) => void;
}

/** The launches of one SQS batch, gathered so that requests can share RunTask calls (src/app/gathering.ts). */
export type LaunchBatch = Gathering<Pending>;

/**
 * One launch request from the queue. Requests that reach RunTask together in a batch and differ only in
 * lineage are grouped: the group (members, input, clientToken) and a claim per member are written before
 * RunTask, so a redelivery of any member, however the batch is regrouped, launches with the same group and
 * token and ECS starts nothing twice. Each RunTask call ends in one recorded outcome per member (launched,
 * requeued for capacity, or given up), written in one transaction with the follow-ups it owes (a retry to
 * enqueue, events to publish, lineage tags to add); the follow-ups run after the record and are marked
 * done, so a redelivery finishes them without a second RunTask. Throwing leaves the message on the queue.
 */
export function buildLaunch(deps: LauncherDeps) {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxInlineWaitMs = deps.pacing.maxInlineWaitMs ?? 8_000;
  const doOwed = buildFollowUps(deps);
  /** This instance's part of the account's RunTask bucket: the account's deployments keep the rest. */
  const runTaskCalls = (() => {
    const part = shareOf(ECS_BUCKETS.runTask, deps.pacing.runTaskShare, deps.pacing.instances);
    return new TokenBucket(part.burst, part.perSecond, now());
  })();

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
      // The shortage is announced once for its cool-down (Spot Fallback, cause spot-capacity), not per task.
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

  /** Sends the retry an outcome owes, its tag job, and publishes its events, then marks it done. */
  function finish(request: LaunchRequest, outcome: RequestOutcome | Outcome) {
    return doOwed(
      { send: outcome.requeue, events: outcome.events },
      () => deps.store.markOutcomeDone(request),
      {
        // Parked before it is sent, so the lease cannot lapse while the retry waits.
        beforeSend: (send) => keepLease(send.request, send.delaySeconds),
        afterPublish: async () => {
          if (outcome.tag) await deps.sendTagJob(outcome.tag, 0);
          // Launched or given up: the schedule's next run may start.
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

  /** Throttled or an ECS-side fault: back on the queue after the wait ECS's buckets need, never dropped. */
  async function requeueThrottled(request: LaunchRequest, error: unknown, delayMs: number) {
    const delaySeconds = Math.ceil(delayMs / 1000);
    await keepLease(request, delaySeconds);
    await deps.sendLaunchRequest(request, delaySeconds);
    deps.logger.info('launch throttled, requeued', {
      requestId: request.requestId,
      error: (error as Error).name,
      delaySeconds,
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
        deps.countMetric('LaunchThrottled');
        await requeueThrottled(request, error, throttleDelayMs(1, 1, random));
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

  /**
   * A launch for a Spot provider that is short of capacity (remembered by a launcher lately) goes to its
   * on-demand counterpart at once, except the one probe in each SPOT_PROBE_EVERY_MS that tries Spot again.
   * Its clientToken stays: nothing was sent to ECS for it yet (a request reaches RunTask only through a
   * claim, and a redelivery of a claimed one launches with the claimed input).
   */
  async function avoidingShortages(request: LaunchRequest): Promise<LaunchRequest> {
    const cluster = lastArnSegment(request.runTask.cluster);
    const mapping = deps.spotMapping ?? {};
    if (request.capacityRetries >= MAX_CAPACITY_RETRIES) return request;
    for (const provider of spotProvidersOf(request.runTask, cluster, mapping)) {
      const shortage = await deps.spotShortages.current(cluster, provider);
      if (!shortage) continue;
      if (
        now() >= shortage.probeAfter &&
        (await deps.spotShortages.takeProbe(shortage, now() + SPOT_PROBE_EVERY_MS))
      )
        return request;
      const onDemand = toOnDemand(request.runTask, cluster, mapping);
      if (!onDemand) return request;
      deps.logger.info('Spot short of capacity lately: launching on-demand', {
        requestId: request.requestId,
        provider,
        until: new Date(shortage.until).toISOString(),
      });
      return { ...request, runTask: onDemand };
    }
    return request;
  }

  /** A Spot launch of the group failed for capacity: remembered for the cool-down, announced once. */
  async function rememberShortage(group: LaunchGroup): Promise<OutgoingEvent[]> {
    const cluster = lastArnSegment(group.runTask.cluster);
    const events: OutgoingEvent[] = [];
    for (const provider of spotProvidersOf(group.runTask, cluster, deps.spotMapping ?? {})) {
      const until = now() + deps.pacing.spotShortageSeconds * 1000;
      const { started } = await deps.spotShortages.remember({
        cluster,
        provider,
        until,
        probeAfter: now() + SPOT_PROBE_EVERY_MS,
      });
      if (!started) continue;
      const onDemand = toOnDemand(group.runTask, cluster, deps.spotMapping ?? {});
      events.push({
        detailType: 'Spot Fallback',
        resources: [],
        detail: {
          cause: 'spot-capacity',
          cluster: group.runTask.cluster,
          capacityProvider: provider,
          from: group.runTask.capacityProviderStrategy,
          to: onDemand?.capacityProviderStrategy,
          until: new Date(until).toISOString(),
          taskDefinition: group.runTask.taskDefinition,
        },
      });
    }
    return events;
  }

  /** A Spot launch went through: a shortage remembered for its providers is over. */
  async function forgetShortage(group: LaunchGroup) {
    const cluster = lastArnSegment(group.runTask.cluster);
    for (const provider of spotProvidersOf(group.runTask, cluster, deps.spotMapping ?? {})) {
      if (await deps.spotShortages.current(cluster, provider)) {
        await deps.spotShortages.forget(cluster, provider);
        deps.logger.info('Spot took a launch again: shortage over', { cluster, provider });
      }
    }
  }

  /**
   * The group's RunTask, paced by this instance's part of the RunTask bucket and waiting out ECS's throttling
   * in process for a while (the wait the launch-rate bucket needs, doubling in a row). Undefined: it waited
   * long enough; the caller requeues its members (they are claimed: they come back to this group and token).
   */
  async function callRunTask(group: LaunchGroup) {
    // The whole time in process counts, the calls' own included: a group holds its SQS batch meanwhile.
    const started = now();
    // A run with a starting deadline waits in process no later than it (then comes back and is SKIPPED).
    const startBy = Math.min(
      ...group.members.map((m) =>
        m.startBy === undefined ? Number.POSITIVE_INFINITY : Date.parse(m.startBy),
      ),
    );
    // Only ThrottlingException so far: ECS started nothing for this group (a 5xx may have started tasks).
    let onlyThrottled = true;
    for (let throttles = 0; ; ) {
      const wait = runTaskCalls.reserve(1, now());
      if (wait > 0) await sleep(wait);
      try {
        return { result: await deps.runTask(group.runTask, group.clientToken) };
      } catch (error) {
        if (!isTransientError(error)) return { error };
        throttles++;
        onlyThrottled &&= (error as Error).name === 'ThrottlingException';
        deps.countMetric('LaunchThrottled');
        const delayMs = throttleDelayMs(group.runTask.count, throttles, random);
        if (now() - started + delayMs > maxInlineWaitMs || now() + delayMs > startBy)
          return { throttled: error, delayMs, onlyThrottled };
        await sleep(delayMs);
      }
    }
  }

  /**
   * Launches a claimed group and records what each member came to; `local` are the members whose records
   * this delivery holds (a redelivered member launches its whole group: the others are recorded too, and
   * their own deliveries find them done).
   */
  async function runGroup(group: LaunchGroup, local: Pending[], fresh = false) {
    const call = await callRunTask(group);
    if ('throttled' in call) {
      // A group claimed here that ECS only throttled started nothing: its claim goes, and the requests come
      // back as new ones (a run's starting deadline is checked again). Otherwise the retry reuses the claim,
      // so a call that did start tasks is not repeated.
      if (fresh && call.onlyThrottled && local.length === group.members.length)
        await deps.store.releaseGroup(group);
      await Promise.all(
        local.map(async (p) => {
          await requeueThrottled(p.request, call.throttled, call.delayMs ?? 1000);
          p.resolve('requeued-throttled');
        }),
      );
      return;
    }
    const answer =
      'error' in call
        ? {
            taskArns: [],
            failures: [{ reason: `${(call.error as Error).name}: ${(call.error as Error).message}` }],
          }
        : call.result;
    const shares = assignTasks(group, answer.taskArns);
    const outcomes = group.members.map((member, i) => {
      const mine = shares[i] ?? [];
      if ('error' in call) {
        return {
          status: 'failed',
          taskArns: [],
          failures: answer.failures,
          events: [launchFailed(member, answer.failures)],
        } satisfies Outcome;
      }
      return outcomeOf(member, mine, mine.length < member.runTask.count ? answer.failures : []);
    });
    const spotShort =
      answer.taskArns.length < group.runTask.count &&
      classifyRunTask([], answer.failures).kind === 'capacity';
    const first = outcomes[0];
    if (first) {
      if (spotShort) first.events.push(...(await rememberShortage(group)));
      else if (answer.taskArns.length > 0) await forgetShortage(group);
      // A batched call carries no lineage tags: the tasks get them after, off the launch's path.
      const tag = group.members.length > 1 ? tagJobOf(group, shares) : undefined;
      if (tag) first.tag = tag;
    }
    const recorded = await deps.store.recordGroup(group, outcomes);
    deps.logger.info('launch group recorded', {
      groupId: group.groupId,
      members: group.members.length,
      launched: answer.taskArns.length,
      failures: answer.failures,
      replayed: recorded.some((r) => !r.first),
    });
    // This delivery recorded the group: it owes every member's follow-ups (the members' own deliveries find them
    // done). Another delivery recorded it first: that one is doing them; a member of ours not done after a
    // while (it crashed) is finished here, so nothing owed is lost.
    const mine = new Set(local.map((p) => memberKeyOf(p.request)));
    await Promise.all(
      group.members.map(async (member, i) => {
        const record = recorded[i];
        if (!record || record.outcome.done) return;
        if (record.first) await finish(member, record.outcome);
        else if (mine.has(memberKeyOf(member))) await finishUnlessOwnerDoes(member, record.outcome);
      }),
    );
    for (const p of local) {
      const i = group.members.findIndex((m) => memberKeyOf(m) === memberKeyOf(p.request));
      const record = recorded[i];
      if (!record) p.reject(new Error(`${memberKeyOf(p.request)} is not a member of ${group.groupId}`));
      else p.resolve(record.first ? resultOf(record.outcome) : 'replayed');
    }
  }

  /** A member another delivery recorded: its follow-ups are that one's, unless they are still not done later. */
  async function finishUnlessOwnerDoes(member: LaunchRequest, outcome: RequestOutcome) {
    for (let look = 0; look < OWNER_LOOKS; look++) {
      await sleep(OWNER_WAIT_MS);
      const now = await deps.store.getOutcome(member);
      if (!now || isClaim(now) || now.done) return;
    }
    await finish(member, outcome);
  }

  /** A redelivered member's group, read back: it launches with that group's input and clientToken. */
  async function rejoin(groupId: string, local: Pending[]) {
    const group = await deps.store.getGroup(groupId);
    if (!group) throw new Error(`launch group ${groupId} is claimed but gone`);
    await runGroup(group, local);
  }

  /** Claims groups for fresh requests (a member another group holds launches with that one) and runs them. */
  async function claimAndRun(fresh: Pending[]): Promise<void> {
    const runs: Promise<void>[] = [];
    let open = fresh;
    // Each round either claims every group or finds members claimed elsewhere and regroups the rest.
    for (let round = 0; open.length > 0 && round <= MAX_TASKS_PER_CALL; round++) {
      const retry: Pending[] = [];
      await Promise.all(
        groupRequests(open.map((p) => p.request)).map(async (members) => {
          const group = formGroup(members);
          const mine = open.filter((p) => members.includes(p.request));
          const claim = await deps.store.claimGroup(group);
          if (claim.claimed) {
            runs.push(runGroup(group, mine, true));
            return;
          }
          for (const p of mine) {
            const taken = claim.taken.get(memberKeyOf(p.request));
            if (!taken) retry.push(p);
            else if (isClaim(taken)) runs.push(rejoin(taken.groupId, [p]));
            else runs.push(replayRecorded(p, taken));
          }
        }),
      );
      open = retry;
    }
    for (const p of open) p.reject(new Error(`could not claim a launch group for ${memberKeyOf(p.request)}`));
    await Promise.all(runs);
  }

  /** A member recorded before (another delivery won): its follow-ups finished, nothing launched again. */
  async function replayRecorded(p: Pending, outcome: RequestOutcome) {
    if (!outcome.done) await finish(p.request, outcome);
    p.resolve('replayed');
  }

  /** The gathered launches of a batch: each claimed group runs once, the fresh ones grouped and claimed. */
  function launchTogether(items: Pending[]) {
    const settle = (work: Promise<void>, of: Pending[]) =>
      work.catch((error) => {
        for (const p of of) p.reject(error);
      });
    const byGroup = new Map<string, Pending[]>();
    const fresh = new Map<string, Pending>();
    for (const item of items) {
      if (item.rejoin) byGroup.set(item.rejoin, [...(byGroup.get(item.rejoin) ?? []), item]);
      else {
        // The same message delivered twice in one batch: one launch, the copy replays it.
        const key = memberKeyOf(item.request);
        const leader = fresh.get(key);
        if (!leader) fresh.set(key, item);
        else
          fresh.set(key, {
            ...leader,
            resolve: (result) => {
              leader.resolve(result);
              item.resolve('replayed');
            },
            reject: (error) => {
              leader.reject(error);
              item.reject(error);
            },
          });
      }
    }
    for (const [groupId, local] of byGroup) void settle(rejoin(groupId, local), local);
    const leaders = [...fresh.values()];
    if (leaders.length > 0) void settle(claimAndRun(leaders), leaders);
  }

  /** Hands a launch to the batch (or, alone, launches it now) and waits for what it came to. */
  function submit(batch: LaunchBatch | undefined, item: Omit<Pending, 'resolve' | 'reject'>) {
    return new Promise<LaunchResult>((resolve, reject) => {
      const pending = { ...item, resolve, reject };
      if (batch) batch.add(pending);
      else launchTogether([pending]);
    }).finally(() => batch?.resume());
  }

  const launch = async (request: LaunchRequest, batch?: LaunchBatch): Promise<LaunchResult> => {
    if (request.deferSeconds > 0) {
      // A wait longer than SQS can delay in one hop: another hop.
      await deps.sendLaunchRequest({ ...request, deferSeconds: 0 }, request.deferSeconds);
      return 'deferred';
    }
    const known = await deps.store.getOutcome(request);
    if (isClaim(known)) return submit(batch, { request, rejoin: known.groupId });
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

    return submit(batch, { request: await avoidingShortages(request) });
  };
  /** A gathering for the `records` messages of one SQS batch, every one counted as working from the start. */
  const newBatch = (records: number): LaunchBatch => new Gathering(records, launchTogether);
  return Object.assign(launch, { newBatch });
}

/** The launcher's name for a member: its request and capacity retry (the outcome marker's key). */
const memberKeyOf = (r: Pick<LaunchRequest, 'requestId' | 'capacityRetries'>) =>
  `${r.requestId}#${r.capacityRetries}`;

/** The lineage tags of each launched task of a batched group (they are not on the RunTask call). */
function tagJobOf(group: LaunchGroup, shares: string[][]): TagTasksJob | undefined {
  const tasks = group.members.flatMap((member, i) => {
    const tags = lineageTagsOf(member);
    return tags.length > 0 ? (shares[i] ?? []).map((taskArn) => ({ taskArn, tags })) : [];
  });
  return tasks.length > 0 ? { cluster: group.runTask.cluster, tasks } : undefined;
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

const tagJobSchema = z.object({
  tagTasks: z.object({
    cluster: z.string().check(z.minLength(1)),
    tasks: z
      .array(
        z.object({
          taskArn: z.string().check(z.minLength(1)),
          tags: z.array(z.object({ key: z.string(), value: z.string() })).check(z.maxLength(50)),
        }),
      )
      .check(z.minLength(1), z.maxLength(MAX_TASKS_PER_CALL)),
  }),
});

export type QueueMessage =
  | { kind: 'request'; request: LaunchRequest }
  | { kind: 'trigger'; trigger: ScheduleTrigger }
  | { kind: 'tag'; job: TagTasksJob };

/**
 * A queue message is a launch request, a schedule's due time (sent by EventBridge Scheduler), or the lineage
 * tags of a batched launch's tasks.
 */
export function parseQueueMessage(record: Pick<SQSRecord, 'body'>): QueueMessage {
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
  if (typeof body === 'object' && body !== null && 'tagTasks' in body) {
    const job = tagJobSchema.safeParse(body);
    if (!job.success)
      throw new InvalidLaunchRequestError(`invalid tag job: ${job.error.message}`, { cause: job.error });
    return { kind: 'tag', job: job.data.tagTasks };
  }
  return { kind: 'request', request: parseLaunchRequestMessage(record) };
}
