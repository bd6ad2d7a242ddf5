import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
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
import {
  eventBusName,
  positiveInt,
  queueUrl,
  readConfig,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import { buildLaunchRecord, parseQueueMessage } from '../../src/app/launcher';
import { buildRunScheduled, LaunchLeaseBusyError } from '../../src/app/scheduledRun';
import { logger, metrics, publishCount } from '../../src/observability';
import { allowlistRefusal, buildConfiguredLaunchGuard, launchGuardSettings } from '../shared/launchGuard';

const config = readConfig({
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: eventBusName,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  ...launchGuardSettings,
});

const schedules = buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
const store = buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
  storeOverrideValues: config.STORE_OVERRIDE_VALUES,
});
const publishEvents = buildPublishEvents(eventBridge, config.EVENT_BUS_NAME);
const launch = buildLaunchRecord({
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
});
const runScheduled = buildRunScheduled({
  store: schedules,
  refusalOf: allowlistRefusal(config),
  publishEvents,
  listRunningTasks: buildListRunningTasks(ecs),
  stopTasks: buildStopTasks(ecs),
  logger,
});

const processor = new BatchProcessor(EventType.SQS);
/** Due times of one schedule in one batch run one after the other, so Forbid and Replace see each other's tasks. */
const scheduleChains = new Map<string, Promise<unknown>>();
const inTurn = <T>(schedule: string, work: () => Promise<T>): Promise<T> => {
  const run = (scheduleChains.get(schedule) ?? Promise.resolve()).then(work, work);
  const tail = run.catch(() => undefined);
  scheduleChains.set(schedule, tail);
  void tail.then(() => scheduleChains.get(schedule) === tail && scheduleChains.delete(schedule));
  return run;
};
const recordHandler = async (record: SQSRecord) => {
  try {
    const message = parseQueueMessage(record);
    if (message.kind === 'request') return await launch(message.request);
    // A trigger whose schedule's launch lease is busy fails here and comes back after the visibility timeout.
    return await inTurn(message.trigger.schedule, async () => {
      const { launched } = await runScheduled(message.trigger, launch);
      return launched ?? 'skipped';
    });
  } catch (error) {
    // The message stays on the queue (partial batch failure) and comes back after the visibility timeout.
    if (error instanceof LaunchLeaseBusyError) {
      // Expected contention (another run of the schedule is starting), not a fault.
      logger.info('schedule busy; trigger left on the queue', {
        messageId: record.messageId,
        error: error.message,
      });
    } else logger.error('launch request failed; left on the queue', { messageId: record.messageId, error });
    throw error;
  }
};

/** A batch of launch requests and schedule triggers, processed concurrently; failed records are reported, not lost. */
export const handler = middy((event: SQSEvent) =>
  processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false }),
).use(injectLambdaContext(logger));
