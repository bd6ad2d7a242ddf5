import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import { buildClusterRoutes, type ClusterApiDeps } from '../../src/app/api/clusterRoutes';
import { buildScheduleRoutes, type ScheduleApiDeps } from '../../src/app/api/scheduleRoutes';
import { type ApiDeps, buildApi } from '../../src/app/api/taskRoutes';
import { buildLaunch, type LauncherDeps } from '../../src/app/launcher';
import { buildRunScheduled, type ScheduledRunDeps } from '../../src/app/scheduledRun';
import { INTERNAL_ERROR_BODY, logHttpError } from '../../src/http';
import { sideEffects } from './sideEffects';

export interface ApiSideEffects {
  tasks: Omit<ApiDeps, 'routes'>;
  schedules: Omit<ScheduleApiDeps, 'launch' | 'runScheduled'>;
  clusters: ClusterApiDeps;
  launcher: LauncherDeps;
  scheduledRuns: ScheduledRunDeps;
  logger: Logger;
}

/** The HTTP API: every route of src/app/api/routes.ts; unexpected errors answer 500 without their details. */
export function makeApiHandler(effects: ApiSideEffects) {
  const routes = buildScheduleRoutes({
    ...effects.schedules,
    launch: buildLaunch(effects.launcher),
    runScheduled: buildRunScheduled(effects.scheduledRuns),
  });
  return middy(buildApi({ ...effects.tasks, routes: { ...routes, ...buildClusterRoutes(effects.clusters) } }))
    .use(injectLambdaContext(effects.logger))
    .use(httpErrorHandler({ logger: logHttpError(effects.logger), fallbackMessage: INTERNAL_ERROR_BODY }));
}

export const handler = makeApiHandler(sideEffects);
