import {
  buildBatchedDescribeTaskTags,
  buildListRunningTasks,
  buildRunTask,
  buildStopTasks,
  buildTagTask,
} from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest, buildSendTagJob } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildRunOutcomeStore } from '../../src/adapters/runOutcomes';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildSendScheduleTrigger } from '../../src/adapters/scheduleTriggers';
import { buildSpotShortages } from '../../src/adapters/spotShortages';
import type { LauncherDeps, LaunchPacing } from '../../src/app/launcher';
import type { LineageTagDeps } from '../../src/app/lineageTags';
import { buildRunOutcomes } from '../../src/app/runOutcomes';
import type { ScheduledRunDeps } from '../../src/app/scheduledRun';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs, ecsLaunches } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { sqs } from '../../src/clients/sqs';
import { logger, metrics, publishCount } from '../../src/observability';
import type { LaunchBudgets } from '../../src/ports';
import type { LauncherConfig } from './launcherConfig';
import { allowlistRefusal, buildConfiguredLaunchGuard } from './launchGuardSideEffects';

/**
 * The adapters the launcher's code uses (a launch, a schedule's run), from its settings: the launcher's and
 * the api's alike (run-now launches run it in process). `budgets`: the api's one adapter, which also serves
 * the breakers.
 */
export function launcherSideEffects(
  config: LauncherConfig,
  options: { budgets?: LaunchBudgets; maxInlineWaitMs?: number } = {},
) {
  const schedules = buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
  const store = buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
    storeOverrideValues: config.STORE_OVERRIDE_VALUES,
  });
  const publishEvents = buildPublishEvents(eventBridge, config.EVENT_BUS_NAME);
  const sendTagJob = buildSendTagJob(sqs, config.LAUNCH_QUEUE_URL);
  const countMetric = (name: string) => publishCount(metrics, name, {});
  const pacing: LaunchPacing = {
    runTaskShare: config.RUN_TASK_SHARE,
    instances: config.LAUNCHER_CONCURRENCY,
    spotShortageSeconds: config.SPOT_SHORTAGE_COOLDOWN_SECONDS,
    ...(options.maxInlineWaitMs !== undefined && { maxInlineWaitMs: options.maxInlineWaitMs }),
  };
  const runOutcomeStore = buildRunOutcomeStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
  const runs = buildRunOutcomes({
    runs: runOutcomeStore,
    schedules,
    launches: store,
    publishEvents,
    sendTrigger: buildSendScheduleTrigger(sqs, config.LAUNCH_QUEUE_URL),
    logger,
  });
  const launcher: LauncherDeps = {
    runTask: buildRunTask(ecsLaunches),
    // For restarts decided without the failed task's tags (tagsOf); run-now requests never carry it.
    describeTaskTags: buildBatchedDescribeTaskTags(ecs),
    store,
    sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
    sendTagJob,
    publishEvents,
    logger,
    spotMapping: config.SPOT_TO_ON_DEMAND,
    spotShortages: buildSpotShortages(dynamoDb, config.TABLE_NAME),
    leases: schedules,
    countMetric,
    pacing,
    guard: buildConfiguredLaunchGuard(config, { decisions: store, publishEvents, budgets: options.budgets }),
    runs,
  };
  const scheduledRuns: ScheduledRunDeps = {
    store: schedules,
    refusalOf: allowlistRefusal(config),
    publishEvents,
    listRunningTasks: buildListRunningTasks(ecs),
    stopTasks: buildStopTasks(ecs),
    logger,
    buffer: runOutcomeStore,
  };
  const lineageTags: LineageTagDeps = {
    tagTask: buildTagTask(ecsLaunches),
    sendTagJob,
    logger,
    countMetric,
    pacing,
  };
  return { launcher, scheduledRuns, lineageTags, store, schedules, runOutcomeStore, publishEvents };
}
