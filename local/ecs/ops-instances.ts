/** Container instances: ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState. */
import type { EcsContext, Operation } from './context';
import type { ContainerInstance, Failure } from './model';
import { type InstanceFacts, parseClusterQuery } from './query';
import { AGENT_VERSION, renderContainerInstance } from './render';
import type { EcsState } from './state';
import { arns, type Input, invalid, paginate, requireArray, requiredStr, str, strList } from './util';

export function instanceOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    ListContainerInstances: (input) => listInstances(ctx.state, input),
    DescribeContainerInstances: (input) => describeInstances(ctx.state, input),
    UpdateContainerInstancesState: (input) => updateState(ctx, input),
  };
}

/**
 * Status change + "ECS Container Instance State Change" event. DRAINING makes the service scheduler move
 * service tasks elsewhere (standalone tasks are left alone, as in ECS).
 */
export function setInstanceStatus(
  ctx: EcsContext,
  instance: ContainerInstance,
  status: ContainerInstance['status'],
) {
  if (instance.status === status) return;
  const { state } = ctx;
  instance.status = status;
  instance.version += 1;
  instance.updatedAt = state.now();
  if (status === 'INACTIVE') instance.agentConnected = false;
  state.publish(
    'ECS Container Instance State Change',
    [instance.arn],
    renderContainerInstance(state, instance, 'event'),
  );
  const cluster = state.clusters.get(instance.clusterName);
  if (cluster) ctx.scheduler.scheduleAll(cluster);
}

/** ListContainerInstances' status values (ContainerInstanceStatus); INACTIVE ones are never listed. */
const LISTABLE_STATUSES = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'];

/** What the cluster query language can ask of an instance, from the same state the API renders. */
function factsOf(state: EcsState, instance: ContainerInstance): InstanceFacts {
  const live = state.tasksOn(instance).filter((task) => task.lastStatus !== 'STOPPED');
  return {
    agentConnected: instance.agentConnected,
    agentVersion: AGENT_VERSION,
    attributes: new Map(instance.attributes.map(({ name, value }) => [name, value])),
    ec2InstanceId: instance.ec2InstanceId,
    registeredAt: instance.registeredAt,
    runningTasksCount: live.filter((task) => task.lastStatus === 'RUNNING').length,
    taskGroups: live.map((task) => task.group),
  };
}

function listInstances(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const filterText = str(input, 'filter');
  const filter = filterText === undefined ? undefined : parseClusterQuery(filterText);
  const status = str(input, 'status');
  if (status !== undefined && !LISTABLE_STATUSES.includes(status)) {
    throw invalid(`status must be one of ${LISTABLE_STATUSES.join(', ')}.`);
  }
  const matching = state
    .instancesOf(cluster)
    .filter(
      (instance) =>
        (status === undefined ? instance.status !== 'INACTIVE' : instance.status === status) &&
        (filter === undefined || filter(factsOf(state, instance))),
    );
  const { page, nextToken } = paginate(matching, input);
  return { containerInstanceArns: page.map((instance) => instance.arn), ...(nextToken ? { nextToken } : {}) };
}

function describeInstances(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const refs = requireArray(strList(input, 'containerInstances'), 'containerInstances', 100);
  const withTags = (strList(input, 'include') ?? []).includes('TAGS');
  const containerInstances: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const instance = state.findInstance(cluster, ref);
    if (instance) containerInstances.push(renderContainerInstance(state, instance, 'api', withTags));
    else failures.push({ arn: missingArn(cluster.name, ref), reason: 'MISSING' });
  }
  return { containerInstances, failures };
}

function missingArn(cluster: string, ref: string): string {
  return ref.startsWith('arn:') ? ref : arns.containerInstance(cluster, ref);
}

function updateState(ctx: EcsContext, input: Input) {
  const { state } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const refs = requireArray(strList(input, 'containerInstances'), 'containerInstances', 10);
  const status = requiredStr(input, 'status');
  if (status !== 'ACTIVE' && status !== 'DRAINING') throw invalid('status must be ACTIVE or DRAINING.');
  const containerInstances: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const instance = state.findInstance(cluster, ref);
    if (!instance) failures.push({ arn: missingArn(cluster.name, ref), reason: 'MISSING' });
    else if (instance.status === 'INACTIVE') failures.push({ arn: instance.arn, reason: 'INACTIVE' });
    else {
      setInstanceStatus(ctx, instance, status);
      containerInstances.push(renderContainerInstance(state, instance, 'api'));
    }
  }
  return { containerInstances, failures };
}
