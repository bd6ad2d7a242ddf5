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
import { canonicalJson } from '../domain/canonicalJson';
import type { LaunchLimits } from '../domain/guardrails';
import { describeLimitIssues, launchLimitIssues } from '../domain/launchLimits';
import type { LaunchRequest, RunTaskInput } from '../domain/launchRequest';
import type { Schedule } from '../domain/schedule';
import { relaunchable, splitEnvironment } from '../domain/secrets';
import { lastArnSegment } from '../domain/taskEvent';
import { AutopilotError } from '../errors';
import type { LaunchBudgets, LaunchStore, OutgoingEvent } from '../ports';

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
  /** The largest task an API launch may ask for (maxTaskCpu, maxTaskMemory). */
  taskSize: Pick<LaunchLimits, 'maxTaskCpu' | 'maxTaskMemory'>;
  /** Clusters whose tasks this stage handles (restarts, Spot moves); empty: every cluster. */
  handledClusters: ReadonlySet<string>;
  decisions: Pick<LaunchStore, 'getDecision'>;
  publishEvents: (events: OutgoingEvent[]) => Promise<void>;
  countMetric: (name: string, dimensions?: Record<string, string>) => void;
  now?: () => number;
}

/** A message no part of ecs-autopilot sent as it is: refused before any ECS call, left to the DLQ. */
export class UntrustedLaunchRequestError extends AutopilotError {
  constructor(requestId: string, why: string) {
    super(`launch request ${requestId} refused: ${why}`, { context: { requestId } });
    this.name = 'UntrustedLaunchRequestError';
  }
}

export type GuardVerdict =
  | { action: 'go' }
  /** Not launched, for good: recorded and announced (Task Launch Failed with this cause). */
  | { action: 'refuse'; cause: 'allowlist' | 'budget'; why: string; budget?: string }
  /** Held back: sent back to the queue to be tried again in delaySeconds. */
  | { action: 'pause'; delaySeconds: number; why: string };

const GO: GuardVerdict = { action: 'go' };
const OWN_TAG_PREFIX = 'ecs-autopilot:';
const PAUSE_HOP_SECONDS = 60;

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

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
const ownTags = (runTask: RunTaskInput) =>
  (runTask.tags ?? [])
    .filter((t) => t.key.startsWith(OWN_TAG_PREFIX))
    .sort((a, b) => (a.key < b.key ? -1 : 1));

/**
 * What a restart or Spot move sent to the queue changed from what its decision asked for. A capacity retry
 * may start fewer tasks, elsewhere; nothing else may change: not the overrides, the lineage tags (they pick
 * the budget and the breaker), the attempt.
 */
function differences(decided: LaunchRequest, sent: LaunchRequest): string[] {
  // A stage that stores no environment values kept the decision's variables by name: a resend from the
  // stored decision goes without them. Compare the rest, and send no variable the decision did not name.
  const byName = relaunchable(decided.runTask).dropped.length > 0;
  const asDecided = byName ? splitEnvironment(decided.runTask) : { rest: decided.runTask, names: new Set() };
  const asSent = byName ? splitEnvironment(sent.runTask) : { rest: sent.runTask, names: new Set() };
  const changed: string[] = DECIDED_FIELDS.filter(
    (field) => !same(asDecided.rest[field], asSent.rest[field]),
  );
  if ([...asSent.names].some((name) => !asDecided.names.has(name))) changed.push('overrides');
  const count = sent.runTask.count;
  if (sent.capacityRetries === 0 ? count !== decided.runTask.count : count > decided.runTask.count)
    changed.push('count');
  if (!same(ownTags(decided.runTask), ownTags(sent.runTask))) changed.push(`${OWN_TAG_PREFIX}* tags`);
  if (sent.reason !== decided.reason || !same(decided.lineage, sent.lineage)) changed.push('reason, lineage');
  if (!same(decided.policy, sent.policy) || !same(decided.launchLease, sent.launchLease))
    changed.push('policy, launchLease');
  return changed;
}

export function buildLaunchGuard(deps: LaunchGuardDeps) {
  const now = deps.now ?? Date.now;

  async function verify(request: LaunchRequest): Promise<GuardVerdict> {
    if (request.reason === 'schedule' || request.reason === 'run-now') {
      const refusal = refusalOf(request.runTask, deps.allowlist, deps.scope);
      if (refusal) return { action: 'refuse', cause: 'allowlist', why: refusal.message };
      // The API's task size limits, for what reaches the queue without the API.
      const tooBig = launchLimitIssues(request.runTask as Pick<Schedule, 'overrides'>, deps.taskSize);
      return tooBig.length > 0
        ? { action: 'refuse', cause: 'allowlist', why: describeLimitIssues(tooBig) }
        : GO;
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
    const changed = differences(decided, request);
    if (changed.length > 0) throw untrusted(`${changed.join(', ')} differ from what was decided`);
    return GO;
  }

  async function admit(request: LaunchRequest): Promise<GuardVerdict> {
    // Every attempt claims: a capacity retry (same request id, as many tasks or fewer) is a replay.
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
    if (openUntil > now()) {
      // Opened by a delivery that could not announce it (PutEvents failed): announce it now.
      if (!state.announced) await announce(key, family, state.used, openUntil);
      return pause(family, openUntil);
    }
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
      await announce(key, family, claim.used, until);
    }
    return pause(family, until);
  }

  async function announce(key: string, family: string, used: number, untilMs: number) {
    const { breaker: rule } = deps.settings;
    await deps.publishEvents([
      {
        detailType: 'Task Restart Paused',
        resources: [],
        detail: {
          family,
          relaunchesThatFailedAgain: used,
          limit: rule.relaunches,
          windowMinutes: rule.windowMinutes,
          pausedUntil: new Date(untilMs).toISOString(),
          resume: `automatically after ${rule.cooldownMinutes} minutes, or DELETE /restart-breakers/${family}`,
        },
      },
    ]);
    await deps.budgets.markAnnounced(key, untilMs);
  }

  /**
   * Held until the breaker closes, looking again every PAUSE_HOP_SECONDS at most, so a breaker an operator
   * closes (DELETE /restart-breakers/{family}) lets the paused restarts go within a minute.
   */
  function pause(family: string, untilMs: number): GuardVerdict {
    return {
      action: 'pause',
      delaySeconds: Math.min(PAUSE_HOP_SECONDS, Math.max(1, Math.ceil((untilMs - now()) / 1000))),
      why: `the restarts of family ${family} are paused until ${new Date(untilMs).toISOString()} (restart circuit breaker: its replacements kept failing)`,
    };
  }

  return { verify, admit };
}

export type LaunchGuard = ReturnType<typeof buildLaunchGuard>;
