import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildRecordTransition } from '../src/adapters/taskHistory';
import { dynamoDb } from '../src/clients/dynamodb';
import { buildTaskEventsHandler } from '../src/handlers/taskEvents';
import { logger, metrics } from '../src/observability';
import { reactionsConfig as config, reactToTask } from '../src/wiring/reactions';

export const handler = middy(
  buildTaskEventsHandler({
    recordTransition: buildRecordTransition(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    onStopped: reactToTask,
    logger,
    metrics,
  }),
).use(injectLambdaContext(logger));
