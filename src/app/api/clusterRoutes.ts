import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { clusterNameOf, type LaunchAllowlist } from '../../domain/allowlist';
import { type BudgetSettings, clusterBudgets } from '../../domain/budgets';
import {
  type ActionView,
  automaticActions,
  type CapacityMix,
  type ClusterState,
  capacityMix,
  type DecidedTask,
  newestActions,
  type Prices,
  restartViews,
  stoppedCounts,
  taskCounts,
} from '../../domain/clusterState';
import { nextRunTimes } from '../../domain/nextRunTimes';
import type { ServiceSpotState } from '../../domain/serviceFallback';
import type { SpotMapping } from '../../domain/spotFallback';
import { badRequest, callerOf, httpError, json, notFound } from '../../http';
import type {
  ClusterActions,
  ClusterHistory,
  ClusterReader,
  ClusterTaskSummary,
  GetTaskHistory,
  LaunchBudgets,
  LaunchStore,
  OperatorAction,
  PublishEvents,
  ScheduleStore,
} from '../../ports';
import { buildBreakerView } from './breakerView';
import type { RouteHandlers } from './routes';

export interface ClusterApiDeps {
  reader: ClusterReader;
  actions: ClusterActions;
  history: ClusterHistory;
  getTaskHistory: GetTaskHistory;
  /** A task stopped through the API gets its decision first: "stopped by a caller", never restarted. */
  decisions: Pick<LaunchStore, 'putDecision'>;
  budgets: Pick<LaunchBudgets, 'state'>;
  budgetSettings: BudgetSettings;
  schedules: Pick<ScheduleStore, 'list'>;
  publish: PublishEvents;
  /** The clusters the API may show and act on (allowedClusters). */
  allowlist: Pick<LaunchAllowlist, 'clusters'>;
  spotMapping: SpotMapping;
  /** The stage's bounds on a service's desiredCount (minServiceDesiredCount, maxServiceDesiredCount). */
  serviceLimits: { minDesiredCount: number; maxDesiredCount: number };
  prices: { region: string; prices: Prices };
  limits: {
    /** Tasks one cluster state reads from ECS (maxClusterTasks). */
    maxTasks: number;
    /** Summaries one capacity mix reads from the history. */
    maxHistoryTasks: number;
  };
  logger: Pick<Logger, 'info'>;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
/** Decisions one state reads (three BatchGetItem calls). */
const MAX_DECISIONS = 300;
/** Families whose breakers one state shows. */
const MAX_BREAKERS = 25;
const MAX_UPCOMING = 10;
const MAX_ACTIONS = 50;
const LAUNCHING_CLASSIFICATIONS = new Set(['failed', 'failed-to-start', 'spot-interrupted']);

export type ClusterRouteKey =
  | 'GET /clusters/{cluster}'
  | 'GET /clusters/{cluster}/capacity'
  | 'POST /tasks/{taskId}/stop'
  | 'PATCH /services/{cluster}/{service}'
  | 'POST /services/{cluster}/{service}/redeploy';

const forbidden = (message: string) => httpError(403, 'Forbidden', message);

/** ECS's answer for a cluster it does not have, as a 404 (any other error stays a 5xx). */
async function ecsRead<T>(cluster: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if ((error as Error).name === 'ClusterNotFoundException') throw notFound(`ECS has no cluster ${cluster}`);
    throw error;
  }
}

/** The service switches of the last hour (Spot fallback and restore) as actions. */
function serviceActions(states: Iterable<ServiceSpotState>, sinceIso: string): ActionView[] {
  const actions: ActionView[] = [];
  for (const state of states) {
    for (const change of state.history) {
      if (change.at < sinceIso) continue;
      actions.push({
        at: change.at,
        kind: change.action === 'fallback' ? 'service-fallback' : 'service-restore',
        by: 'ecs-autopilot',
        service: state.service,
        detail: [change.cause, change.note].filter(Boolean).join(': '),
      });
    }
  }
  return actions;
}

export function buildClusterRoutes(deps: ClusterApiDeps): Pick<RouteHandlers, ClusterRouteKey> {
  const now = deps.now ?? Date.now;
  const breakerView = buildBreakerView({ budgets: deps.budgets, rule: deps.budgetSettings.breaker, now });

  function allowed(cluster: string): void {
    if (!deps.allowlist.clusters.has(cluster)) {
      throw forbidden(`cluster ${cluster} is not on this stage's allowlist (allowedClusters)`);
    }
  }

  /** Records a caller's action and publishes it; the ECS call it records has been made. */
  async function recorded(event: APIGatewayProxyEventV2, action: Omit<OperatorAction, 'at' | 'by' | 'id'>) {
    const done: OperatorAction = {
      ...action,
      at: new Date(now()).toISOString(),
      by: callerOf(event),
      id: event.requestContext.requestId,
    };
    await deps.history.recordAction(done);
    const { id: _id, ...detail } = done;
    await deps.publish([{ detailType: ACTION_EVENTS[action.kind] ?? action.kind, detail }]);
    deps.logger.info('a caller acted on the cluster', { ...detail });
    return done;
  }

  async function upcomingRuns(cluster: string, nowMs: number) {
    const { schedules } = await deps.schedules.list(200);
    return schedules
      .filter((s) => s.state === 'ENABLED' && clusterNameOf(s.cluster) === cluster)
      .flatMap((s) =>
        nextRunTimes({ ...s, anchorMs: Date.parse(s.updatedAt) }, nowMs, 3).map((due) => ({
          schedule: s.name,
          at: due.time,
          taskDefinition: s.taskDefinition,
          count: s.count,
        })),
      )
      .sort((a, b) => a.at.localeCompare(b.at))
      .slice(0, MAX_UPCOMING);
  }

  async function state(cluster: string): Promise<ClusterState> {
    const nowMs = now();
    const hourAgo = new Date(nowMs - HOUR_MS).toISOString();
    const [live, services, lastHour, actions, shortages, upcoming] = await Promise.all([
      ecsRead(cluster, deps.reader.tasks(cluster, deps.limits.maxTasks)),
      ecsRead(cluster, deps.reader.services(cluster)),
      deps.history.activitySince(cluster, hourAgo, deps.limits.maxHistoryTasks),
      deps.history.actionsSince(cluster, hourAgo, MAX_ACTIONS),
      deps.history.spotShortages(cluster),
      upcomingRuns(cluster, nowMs),
    ]);
    const decided = lastHour.tasks
      .filter((t) => LAUNCHING_CLASSIFICATIONS.has(t.classification))
      .slice(0, MAX_DECISIONS);
    const families = [
      ...new Set([...live.tasks.map((t) => t.family), ...lastHour.tasks.map((t) => t.family)]),
    ].slice(0, MAX_BREAKERS);
    const budgets = clusterBudgets(cluster, deps.budgetSettings);
    const [decisions, serviceStates, breakers, launches, replacements] = await Promise.all([
      deps.history.decisions(decided.map((t) => t.taskId)),
      deps.history.serviceStates(
        cluster,
        services.map((s) => s.service),
      ),
      Promise.all(families.map(breakerView)),
      deps.budgets.state(budgets.launches.key, budgets.launches.windowMinutes),
      deps.budgets.state(budgets.replacements.key, budgets.replacements.windowMinutes),
    ]);
    const decidedTasks: DecidedTask[] = decided.flatMap((t) => {
      const d = decisions.get(t.taskId);
      if (!d) return [];
      return [
        {
          taskArn: t.taskArn,
          family: t.family,
          action: d.action,
          decidedAt: d.decidedAt,
          ...(d.reason !== undefined && { reason: d.reason }),
          ...(d.attempt !== undefined && { attempt: d.attempt }),
          ...(d.request?.requestId && { requestId: d.request.requestId }),
          ...(d.replacementTaskArns && { replacementTaskArns: d.replacementTaskArns }),
        },
      ];
    });
    return {
      cluster,
      asOf: live.asOf,
      tasks: {
        ...taskCounts(live.tasks, cluster, deps.spotMapping),
        ...(live.truncated && { truncated: true }),
      },
      services: services.map((s) => {
        const fallback = serviceStates.get(s.service);
        return {
          ...s,
          ...(fallback?.mode === 'on-demand' && {
            spotFallback: fallback.lastSwitchAt ? { onDemandSince: fallback.lastSwitchAt } : {},
          }),
        };
      }),
      stoppedLastHour: stoppedCounts(lastHour.tasks),
      restarts: restartViews(decidedTasks),
      breakers: breakers
        .map(({ windowMinutes: _w, cooldownMinutes: _c, ...b }) => b)
        .sort((a, b) => b.relaunchesThatFailedAgain - a.relaunchesThatFailedAgain),
      budgets: [
        {
          name: budgets.launches.name,
          used: launches.used,
          limit: budgets.launches.limit,
          windowMinutes: 60,
        },
        {
          name: budgets.replacements.name,
          used: replacements.used,
          limit: budgets.replacements.limit,
          windowMinutes: 60,
        },
      ],
      spotShortages: shortages
        .filter((s) => s.until > nowMs)
        .map((s) => ({
          provider: s.provider,
          fallback:
            deps.spotMapping[cluster]?.[s.provider] ?? (s.provider === 'FARGATE_SPOT' ? 'FARGATE' : ''),
          until: new Date(s.until).toISOString(),
          since: s.since,
        })),
      upcomingRuns: upcoming,
      recentActions: newestActions(
        [
          ...automaticActions(decidedTasks),
          ...serviceActions(serviceStates.values(), hourAgo),
          ...actions.map(({ cluster: _cluster, id: _id, ...a }) => a),
        ],
        MAX_ACTIONS,
      ),
    };
  }

  async function capacity(cluster: string, fromMs: number, toMs: number): Promise<CapacityMix> {
    const limit = deps.limits.maxHistoryTasks;
    const [active, running] = await Promise.all([
      deps.history.activitySince(cluster, new Date(fromMs).toISOString(), limit),
      deps.history.running(cluster, limit),
    ]);
    const byId = new Map<string, ClusterTaskSummary>();
    for (const t of [...active.tasks, ...running.tasks]) byId.set(t.taskId, t);
    const mix = capacityMix(
      [...byId.values()],
      { cluster, fromMs, toMs },
      deps.spotMapping,
      deps.prices.prices,
    );
    return {
      cluster,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      families: mix.families,
      totals: mix.totals,
      ...((active.truncated || running.truncated) && { truncated: true }),
      estimatedSaving: {
        currency: 'USD',
        amount: mix.saving,
        fallbackCost: mix.fallbackCost,
        pricesRegion: deps.prices.region,
        prices: deps.prices.prices,
      },
    };
  }

  return {
    'GET /clusters/{cluster}': async ({ path }) => {
      allowed(path.cluster);
      return json(200, await state(path.cluster));
    },

    'GET /clusters/{cluster}/capacity': async ({ path, query }) => {
      allowed(path.cluster);
      const toMs = query.to ? Date.parse(query.to) : now();
      const fromMs = query.from ? Date.parse(query.from) : toMs - DEFAULT_WINDOW_HOURS * HOUR_MS;
      if (toMs > now() + 60_000) throw badRequest('invalid query: to: must not be in the future');
      if (fromMs >= toMs) throw badRequest('invalid query: from: must be before to');
      if (toMs - fromMs > MAX_WINDOW_DAYS * 24 * HOUR_MS) {
        throw badRequest(`invalid query: from: the window must be at most ${MAX_WINDOW_DAYS} days`);
      }
      return json(200, await capacity(path.cluster, fromMs, toMs));
    },

    'POST /tasks/{taskId}/stop': async ({ path, body, event }) => {
      const history = body.cluster ? undefined : await deps.getTaskHistory(path.taskId);
      const cluster = body.cluster ?? history?.summary?.cluster;
      if (!cluster) {
        throw notFound(`ecs-autopilot has no history of task ${path.taskId}: give its cluster in the body`);
      }
      allowed(cluster);
      const task = await ecsRead(cluster, deps.reader.task(cluster, path.taskId));
      if (!task) throw notFound(`ECS has no task ${path.taskId} in cluster ${cluster}`);
      const answer = { cluster, taskArn: task.taskArn, family: task.family, reason: body.reason };
      // Stopped or stopping already: nothing is done twice (a retried call answers the same).
      if (task.desiredStatus === 'STOPPED') {
        return json(200, { ...answer, lastStatus: task.lastStatus, alreadyStopping: true });
      }
      const caller = callerOf(event);
      // The decision comes first: whatever the task's containers exit with, its STOPPED event finds a task
      // decided on, and nothing restarts it (an existing decision, a Spot move, is kept).
      await deps.decisions.putDecision(path.taskId, {
        taskArn: task.taskArn,
        action: 'none',
        reason: `stopped through the API by ${caller}`,
        decidedAt: new Date(now()).toISOString(),
        events: [],
        done: true,
        stoppedBy: caller,
      });
      await deps.actions.stopTask(cluster, task.taskArn, body.reason);
      deps.reader.forget(cluster);
      const done = await recorded(event, {
        cluster,
        kind: 'stop-task',
        taskArn: task.taskArn,
        family: task.family,
        detail: body.reason,
      });
      return json(200, { ...answer, lastStatus: task.lastStatus, requestedBy: done.by, at: done.at });
    },

    'PATCH /services/{cluster}/{service}': async ({ path: { cluster, service }, body, event }) => {
      allowed(cluster);
      const { minDesiredCount: min, maxDesiredCount: max } = deps.serviceLimits;
      if (body.desiredCount < min || body.desiredCount > max) {
        throw badRequest(
          `invalid body: desiredCount: must be from ${min} to ${max} (the stage's minServiceDesiredCount and maxServiceDesiredCount)`,
        );
      }
      const current = await ecsRead(cluster, deps.reader.service(cluster, service));
      if (!current) throw notFound(`ECS has no service ${service} in cluster ${cluster}`);
      await deps.actions.scaleService(cluster, service, body.desiredCount);
      deps.reader.forget(cluster);
      const done = await recorded(event, {
        cluster,
        kind: 'scale-service',
        service,
        detail: `desiredCount ${current.desiredCount} -> ${body.desiredCount}`,
      });
      return json(200, {
        cluster,
        service,
        desiredCount: body.desiredCount,
        previousDesiredCount: current.desiredCount,
        requestedBy: done.by,
        at: done.at,
      });
    },

    'POST /services/{cluster}/{service}/redeploy': async ({ path: { cluster, service }, event }) => {
      allowed(cluster);
      const current = await ecsRead(cluster, deps.reader.service(cluster, service));
      if (!current) throw notFound(`ECS has no service ${service} in cluster ${cluster}`);
      await deps.actions.redeployService(cluster, service);
      deps.reader.forget(cluster);
      const done = await recorded(event, { cluster, kind: 'redeploy-service', service });
      return json(200, { cluster, service, requestedBy: done.by, at: done.at });
    },
  };
}

const DEFAULT_WINDOW_HOURS = 24;
const MAX_WINDOW_DAYS = 31;

/** The event each caller's action publishes (source ecs-autopilot). */
const ACTION_EVENTS: Partial<Record<OperatorAction['kind'], string>> = {
  'stop-task': 'Task Stop Requested',
  'scale-service': 'Service Scaled',
  'redeploy-service': 'Service Redeploy Requested',
};
