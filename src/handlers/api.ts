import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { LaunchBudgets } from '../adapters/launchBudgets';
import type { LaunchStore } from '../adapters/launchStore';
import type { ServiceStateStore } from '../adapters/serviceState';
import {
  type GetTaskHistory,
  InvalidPageTokenError,
  type ListTasks,
  type TaskHistory,
} from '../adapters/taskHistory';
import { buildAttemptChain, type ChainTask } from '../domain/attemptChain';
import { type BudgetSettings, breakerKey } from '../domain/budgets';
import { CLASSIFICATIONS } from '../domain/classify';
import { launchStatus } from '../domain/launchOutcome';
import type { Attempt } from '../domain/launchRequest';
import { redactEnvironmentValues } from '../domain/secrets';
import { serviceHistoryView } from '../domain/serviceFallback';
import { lastArnSegment } from '../domain/taskEvent';
import { badRequest, callerOf, httpError, json, notFound, pageParams, parseRequest } from '../http';
import * as z from '../zod';

export interface ApiDeps {
  getTaskHistory: GetTaskHistory;
  listTasks: ListTasks;
  /** Service Spot fallback state (absent in deployments without it). */
  getServiceState?: ServiceStateStore['getState'];
  /** More routes (schedules, run-now, OpenAPI) by route key. */
  routes?: Record<string, Route>;
  /** The launches decisions asked for, to say what became of one that started nothing yet. */
  launches?: Pick<LaunchStore, 'getAttempts'>;
  /** The restart circuit breakers (src/handlers/launchGuard.ts): look at one, close one. */
  breakers?: {
    budgets: Pick<LaunchBudgets, 'state' | 'reset'>;
    rule: BudgetSettings['breaker'];
    logger: Pick<Logger, 'info'>;
  };
}

const nameSchema = (what: string) =>
  z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, `must be a ${what} name (1 to 255 letters, digits, -, _)`));

type Route = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

const taskIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an ECS task id (1 to 64 letters, digits, -)'));

const listTasksQuerySchema = z.strictObject({
  cluster: z
    .string({ error: 'is required (tasks are listed per cluster)' })
    .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a cluster name (1 to 255 letters, digits, -, _)')),
  classification: z.optional(z.enum(CLASSIFICATIONS, `must be one of ${CLASSIFICATIONS.join(', ')}`)),
  since: z.optional(
    z.pipe(
      z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date or time')),
      z.transform((s: string) => new Date(Date.parse(s)).toISOString()),
    ),
  ),
  ...pageParams,
});

const MAX_CHAIN_HOPS = 12;

/**
 * Every answer of the API goes out with environment override values redacted (schedules, launch records,
 * decisions): one place, so no route can forget it.
 */
function withoutSecrets(result: APIGatewayProxyResultV2): APIGatewayProxyResultV2 {
  if (typeof result !== 'object' || typeof result.body !== 'string' || !result.body.includes('"environment"'))
    return result;
  return { ...result, body: JSON.stringify(redactEnvironmentValues(JSON.parse(result.body))) };
}

function chainTask(taskArn: string, h: TaskHistory): ChainTask {
  const lineage = h.launch?.lineage as { attempt?: number } | undefined;
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
    decision: h.decision as ChainTask['decision'],
  };
}

export function buildApiHandler(deps: ApiDeps) {
  /** Restart chain around a task: only for tasks in one (launched by a restart, or with a decision). */
  async function restartChain(taskId: string, history: TaskHistory) {
    const lineage = history.launch?.lineage as { originTaskArn: string; chain: Attempt[] } | undefined;
    if (!lineage && !history.decision) return {};
    const taskArn = (history.summary?.taskArn ?? history.launch?.taskArn ?? taskId) as string;
    const forward: ChainTask[] = [];
    let next = (history.decision?.replacementTaskArns as string[] | undefined)?.[0];
    while (next && forward.length < MAX_CHAIN_HOPS) {
      const h = await deps.getTaskHistory(lastArnSegment(next));
      if (!h) break;
      forward.push(chainTask(next, h));
      next = (h.decision?.replacementTaskArns as string[] | undefined)?.[0];
    }
    return buildAttemptChain({ task: chainTask(taskArn, history), lineage, forward });
  }

  function breakersOrThrow() {
    if (!deps.breakers) throw new Error('no restart circuit breakers in this deployment');
    return deps.breakers;
  }

  /** A family's breaker: open until when, and the relaunches that failed again in its window. */
  async function breakerView(family: string) {
    const { budgets, rule } = breakersOrThrow();
    const state = await budgets.state(breakerKey(family), rule.windowMinutes);
    const open = state.openUntil !== undefined && Date.parse(state.openUntil) > Date.now();
    return {
      family,
      state: open ? 'OPEN' : 'CLOSED',
      ...(open && { openUntil: state.openUntil }),
      relaunchesThatFailedAgain: state.used,
      limit: rule.relaunches,
      windowMinutes: rule.windowMinutes,
      cooldownMinutes: rule.cooldownMinutes,
    };
  }

  /**
   * What became of the launch a decision asked for while it has no replacement yet: PENDING (waiting:
   * backoff, throttling, a paused breaker), or FAILED with why (a budget, the allowlist, RunTask).
   */
  async function replacementLaunch(history: TaskHistory) {
    const requestId = (history.decision?.request as { requestId?: string } | undefined)?.requestId;
    if (!requestId || !deps.launches || history.decision?.replacementTaskArns) return {};
    return { replacementLaunch: { requestId, ...launchStatus(await deps.launches.getAttempts(requestId)) } };
  }

  const routes: Record<string, Route> = {
    ...deps.routes,
    'GET /tasks/{taskId}': async (event) => {
      const taskId = parseRequest(taskIdSchema, event.pathParameters?.taskId, { pathParameter: 'taskId' });
      const history = await deps.getTaskHistory(taskId);
      if (!history) throw notFound(`no history for task ${taskId}`);
      return json(200, {
        task: history.summary ?? null,
        transitions: history.transitions,
        ...(history.launch && { launch: history.launch }),
        ...(history.decision && { decision: history.decision }),
        ...(await replacementLaunch(history)),
        ...(await restartChain(taskId, history)),
      });
    },
    'GET /services/{cluster}/{service}': async (event) => {
      const cluster = parseRequest(nameSchema('cluster'), event.pathParameters?.cluster, {
        pathParameter: 'cluster',
      });
      const service = parseRequest(nameSchema('service'), event.pathParameters?.service, {
        pathParameter: 'service',
      });
      const stored = await deps.getServiceState?.(cluster, service);
      if (!stored) throw notFound(`ecs-autopilot never moved service ${cluster}/${service} off Spot`);
      return json(200, serviceHistoryView(stored.state));
    },
    'GET /restart-breakers/{family}': async (event) => {
      const family = parseRequest(nameSchema('task definition family'), event.pathParameters?.family, {
        pathParameter: 'family',
      });
      return json(200, await breakerView(family));
    },
    'DELETE /restart-breakers/{family}': async (event) => {
      const family = parseRequest(nameSchema('task definition family'), event.pathParameters?.family, {
        pathParameter: 'family',
      });
      const { budgets, logger } = breakersOrThrow();
      await budgets.reset(breakerKey(family));
      logger.info('restart circuit breaker closed by a caller', { family, caller: callerOf(event) });
      return json(200, await breakerView(family));
    },
    'GET /tasks': async (event) => {
      const query = parseRequest(listTasksQuerySchema, event.queryStringParameters ?? {}, 'query');
      try {
        return json(200, await deps.listTasks(query));
      } catch (error) {
        if (error instanceof InvalidPageTokenError)
          throw badRequest(`invalid query: nextToken: ${error.message}`);
        throw error;
      }
    },
  };

  const handle = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const route = routes[event.routeKey];
    if (!route) throw httpError(404, 'NotFound', `no route ${event.routeKey}`);
    return withoutSecrets(await route(event));
  };
  // The route keys it serves, for the check that serverless.yml and the OpenAPI document list the same.
  return Object.assign(handle, { routeKeys: Object.keys(routes) });
}
