import { buildSendReactionRetry } from '../../src/adapters/reactionRetryQueue';
import { buildRunOutcomeStore } from '../../src/adapters/runOutcomes';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildSendScheduleTrigger } from '../../src/adapters/scheduleTriggers';
import { dynamoDb } from '../../src/clients/dynamodb';
import { sqs } from '../../src/clients/sqs';
import { readConfig } from '../../src/config';
import { logger } from '../../src/observability';
import { reactionSideEffects } from '../shared/reactionSideEffects';
import { configSchema } from './config';
import type { TaskReactionsSideEffects } from './handler';

const config = readConfig(configSchema);

/** taskReactions' composition root: its config, clients and adapters, built once per cold start. */
const reactions = reactionSideEffects(config);

export const sideEffects: TaskReactionsSideEffects = {
  reactions,
  runOutcomes: {
    runs: buildRunOutcomeStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    schedules: buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
    launches: reactions.store,
    publishEvents: reactions.publishEvents,
    sendTrigger: buildSendScheduleTrigger(sqs, config.LAUNCH_QUEUE_URL),
    logger,
  },
  retryLater: buildSendReactionRetry(sqs, config.REACTION_RETRY_QUEUE_URL),
  logger,
};
