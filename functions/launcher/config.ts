import {
  eventBusName,
  positiveInt,
  queueUrl,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import { launchGuardSettings } from '../shared/launchGuardConfig';

/** What launcher reads from its environment: serverless.yml's functions.launcher.environment. */
export const configSchema = {
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: eventBusName,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  ...launchGuardSettings,
};
