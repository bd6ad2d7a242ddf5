import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { z } from 'zod';
import { buildDescribeTaskTags } from '../src/adapters/ecs';
import { buildPublishEvents } from '../src/adapters/events';
import { buildSendLaunchRequest } from '../src/adapters/launchQueue';
import { buildLaunchStore } from '../src/adapters/launchStore';
import { buildRecordTransition } from '../src/adapters/taskHistory';
import { dynamoDb } from '../src/clients/dynamodb';
import { ecs } from '../src/clients/ecs';
import { eventBridge } from '../src/clients/eventbridge';
import { sqs } from '../src/clients/sqs';
import { positiveInt, queueUrl, readConfig, restartSettings, spotSettings, tableName } from '../src/config';
import { buildHandleStoppedTask } from '../src/handlers/restart';
import { buildTaskEventsHandler } from '../src/handlers/taskEvents';
import { logger, metrics } from '../src/observability';

const config = readConfig({
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: z.string().min(1).default('default'),
  ...restartSettings,
  ...spotSettings,
});

const handleStoppedTask = buildHandleStoppedTask({
  store: buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
  describeTaskTags: buildDescribeTaskTags(ecs),
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
    const metric = metrics.singleMetric();
    metric.addDimension('decision', action);
    metric.addDimension('family', family);
    metric.addMetric('RestartDecisions', MetricUnit.Count, 1);
  },
});

export const handler = middy(
  buildTaskEventsHandler({
    recordTransition: buildRecordTransition(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    onStopped: handleStoppedTask,
    logger,
    metrics,
  }),
).use(injectLambdaContext(logger));
