import type { PublishEvents } from '../adapters/events';
import { buildLaunchBudgets } from '../adapters/launchBudgets';
import type { LaunchStore } from '../adapters/launchStore';
import { dynamoDb } from '../clients/dynamodb';
import { commaList, nameSet, stackScopeOf, stackScopeSettings } from '../config';
import { type LaunchAllowlist, type LaunchTarget, refusalOf } from '../domain/allowlist';
import type { BudgetSettings } from '../domain/budgets';
import { buildLaunchGuard } from '../handlers/launchGuard';
import { metrics, publishCount } from '../observability';
import * as z from '../zod';

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
  ...stackScopeSettings,
};

type GuardConfig = z.output<z.ZodMiniObject<typeof launchGuardSettings>> & { TABLE_NAME: string };

export const breakerRuleOf = (config: GuardConfig): BudgetSettings['breaker'] => ({
  relaunches: config.RESTART_BREAKER_RELAUNCHES,
  windowMinutes: config.RESTART_BREAKER_WINDOW_MINUTES,
  cooldownMinutes: config.RESTART_BREAKER_COOLDOWN_MINUTES,
});

export const allowlistOf = (config: GuardConfig): LaunchAllowlist => ({
  clusters: config.ALLOWED_CLUSTERS,
  families: config.ALLOWED_FAMILIES,
  taskRoles: config.ALLOWED_TASK_ROLES,
});

/** Why this stage may not launch `launch` now (its allowlist), or undefined. */
export const allowlistRefusal = (config: GuardConfig) => (launch: LaunchTarget) =>
  refusalOf(launch, allowlistOf(config), stackScopeOf(config))?.message;

export function buildConfiguredLaunchGuard(
  config: GuardConfig,
  deps: { decisions: Pick<LaunchStore, 'getDecision'>; publishEvents: PublishEvents },
) {
  return buildLaunchGuard({
    budgets: buildLaunchBudgets(dynamoDb, config.TABLE_NAME),
    settings: {
      launchesPerClusterHour: config.LAUNCHES_PER_CLUSTER_HOUR,
      replacementsPerClusterHour: config.REPLACEMENTS_PER_CLUSTER_HOUR,
      breaker: breakerRuleOf(config),
    },
    allowlist: allowlistOf(config),
    scope: stackScopeOf(config),
    handledClusters: new Set(config.CLUSTERS.map((c) => c.split('/').pop() ?? c)),
    decisions: deps.decisions,
    publishEvents: deps.publishEvents,
    countMetric: (name, dimensions = {}) => publishCount(metrics, name, dimensions),
  });
}
