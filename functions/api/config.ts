import {
  eventBusName,
  positiveInt,
  queueUrl,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import * as z from '../../src/zod';
import { launchGuardSettings } from '../shared/launchGuardConfig';

/** What api reads from its environment: serverless.yml's functions.api.environment. */
export const configSchema = {
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  LAUNCH_QUEUE_ARN: z.string().check(z.startsWith('arn:')),
  SCHEDULE_GROUP: z.string().check(z.minLength(1)),
  SCHEDULER_ROLE_ARN: z.string().check(z.startsWith('arn:')),
  EVENT_BUS_NAME: eventBusName,
  ...launchGuardSettings,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  MIN_SCHEDULE_INTERVAL_MINUTES: positiveInt,
  MAX_SCHEDULED_TASKS_PER_HOUR: positiveInt,
  MAX_SCHEDULES: positiveInt,
};
