import type { ClusterRouteKey } from '../../src/app/api/clusterRoutes';
import type { RouteHandlers } from '../../src/app/api/routes';
import type { ScheduleApiDeps } from '../../src/app/api/scheduleRoutes';
import type { ApiDeps } from '../../src/app/api/taskRoutes';
import type { LauncherDeps } from '../../src/app/launcher';
import type { ReactionDeps } from '../../src/app/reactions';
import type { RunOutcomeDeps } from '../../src/app/runOutcomes';
import type { ScheduledRunDeps } from '../../src/app/scheduledRun';
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

/** A schedule's waiting run (BufferOne): only a BufferOne schedule reaches it. */
export const unusedBuffer: ScheduledRunDeps['buffer'] = {
  buffer: unused('buffer.buffer'),
  takeBuffered: unused('buffer.takeBuffered'),
};

/** How runs end (taskReactions): a task that is not a schedule's never reaches a store. */
export const unusedRunOutcomes: RunOutcomeDeps = {
  runs: {
    getRun: unused('runs.getRun'),
    markStarted: unused('runs.markStarted'),
    addSucceededTask: unused('runs.addSucceededTask'),
    settle: unused('runs.settle'),
    markAnnounced: unused('runs.markAnnounced'),
    getStats: unused('runs.getStats'),
    pauseBySystem: unused('runs.pauseBySystem'),
    buffer: unused('runs.buffer'),
    takeBuffered: unused('runs.takeBuffered'),
    recordedRunIds: unused('runs.recordedRunIds'),
  },
  schedules: { get: unused('schedules.get') },
  launches: { getLaunch: unused('launches.getLaunch'), getDecision: unused('launches.getDecision') },
  publishEvents: unused('publishEvents'),
  sendTrigger: unused('sendTrigger'),
  logger: { info: () => undefined, warn: () => undefined },
};

/**
 * For launcher tests that are not about how a schedule's run ends (test/unit/runOutcomes.test.ts is): the
 * launcher tells every ended launch, and these tests do not follow the run.
 */
export const ignoredRunEnds: LauncherDeps['runs'] = { launchEnded: async () => undefined };

/** A schedule API whose schedules have no run statistics yet, and backfills that send nothing. */
export const noRunStats: ScheduleApiDeps['runs'] = { getStats: async () => undefined };
export const unusedBackfill: ScheduleApiDeps['backfill'] = {
  maxRuns: 24,
  recordedRunIds: unused('backfill.recordedRunIds'),
  sendTrigger: unused('backfill.sendTrigger'),
};

/** The cluster routes, for API tests of other routes (their own tests: clusterRoutes.test.ts). */
export const unusedClusterRoutes: Pick<RouteHandlers, ClusterRouteKey> = {
  'GET /clusters/{cluster}': unused('GET /clusters/{cluster}'),
  'GET /clusters/{cluster}/capacity': unused('GET /clusters/{cluster}/capacity'),
  'POST /tasks/{taskId}/stop': unused('POST /tasks/{taskId}/stop'),
  'PATCH /services/{cluster}/{service}': unused('PATCH /services/{cluster}/{service}'),
  'POST /services/{cluster}/{service}/redeploy': unused('POST /services/{cluster}/{service}/redeploy'),
};
