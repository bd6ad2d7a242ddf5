/**
 * The naive baseline is one function on every task event (restarter.ts, in place of taskEvents); this
 * takes the place of ecs-autopilot's taskReactions in that run, so only the baseline restarts tasks.
 */
export async function handler(): Promise<string> {
  return 'off: the naive baseline restarts tasks in this run';
}
