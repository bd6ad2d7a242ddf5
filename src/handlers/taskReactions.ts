import { type TaskTransition, toTransition } from '../domain/lifecycle';
import { parseTaskStateChange, type TaskDetail } from '../domain/taskEvent';

export interface TaskReactionsDeps {
  /** The restart and Spot fallback decision (src/handlers/restart.ts), idempotent per task. */
  react: (t: TaskTransition, detail: TaskDetail) => Promise<unknown>;
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
 */
export function buildTaskReactionsHandler(deps: TaskReactionsDeps) {
  return async (event: unknown) => {
    const parsed = parseTaskStateChange(event);
    const transition = toTransition(parsed);
    if (!needsReaction(transition)) return undefined;
    return deps.react(transition, parsed.detail);
  };
}
