import type { Logger } from '@aws-lambda-powertools/logger';
import { type TaskTransition, toTransition } from '../domain/lifecycle';
import { backoffSeconds, DEFAULT_POLICY } from '../domain/restartPolicy';
import { parseTaskStateChange, type TaskDetail } from '../domain/taskEvent';
import type { SendReactionRetry } from '../ports';
import { DecideLaterError } from './reactions';

export interface ReactToTaskEventDeps {
  /** The restart and Spot fallback decision (src/app/reactions.ts), idempotent per task. */
  react: (t: TaskTransition, detail: TaskDetail) => Promise<unknown>;
  /** Puts an event whose decision must wait (DecideLaterError) on the retry queue, delayed. */
  retryLater: SendReactionRetry;
  /** After the decision: a schedule's run learns its task ended (src/app/runOutcomes.ts). */
  runEnded: (t: TaskTransition) => Promise<unknown>;
  logger: Pick<Logger, 'info'>;
  random?: () => number;
}

/** Tries of one event's decision before its error is left to SQS (redrive to the DLQ): 8 to 16 minutes. */
export const REACTION_MAX_ATTEMPTS = 20;

/**
 * Seconds before retry n (n >= 1): the restart backoff's doubling with equal jitter, from 1-2 s to a cap of
 * 30-60 s. Most waits are short (a launch record written a moment later, a burst of throttled tag reads);
 * the jitter spreads a throttled wave.
 */
const REACTION_RETRY_POLICY = {
  ...DEFAULT_POLICY,
  backoff: { baseSeconds: 2, factor: 2, maxSeconds: 60, jitter: true },
};
export function reactionRetryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  return backoffSeconds(REACTION_RETRY_POLICY, attempt, random);
}

/** The states a reaction is decided on: the final STOPPED, or a Spot interruption (warning included). */
export function needsReaction(t: Pick<TaskTransition, 'lastStatus' | 'classification'>): boolean {
  return t.lastStatus === 'STOPPED' || t.classification === 'spot-interrupted';
}

/**
 * One "ECS Task State Change" event that may call for a reaction (its EventBridge rule only passes STOPPED
 * tasks and Spot interruptions; anything else is ignored here too). Reactions run for duplicates as well, so
 * a delivery retried after a crash finishes what it started; they are idempotent (one conditional decision
 * per task). An event that is not an ECS task event throws, so Lambda's async retries and the DLQ apply.
 *
 * A decision that must wait (tags ECS throttled, a launch not recorded yet) goes on the retry queue and
 * comes back within seconds, for up to REACTION_MAX_ATTEMPTS tries: Lambda's own async retries would come
 * one and three minutes later, and then drop it into the DLQ. `attempt` is the try (0: from EventBridge).
 */
export function buildReactToTaskEvent(deps: ReactToTaskEventDeps) {
  const random = deps.random ?? Math.random;
  return async (event: unknown, attempt = 0) => {
    const parsed = parseTaskStateChange(event);
    const transition = toTransition(parsed);
    if (!needsReaction(transition)) return undefined;
    try {
      const decided = await deps.react(transition, parsed.detail);
      // After the decision, so a task being restarted does not end its run.
      await deps.runEnded(transition);
      return decided;
    } catch (error) {
      if (!(error instanceof DecideLaterError) || attempt >= REACTION_MAX_ATTEMPTS) throw error;
      const next = attempt + 1;
      const delaySeconds = reactionRetryDelaySeconds(next, random);
      await deps.retryLater({ attempt: next, event }, delaySeconds);
      deps.logger.info('reaction waits; event put on the retry queue', {
        taskArn: transition.taskArn,
        reason: error.message,
        attempt: next,
        delaySeconds,
      });
      return { retry: { attempt: next, delaySeconds, reason: error.message } };
    }
  };
}
