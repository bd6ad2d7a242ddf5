import { buildSendReactionRetry } from '../../src/adapters/reactionRetryQueue';
import { sqs } from '../../src/clients/sqs';
import { readConfig } from '../../src/config';
import { logger } from '../../src/observability';
import { reactionSideEffects } from '../shared/reactionSideEffects';
import { configSchema } from './config';
import type { TaskReactionsSideEffects } from './handler';

const config = readConfig(configSchema);

/** taskReactions' composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: TaskReactionsSideEffects = {
  reactions: reactionSideEffects(config),
  retryLater: buildSendReactionRetry(sqs, config.REACTION_RETRY_QUEUE_URL),
  logger,
};
