import type { OutgoingEvent } from '../adapters/events';
import type { LaunchBudgets } from '../adapters/launchBudgets';
import type { LaunchStore } from '../adapters/launchStore';
import {
  clusterNameOf,
  familyOf,
  type LaunchAllowlist,
  refusalOf,
  type StackScope,
  scopeRefusalOf,
} from '../domain/allowlist';
import {
  type BudgetSettings,
  breakerKey,
  clusterBudgetFor,
  countsAgainstBreaker,
  isBreakerGated,
  MINUTE_MS,
} from '../domain/budgets';
import type { LaunchRequest, RunTaskInput } from '../domain/launchRequest';
import { relaunchable, withoutEnvironmentValues } from '../domain/secrets';
import { lastArnSegment } from '../domain/taskEvent';

/**
 * What the launcher checks before it starts anything, wherever a request comes from (the queue is only as
 * trustworthy as what may send to it):
 *   verify: a schedule's run or a run-now launches only what the API allowlist allows now (so narrowing the
 *     allowlist stops existing schedules); a restart or a Spot move only what an ecs-autopilot decision
 *     asked for (the decision item names the request), in a cluster this stage handles.
 *   admit: the restart circuit breaker of the task's family, then the cluster's launch budget, each counted
 *     once per request in DynamoDB.
 */
export interface LaunchGuardDeps {
  budgets: LaunchBudgets;
  settings: BudgetSettings;
  allowlist: LaunchAllowlist;
  scope: StackScope;
  /** Clusters whose tasks this stage handles (restarts, Spot moves); empty: every cluster. */
  handledClusters: ReadonlySet<string>;
  decisions: Pick<LaunchStore, 'getDecision'>;
  publishEvents: (events: OutgoingEvent[]) => Promise<void>;
  countMetric: (name: string, dimensions?: Record<string, string>) => void;
  now?: () => number;
}

/** A message no part of ecs-autopilot sent as it is: refused before any ECS call, left to the DLQ. */
export class UntrustedLaunchRequestError extends Error {
  constructor(requestId: string, why: string) {
    super(`launch request ${requestId} refused: ${why}`);
    this.name = 'UntrustedLaunchRequestError';
  }
}

export type GuardVerdict =
  | { action: 'go' }
  /** Not launched, for good: recorded and announced (Task Launch Failed with this cause). */
  | { action: 'refuse'; cause: 'allowlist' | 'budget'; why: string; budget?: string }
  /** Held back: sent back to the queue to try again at untilMs. */
  | { action: 'pause'; untilMs: number; why: string };

const GO: GuardVerdict = { action: 'go' };

/** The launch fields a decision fixes; capacity retries may change only the count and the placement. */
const DECIDED_FIELDS = [
  'cluster',
  'taskDefinition',
  'overrides',
  'networkConfiguration',
  'platformVersion',
  'group',
  'startedBy',
  'propagateTags',
  'enableExecuteCommand',
] as const satisfies readonly (keyof RunTaskInput)[];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function buildLaunchGuard(deps: LaunchGuardDeps) {
  const now = deps.now ?? Date.now;

  async function verify(request: LaunchRequest): Promise<GuardVerdict> {
    if (request.reason === 'schedule' || request.reason === 'run-now') {
      const refusal = refusalOf(request.runTask, deps.allowlist, deps.scope);
      return refusal ? { action: 'refuse', cause: 'allowlist', why: refusal.message } : GO;
    }
    const untrusted = (why: string) => {
      deps.countMetric('LaunchRequestRefused');
      return new UntrustedLaunchRequestError(request.requestId, why);
    };
    const cluster = request.runTask.cluster;
    const away = scopeRefusalOf(request.runTask, deps.scope);
    if (away) throw untrusted(away.message);
    if (deps.handledClusters.size > 0 && !deps.handledClusters.has(clusterNameOf(cluster))) {
      throw untrusted(`cluster ${clusterNameOf(cluster)} is not one this stage handles (clusters)`);
    }
    const replaced = request.lineage?.previousTaskArn;
    if (!replaced) throw untrusted(`a ${request.reason} names no task it replaces`);
    const decided = (await deps.decisions.getDecision(lastArnSegment(replaced)))?.request;
    if (decided?.requestId !== request.requestId) {
      throw untrusted(`no decision on ${replaced} asked for it`);
    }
    // A stage that stores no environment values kept the decision's variables by name: compare those.
    const byName = relaunchable(decided.runTask).dropped.length > 0;
    const asDecided = byName ? withoutEnvironmentValues(decided.runTask) : decided.runTask;
    const asSent = byName ? withoutEnvironmentValues(request.runTask) : request.runTask;
    const changed = DECIDED_FIELDS.filter((field) => !same(asDecided[field], asSent[field]));
    if (changed.length > 0) throw untrusted(`${changed.join(', ')} differ from what was decided`);
    return GO;
  }

  async function admit(request: LaunchRequest): Promise<GuardVerdict> {
    // A capacity retry starts what its request was already counted for.
    if (request.capacityRetries > 0) return GO;
    const family = familyOf(request.runTask.taskDefinition);
    if (isBreakerGated(request)) {
      const paused = await breaker(request, family);
      if (paused) return paused;
    }
    const cluster = clusterNameOf(request.runTask.cluster);
    const budget = clusterBudgetFor(request, cluster, deps.settings);
    const claim = await deps.budgets.claim(budget.key, request.requestId, request.runTask.count, budget);
    if (claim.granted) return GO;
    deps.countMetric('LaunchBudgetExhausted');
    deps.countMetric('LaunchBudgetExhausted', { budget: budget.name, cluster });
    return {
      action: 'refuse',
      cause: 'budget',
      budget: budget.name,
      why: `budget ${budget.name}: cluster ${cluster} started ${claim.used} of ${claim.limit} tasks in the last ${budget.windowMinutes} minutes, ${request.runTask.count} more would exceed it`,
    };
  }

  /** An open breaker holds the restart; a relaunch that did not help counts, and opens it past the limit. */
  async function breaker(request: LaunchRequest, family: string): Promise<GuardVerdict | undefined> {
    const { breaker: rule } = deps.settings;
    const key = breakerKey(family);
    const state = await deps.budgets.state(key, rule.windowMinutes);
    const openUntil = state.openUntil ? Date.parse(state.openUntil) : 0;
    if (openUntil > now()) return pause(family, openUntil);
    if (!countsAgainstBreaker(request)) return undefined;
    const claim = await deps.budgets.claim(key, request.requestId, 1, {
      limit: rule.relaunches,
      windowMinutes: rule.windowMinutes,
    });
    if (claim.granted) return undefined;
    const until = now() + rule.cooldownMinutes * MINUTE_MS;
    if (await deps.budgets.open(key, until)) {
      deps.countMetric('RestartBreakerOpened');
      deps.countMetric('RestartBreakerOpened', { family });
      await deps.publishEvents([
        {
          detailType: 'Task Restart Paused',
          resources: [],
          detail: {
            family,
            relaunchesThatFailedAgain: claim.used,
            limit: rule.relaunches,
            windowMinutes: rule.windowMinutes,
            pausedUntil: new Date(until).toISOString(),
            resume: `automatically after ${rule.cooldownMinutes} minutes, or DELETE /restart-breakers/${family}`,
          },
        },
      ]);
    }
    return pause(family, until);
  }

  function pause(family: string, untilMs: number): GuardVerdict {
    return {
      action: 'pause',
      untilMs,
      why: `the restarts of family ${family} are paused until ${new Date(untilMs).toISOString()} (restart circuit breaker: its replacements kept failing)`,
    };
  }

  return { verify, admit };
}

export type LaunchGuard = ReturnType<typeof buildLaunchGuard>;
