import {
  eventBusName,
  jsonVariable,
  positiveInt,
  queueUrl,
  spotSettings,
  storeOverrideValuesSetting,
  tableName,
} from '../../src/config';
import { networkConfigurationSchema } from '../../src/domain/networkConfiguration';
import { partialRestartPolicySchema } from '../../src/domain/restartPolicy';
import * as z from '../../src/zod';

/**
 * What the automatic reactions (restart, Spot fallback) read, in every function that runs them (taskReactions,
 * spotInstance): one schema, so a function cannot run the reactions without a setting they read.
 */
export const reactionConfigSchema = {
  TABLE_NAME: tableName,
  HISTORY_RETENTION_DAYS: positiveInt,
  ...storeOverrideValuesSetting,
  LAUNCH_QUEUE_URL: queueUrl,
  EVENT_BUS_NAME: eventBusName,
  RESTART_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(10)), 3),
  RESTART_FAMILY_POLICIES: jsonVariable(z.record(z.string(), partialRestartPolicySchema)),
  NETWORK_DEFAULTS: jsonVariable(z.record(z.string(), networkConfigurationSchema)),
  ...spotSettings,
};

export type ReactionConfig = z.infer<z.ZodMiniObject<typeof reactionConfigSchema>>;
