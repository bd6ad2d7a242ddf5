import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import {
  buildDescribeTaskTags,
  buildListRunningTasks,
  buildRunTask,
  buildStopTasks,
} from '../src/adapters/ecs';
import { buildPublishEvents } from '../src/adapters/events';
import { buildLaunchBudgets } from '../src/adapters/launchBudgets';
import { buildSendLaunchRequest } from '../src/adapters/launchQueue';
import { buildLaunchStore } from '../src/adapters/launchStore';
import { buildSchedulerPort } from '../src/adapters/scheduler';
import { buildScheduleStore } from '../src/adapters/scheduleStore';
import { buildServiceStateStore } from '../src/adapters/serviceState';
import { buildGetTaskHistory, buildListTasks } from '../src/adapters/taskHistory';
import { dynamoDb } from '../src/clients/dynamodb';
import { ecs } from '../src/clients/ecs';
import { eventBridge } from '../src/clients/eventbridge';
import { scheduler } from '../src/clients/scheduler';
import { sqs } from '../src/clients/sqs';
import {
  eventBusName,
  positiveInt,
  queueUrl,
  readConfig,
  spotSettings,
  stackScopeOf,
  storeOverrideValuesSetting,
  tableName,
} from '../src/config';
import { buildApiHandler } from '../src/handlers/api';
import { buildLaunchRecord } from '../src/handlers/launcher';
import { buildRunScheduled } from '../src/handlers/scheduledRun';
import { buildScheduleRoutes } from '../src/handlers/schedulesApi';
import { INTERNAL_ERROR_BODY, logHttpError } from '../src/http';
import { logger, metrics, publishCount } from '../src/observability';
import { buildOpenApiDocument } from '../src/openapi';
import {
  allowlistOf,
  allowlistRefusal,
  breakerRuleOf,
  buildConfiguredLaunchGuard,
  launchGuardSettings,
} from '../src/wiring/launchGuard';
import * as z from '../src/zod';

const config = readConfig({
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  LAUNCH_QUEUE_ARN: z.string().check(z.startsWith('arn:')),
  SCHEDULE_GROUP: z.string().check(z.minLength(1)),
  SCHEDULER_ROLE_ARN: z.string().check(z.startsWith('arn:')),
  EVENT_BUS_NAME: eventBusName,
  ...launchGuardSettings,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  MIN_SCHEDULE_INTERVAL_MINUTES: positiveInt,
  MAX_SCHEDULED_TASKS_PER_HOUR: positiveInt,
  MAX_SCHEDULES: positiveInt,
  MAX_TASK_CPU: positiveInt,
  MAX_TASK_MEMORY: positiveInt,
});

const launchStore = buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
  storeOverrideValues: config.STORE_OVERRIDE_VALUES,
});
const schedules = buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
// Run-now launches go through the launcher's own code, in process, so they answer with their tasks.
const publishEvents = buildPublishEvents(eventBridge, config.EVENT_BUS_NAME);
const budgets = buildLaunchBudgets(dynamoDb, config.TABLE_NAME);
const launch = buildLaunchRecord({
  runTask: buildRunTask(ecs),
  // Only restarts decided without the failed task's tags read them (tagsOf): run-now requests never do.
  describeTaskTags: buildDescribeTaskTags(ecs),
  store: launchStore,
  sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
  publishEvents,
  logger,
  spotMapping: config.SPOT_TO_ON_DEMAND,
  leases: schedules,
  countMetric: (name) => publishCount(metrics, name, {}),
  guard: buildConfiguredLaunchGuard(config, { decisions: launchStore, publishEvents, budgets }),
});

export const handler = middy(
  buildApiHandler({
    getTaskHistory: buildGetTaskHistory(dynamoDb, config.TABLE_NAME),
    listTasks: buildListTasks(dynamoDb, config.TABLE_NAME),
    getServiceState: buildServiceStateStore(dynamoDb, config.TABLE_NAME).getState,
    launches: launchStore,
    breakers: {
      budgets,
      rule: breakerRuleOf(config),
      logger,
    },
    routes: buildScheduleRoutes({
      schedules,
      scheduler: buildSchedulerPort(scheduler, {
        group: config.SCHEDULE_GROUP,
        queueArn: config.LAUNCH_QUEUE_ARN,
        roleArn: config.SCHEDULER_ROLE_ARN,
      }),
      launch,
      launches: launchStore,
      runScheduled: buildRunScheduled({
        store: schedules,
        refusalOf: allowlistRefusal(config),
        publishEvents,
        listRunningTasks: buildListRunningTasks(ecs),
        stopTasks: buildStopTasks(ecs),
        logger,
      }),
      allowlist: allowlistOf(config),
      scope: stackScopeOf(config),
      limits: {
        minScheduleIntervalMinutes: config.MIN_SCHEDULE_INTERVAL_MINUTES,
        maxScheduledTasksPerHour: config.MAX_SCHEDULED_TASKS_PER_HOUR,
        maxSchedules: config.MAX_SCHEDULES,
        maxTaskCpu: config.MAX_TASK_CPU,
        maxTaskMemory: config.MAX_TASK_MEMORY,
      },
      openApi: buildOpenApiDocument,
    }),
  }),
)
  .use(injectLambdaContext(logger))
  .use(
    httpErrorHandler({
      logger: logHttpError(logger),
      fallbackMessage: INTERNAL_ERROR_BODY,
    }),
  );
