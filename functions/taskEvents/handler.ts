import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildRecordTaskLifecycle, type TaskLifecycleDeps } from '../../src/app/taskLifecycle';
import { sideEffects } from './sideEffects';

export type TaskEventsSideEffects = TaskLifecycleDeps & { logger: Logger };

/** Every "ECS Task State Change" event, recorded in the task's lifecycle log. */
export const makeTaskEventsHandler = (effects: TaskEventsSideEffects) =>
  middy(buildRecordTaskLifecycle(effects)).use(injectLambdaContext(effects.logger));

export const handler = makeTaskEventsHandler(sideEffects);
