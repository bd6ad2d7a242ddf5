import { buildRecordTransition } from '../../src/adapters/taskHistory';
import { dynamoDb } from '../../src/clients/dynamodb';
import { readConfig } from '../../src/config';
import { logger, metrics } from '../../src/observability';
import { configSchema } from './config';
import type { TaskEventsSideEffects } from './handler';

const config = readConfig(configSchema);

/** taskEvents' composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: TaskEventsSideEffects = {
  recordTransition: buildRecordTransition(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
  logger,
  metrics,
};
