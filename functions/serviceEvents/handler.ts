import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildServiceFallback, type ServiceFallbackDeps } from '../../src/app/serviceFallback';
import { sideEffects } from './sideEffects';

export type ServiceEventsSideEffects = ServiceFallbackDeps & { logger: Logger };

/** Service actions and the periodic check; plus Spot interruptions of service tasks (task events). */
export const makeServiceEventsHandler = (effects: ServiceEventsSideEffects) =>
  middy(buildServiceFallback(effects)).use(injectLambdaContext(effects.logger));

export const handler = makeServiceEventsHandler(sideEffects);
