import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { buildLaunch, type LauncherDeps } from '../../src/app/launcher';
import { buildLaunchQueueConsumer } from '../../src/app/launchQueueConsumer';
import { buildTagLaunchedTasks, type LineageTagDeps } from '../../src/app/lineageTags';
import { buildRunScheduled, type ScheduledRunDeps } from '../../src/app/scheduledRun';
import { sideEffects } from './sideEffects';

export interface LauncherSideEffects {
  launcher: LauncherDeps;
  scheduledRuns: ScheduledRunDeps;
  lineageTags: LineageTagDeps;
  logger: Logger;
}

/** A batch of launch requests and schedule triggers, processed concurrently; failed records are reported, not lost. */
export function makeLauncherHandler(effects: LauncherSideEffects) {
  const { consume, newBatch } = buildLaunchQueueConsumer({
    launch: buildLaunch(effects.launcher),
    runScheduled: buildRunScheduled(effects.scheduledRuns),
    tagLaunchedTasks: buildTagLaunchedTasks(effects.lineageTags),
    logger: effects.logger,
  });
  const processor = new BatchProcessor(EventType.SQS);
  return middy((event: SQSEvent) => {
    // The batch's launches are gathered, so that those that can share a RunTask call do.
    const batch = newBatch(event.Records.length);
    return processPartialResponse(event, (record: SQSRecord) => consume(record, batch), processor, {
      throwOnFullBatchFailure: false,
    });
  }).use(injectLambdaContext(effects.logger));
}

export const handler = makeLauncherHandler(sideEffects);
