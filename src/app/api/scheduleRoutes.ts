import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type LaunchAllowlist, type LaunchTarget, refusalOf, type StackScope } from '../../domain/allowlist';
import {
  describeLimitIssues,
  type LaunchLimits,
  type LimitIssue,
  launchLimitIssues,
  scheduleLimitIssues,
} from '../../domain/guardrails';
import { bodyHash, idempotencyDigest, idempotencyKeyProblem } from '../../domain/idempotency';
import { launchStatus } from '../../domain/launchOutcome';
import type { LaunchRequest } from '../../domain/launchRequest';
import { asDueTimes, dueTimesBetween, nextRunTimes } from '../../domain/nextRunTimes';
import { shownRunStatus } from '../../domain/runOutcome';
import {
  applySchedulePatch,
  READ_ONLY_SCHEDULE_FIELDS,
  type Schedule,
  scheduleSchema,
  toRunTaskInput,
} from '../../domain/schedule';
import { REDACTED, restoreRedacted } from '../../domain/secrets';
import { badRequest, callerOf, httpError, json, notFound, parseRequest } from '../../http';
import type {
  LaunchStore,
  RunOutcomeStore,
  ScheduleRun,
  SchedulerPort,
  ScheduleStore,
  SendScheduleTrigger,
  StoredSchedule,
} from '../../ports';
import { InvalidPageTokenError, ScheduleConflictError, ScheduleLimitError } from '../../ports';
import type { LaunchResult } from '../launcher';
import { type buildRunScheduled, LaunchLeaseBusyError, scheduledRequestId } from '../scheduledRun';

/** Seconds between two due times a backfill sends, so they meet the concurrencyPolicy in order. */
export const BACKFILL_SPACING_SECONDS = 2;

import type { ClusterRouteKey } from './clusterRoutes';
import type { RouteHandlers } from './routes';

export { MAX_BODY_BYTES } from './dispatch';

export interface ScheduleApiDeps {
  schedules: ScheduleStore;
  /** Each schedule's run statistics (GET /schedules/{name}). */
  runs: Pick<RunOutcomeStore, 'getStats'>;
  /** POST /schedules/{name}/backfill: at most maxRuns due times (maxBackfillRuns), sent to the launch queue. */
  backfill: Pick<RunOutcomeStore, 'recordedRunIds'> & { maxRuns: number; sendTrigger: SendScheduleTrigger };
  scheduler: SchedulerPort;
  launch: (request: LaunchRequest) => Promise<LaunchResult>;
  launches: Pick<LaunchStore, 'getAttempts' | 'acceptLaunch' | 'getAcceptedLaunch'>;
  runScheduled: ReturnType<typeof buildRunScheduled>;
  allowlist: LaunchAllowlist;
  /** The stack's partition, Region and account: ARNs elsewhere are refused. */
  scope: StackScope;
  /** The stage's guardrails (stage parameters): schedule cadence, schedule count, task size. */
  limits: LaunchLimits;
  openApi: () => object;
  now?: () => number;
}

/** A schedule as its definition: without what the API keeps or computes (a PUT of a GET body ignores it). */
function withoutReadOnly(body: object): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body };
  for (const field of READ_ONLY_SCHEDULE_FIELDS) delete copy[field];
  return copy;
}

/**
 * A run as the API shows it: its status (its outcome once it has one, else what its launch is doing: PENDING,
 * RUNNING, or FAILED), its tasks, and how it ended (reason, exit codes, start, end, duration).
 */
function shownRun(run: ScheduleRun, launch?: ReturnType<typeof launchStatus>) {
  const { count: _count, succeededTaskIds: _succeeded, announced: _announced, outcome, ...fields } = run;
  const startedAt = outcome?.startedAt ?? run.startedAt;
  return {
    ...fields,
    status: shownRunStatus(run, launch?.status),
    taskArns: launch?.taskArns ?? [],
    ...(launch?.failures && { failures: launch.failures }),
    ...(startedAt !== undefined && { startedAt }),
    ...(outcome && {
      reason: outcome.reason,
      ...((outcome.cause ?? run.cause) !== undefined && { cause: outcome.cause ?? run.cause }),
      ...(outcome.exitCodes && { exitCodes: outcome.exitCodes }),
      endedAt: outcome.endedAt,
      ...(outcome.durationSeconds !== undefined && { durationSeconds: outcome.durationSeconds }),
    }),
  };
}

/** Where a launch's outcome is shown. */
export const launchPath = (requestId: string) => `/launches/${encodeURIComponent(requestId)}`;

const forbidden = (message: string) => httpError(403, 'Forbidden', message);

/**
 * The Idempotency-Key header, if sent, as the request names it; a 400 for a key out of the rule (never cut
 * short: two long keys cut to one prefix named one launch).
 */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.['idempotency-key'];
  if (key === undefined) return undefined;
  const problem = idempotencyKeyProblem(key);
  if (problem) throw badRequest(`invalid header: Idempotency-Key: ${problem}`);
  return key;
}

/** A body that breaks one of the stage's limits: a 400 naming each field, as a schema's problems. */
function checkLimits(issues: LimitIssue[]): void {
  if (issues.length > 0) throw badRequest(`invalid body: ${describeLimitIssues(issues)}`);
}

/** Launches only into allowlisted clusters and families of this stack; role overrides only for allowlisted roles. */
export function checkAllowed(launch: LaunchTarget, allow: LaunchAllowlist, scope: StackScope): void {
  const refusal = refusalOf(launch, allow, scope);
  if (refusal) throw forbidden(refusal.message);
}

/** The routes this module serves: schedules, run-now, launches and the document. */
export type ScheduleRoutes = Omit<
  RouteHandlers,
  | 'GET /tasks/{taskId}'
  | 'GET /services/{cluster}/{service}'
  | 'GET /restart-breakers/{family}'
  | 'DELETE /restart-breakers/{family}'
  | 'GET /tasks'
  | ClusterRouteKey
>;

export function buildScheduleRoutes(deps: ScheduleApiDeps): ScheduleRoutes {
  const now = deps.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();

  async function existing(name: string): Promise<StoredSchedule> {
    const found = await deps.schedules.get(name);
    if (!found) throw notFound(`no schedule ${name}`);
    return found;
  }

  /**
   * A schedule as it will be stored: environment values the API showed as REDACTED (a GET body sent back)
   * are the stored ones; a REDACTED value with nothing stored behind it is refused.
   */
  function withStoredSecrets(schedule: Schedule, previous?: StoredSchedule): Schedule {
    const incoming = schedule.overrides?.containerOverrides;
    const { overrides, missing } = restoreRedacted(incoming, previous?.overrides?.containerOverrides);
    if (missing.length > 0) {
      throw badRequest(
        `invalid body: overrides.containerOverrides: ${missing.join(', ')}: the value is ${REDACTED}, and no value is stored for it (send the value)`,
      );
    }
    if (!incoming || !schedule.overrides) return schedule;
    return {
      ...schedule,
      overrides: { ...schedule.overrides, containerOverrides: overrides as typeof incoming },
    };
  }

  /** The next version of a stored schedule (PUT, PATCH): who created it stays, who changed it is new. */
  function nextVersion(definition: Schedule, previous: StoredSchedule, caller: string): StoredSchedule {
    // Who paused it and why stays while it stays PAUSED; resuming clears it.
    const { pausedBy, pausedReason, pausedAt } = previous;
    return {
      ...definition,
      ...(definition.state === 'PAUSED' && pausedBy !== undefined && { pausedBy, pausedReason, pausedAt }),
      version: previous.version + 1,
      createdAt: previous.createdAt,
      createdBy: previous.createdBy,
      updatedAt: iso(),
      updatedBy: caller,
    };
  }

  /** Writes the definition, then the Scheduler schedule; a failure of the second undoes the first. */
  async function save(next: StoredSchedule, previous?: StoredSchedule): Promise<void> {
    try {
      if (previous) await deps.schedules.put(next, previous.version);
      else await deps.schedules.create(next, deps.limits.maxSchedules);
    } catch (error) {
      if (error instanceof ScheduleConflictError) throw httpError(409, 'Conflict', error.message);
      // A quota, not a bad request: the same body succeeds once a schedule is deleted.
      if (error instanceof ScheduleLimitError) throw httpError(409, 'LimitExceeded', error.message);
      throw error;
    }
    try {
      await deps.scheduler.put(next, previous ? 'update' : 'create');
    } catch (error) {
      if (previous) await deps.schedules.put(previous, next.version);
      else await deps.schedules.remove(next.name);
      throw error;
    }
  }

  /** What the launcher made of a launch started from the API: tasks, or failures with their reasons. */
  async function launchNow(request: LaunchRequest) {
    const result = await deps.launch(request);
    const { status, taskArns, failures } = launchStatus(await deps.launches.getAttempts(request.requestId));
    return {
      requestId: request.requestId,
      status,
      taskArns,
      ...(failures && { failures }),
      location: launchPath(request.requestId),
      ...(status === 'PENDING' && {
        message: `queued (${result}): GET ${launchPath(request.requestId)} shows the tasks it starts, or why it failed`,
      }),
    };
  }

  return {
    'GET /openapi.json': async () => json(200, deps.openApi()),

    'POST /schedules': async ({ body, event }) => {
      const schedule = withStoredSecrets(body);
      checkAllowed(schedule, deps.allowlist, deps.scope);
      checkLimits(scheduleLimitIssues(schedule, deps.limits));
      const at = iso();
      const stored: StoredSchedule = {
        ...schedule,
        version: 1,
        createdAt: at,
        updatedAt: at,
        createdBy: callerOf(event),
      };
      await save(stored);
      return json(201, stored);
    },

    'GET /schedules': async ({ query: q }) => {
      try {
        return json(200, await deps.schedules.list(q.limit, q.nextToken));
      } catch (error) {
        if (error instanceof InvalidPageTokenError)
          throw badRequest(`invalid query: nextToken: ${error.message}`);
        throw error;
      }
    },

    'GET /schedules/{name}': async ({ path }) => {
      const [schedule, stats] = await Promise.all([existing(path.name), deps.runs.getStats(path.name)]);
      return json(200, {
        ...schedule,
        nextRunTimes: nextRunTimes({ ...schedule, anchorMs: Date.parse(schedule.updatedAt) }, now()),
        ...(stats?.lastRun && { lastRun: stats.lastRun }),
        ...(stats?.streak && { streak: stats.streak }),
        ...(stats?.lastSuccessAt && { lastSuccessAt: stats.lastSuccessAt }),
      });
    },

    'PUT /schedules/{name}': async ({ path: { name }, body, rawBody: raw, event }) => {
      const version = body.version;
      const schedule = withoutReadOnly(body) as Schedule;
      if (schedule.name !== name) throw badRequest(`invalid body: name: must equal the path (${name})`);
      checkAllowed(schedule, deps.allowlist, deps.scope);
      const previous = await existing(name);
      if (version !== undefined && version !== previous.version) {
        throw httpError(
          409,
          'Conflict',
          `version: schedule ${name} is at version ${previous.version}, not ${version} (it changed since you read it)`,
        );
      }
      // A PUT that does not say `state` keeps it: replacing the definition never resumes a PAUSED schedule.
      if (!(raw && typeof raw === 'object' && 'state' in raw)) schedule.state = previous.state;
      checkLimits(scheduleLimitIssues(schedule, deps.limits));
      const next = nextVersion(withStoredSecrets(schedule, previous), previous, callerOf(event));
      await save(next, previous);
      return json(200, next);
    },

    'PATCH /schedules/{name}': async ({ path: { name }, body: patch, event }) => {
      const previous = await existing(name);
      const definition = withoutReadOnly(previous) as Schedule;
      const merged = parseRequest(scheduleSchema, applySchedulePatch(definition, patch), 'body');
      checkAllowed(merged, deps.allowlist, deps.scope);
      checkLimits(scheduleLimitIssues(merged, deps.limits));
      const next = nextVersion(withStoredSecrets(merged, previous), previous, callerOf(event));
      await save(next, previous);
      return json(200, next);
    },

    'DELETE /schedules/{name}': async ({ path: { name } }) => {
      await existing(name);
      // Scheduler first: a schedule left without its definition would fire into a skipped run; the reverse
      // (a definition without a schedule) is what a retry of this call repairs.
      await deps.scheduler.remove(name);
      await deps.schedules.remove(name);
      return { statusCode: 204 };
    },

    'POST /schedules/{name}/runs': async ({ path: { name }, event }) => {
      const schedule = await existing(name);
      checkAllowed(schedule, deps.allowlist, deps.scope);
      const key = idempotencyKey(event);
      // A schedule stored before a limit was lowered: run now as POST /tasks would, or not at all.
      const issues = launchLimitIssues(schedule, deps.limits);
      if (issues.length > 0) {
        throw httpError(
          409,
          'Conflict',
          `schedule ${name} breaks this stage's limits (change it first): ${describeLimitIssues(issues)}`,
        );
      }
      // The run's request id names the schedule, so a key is bound to it; the digest scopes it to the caller.
      const manualId = key ? idempotencyDigest(callerOf(event), key) : randomUUID();
      try {
        const { run, launched } = await deps.runScheduled(
          { trigger: 'manual', schedule: name, scheduledTime: iso() },
          launchNow,
          { requestedBy: callerOf(event), manualId },
        );
        return json(200, { ...shownRun(run), ...launched });
      } catch (error) {
        if (error instanceof LaunchLeaseBusyError) throw httpError(409, 'Conflict', error.message);
        throw error;
      }
    },

    'POST /schedules/{name}/backfill': async ({ path: { name }, body, event }) => {
      const schedule = await existing(name);
      checkAllowed(schedule, deps.allowlist, deps.scope);
      const issues = launchLimitIssues(schedule, deps.limits);
      if (issues.length > 0) {
        throw httpError(
          409,
          'Conflict',
          `schedule ${name} breaks this stage's limits (change it first): ${describeLimitIssues(issues)}`,
        );
      }
      const from = Date.parse(body.from);
      const to = Date.parse(body.to);
      const asked = now();
      if (to > asked) {
        throw badRequest(
          'invalid body: to: must not be after now (a backfill runs past due times; later ones run when due)',
        );
      }
      const max = deps.backfill.maxRuns;
      const spec = { ...schedule, anchorMs: Date.parse(schedule.updatedAt) };
      const due = dueTimesBetween(spec, from - 1, to - 1, max + 1);
      if (due.length > max) {
        throw badRequest(
          `invalid body: to: the window holds more than ${max} due times of ${schedule.expression} (the stage's maxBackfillRuns): narrow it`,
        );
      }
      const ran = await deps.backfill.recordedRunIds(name, from, to);
      const requestedAt = new Date(asked).toISOString();
      const planned = due.map((ms) => {
        const scheduledTime = new Date(ms).toISOString();
        return {
          scheduledTime,
          requestId: scheduledRequestId({ trigger: 'backfill', schedule: name, scheduledTime }),
        };
      });
      const toRun = planned.filter((run) => !ran.has(run.requestId));
      // In order: a few seconds apart, so each meets the concurrencyPolicy after the one before has started.
      for (const [index, run] of toRun.entries()) {
        await deps.backfill.sendTrigger(
          { trigger: 'backfill', schedule: name, scheduledTime: run.scheduledTime, requestedAt },
          index * BACKFILL_SPACING_SECONDS,
        );
      }
      const local = (runs: typeof planned) =>
        runs.map((run, i) => ({
          ...run,
          localTime: asDueTimes([Date.parse(run.scheduledTime)], schedule.timezone)[0]?.localTime ?? '',
          ...(runs === toRun && { startsInSeconds: i * BACKFILL_SPACING_SECONDS }),
        }));
      return json(202, {
        schedule: name,
        from: body.from,
        to: body.to,
        requestedAt,
        requestedBy: callerOf(event),
        runs: local(toRun),
        alreadyRun: local(planned.filter((run) => ran.has(run.requestId))),
      });
    },

    'GET /schedules/{name}/runs': async ({ path: { name }, query: q }) => {
      await existing(name);
      const page = await deps.schedules.listRuns(name, q.limit, q.nextToken).catch((error) => {
        if (error instanceof InvalidPageTokenError)
          throw badRequest(`invalid query: nextToken: ${error.message}`);
        throw error;
      });
      // Each run's tasks and outcome come from its launch record.
      const runs = await Promise.all(
        page.runs.map(async (run) =>
          run.status === 'PENDING'
            ? shownRun(run, launchStatus(await deps.launches.getAttempts(run.requestId)))
            : shownRun(run),
        ),
      );
      return json(200, { runs, nextToken: page.nextToken });
    },

    'POST /tasks': async ({ body: launch, event }) => {
      checkAllowed(launch, deps.allowlist, deps.scope);
      checkLimits(launchLimitIssues(launch, deps.limits));
      const key = idempotencyKey(event);
      const caller = callerOf(event);
      const request: LaunchRequest = {
        requestId: `t-${key ? idempotencyDigest(caller, key) : randomUUID()}`,
        reason: 'run-now',
        runTask: toRunTaskInput(launch),
        policy: launch.restartPolicy,
        capacityRetries: 0,
        deferSeconds: 0,
        requestedBy: caller,
      };
      // Recorded first, so GET /launches/{requestId} knows it even while ECS throttles its first RunTask.
      const hash = bodyHash(launch);
      const accepted = await deps.launches.acceptLaunch({
        requestId: request.requestId,
        reason: request.reason,
        requestedBy: request.requestedBy,
        acceptedAt: iso(),
        cluster: request.runTask.cluster,
        taskDefinition: request.runTask.taskDefinition,
        count: request.runTask.count,
        bodyHash: hash,
      });
      // The same key and body again is the same launch, answered again (the launcher starts nothing twice).
      if (!accepted.created && accepted.existing.bodyHash !== hash) {
        throw httpError(
          409,
          'Conflict',
          'Idempotency-Key: was used with another body (a new launch needs a new key)',
        );
      }
      const answer = await launchNow(request);
      return json(200, answer, { location: answer.location });
    },

    'GET /launches/{requestId}': async ({ path: { requestId } }) => {
      const [accepted, attempts] = await Promise.all([
        deps.launches.getAcceptedLaunch(requestId),
        deps.launches.getAttempts(requestId),
      ]);
      if (!accepted && attempts.length === 0) throw notFound(`no launch ${requestId}`);
      const { bodyHash: _hash, ...shown } = accepted ?? {};
      return json(200, { requestId, ...shown, ...launchStatus(attempts) });
    },
  };
}

export type { LaunchAllowlist };

export { callerOf };
