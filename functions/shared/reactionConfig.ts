import { jsonVariable, spotSettings } from '../../src/config';
import { networkConfigurationSchema } from '../../src/domain/networkConfiguration';
import { partialRestartPolicySchema } from '../../src/domain/restartPolicy';
import * as z from '../../src/zod';
import { launchSettings } from './launcherConfig';

/**
 * What the automatic reactions (restart, Spot fallback) read, in every function that runs them (taskReactions,
 * spotInstance): one schema, so a function cannot run the reactions without a setting they read.
 */
export const reactionConfigSchema = {
  ...launchSettings,
  RESTART_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(10)), 3),
  RESTART_FAMILY_POLICIES: jsonVariable(z.record(z.string(), partialRestartPolicySchema)),
  NETWORK_DEFAULTS: jsonVariable(z.record(z.string(), networkConfigurationSchema)),
  SPOT_FALLBACK_OPT_OUT_FAMILIES: spotSettings.SPOT_FALLBACK_OPT_OUT_FAMILIES,
};

export type ReactionConfig = z.infer<z.ZodMiniObject<typeof reactionConfigSchema>>;
