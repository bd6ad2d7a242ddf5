import type { ApiDeps } from '../../src/app/api/taskRoutes';
import type { LauncherDeps } from '../../src/app/launcher';
import type { ReactionDeps } from '../../src/app/reactions';
import type { DescribeTaskTags } from '../../src/ports';

/**
 * Dependencies a test passes because they are required but its code path does not reach: each call rejects,
 * naming what was called, so a test that starts using one says so instead of passing on a stub.
 */
const unused =
  (what: string) =>
  async (..._args: unknown[]): Promise<never> => {
    throw new Error(`${what} was called: this test passed it as unused`);
  };

export const unusedDescribeTaskTags: DescribeTaskTags = unused('describeTaskTags');

export const unusedLeases: LauncherDeps['leases'] = {
  holdLaunchLease: unused('leases.holdLaunchLease'),
  releaseLaunchLease: unused('leases.releaseLaunchLease'),
};

export const unusedBreakers: ApiDeps['breakers'] = {
  budgets: { state: unused('breakers.budgets.state'), reset: unused('breakers.budgets.reset') },
  rule: { relaunches: 10, windowMinutes: 15, cooldownMinutes: 15 },
  logger: { info: () => undefined },
};

export const unusedScheduleRuns: ReactionDeps['scheduleRuns'] = {
  leases: {
    acquireLaunchLease: unused('scheduleRuns.leases.acquireLaunchLease'),
    releaseLaunchLease: unused('scheduleRuns.leases.releaseLaunchLease'),
  },
  listRunningTasks: unused('scheduleRuns.listRunningTasks'),
  describeTaskTags: unused('scheduleRuns.describeTaskTags'),
};
