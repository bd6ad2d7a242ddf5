/**
 * How a schedule's run ends, as pure rules: what the end of one of its tasks means for it (succeeded, failed
 * for good, or a restart still to come), what the end of one of its launches means (started, failed for good,
 * or skipped before RunTask: deadline, budget, allowlist, another run), and what an ended run does to the
 * schedule's statistics (last run, streak, last success) and to pauseAfterConsecutiveFailures.
 *
 * Outcome state machine of a run (the run item, src/adapters/runOutcomes.ts):
 *   WAITING (BufferOne: due while a run was in progress) -> PENDING | SKIPPED
 *   PENDING (launch requested) -> RUNNING (a task started) | SKIPPED (missed, refused) | FAILED (launch failed)
 *   RUNNING -> SUCCEEDED (every task of the run ended with all essential containers at exit 0, restarts
 *   included) | FAILED (a task failed and will not be restarted: restarts exhausted, not restartable,
 *   stopped) ; a task that failed and is being restarted keeps the run RUNNING.
 * The outcome (SUCCEEDED, FAILED, SKIPPED at launch) is written once, by a conditional write.
 */
import type { TaskTransition } from './lifecycle';
import { SCHEDULE_RUN_TAG, SCHEDULE_TAG } from './scheduleLaunch';

export const RUN_OUTCOMES = ['SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
export type RunOutcomeStatus = (typeof RUN_OUTCOMES)[number];

/** Why a run was skipped: its concurrencyPolicy, a PAUSED schedule, the allowlist, its deadline, a budget. */
export const SKIP_CAUSES = ['overlap', 'paused', 'allowlist', 'deadline', 'budget'] as const;
export type SkipCause = (typeof SKIP_CAUSES)[number];

/** A run's end, written once. */
export interface RunOutcome {
  status: RunOutcomeStatus;
  reason: string;
  cause?: SkipCause;
  /** The exit codes of the failed task's attempts (a FAILED run), oldest first. */
  exitCodes?: number[];
  startedAt?: string;
  endedAt: string;
  durationSeconds?: number;
}

/** Which run a task or launch belongs to: the keys of its run item. */
export interface RunRef {
  schedule: string;
  scheduledTime: string;
  requestId: string;
}

/**
 * The run of a launch: its request's context names the schedule and due time (restarts and Spot moves keep
 * it), its run tag the run's request id. Undefined for launches that are not a schedule's.
 */
export function runOf(launch: {
  runTask: { tags?: { key: string; value: string }[] };
  context?: Record<string, string>;
}): RunRef | undefined {
  const tag = (key: string) => launch.runTask.tags?.find((t) => t.key === key)?.value;
  const schedule = launch.context?.schedule ?? tag(SCHEDULE_TAG);
  const scheduledTime = launch.context?.scheduledTime;
  const requestId = tag(SCHEDULE_RUN_TAG);
  if (!schedule || !scheduledTime || !requestId) return undefined;
  return { schedule, scheduledTime, requestId };
}

/** The decision the reactions recorded on a failed task (DecisionRecord), as far as a run's end reads it. */
export interface DecisionView {
  action: string;
  reason?: string;
  provisional?: boolean;
  chain?: { exitCode?: number }[];
  maxAttempts?: number;
}

/** What the final STOPPED state of one task of a run means for the run. */
export type TaskEndVerdict =
  | { kind: 'succeeded' }
  | { kind: 'continues'; why: string }
  | { kind: 'failed'; reason: string; exitCodes: number[] };

const exitCodesOf = (t: Pick<TaskTransition, 'failure' | 'containers'>): number[] => {
  if (t.failure?.exitCode !== undefined) return [t.failure.exitCode];
  return t.containers.flatMap((c) => (c.exitCode !== undefined && c.exitCode !== 0 ? [c.exitCode] : []));
};

/**
 * A task of a run stopped: succeeded (every essential container exited 0), or failed for good (the decision
 * on it gave up, relaunches nothing, or there is none: stopped by a user or a Replace), or the run goes on (a
 * restart or a Spot move is on its way, or a provisional verdict may still become one).
 */
export function taskEndVerdict(
  t: Pick<TaskTransition, 'lastStatus' | 'classification' | 'failure' | 'containers' | 'stoppedReason'>,
  decision: DecisionView | undefined,
): TaskEndVerdict {
  if (t.lastStatus !== 'STOPPED') return { kind: 'continues', why: 'the task has not stopped' };
  if (t.classification === 'succeeded') return { kind: 'succeeded' };
  if (decision?.action === 'restart' || decision?.action === 'spot-fallback')
    return { kind: 'continues', why: `a ${decision.action} is on its way` };
  if (decision?.provisional)
    return { kind: 'continues', why: 'a later event of the task may still restart it' };
  if (decision?.action === 'give-up') {
    const chain = (decision.chain ?? []).flatMap((a) => (a.exitCode === undefined ? [] : [a.exitCode]));
    const reason =
      decision.reason === 'exhausted'
        ? `restarts exhausted (${decision.maxAttempts ?? chain.length - 1} attempt(s))`
        : `not restarted: ${decision.reason ?? 'restart policy'}`;
    return { kind: 'failed', reason, exitCodes: chain.length > 0 ? chain : exitCodesOf(t) };
  }
  const why = decision?.reason ?? t.stoppedReason ?? t.classification;
  return {
    kind: 'failed',
    reason: `${t.classification === 'failed' || t.classification === 'failed-to-start' ? 'failed' : 'stopped'}: ${why}`,
    exitCodes: exitCodesOf(t),
  };
}

/** What one launch of a run came to (a recorded launch outcome with no retry still owed). */
export interface LaunchEnd {
  status: 'launched' | 'failed' | 'requeued';
  taskArns: string[];
  failures?: unknown[];
  /** Task Launch Failed's cause when ecs-autopilot did not call RunTask (launcher.ts LaunchFailureCause). */
  refusal?: string;
}

export type LaunchEndVerdict =
  | { kind: 'started' }
  | { kind: 'failed'; reason: string }
  | { kind: 'skipped'; cause: SkipCause; reason: string };

const reasonsOf = (failures: unknown[] | undefined) =>
  (failures ?? [])
    .map((f) => (f as { reason?: string; detail?: string }).reason ?? 'unknown')
    .filter((r, i, all) => all.indexOf(r) === i)
    .join('; ');

const REFUSAL_CAUSES: Record<string, SkipCause> = {
  deadline: 'deadline',
  budget: 'budget',
  allowlist: 'allowlist',
  superseded: 'overlap',
};

/**
 * A launch of a run ended (nothing requeued). `firstLaunch`: the run's own launch, not a restart's. A first
 * launch refused before RunTask (past its deadline, over a budget, off the allowlist, superseded by another
 * run) is SKIPPED: nothing of it ever ran; a relaunch refused, or RunTask failing for good, FAILS the run.
 */
export function launchEndVerdict(end: LaunchEnd, count: number, firstLaunch: boolean): LaunchEndVerdict {
  const reasons = reasonsOf(end.failures);
  if (end.status === 'launched') {
    if (end.taskArns.length >= count || reasons === '') return { kind: 'started' };
    return {
      kind: 'failed',
      reason: `${count - end.taskArns.length} of ${count} task(s) could not start: ${reasons}`,
    };
  }
  const cause = end.refusal === undefined ? undefined : REFUSAL_CAUSES[end.refusal];
  if (cause && firstLaunch) return { kind: 'skipped', cause, reason: reasons };
  return {
    kind: 'failed',
    reason: `${firstLaunch ? 'launch' : 'relaunch'} failed: ${reasons || 'not launched'}`,
  };
}

/** A schedule's run statistics (the STATS item): what GET /schedules/{name} shows, and the pause count. */
export interface RunStats {
  /** One more per outcome counted (the condition of the next write). */
  seq: number;
  lastRun?: { requestId: string; scheduledTime: string } & Pick<
    RunOutcome,
    'status' | 'reason' | 'cause' | 'endedAt'
  >;
  /** Runs in a row that ended the same way, SUCCEEDED or FAILED (skipped runs neither break nor extend it). */
  streak?: { status: 'SUCCEEDED' | 'FAILED'; count: number };
  lastSuccessAt?: string;
  /** FAILED runs in a row since the last success or the last pause by the system. */
  failuresTowardPause: number;
}

export const NO_STATS: RunStats = { seq: 0, failuresTowardPause: 0 };

/**
 * The statistics after one more run ended, and whether the schedule must now be paused: its
 * pauseAfterConsecutiveFailures-th failure in a row (counted again from 0 once it is paused, so a resumed
 * schedule pauses again only after N new failures).
 */
export function countRun(
  stats: RunStats,
  run: Pick<RunRef, 'requestId' | 'scheduledTime'>,
  outcome: RunOutcome,
  pauseAfterConsecutiveFailures: number | undefined,
): { stats: RunStats; pause: boolean } {
  const next: RunStats = {
    ...stats,
    seq: stats.seq + 1,
    lastRun: {
      requestId: run.requestId,
      scheduledTime: run.scheduledTime,
      status: outcome.status,
      reason: outcome.reason,
      ...(outcome.cause && { cause: outcome.cause }),
      endedAt: outcome.endedAt,
    },
  };
  if (outcome.status === 'SKIPPED') return { stats: next, pause: false };
  next.streak =
    stats.streak?.status === outcome.status
      ? { status: outcome.status, count: stats.streak.count + 1 }
      : { status: outcome.status, count: 1 };
  if (outcome.status === 'SUCCEEDED') {
    next.lastSuccessAt = outcome.endedAt;
    next.failuresTowardPause = 0;
    return { stats: next, pause: false };
  }
  const failures = stats.failuresTowardPause + 1;
  const pause = pauseAfterConsecutiveFailures !== undefined && failures >= pauseAfterConsecutiveFailures;
  next.failuresTowardPause = pause ? 0 : failures;
  return { stats: next, pause };
}

/** The outcome of a run that ended at `endedAt`, with its duration when it started. */
export function endOf(
  fields: Omit<RunOutcome, 'endedAt' | 'startedAt' | 'durationSeconds'>,
  startedAt: string | undefined,
  endedAt: string,
): RunOutcome {
  const duration =
    startedAt === undefined ? Number.NaN : (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
  return {
    ...fields,
    ...(startedAt !== undefined && { startedAt }),
    endedAt,
    ...(Number.isFinite(duration) && duration >= 0 && { durationSeconds: Math.round(duration) }),
  };
}

/** The status a run shows: its outcome once written, else what its launch is doing. */
export type ShownRunStatus = 'WAITING' | 'PENDING' | 'RUNNING' | RunOutcomeStatus;
export function shownRunStatus(
  run: { status: 'PENDING' | 'SKIPPED' | 'WAITING'; outcome?: Pick<RunOutcome, 'status'> },
  launch: 'PENDING' | 'LAUNCHED' | 'FAILED' | undefined,
): ShownRunStatus {
  if (run.outcome) return run.outcome.status;
  if (run.status !== 'PENDING') return run.status;
  if (launch === 'LAUNCHED') return 'RUNNING';
  return launch ?? 'PENDING';
}
