import {
  buildBatchedDescribeTaskTags,
  buildListRunningTasks,
  buildRunTask,
  buildStopTasks,
} from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { sqs } from '../../src/clients/sqs';
import { readConfig } from '../../src/config';
import { logger, metrics, publishCount } from '../../src/observability';
import { allowlistRefusal, buildConfiguredLaunchGuard } from '../shared/launchGuardSideEffects';
import { configSchema } from './config';
import type { LauncherSideEffects } from './handler';

const config = readConfig(configSchema);

const schedules = buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
const store = buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
  storeOverrideValues: config.STORE_OVERRIDE_VALUES,
});
const publishEvents = buildPublishEvents(eventBridge, config.EVENT_BUS_NAME);

/** launcher's composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: LauncherSideEffects = {
  launcher: {
    runTask: buildRunTask(ecs),
    describeTaskTags: buildBatchedDescribeTaskTags(ecs),
    store,
    sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
    publishEvents,
    logger,
    spotMapping: config.SPOT_TO_ON_DEMAND,
    leases: schedules,
    countMetric: (name) => publishCount(metrics, name, {}),
    guard: buildConfiguredLaunchGuard(config, { decisions: store, publishEvents }),
  },
  scheduledRuns: {
    store: schedules,
    refusalOf: allowlistRefusal(config),
    publishEvents,
    listRunningTasks: buildListRunningTasks(ecs),
    stopTasks: buildStopTasks(ecs),
    logger,
  },
  logger,
};
