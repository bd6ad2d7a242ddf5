import {
  buildDescribeTaskTags,
  buildListRunningTasks,
  buildRunTask,
  buildStopTasks,
} from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildSchedulerPort } from '../../src/adapters/scheduler';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildServiceStateStore } from '../../src/adapters/serviceState';
import { buildGetTaskHistory, buildListTasks } from '../../src/adapters/taskHistory';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { scheduler } from '../../src/clients/scheduler';
import { sqs } from '../../src/clients/sqs';
import { readConfig, stackScopeOf } from '../../src/config';
import { logger, metrics, publishCount } from '../../src/observability';
import { buildOpenApiDocument } from '../../src/openapi';
import {
  allowlistOf,
  allowlistRefusal,
  breakerRuleOf,
  buildConfiguredLaunchGuard,
} from '../shared/launchGuardSideEffects';
import { configSchema } from './config';
import type { ApiSideEffects } from './handler';

const config = readConfig(configSchema);

const launchStore = buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
  storeOverrideValues: config.STORE_OVERRIDE_VALUES,
});
const schedules = buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS);
const publishEvents = buildPublishEvents(eventBridge, config.EVENT_BUS_NAME);
const budgets = buildLaunchBudgets(dynamoDb, config.TABLE_NAME);

/** api's composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: ApiSideEffects = {
  tasks: {
    getTaskHistory: buildGetTaskHistory(dynamoDb, config.TABLE_NAME),
    listTasks: buildListTasks(dynamoDb, config.TABLE_NAME),
    getServiceState: buildServiceStateStore(dynamoDb, config.TABLE_NAME).getState,
    launches: launchStore,
    breakers: { budgets, rule: breakerRuleOf(config), logger },
  },
  schedules: {
    schedules,
    scheduler: buildSchedulerPort(scheduler, {
      group: config.SCHEDULE_GROUP,
      queueArn: config.LAUNCH_QUEUE_ARN,
      roleArn: config.SCHEDULER_ROLE_ARN,
    }),
    launches: launchStore,
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
  },
  // Run-now launches go through the launcher's own code, in process, so they answer with their tasks.
  launcher: {
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
