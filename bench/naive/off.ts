/**
 * A function switched off. The naive baseline is one function on every task event (restarter.ts, in place of
 * taskEvents); this takes the place of ecs-autopilot's taskReactions in that run, so only the baseline
 * restarts tasks. The diagnostic run without the lifecycle log (BENCH_MASS_WITHOUT_LOG) puts it in place of
 * taskEvents.
 */
export async function handler(): Promise<string> {
  return 'off in this run';
}
