import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { buildSendReactionRetry, parseReactionRetry } from '../../src/adapters/reactionRetryQueue';
import { sqs } from '../../src/clients/sqs';
import { queueUrl, readConfig } from '../../src/config';
import { buildTaskReactionsHandler } from '../../src/app/taskReactions';
import { logger } from '../../src/observability';
import { reactToTask } from '../shared/reactions';

const config = readConfig({ REACTION_RETRY_QUEUE_URL: queueUrl });

const react = buildTaskReactionsHandler({
  react: reactToTask,
  retryLater: buildSendReactionRetry(sqs, config.REACTION_RETRY_QUEUE_URL),
  logger,
});

const processor = new BatchProcessor(EventType.SQS);
const retryRecord = async (record: SQSRecord) => {
  const { attempt, event } = parseReactionRetry(record.body);
  return react(event, attempt);
};

const isSqsEvent = (event: unknown): event is SQSEvent =>
  Array.isArray((event as Partial<SQSEvent> | undefined)?.Records);

/** Task events from EventBridge (async invoke), and the retry queue's batches of events whose decision waited. */
export const handler = middy((event: unknown) =>
  isSqsEvent(event)
    ? processPartialResponse(event, retryRecord, processor, { throwOnFullBatchFailure: false })
    : react(event),
).use(injectLambdaContext(logger));
