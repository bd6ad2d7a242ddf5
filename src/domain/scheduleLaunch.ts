/**
 * A schedule (or a run-now body) as a RunTask input. Apart from schedule.ts so the launcher, which shapes
 * scheduled runs, bundles neither the request schemas nor the cron parser.
 */
import type { RunTaskInput } from './launchRequest';
import type { Schedule } from './schedule';

/** What a launch needs: a schedule, or a run-now body (which may carry a group and has no name). */
export type LaunchSpec = Pick<Schedule, 'cluster' | 'taskDefinition' | 'count'> &
  Partial<
    Pick<
      Schedule,
      'name' | 'launchType' | 'capacityProviderStrategy' | 'networkConfiguration' | 'overrides' | 'tags'
    >
  > & { group?: string };

/** The startedBy prefix of every task ecs-autopilot starts: schedules' runs, restarts, Spot moves. */
export const OWN_STARTED_BY = 'ecs-autopilot/';
/** The startedBy prefix of a schedule's runs; concurrencyPolicy finds a schedule's running tasks by it. */
export const SCHEDULE_STARTED_BY = `${OWN_STARTED_BY}schedule/`;

/** Tags on every task of a schedule's run: the schedule's name, and the run (its request id). */
export const SCHEDULE_TAG = 'ecs-autopilot:schedule';
/** Restarted tasks keep it, so the tasks of one run (siblings, replacements) tell a newer run apart. */
export const SCHEDULE_RUN_TAG = 'ecs-autopilot:run';

/** startedBy allows letters, digits, -, / and _ (≤128): a schedule's tasks name the schedule. */
export function scheduleStartedBy(name: string): string {
  return `${SCHEDULE_STARTED_BY}${name.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 128);
}

/**
 * The RunTask input for one run of a schedule (or a run-now body). `resolvedTaskDefinition` replaces a bare
 * family with the revision resolved for this run (the latest ACTIVE one), so restarts repeat the same revision.
 */
export function toRunTaskInput(launch: LaunchSpec, resolvedTaskDefinition?: string): RunTaskInput {
  const input: RunTaskInput = {
    cluster: launch.cluster,
    taskDefinition: resolvedTaskDefinition ?? launch.taskDefinition,
    count: launch.count,
  };
  if (launch.launchType !== undefined) input.launchType = launch.launchType;
  if (launch.capacityProviderStrategy !== undefined) {
    input.capacityProviderStrategy = structuredClone(launch.capacityProviderStrategy);
  }
  if (launch.networkConfiguration !== undefined) {
    input.networkConfiguration = structuredClone(launch.networkConfiguration);
  }
  if (launch.overrides !== undefined) input.overrides = structuredClone(launch.overrides);
  if (launch.group !== undefined) input.group = launch.group;
  if (launch.name !== undefined) input.startedBy = scheduleStartedBy(launch.name);
  if (launch.tags !== undefined && launch.tags.length > 0) input.tags = structuredClone(launch.tags);
  return input;
}
