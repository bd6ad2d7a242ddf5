import type { Logger } from '@aws-lambda-powertools/logger';
import type { LaunchRequest } from '../domain/launchRequest';
import type { TaskTransition } from '../domain/lifecycle';
import {
  countRun,
  endOf,
  type LaunchEnd,
  launchEndVerdict,
  type RunOutcome,
  type RunRef,
  runOf,
  taskEndVerdict,
} from '../domain/runOutcome';
import { SCHEDULE_STARTED_BY } from '../domain/scheduleLaunch';
import type {
  LaunchStore,
  OutgoingEvent,
  PublishEvents,
  RunOutcomeStore,
  ScheduleRun,
  ScheduleStore,
  SendScheduleTrigger,
} from '../ports';
import { LaunchNotRecordedError } from './reactions';

export interface RunOutcomeDeps {
  runs: RunOutcomeStore;
  schedules: Pick<ScheduleStore, 'get'>;
  /** The stopped task's launch record (its run) and the restart decision on it (whether a restart comes). */
  launches: Pick<LaunchStore, 'getLaunch' | 'getDecision'>;
  publishEvents: PublishEvents;
  /** Lets BufferOne's waiting run go once the run in progress has ended. */
  sendTrigger: SendScheduleTrigger;
  logger: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

/** Who pauses a schedule after pauseAfterConsecutiveFailures failed runs (pausedBy, updatedBy). */
export const SYSTEM_PAUSER = 'ecs-autopilot';

/**
 * How long an outcome's follow-ups belong to the delivery that wrote it: a concurrent duplicate leaves them to
 * it; a delivery after this (the writer crashed, Lambda retried minutes later) does them.
 */
const FOLLOW_UP_LEASE_MS = 30_000;

/** A launch record of ours may lag its task's stop by a moment; past this it is gone, not late. */
const LAUNCH_RECORD_WAIT_MS = 60 * 60_000;

const EVENT_OF: Record<RunOutcome['status'], string> = {
  SUCCEEDED: 'Scheduled Run Succeeded',
  FAILED: 'Scheduled Run Failed',
  SKIPPED: 'Scheduled Run Skipped',
};

/**
 * How a schedule's runs end. taskReactions calls taskStopped for every final STOPPED state of a schedule's
 * task, after its restart decision (so it knows whether a restart comes: a run being restarted is not FAILED
 * yet); the launcher calls launchEnded when a launch of a run has started or given up for good.
 *
 * A run's outcome is written once (a conditional write, in the same transaction as the schedule's statistics),
 * whatever the duplicated, concurrent or out-of-order deliveries: a second writer finds it written. Then, as
 * "record what is owed, do it, mark it done": the Scheduled Run Succeeded / Failed / Skipped event, the pause
 * after pauseAfterConsecutiveFailures failures in a row (Schedule Paused), and BufferOne's waiting run sent
 * on; a delivery that finds an outcome not announced (its writer crashed) does them again.
 */
export function buildRunOutcomes(deps: RunOutcomeDeps) {
  const now = deps.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();

  async function end(
    ref: RunRef,
    fields: Omit<RunOutcome, 'endedAt' | 'startedAt' | 'durationSeconds'>,
    endedAt: string,
    known?: ScheduleRun,
  ): Promise<RunOutcome | undefined> {
    const run = known ?? (await deps.runs.getRun(ref));
    // A run recorded before outcomes were, or expired with the history: nothing to end.
    if (!run) return undefined;
    if (run.outcome) {
      if (owed(run)) await followUp(ref, run);
      return run.outcome;
    }
    const schedule = await deps.schedules.get(ref.schedule);
    const outcome = endOf(fields, run.startedAt, endedAt);
    let pause = false;
    const settled = await deps.runs.settle(ref, outcome, (stats) => {
      const counted = countRun(stats, ref, outcome, schedule?.pauseAfterConsecutiveFailures);
      pause = counted.pause;
      return counted.stats;
    });
    if (!settled.first) {
      if (settled.run?.outcome && owed(settled.run)) await followUp(ref, settled.run);
      return settled.run?.outcome;
    }
    deps.logger.info(`scheduled run ${outcome.status.toLowerCase()}`, { ...ref, ...outcome });
    await followUp(ref, { ...run, outcome, announced: false }, pause ? settled.stats : undefined);
    return outcome;
  }

  /** An outcome whose follow-ups are not done and whose writer gave up on them (crashed). */
  const owed = (run: ScheduleRun) =>
    run.announced === false && now() - Date.parse(run.settledAt ?? '') >= FOLLOW_UP_LEASE_MS;

  /** The events, the pause and the waiting run an ended run owes, then marked done. */
  async function followUp(
    ref: RunRef,
    run: ScheduleRun,
    pauseAfter?: { streak?: { count: number } },
  ): Promise<void> {
    const outcome = run.outcome;
    if (!outcome) return;
    const events: OutgoingEvent[] = [
      {
        detailType: EVENT_OF[outcome.status],
        resources: [],
        detail: { ...ref, trigger: run.trigger, ...outcome },
      },
    ];
    if (pauseAfter) {
      const failures = pauseAfter.streak?.count ?? 0;
      const reason = `${failures} scheduled runs failed in a row (pauseAfterConsecutiveFailures); the last: ${outcome.reason}`;
      const paused = await deps.runs.pauseBySystem(ref.schedule, { by: SYSTEM_PAUSER, reason, at: iso() });
      if (paused) {
        deps.logger.warn('schedule paused after consecutive failures', { schedule: ref.schedule, reason });
        events.push({
          detailType: 'Schedule Paused',
          resources: [],
          detail: {
            schedule: ref.schedule,
            pausedBy: SYSTEM_PAUSER,
            reason,
            requestId: ref.requestId,
            version: paused.version,
          },
        });
      }
    }
    await deps.publishEvents(events);
    // The run in progress ended: BufferOne's waiting run (if any) may start now.
    const waiting = await deps.runs.takeBuffered(ref.schedule);
    if (waiting && waiting.requestId !== ref.requestId) {
      await deps.sendTrigger(
        {
          trigger: waiting.trigger,
          schedule: ref.schedule,
          scheduledTime: waiting.scheduledTime,
          requestId: waiting.requestId,
          ...(waiting.requestedAt && { requestedAt: waiting.requestedAt }),
        },
        0,
      );
      deps.logger.info('waiting run let go (BufferOne)', { schedule: ref.schedule, run: waiting.requestId });
    }
    await deps.runs.markAnnounced(ref);
  }

  return {
    /**
     * A task's final STOPPED state: its run SUCCEEDS once every task of it has succeeded, FAILS when one
     * failed and will not be restarted; a restart or Spot move on its way keeps it RUNNING.
     */
    async taskStopped(t: TaskTransition): Promise<RunOutcome | undefined> {
      if (t.lastStatus !== 'STOPPED' || !t.startedBy?.startsWith(SCHEDULE_STARTED_BY)) return undefined;
      const launch = await deps.launches.getLaunch(t.taskId);
      if (!launch) {
        // The launcher records a launch just after RunTask: a task can stop first. Decided once it is there.
        const createdAt = Date.parse(t.createdAt ?? t.eventTime);
        if (!(now() - createdAt > LAUNCH_RECORD_WAIT_MS)) throw new LaunchNotRecordedError(t.taskArn);
        return undefined;
      }
      const ref = runOf(launch);
      if (!ref) return undefined;
      const decision =
        t.classification === 'succeeded' ? undefined : await deps.launches.getDecision(t.taskId);
      const verdict = taskEndVerdict(t, decision);
      const endedAt = t.stoppedAt ?? t.eventTime;
      if (verdict.kind === 'continues') return undefined;
      if (verdict.kind === 'failed') {
        return end(ref, { status: 'FAILED', reason: verdict.reason, exitCodes: verdict.exitCodes }, endedAt);
      }
      const run = await deps.runs.addSucceededTask(ref, t.taskId);
      const count = run?.count ?? 1;
      if (!run || (run.succeededTaskIds?.size ?? 0) < count) return undefined;
      return end(
        ref,
        { status: 'SUCCEEDED', reason: `${count} task(s) exited 0`, exitCodes: [0] },
        endedAt,
        run,
      );
    },

    /**
     * A launch of a run ended with nothing requeued: started (the run is RUNNING from now), refused before
     * RunTask (the run's own launch: SKIPPED with why), or failed for good (FAILED).
     */
    async launchEnded(
      request: LaunchRequest,
      outcome: Omit<LaunchEnd, 'refusal'> & { events: OutgoingEvent[] },
    ) {
      const ref = runOf(request);
      if (!ref) return;
      const refusal = outcome.events.find((e) => e.detailType === 'Task Launch Failed')?.detail.cause;
      const verdict = launchEndVerdict(
        { ...outcome, ...(typeof refusal === 'string' && { refusal }) },
        request.runTask.count,
        request.requestId === ref.requestId,
      );
      if (verdict.kind === 'started') return deps.runs.markStarted(ref, iso());
      if (verdict.kind === 'skipped') {
        await end(ref, { status: 'SKIPPED', cause: verdict.cause, reason: verdict.reason }, iso());
        return;
      }
      await end(ref, { status: 'FAILED', reason: verdict.reason }, iso());
    },
  };
}

export type RunOutcomes = ReturnType<typeof buildRunOutcomes>;
