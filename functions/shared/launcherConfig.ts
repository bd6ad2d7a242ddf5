import {
  eventBusName,
  positiveInt,
  queueUrl,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import * as z from '../../src/zod';
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

/** How the launcher paces its ECS calls during a wave (src/domain/pacing.ts). */
export const launchPacingSettings = {
  /** The share of the account's RunTask bucket (100 burst, 40 a second) the launchers may use together. */
  RUN_TASK_SHARE: z.coerce.number().check(z.gt(0), z.lte(1)),
  /** The launch queue's maximum concurrency (serverless.yml): each instance paces itself to its part. */
  LAUNCHER_CONCURRENCY: positiveInt,
  /** How long a Spot shortage sends that provider's launches in its cluster straight to on-demand. */
  SPOT_SHORTAGE_COOLDOWN_SECONDS: positiveInt,
};

/** What the launcher's code reads, in every function that runs it (launcher, and api for run-now). */
export const launcherConfigSchema = {
  ...launchSettings,
  ...launchGuardSettings,
  ...launchPacingSettings,
};

export type LauncherConfig = z.output<z.ZodMiniObject<typeof launcherConfigSchema>>;
