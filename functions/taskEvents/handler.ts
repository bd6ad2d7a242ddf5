import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildRecordTransition } from '../../src/adapters/taskHistory';
import { dynamoDb } from '../../src/clients/dynamodb';
import { positiveInt, readConfig, tableName } from '../../src/config';
import { buildTaskEventsHandler } from '../../src/app/taskLifecycle';
import { logger, metrics } from '../../src/observability';

const config = readConfig({ TABLE_NAME: tableName, HISTORY_RETENTION_DAYS: positiveInt });

export const handler = middy(
  buildTaskEventsHandler({
    recordTransition: buildRecordTransition(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    logger,
    metrics,
  }),
).use(injectLambdaContext(logger));
