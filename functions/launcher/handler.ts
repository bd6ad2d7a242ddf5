import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { buildLaunch, type LauncherDeps } from '../../src/app/launcher';
import { buildLaunchQueueConsumer } from '../../src/app/launchQueueConsumer';
import { buildRunScheduled, type ScheduledRunDeps } from '../../src/app/scheduledRun';
import { sideEffects } from './sideEffects';

export interface LauncherSideEffects {
  launcher: LauncherDeps;
  scheduledRuns: ScheduledRunDeps;
  logger: Logger;
}

/** A batch of launch requests and schedule triggers, processed concurrently; failed records are reported, not lost. */
export function makeLauncherHandler(effects: LauncherSideEffects) {
  const consume = buildLaunchQueueConsumer({
    launch: buildLaunch(effects.launcher),
    runScheduled: buildRunScheduled(effects.scheduledRuns),
    logger: effects.logger,
  });
  const processor = new BatchProcessor(EventType.SQS);
  return middy((event: SQSEvent) =>
    processPartialResponse(event, consume, processor, { throwOnFullBatchFailure: false }),
  ).use(injectLambdaContext(effects.logger));
}

export const handler = makeLauncherHandler(sideEffects);
