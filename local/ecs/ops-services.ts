/** CreateService, UpdateService, DescribeServices, DeleteService, ListServices. */
import { AwsError } from '../core';
import type { EcsContext, Operation } from './context';
import type { Deployment, DeploymentConfig, Failure, Service } from './model';
import {
  checkCompatibility,
  isFargateTarget,
  readNetworkConfiguration,
  resolveTarget,
  validateStrategy,
} from './placement';
import { renderService } from './render';
import type { EcsState } from './state';
import {
  arns,
  bool,
  canonical,
  deploymentId,
  type Input,
  int,
  invalid,
  objList,
  paginate,
  readTags,
  requireArray,
  requiredStr,
  str,
  strList,
} from './util';

export function serviceOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    CreateService: (input) => createService(ctx, input),
    UpdateService: (input) => updateService(ctx, input),
    DeleteService: (input) => deleteService(ctx, input),
    DescribeServices: (input) => describeServices(ctx.state, input),
    ListServices: (input) => listServices(ctx.state, input),
  };
}

function newDeployment(state: EcsState, config: DeploymentConfig): Deployment {
  const now = state.now();
  return {
    ...config,
    id: deploymentId(),
    status: 'PRIMARY',
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
  };
}

function readDesiredCount(input: Input): number | undefined {
  const desiredCount = int(input, 'desiredCount');
  if (desiredCount !== undefined && desiredCount < 0) throw invalid('desiredCount must be at least 0.');
  return desiredCount;
}

function createService(ctx: EcsContext, input: Input) {
  const { state, scheduler } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const name = requiredStr(input, 'serviceName');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
    throw invalid('serviceName may contain up to 255 letters, numbers, hyphens and underscores.');
  const clientToken = str(input, 'clientToken');
  if (clientToken !== undefined && clientToken.length > 36)
    throw invalid('clientToken can be at most 36 characters.');
  const existing = state.findService(cluster, name);
  if (existing && existing.status !== 'INACTIVE') {
    if (clientToken && existing.clientToken === clientToken)
      return { service: renderService(state, existing) };
    throw invalid('Creation of service was not idempotent.');
  }
  const schedulingStrategy = str(input, 'schedulingStrategy') ?? 'REPLICA';
  if (schedulingStrategy !== 'REPLICA')
    throw invalid('The sandbox supports only the REPLICA scheduling strategy.');
  const taskDefinition = state.taskDefinitionToLaunch(requiredStr(input, 'taskDefinition'));
  const target = resolveTarget(state, cluster, input);
  checkCompatibility(state, taskDefinition, target);
  const networkConfiguration = readNetworkConfiguration(
    input,
    taskDefinition,
    isFargateTarget(state, target),
  );
  const propagateTags = str(input, 'propagateTags') ?? 'NONE';
  if (!['NONE', 'SERVICE', 'TASK_DEFINITION'].includes(propagateTags))
    throw invalid('Invalid propagateTags value.');
  const now = state.now();
  const service: Service = {
    name,
    arn: arns.service(cluster.name, name),
    clusterName: cluster.name,
    status: 'ACTIVE',
    // The model requires desiredCount for REPLICA services; the sandbox defaults it to 0.
    desiredCount: readDesiredCount(input) ?? 0,
    deployments: [],
    events: [],
    tags: readTags(input),
    propagateTags,
    clientToken,
    createdAt: now,
    steady: false,
  };
  state.services.set(`${cluster.name}/${name}`, service);
  scheduler.startDeployment(service, newDeployment(state, { taskDefinition, target, networkConfiguration }));
  return { service: renderService(state, service) };
}

function configKey(config: DeploymentConfig): string {
  const { taskDefinition, target, networkConfiguration } = config;
  return canonical({ taskDefinition: taskDefinition.arn, target, networkConfiguration });
}

function launchTypeOf(service: Service): string | undefined {
  const target = service.deployments[0]?.target;
  return target && 'launchType' in target ? target.launchType : undefined;
}

/** A new deployment when the task definition, strategy or network changes, or on forceNewDeployment. */
function updateService(ctx: EcsContext, input: Input) {
  const { state, scheduler } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const service = state.activeService(cluster, requiredStr(input, 'service'));
  const primary = service.deployments[0];
  if (!primary) throw new AwsError('ServerException', 'Service has no deployment.', 500);
  const desiredCount = readDesiredCount(input);
  const tdRef = str(input, 'taskDefinition');
  const taskDefinition = tdRef ? state.taskDefinitionToLaunch(tdRef) : primary.taskDefinition;
  const strategy = objList(input, 'capacityProviderStrategy');
  const target = strategy?.length ? { strategy: validateStrategy(state, cluster, strategy) } : primary.target;
  checkCompatibility(state, taskDefinition, target);
  const networkConfiguration =
    input.networkConfiguration === undefined &&
    taskDefinition.networkMode === primary.taskDefinition.networkMode
      ? primary.networkConfiguration
      : readNetworkConfiguration(input, taskDefinition, isFargateTarget(state, target));
  const config: DeploymentConfig = { taskDefinition, target, networkConfiguration };
  const changed = configKey(config) !== configKey(primary);
  if (desiredCount !== undefined && desiredCount !== service.desiredCount) {
    service.desiredCount = desiredCount;
    service.steady = false;
  }
  if (changed || bool(input, 'forceNewDeployment'))
    scheduler.startDeployment(service, newDeployment(state, config));
  else scheduler.schedule(service);
  return { service: renderService(state, service) };
}

/** Without force a service must be scaled to 0 first; with force its tasks are stopped and it drains away. */
function deleteService(ctx: EcsContext, input: Input) {
  const { state, scheduler } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  const service = state.activeService(cluster, requiredStr(input, 'service'));
  if (service.desiredCount > 0 && !bool(input, 'force')) {
    throw invalid('The service cannot be stopped while it is scaled above 0.');
  }
  service.desiredCount = 0;
  service.status = 'DRAINING';
  scheduler.schedule(service);
  return { service: renderService(state, service) };
}

function describeServices(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const refs = requireArray(strList(input, 'services'), 'services', 10);
  const withTags = (strList(input, 'include') ?? []).includes('TAGS');
  const services: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const service = state.findService(cluster, ref);
    if (service) services.push(renderService(state, service, withTags));
    else
      failures.push({
        arn: ref.startsWith('arn:') ? ref : arns.service(cluster.name, ref),
        reason: 'MISSING',
      });
  }
  return { services, failures };
}

function listServices(state: EcsState, input: Input) {
  const cluster = state.cluster(str(input, 'cluster'));
  const launchType = str(input, 'launchType');
  const matching = state
    .servicesOf(cluster)
    .filter(
      (service) =>
        service.status !== 'INACTIVE' && (launchType === undefined || launchTypeOf(service) === launchType),
    );
  const { page, nextToken } = paginate(matching, input, 10);
  return { serviceArns: page.map((service) => service.arn), ...(nextToken ? { nextToken } : {}) };
}
