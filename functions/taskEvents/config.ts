import { positiveInt, tableName } from '../../src/config';

/** What taskEvents reads from its environment: serverless.yml's functions.taskEvents.environment. */
export const configSchema = {
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
};
