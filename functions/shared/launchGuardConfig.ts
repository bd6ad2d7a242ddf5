import { commaList, nameSet, positiveInt, stackScopeSettings } from '../../src/config';
import * as z from '../../src/zod';

const count = (fallback: number, max: number) =>
  z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(max)), fallback);

/**
 * The settings of the launch guard, for every function that runs the launcher's code (launcher, api). The
 * defaults are sized in the README ("Guardrails"): a 1,000-task failure wave is replaced at full speed; a
 * family whose replacements keep failing stops after 10 such relaunches in 15 minutes.
 */
export const launchGuardSettings = {
  ALLOWED_CLUSTERS: nameSet,
  ALLOWED_FAMILIES: nameSet,
  ALLOWED_TASK_ROLES: nameSet,
  CLUSTERS: commaList,
  LAUNCHES_PER_CLUSTER_HOUR: count(2000, 1_000_000),
  REPLACEMENTS_PER_CLUSTER_HOUR: count(5000, 1_000_000),
  RESTART_BREAKER_RELAUNCHES: count(10, 10_000),
  RESTART_BREAKER_WINDOW_MINUTES: count(15, 1440),
  RESTART_BREAKER_COOLDOWN_MINUTES: count(15, 1440),
  MAX_TASK_CPU: positiveInt,
  MAX_TASK_MEMORY: positiveInt,
  ...stackScopeSettings,
};

export type LaunchGuardConfig = z.output<z.ZodMiniObject<typeof launchGuardSettings>>;
