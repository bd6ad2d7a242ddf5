import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import { buildServiceStateStore } from '../src/adapters/serviceState';
import { buildGetTaskHistory, buildListTasks } from '../src/adapters/taskHistory';
import { dynamoDb } from '../src/clients/dynamodb';
import { readConfig, tableName } from '../src/config';
import { buildApiHandler } from '../src/handlers/api';
import { INTERNAL_ERROR_BODY } from '../src/http';
import { logger } from '../src/observability';

const config = readConfig({ TABLE_NAME: tableName });

export const handler = middy(
  buildApiHandler({
    getTaskHistory: buildGetTaskHistory(dynamoDb, config.TABLE_NAME),
    listTasks: buildListTasks(dynamoDb, config.TABLE_NAME),
    getServiceState: buildServiceStateStore(dynamoDb, config.TABLE_NAME).getState,
  }),
)
  .use(injectLambdaContext(logger))
  .use(
    httpErrorHandler({
      logger: (error: unknown) => logger.error('request failed', { error }),
      fallbackMessage: INTERNAL_ERROR_BODY,
    }),
  );
