import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildLaunchGuard } from '../../src/app/launchGuard';
import { dynamoDb } from '../../src/clients/dynamodb';
import { stackScopeOf } from '../../src/config';
import {
  allowlistFrom,
  clusterNameOf,
  type LaunchAllowlist,
  type LaunchTarget,
  refusalOf,
} from '../../src/domain/allowlist';
import type { BudgetSettings } from '../../src/domain/budgets';
import { metrics, publishCount } from '../../src/observability';
import type { LaunchBudgets, LaunchStore, PublishEvents } from '../../src/ports';
import type { LaunchGuardConfig } from './launchGuardConfig';

type GuardConfig = LaunchGuardConfig & { TABLE_NAME: string };

export const breakerRuleOf = (config: GuardConfig): BudgetSettings['breaker'] => ({
  relaunches: config.RESTART_BREAKER_RELAUNCHES,
  windowMinutes: config.RESTART_BREAKER_WINDOW_MINUTES,
  cooldownMinutes: config.RESTART_BREAKER_COOLDOWN_MINUTES,
});

/** The stage's launch budgets and restart breaker rule. */
export const budgetSettingsOf = (config: GuardConfig): BudgetSettings => ({
  launchesPerClusterHour: config.LAUNCHES_PER_CLUSTER_HOUR,
  replacementsPerClusterHour: config.REPLACEMENTS_PER_CLUSTER_HOUR,
  breaker: breakerRuleOf(config),
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
    settings: budgetSettingsOf(config),
    allowlist: allowlistOf(config),
    taskSize: { maxTaskCpu: config.MAX_TASK_CPU, maxTaskMemory: config.MAX_TASK_MEMORY },
    scope: stackScopeOf(config),
    handledClusters: new Set(config.CLUSTERS.map(clusterNameOf)),
    decisions: deps.decisions,
    publishEvents: deps.publishEvents,
    countMetric: (name, dimensions = {}) => publishCount(metrics, name, dimensions),
  });
}
