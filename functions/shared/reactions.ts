import { buildBatchedDescribeTaskTags, buildDescribeTaskTags, buildListRunningTasks } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs, ecsTagReads } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { sqs } from '../../src/clients/sqs';
import {
  eventBusName,
  jsonVariable,
  positiveInt,
  queueUrl,
  readConfig,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import { networkConfigurationSchema } from '../../src/domain/networkConfiguration';
import { partialRestartPolicySchema } from '../../src/domain/restartPolicy';
import { buildHandleStoppedTask } from '../../src/app/reactions';
import { logger, metrics, publishCount } from '../../src/observability';
import * as z from '../../src/zod';

/** Restart settings: only the functions that decide restarts build (and pay for) these schemas. */
const restartSettings = {
  RESTART_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(10)), 3),
  RESTART_FAMILY_POLICIES: jsonVariable(z.record(z.string(), partialRestartPolicySchema)),
  NETWORK_DEFAULTS: jsonVariable(z.record(z.string(), networkConfigurationSchema)),
};

/**
 * The composition root of the automatic reactions (restart, Spot fallback), shared by the functions
 * that see task failures and interruptions (taskReactions, spotInstance). Read once per cold start.
 */
const config = readConfig({
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: eventBusName,
  ...restartSettings,
  ...spotSettings,
});

export const reactToTask = buildHandleStoppedTask({
  store: buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
    storeOverrideValues: config.STORE_OVERRIDE_VALUES,
  }),
  describeTaskTags: buildDescribeTaskTags(ecsTagReads),
  sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
  publishEvents: buildPublishEvents(eventBridge, config.EVENT_BUS_NAME),
  config: {
    defaultPolicy: { maxAttempts: config.RESTART_MAX_ATTEMPTS },
    familyPolicies: config.RESTART_FAMILY_POLICIES,
    networkDefaults: config.NETWORK_DEFAULTS,
    spotMapping: config.SPOT_TO_ON_DEMAND,
    spotOptOutFamilies: new Set(config.SPOT_FALLBACK_OPT_OUT_FAMILIES),
  },
  logger,
  countDecision: (action, family) => {
    publishCount(metrics, 'TaskDecisions', { decision: action, family });
  },
  scheduleRuns: {
    leases: buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    listRunningTasks: buildListRunningTasks(ecs),
    describeTaskTags: buildBatchedDescribeTaskTags(ecs),
  },
});
