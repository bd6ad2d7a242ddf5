import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { parseReactionRetry } from '../../src/adapters/reactionRetryQueue';
import { buildReactions, type ReactionDeps } from '../../src/app/reactions';
import { buildRunOutcomes, type RunOutcomeDeps } from '../../src/app/runOutcomes';
import { buildReactToTaskEvent } from '../../src/app/taskReactions';
import type { SendReactionRetry } from '../../src/ports';
import { sideEffects } from './sideEffects';

export interface TaskReactionsSideEffects {
  reactions: ReactionDeps;
  runOutcomes: RunOutcomeDeps;
  retryLater: SendReactionRetry;
  logger: Logger;
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  Array.isArray((event as Partial<SQSEvent> | undefined)?.Records);

/** Task events from EventBridge (async invoke), and the retry queue's batches of events whose decision waited. */
export function makeTaskReactionsHandler(effects: TaskReactionsSideEffects) {
  const react = buildReactToTaskEvent({
    react: buildReactions(effects.reactions),
    retryLater: effects.retryLater,
    runEnded: buildRunOutcomes(effects.runOutcomes).taskStopped,
    logger: effects.logger,
  });
  const processor = new BatchProcessor(EventType.SQS);
  const retryRecord = async (record: SQSRecord) => {
    const { attempt, event } = parseReactionRetry(record.body);
    return react(event, attempt);
  };
  return middy((event: unknown) =>
    isSqsEvent(event)
      ? processPartialResponse(event, retryRecord, processor, { throwOnFullBatchFailure: false })
      : react(event),
  ).use(injectLambdaContext(effects.logger));
}

export const handler = makeTaskReactionsHandler(sideEffects);
