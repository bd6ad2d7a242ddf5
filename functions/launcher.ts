import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { buildRunTask } from '../src/adapters/ecs';
import { buildPublishEvents } from '../src/adapters/events';
import { buildSendLaunchRequest } from '../src/adapters/launchQueue';
import { buildLaunchStore } from '../src/adapters/launchStore';
import { dynamoDb } from '../src/clients/dynamodb';
import { ecs } from '../src/clients/ecs';
import { eventBridge } from '../src/clients/eventbridge';
import { sqs } from '../src/clients/sqs';
import { positiveInt, queueUrl, readConfig, spotSettings, tableName } from '../src/config';
import { buildLaunchRecord, parseLaunchRecord } from '../src/handlers/launcher';
import { logger } from '../src/observability';

const config = readConfig({
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: z.string().min(1).default('default'),
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
});

const launch = buildLaunchRecord({
  runTask: buildRunTask(ecs),
  store: buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
  sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
  publishEvents: buildPublishEvents(eventBridge, config.EVENT_BUS_NAME),
  logger,
  spotMapping: config.SPOT_TO_ON_DEMAND,
});

const processor = new BatchProcessor(EventType.SQS);
const recordHandler = async (record: SQSRecord) => {
  try {
    return await launch(parseLaunchRecord(record));
  } catch (error) {
    // The message stays on the queue (partial batch failure) and comes back after the visibility timeout.
    logger.error('launch request failed; left on the queue', { messageId: record.messageId, error });
    throw error;
  }
};

/** A batch of launch requests, processed concurrently; failed records are reported, not lost. */
export const handler = middy((event: SQSEvent) =>
  processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false }),
).use(injectLambdaContext(logger));
