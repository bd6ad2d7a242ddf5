/** Container instances: ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState. */
import type { EcsContext, Operation } from './context';
import type { ContainerInstance, Failure } from './model';
import { renderContainerInstance } from './render';
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

/**
 * The real API takes the cluster query language; the sandbox understands exactly `ec2InstanceId == i-...`
 * (optionally quoted).
 */
function parseFilter(filter: string | undefined): ((instance: ContainerInstance) => boolean) | undefined {
  if (filter === undefined) return undefined;
  const match = /^\s*ec2InstanceId\s*==\s*(["']?)([\w-]+)\1\s*$/.exec(filter);
  if (!match) throw invalid("The sandbox supports only filters of the form 'ec2InstanceId == i-...'.");
  const id = match[2];
  return (instance) => instance.ec2InstanceId === id;
}

function listInstances(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const filter = parseFilter(str(input, 'filter'));
  const status = str(input, 'status');
  const matching = state
    .instancesOf(cluster)
    .filter(
      (instance) =>
        (status === undefined ? instance.status !== 'INACTIVE' : instance.status === status) &&
        (filter === undefined || filter(instance)),
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
