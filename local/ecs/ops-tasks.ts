/** RunTask, StartTask, StopTask, DescribeTasks, ListTasks. */
import { AwsError } from '../core';
import type { EcsContext, Operation } from './context';
import {
  CLIENT_TOKEN_TTL_MS,
  type Cluster,
  type Failure,
  type LaunchTarget,
  type Tags,
  type Task,
  type TaskDefinition,
  type TaskOverrides,
} from './model';
import {
  checkCompatibility,
  isFargateTarget,
  type Placement,
  type Plan,
  planPlacement,
  readNetworkConfiguration,
  resolveTarget,
} from './placement';
import { renderTask } from './render';
import type { EcsState } from './state';
import { taskSize } from './tasks';
import type { Demand } from './throttle';
import {
  arns,
  canonical,
  clone,
  type Input,
  int,
  invalid,
  keyValues,
  obj,
  objList,
  paginate,
  readTags,
  requireArray,
  requiredStr,
  str,
  strList,
} from './util';

const CANNOT_STOP_MISSING = 'The referenced task was not found.';

export function taskOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    RunTask: (input) => runTask(ctx, input),
    StartTask: (input) => startTask(ctx, input),
    StopTask: (input) => stopTask(ctx, input),
    DescribeTasks: (input) => describeTasks(ctx.state, input),
    ListTasks: (input) => listTasks(ctx.state, input),
  };
}

/** The members RunTask and StartTask share: who launched the task, its tags and overrides. */
interface LaunchRequest {
  td: TaskDefinition;
  group: string;
  startedBy?: string;
  tags: Tags;
  overrides: TaskOverrides;
}

function readLaunchRequest(state: EcsState, input: Input): LaunchRequest {
  const td = state.taskDefinitionToLaunch(requiredStr(input, 'taskDefinition'));
  const startedBy = str(input, 'startedBy');
  if (startedBy !== undefined && (startedBy.length > 128 || !/^[A-Za-z0-9\-/_]*$/.test(startedBy))) {
    throw invalid(
      'startedBy may contain up to 128 letters (uppercase and lowercase), numbers, hyphens, slashes and underscores.',
    );
  }
  const group = str(input, 'group') ?? `family:${td.family}`;
  if (group.length > 255) throw invalid('group can be at most 255 characters.');
  const propagateTags = str(input, 'propagateTags') ?? 'NONE';
  if (propagateTags === 'SERVICE')
    throw invalid('The propagateTags value SERVICE is not valid for standalone tasks.');
  if (propagateTags !== 'NONE' && propagateTags !== 'TASK_DEFINITION')
    throw invalid('Invalid propagateTags value.');
  const tags = { ...(propagateTags === 'TASK_DEFINITION' ? td.tags : {}), ...readTags(input) };
  return { td, group, startedBy, tags, overrides: readOverrides(input, td) };
}

function readOverrides(input: Input, td: TaskDefinition): TaskOverrides {
  const overrides = obj(input, 'overrides');
  if (!overrides) return {};
  if (JSON.stringify(overrides).length > 8192)
    throw invalid('Container Overrides length must be at most 8192');
  for (const override of objList(overrides, 'containerOverrides') ?? []) {
    const name = override.name;
    if (typeof name !== 'string' || !td.containerDefinitions.some((c) => c.name === name)) {
      throw invalid(`Override for container named ${String(name)} is not a container in the TaskDefinition.`);
    }
    keyValues(override, 'environment');
    strList(override, 'command');
    for (const key of ['cpu', 'memory', 'memoryReservation']) int(override, key);
  }
  for (const key of ['cpu', 'memory', 'taskRoleArn', 'executionRoleArn']) str(overrides, key);
  return clone(overrides) as TaskOverrides;
}

function readClientToken(input: Input): string | undefined {
  const token = str(input, 'clientToken');
  if (token !== undefined && (token.length < 1 || token.length > 64 || !/^[\x21-\x7e]+$/.test(token))) {
    throw invalid('clientToken must be 1-64 printable ASCII characters.');
  }
  return token;
}

/**
 * clientToken: per cluster, 24 h. The same parameters return the original tasks in their current state;
 * different parameters are a ConflictException naming those tasks ("Ensuring idempotency",
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html).
 */
function replay(state: EcsState, cluster: Cluster, token: string, paramsKey: string) {
  const record = cluster.clientTokens.get(token);
  if (!record || record.expiresAt <= state.now()) return undefined;
  if (record.paramsKey !== paramsKey) {
    throw new AwsError(
      'ConflictException',
      'The specified client token has already been used in a previous request with different parameters.',
      400,
      { resourceIds: record.taskArns },
    );
  }
  const tasks = record.taskArns.flatMap((arn) => {
    const task = state.findTask(cluster, arn);
    return task ? [renderTask(state, task, 'api', true)] : [];
  });
  return { tasks, failures: record.failures };
}

function runTask(ctx: EcsContext, input: Input) {
  const { state } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const token = readClientToken(input);
  const paramsKey = canonical({ ...input, cluster: undefined, clientToken: undefined });
  const replayed = token ? replay(state, cluster, token, paramsKey) : undefined;
  if (replayed) return replayed;

  const request = readLaunchRequest(state, input);
  const count = int(input, 'count') ?? 1;
  // UNCERTAIN wording; the limit (1 to 10 tasks per RunTask) is the ECS API model's.
  if (count < 1 || count > 10) throw invalid('count must be between 1 and 10.');
  const target = resolveTarget(state, cluster, input);
  checkCompatibility(state, request.td, target);
  const networkConfiguration = readNetworkConfiguration(input, request.td, isFargateTarget(state, target));
  if ('launchType' in target && target.launchType === 'EC2' && !hasActiveInstances(state, cluster)) {
    throw invalid('No Container Instances were found in your cluster.');
  }
  const plan = planPlacement(state, cluster, target, count, taskSize(request.td, request.overrides));
  // Fargate limits are checked after planning (they count tasks) but before anything is created.
  ctx.throttler.admit(fargateDemands(state, target, plan.placed));

  const tasks = launchAll(ctx, cluster, request, plan.placed, networkConfiguration);
  const failures: Failure[] = plan.failures.map(({ arn, reason }) => ({ arn, reason }));
  // UNCERTAIN: whether AWS also binds a token to a call that launched nothing; we don't, so retries can succeed.
  if (token && tasks.length) {
    forgetExpiredTokens(cluster, state.now());
    cluster.clientTokens.set(token, {
      paramsKey,
      taskArns: tasks.map((task) => task.arn),
      failures,
      expiresAt: state.now() + CLIENT_TOKEN_TTL_MS,
    });
  }
  return { tasks: tasks.map((task) => renderTask(state, task, 'api', true)), failures };
}

/** Tokens share one TTL and a Map keeps insertion order, so the expired ones are always at the front. */
function forgetExpiredTokens(cluster: Cluster, now: number): void {
  for (const [token, record] of cluster.clientTokens) {
    if (record.expiresAt > now) return;
    cluster.clientTokens.delete(token);
  }
}

function hasActiveInstances(state: EcsState, cluster: Cluster): boolean {
  return state.instancesOf(cluster).some((instance) => instance.status === 'ACTIVE');
}

/**
 * 20 Fargate RunTask calls/s, and launches on separate on-demand and Spot buckets ("AWS Fargate throttling
 * quotas", https://docs.aws.amazon.com/AmazonECS/latest/userguide/throttling.html).
 */
function fargateDemands(state: EcsState, target: LaunchTarget, placed: Placement[]): Demand[] {
  if (!isFargateTarget(state, target)) return [];
  const spot = placed.filter((p) => p.capacityProviderName === 'FARGATE_SPOT').length;
  return [
    ['fargateRunTaskCalls', 1],
    ['fargateOnDemandLaunches', placed.length - spot],
    ['fargateSpotLaunches', spot],
  ];
}

function launchAll(
  ctx: EcsContext,
  cluster: Cluster,
  request: LaunchRequest,
  placements: Placement[],
  networkConfiguration: ReturnType<typeof readNetworkConfiguration>,
): Task[] {
  return placements.map((placement) =>
    ctx.engine.launch({
      cluster,
      taskDefinition: request.td,
      placement,
      group: request.group,
      startedBy: request.startedBy,
      tags: request.tags,
      overrides: request.overrides,
      networkConfiguration,
    }),
  );
}

/** StartTask: one task on each named container instance (EC2 only, no strategy). */
function startTask(ctx: EcsContext, input: Input) {
  const { state } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const refs = requireArray(strList(input, 'containerInstances'), 'containerInstances', 10);
  const request = readLaunchRequest(state, input);
  checkCompatibility(state, request.td, { launchType: 'EC2' });
  const networkConfiguration = readNetworkConfiguration(input, request.td, false);
  const size = taskSize(request.td, request.overrides);
  const plan: Plan = { placed: [], failures: [] };
  for (const ref of refs) {
    const instance = state.findInstance(cluster, ref);
    const arn = instance?.arn ?? (ref.startsWith('arn:') ? ref : arns.containerInstance(cluster.name, ref));
    const remaining = instance && state.remaining(instance);
    const reserved = plan.placed.filter((p) => p.instance === instance).length;
    if (!instance) plan.failures.push({ arn, reason: 'MISSING' });
    else if (instance.status !== 'ACTIVE') plan.failures.push({ arn, reason: 'INACTIVE' });
    else if (instance.spot && !state.spotCapacity) plan.failures.push({ arn, reason: 'RESOURCE:CPU' });
    else if (remaining && remaining.cpu - reserved * size.cpu < size.cpu)
      plan.failures.push({ arn, reason: 'RESOURCE:CPU' });
    else if (remaining && remaining.memory - reserved * size.memory < size.memory) {
      plan.failures.push({ arn, reason: 'RESOURCE:MEMORY' });
    } else plan.placed.push({ launchType: 'EC2', instance });
  }
  const tasks = launchAll(ctx, cluster, request, plan.placed, networkConfiguration);
  const failures = plan.failures.map(({ arn, reason }) => ({ arn, reason }));
  return { tasks: tasks.map((task) => renderTask(state, task, 'api', true)), failures };
}

function stopTask(ctx: EcsContext, input: Input) {
  const { state } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const task = state.findTask(cluster, requiredStr(input, 'task'));
  if (!task) throw invalid(CANNOT_STOP_MISSING);
  const reason = str(input, 'reason');
  if (reason !== undefined && reason.length > 255) throw invalid('reason can be at most 255 characters.');
  // UNCERTAIN default text: "Task stopped by user" and "Stopped by user." are both observed.
  ctx.engine.requestStop(task, 'UserInitiated', reason ?? 'Task stopped by user');
  return { task: renderTask(state, task, 'api', true) };
}

function describeTasks(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const refs = requireArray(strList(input, 'tasks'), 'tasks', 100);
  const withTags = (strList(input, 'include') ?? []).includes('TAGS');
  const tasks: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const task = state.findTask(cluster, ref);
    if (task) tasks.push(renderTask(state, task, 'api', withTags));
    else
      failures.push({ arn: ref.startsWith('arn:') ? ref : arns.task(cluster.name, ref), reason: 'MISSING' });
  }
  return { tasks, failures };
}

/**
 * ListTasks' filters; cluster, maxResults and nextToken scope and page the listing rather than filter it.
 * AWS: "When you specify startedBy as the filter, it must be the only filter that you use" (ListTasks API
 * reference), answered with InvalidParameterException "cannot specify startedBy with other arguments"
 * (seen for family and launchType, aws/aws-sdk-go-v2#1893).
 * UNCERTAIN: whether desiredStatus counts. The reference calls it a filter, but public code (Apache
 * Airflow's ECS operator) passes desiredStatus RUNNING with startedBy; refusing it is the safe side, since
 * RUNNING is already the default.
 */
const LIST_TASKS_FILTERS = [
  'containerInstance',
  'daemonName',
  'desiredStatus',
  'family',
  'launchType',
  'serviceName',
] as const;

function listTasks(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const startedBy = str(input, 'startedBy');
  if (startedBy !== undefined && LIST_TASKS_FILTERS.some((key) => str(input, key) !== undefined)) {
    throw invalid('cannot specify startedBy with other arguments');
  }
  const family = str(input, 'family');
  const serviceName = str(input, 'serviceName');
  const launchType = str(input, 'launchType');
  const daemonName = str(input, 'daemonName');
  const desiredStatus = str(input, 'desiredStatus') ?? 'RUNNING';
  const instanceRef = str(input, 'containerInstance');
  if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desiredStatus)) throw invalid('Invalid desiredStatus.');
  const service = serviceName === undefined ? undefined : state.service(cluster, serviceName);
  const instance = instanceRef === undefined ? undefined : state.findInstance(cluster, instanceRef);
  if (instanceRef !== undefined && !instance)
    throw invalid('The referenced container instance was not found.');
  const matching = state.tasksOf(cluster).filter(
    (task) =>
      task.desiredStatus === desiredStatus &&
      (startedBy === undefined || task.startedBy === startedBy) &&
      (family === undefined || task.taskDefinition.family === family) &&
      (service === undefined || task.serviceName === service.name) &&
      (launchType === undefined || task.launchType === launchType) &&
      // The sandbox runs no daemons, so no task belongs to one.
      daemonName === undefined &&
      (instance === undefined || task.containerInstanceId === instance.id),
  );
  const { page, nextToken } = paginate(matching, input);
  return { taskArns: page.map((task) => task.arn), ...(nextToken ? { nextToken } : {}) };
}
