import type { PublishEvents } from '../../src/adapters/events';
import { buildLaunchBudgets, type LaunchBudgets } from '../../src/adapters/launchBudgets';
import type { LaunchStore } from '../../src/adapters/launchStore';
import { dynamoDb } from '../../src/clients/dynamodb';
import { commaList, nameSet, positiveInt, stackScopeOf, stackScopeSettings } from '../../src/config';
import {
  allowlistFrom,
  clusterNameOf,
  type LaunchAllowlist,
  type LaunchTarget,
  refusalOf,
} from '../../src/domain/allowlist';
import type { BudgetSettings } from '../../src/domain/budgets';
import { buildLaunchGuard } from '../../src/app/launchGuard';
import { metrics, publishCount } from '../../src/observability';
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

type GuardConfig = z.output<z.ZodMiniObject<typeof launchGuardSettings>> & { TABLE_NAME: string };

export const breakerRuleOf = (config: GuardConfig): BudgetSettings['breaker'] => ({
  relaunches: config.RESTART_BREAKER_RELAUNCHES,
  windowMinutes: config.RESTART_BREAKER_WINDOW_MINUTES,
  cooldownMinutes: config.RESTART_BREAKER_COOLDOWN_MINUTES,
});

/** The stage's allowlist as the checks compare it (ARNs of clusters as names, role names as ARNs). */
export const allowlistOf = (config: GuardConfig): LaunchAllowlist =>
  allowlistFrom(
    {
      clusters: config.ALLOWED_CLUSTERS,
      families: config.ALLOWED_FAMILIES,
      taskRoles: config.ALLOWED_TASK_ROLES,
    },
    stackScopeOf(config),
  );

/** Why this stage may not launch `launch` now (its allowlist), or undefined. */
export const allowlistRefusal = (config: GuardConfig) => {
  const allowlist = allowlistOf(config);
  const scope = stackScopeOf(config);
  return (launch: LaunchTarget) => refusalOf(launch, allowlist, scope)?.message;
};

export function buildConfiguredLaunchGuard(
  config: GuardConfig,
  deps: {
    decisions: Pick<LaunchStore, 'getDecision'>;
    publishEvents: PublishEvents;
    /** The function's one budgets adapter, when it also serves the breakers (api). */
    budgets?: LaunchBudgets;
  },
) {
  return buildLaunchGuard({
    budgets: deps.budgets ?? buildLaunchBudgets(dynamoDb, config.TABLE_NAME),
    settings: {
      launchesPerClusterHour: config.LAUNCHES_PER_CLUSTER_HOUR,
      replacementsPerClusterHour: config.REPLACEMENTS_PER_CLUSTER_HOUR,
      breaker: breakerRuleOf(config),
    },
    allowlist: allowlistOf(config),
    taskSize: { maxTaskCpu: config.MAX_TASK_CPU, maxTaskMemory: config.MAX_TASK_MEMORY },
    scope: stackScopeOf(config),
    handledClusters: new Set(config.CLUSTERS.map(clusterNameOf)),
    decisions: deps.decisions,
    publishEvents: deps.publishEvents,
    countMetric: (name, dimensions = {}) => publishCount(metrics, name, dimensions),
  });
}
