import type { Logger } from '@aws-lambda-powertools/logger';
import { buildAttemptChain, type ChainTask } from '../../domain/attemptChain';
import { type BudgetSettings, breakerKey } from '../../domain/budgets';
import { launchStatus } from '../../domain/launchOutcome';
import { serviceHistoryView } from '../../domain/serviceFallback';
import { lastArnSegment } from '../../domain/taskEvent';
import { badRequest, callerOf, json, notFound } from '../../http';
import type {
  GetTaskHistory,
  LaunchBudgets,
  LaunchStore,
  ListTasks,
  ServiceStateStore,
  TaskHistory,
} from '../../ports';
import { InvalidPageTokenError } from '../../ports';
import { buildBreakerView } from './breakerView';
import { buildApiDispatch } from './dispatch';
import type { RouteHandlers } from './routes';

export interface ApiDeps {
  getTaskHistory: GetTaskHistory;
  listTasks: ListTasks;
  /** Service Spot fallback state. */
  getServiceState: ServiceStateStore['getState'];
  /** The other routes: schedules, run-now and the document (scheduleRoutes.ts), clusters (clusterRoutes.ts). */
  routes: Omit<RouteHandlers, CoreRouteKey>;
  /** The launches decisions asked for, to say what became of one that started nothing yet. */
  launches?: Pick<LaunchStore, 'getAttempts'>;
  /** The restart circuit breakers (src/app/launchGuard.ts): look at one, close one. */
  breakers: {
    budgets: Pick<LaunchBudgets, 'state' | 'reset'>;
    rule: BudgetSettings['breaker'];
    logger: Pick<Logger, 'info'>;
  };
}

const MAX_CHAIN_HOPS = 12;

function chainTask(taskArn: string, h: TaskHistory): ChainTask {
  const lineage = h.launch?.lineage;
  const s = h.summary;
  return {
    taskArn,
    attempt: lineage?.attempt ?? 0,
    current:
      s?.lastStatus === 'STOPPED'
        ? {
            exitCode: s.failure?.exitCode,
            stopCode: s.stopCode,
            stoppedReason: s.stoppedReason,
            failureKind: s.failure?.kind,
          }
        : undefined,
    decision: h.decision,
  };
}

export function buildApi(deps: ApiDeps) {
  /** Restart chain around a task: only for tasks in one (launched by a restart, or with a decision). */
  async function restartChain(taskId: string, history: TaskHistory) {
    const lineage = history.launch?.lineage;
    if (!lineage && !history.decision) return {};
    const taskArn = history.summary?.taskArn ?? history.launch?.taskArn ?? taskId;
    const forward: ChainTask[] = [];
    let next = history.decision?.replacementTaskArns?.[0];
    while (next && forward.length < MAX_CHAIN_HOPS) {
      const h = await deps.getTaskHistory(lastArnSegment(next));
      if (!h) break;
      forward.push(chainTask(next, h));
      next = h.decision?.replacementTaskArns?.[0];
    }
    return buildAttemptChain({ task: chainTask(taskArn, history), lineage, forward });
  }

  const breakerView = buildBreakerView(deps.breakers);

  /**
   * What became of the launch a decision asked for while it has no replacement yet: PENDING (waiting:
   * backoff, throttling, a paused breaker), or FAILED with why (a budget, the allowlist, RunTask).
   */
  async function replacementLaunch(history: TaskHistory) {
    const requestId = history.decision?.request?.requestId;
    if (!requestId || !deps.launches || history.decision?.replacementTaskArns) return {};
    return { replacementLaunch: { requestId, ...launchStatus(await deps.launches.getAttempts(requestId)) } };
  }

  const core: Pick<RouteHandlers, CoreRouteKey> = {
    'GET /tasks/{taskId}': async ({ path }) => {
      const history = await deps.getTaskHistory(path.taskId);
      if (!history) throw notFound(`no history for task ${path.taskId}`);
      return json(200, {
        task: history.summary ?? null,
        transitions: history.transitions,
        ...(history.launch && { launch: history.launch }),
        ...(history.decision && { decision: history.decision }),
        ...(await replacementLaunch(history)),
        ...(await restartChain(path.taskId, history)),
      });
    },
    'GET /services/{cluster}/{service}': async ({ path: { cluster, service } }) => {
      const stored = await deps.getServiceState(cluster, service);
      if (!stored) throw notFound(`ecs-autopilot never moved service ${cluster}/${service} off Spot`);
      return json(200, serviceHistoryView(stored.state));
    },
    'GET /restart-breakers/{family}': async ({ path }) => json(200, await breakerView(path.family)),
    'DELETE /restart-breakers/{family}': async ({ path, event }) => {
      const { budgets, logger } = deps.breakers;
      await budgets.reset(breakerKey(path.family));
      logger.info('restart circuit breaker closed by a caller', {
        family: path.family,
        caller: callerOf(event),
      });
      return json(200, await breakerView(path.family));
    },
    'GET /tasks': async ({ query }) => {
      try {
        return json(200, await deps.listTasks(query));
      } catch (error) {
        if (error instanceof InvalidPageTokenError)
          throw badRequest(`invalid query: nextToken: ${error.message}`);
        throw error;
      }
    },
  };

  return buildApiDispatch({ ...deps.routes, ...core });
}

/** The routes this module serves; the others are the schedule routes'. */
type CoreRouteKey =
  | 'GET /tasks/{taskId}'
  | 'GET /services/{cluster}/{service}'
  | 'GET /restart-breakers/{family}'
  | 'DELETE /restart-breakers/{family}'
  | 'GET /tasks';
