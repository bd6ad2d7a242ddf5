import {
  eventBusName,
  positiveInt,
  queueUrl,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import type * as z from '../../src/zod';
import { launchGuardSettings } from './launchGuardConfig';

/** What every function that records or requests launches reads: the table, the launch queue, the event bus. */
export const launchSettings = {
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: eventBusName,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
};

/** What the launcher's code reads, in every function that runs it (launcher, and api for run-now). */
export const launcherConfigSchema = {
  ...launchSettings,
  ...launchGuardSettings,
};

export type LauncherConfig = z.output<z.ZodMiniObject<typeof launcherConfigSchema>>;
