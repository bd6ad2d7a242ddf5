import { buildClusterHistory } from '../../src/adapters/clusterHistory';
import { buildClusterActions, buildClusterReader } from '../../src/adapters/clusterReader';
import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildSchedulerPort } from '../../src/adapters/scheduler';
import { buildSendScheduleTrigger } from '../../src/adapters/scheduleTriggers';
import { buildServiceStateStore } from '../../src/adapters/serviceState';
import { buildGetTaskHistory, buildListTasks } from '../../src/adapters/taskHistory';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs } from '../../src/clients/ecs';
import { scheduler } from '../../src/clients/scheduler';
import { sqs } from '../../src/clients/sqs';
import { readConfig, stackScopeOf } from '../../src/config';
import { pricesFor } from '../../src/domain/clusterState';
import { logger } from '../../src/observability';
import { buildOpenApiDocument } from '../../src/openapi';
import { launcherSideEffects } from '../shared/launcherSideEffects';
import { allowlistOf, breakerRuleOf, budgetSettingsOf } from '../shared/launchGuardSideEffects';
import { configSchema } from './config';
import type { ApiSideEffects } from './handler';

const config = readConfig(configSchema);

const budgets = buildLaunchBudgets(dynamoDb, config.TABLE_NAME);
// Run-now launches go through the launcher's own code, in process, so they answer with their tasks.
const {
  launcher,
  scheduledRuns,
  store: launchStore,
  schedules,
  runOutcomeStore,
  publishEvents,
} = launcherSideEffects(config, {
  budgets,
  // A run-now answers at once: a throttled launch goes to the launch queue instead of holding the request.
  maxInlineWaitMs: 0,
});

const allowlist = allowlistOf(config);
const getTaskHistory = buildGetTaskHistory(dynamoDb, config.TABLE_NAME);

/** api's composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: ApiSideEffects = {
  tasks: {
    getTaskHistory,
    listTasks: buildListTasks(dynamoDb, config.TABLE_NAME),
    getServiceState: buildServiceStateStore(dynamoDb, config.TABLE_NAME).getState,
    launches: launchStore,
    breakers: { budgets, rule: breakerRuleOf(config), logger },
  },
  schedules: {
    schedules,
    runs: runOutcomeStore,
    backfill: {
      maxRuns: config.MAX_BACKFILL_RUNS,
      recordedRunIds: runOutcomeStore.recordedRunIds,
      sendTrigger: buildSendScheduleTrigger(sqs, config.LAUNCH_QUEUE_URL),
    },
    scheduler: buildSchedulerPort(scheduler, {
      group: config.SCHEDULE_GROUP,
      queueArn: config.LAUNCH_QUEUE_ARN,
      roleArn: config.SCHEDULER_ROLE_ARN,
    }),
    launches: launchStore,
    allowlist,
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
  clusters: {
    // Cached 5 s per cluster: a console refreshing every few seconds reads ECS once in that time.
    reader: buildClusterReader(ecs, { cacheMs: 5_000 }),
    actions: buildClusterActions(ecs),
    history: buildClusterHistory(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    getTaskHistory,
    decisions: launchStore,
    budgets,
    budgetSettings: budgetSettingsOf(config),
    schedules,
    publish: publishEvents,
    allowlist,
    spotMapping: config.SPOT_TO_ON_DEMAND,
    serviceLimits: {
      minDesiredCount: config.MIN_SERVICE_DESIRED_COUNT,
      maxDesiredCount: config.MAX_SERVICE_DESIRED_COUNT,
    },
    prices: pricesFor(config.AWS_REGION, config.CAPACITY_PRICES),
    limits: { maxTasks: config.MAX_CLUSTER_TASKS, maxHistoryTasks: 5_000 },
    logger,
  },
  launcher,
  scheduledRuns,
  logger,
};
