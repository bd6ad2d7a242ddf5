import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildTaskReactionsHandler } from '../src/handlers/taskReactions';
import { logger } from '../src/observability';
import { reactToTask } from '../src/wiring/reactions';

export const handler = middy(buildTaskReactionsHandler({ react: reactToTask })).use(
  injectLambdaContext(logger),
);
