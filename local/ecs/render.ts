/**
 * Resources -> ECS JSON. Tasks render in two forms: 'api' (DescribeTasks & co: epoch-second
 * numbers, tags on request) and 'event' (EventBridge detail: ISO timestamps with milliseconds, no tags,
 * no health status).
 */

import type {
  Cluster,
  ContainerInstance,
  ContainerState,
  Deployment,
  EniAttachment,
  Service,
  Task,
  TaskDefinition,
} from './model';
import { isFargateTarget } from './placement';
import type { EcsState } from './state';
import { arns, compact, formatTime, type TimeFormat, tagList } from './util';

const ARCHITECTURE = { name: 'ecs.cpu-architecture', value: 'x86_64' };
/** The container agent every sandbox instance runs. */
export const AGENT_VERSION = '1.82.0';

function renderAttachment(attachment: EniAttachment) {
  return {
    id: attachment.id,
    type: 'eni',
    status: attachment.status,
    details: [
      { name: 'subnetId', value: attachment.subnetId },
      { name: 'networkInterfaceId', value: attachment.networkInterfaceId },
      { name: 'macAddress', value: attachment.macAddress },
      { name: 'privateDnsName', value: attachment.privateDnsName },
      { name: 'privateIPv4Address', value: attachment.privateIPv4Address },
    ],
  };
}

function renderContainer(task: Task, container: ContainerState, form: TimeFormat) {
  const eni = task.attachment;
  return compact({
    containerArn: container.arn,
    taskArn: task.arn,
    name: container.name,
    image: container.image,
    runtimeId: container.runtimeId,
    lastStatus: container.lastStatus,
    exitCode: container.exitCode,
    reason: container.reason,
    networkBindings: [],
    networkInterfaces: eni ? [{ attachmentId: eni.id, privateIpv4Address: eni.privateIPv4Address }] : [],
    healthStatus: form === 'api' ? 'UNKNOWN' : undefined,
    cpu: String(container.cpu),
    memory: container.memory === undefined ? undefined : String(container.memory),
    memoryReservation:
      container.memoryReservation === undefined ? undefined : String(container.memoryReservation),
  });
}

/** Real tasks list an entry per container even without overrides; events carry only containerOverrides. */
function renderOverrides(task: Task, form: TimeFormat) {
  const given = task.overrides.containerOverrides ?? [];
  const containerOverrides = task.taskDefinition.containerDefinitions.map(
    (definition) => given.find((override) => override.name === definition.name) ?? { name: definition.name },
  );
  if (form === 'event') return { containerOverrides };
  const { containerOverrides: _given, ...taskLevel } = task.overrides;
  return { containerOverrides, inferenceAcceleratorOverrides: [], ...taskLevel };
}

export function renderTask(state: EcsState, task: Task, form: TimeFormat, withTags = false) {
  const time = (ms: number | undefined) => formatTime(ms, form);
  const fargate = task.launchType === 'FARGATE';
  const instance = task.containerInstanceId ? state.instances.get(task.containerInstanceId) : undefined;
  return compact({
    attachments: task.attachment ? [renderAttachment(task.attachment)] : [],
    attributes: [ARCHITECTURE],
    availabilityZone: task.availabilityZone,
    capacityProviderName: task.capacityProviderName,
    clusterArn: arns.cluster(task.clusterName),
    connectivity: task.connectivityAt === undefined ? undefined : 'CONNECTED',
    connectivityAt: time(task.connectivityAt),
    containerInstanceArn: instance?.arn,
    containers: task.containers.map((container) => renderContainer(task, container, form)),
    cpu: String(task.cpu),
    createdAt: time(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: form === 'api' ? false : undefined,
    ephemeralStorage: form === 'api' && fargate ? { sizeInGiB: 20 } : undefined,
    executionStoppedAt: time(task.executionStoppedAt),
    group: task.group,
    healthStatus: form === 'api' ? 'UNKNOWN' : undefined,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: String(task.memory),
    overrides: renderOverrides(task, form),
    platformVersion: task.platformVersion,
    platformFamily: form === 'api' && fargate ? 'Linux' : undefined,
    pullStartedAt: time(task.pullStartedAt),
    pullStoppedAt: time(task.pullStoppedAt),
    startedAt: time(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: time(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: time(task.stoppingAt),
    tags: form === 'api' && withTags ? tagList(task.tags) : undefined,
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinition.arn,
    updatedAt: form === 'event' ? time(task.updatedAt) : undefined,
    version: task.version,
  });
}

function integerResource(name: string, value: number) {
  return { name, type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: value };
}

function portsResource(name: string, ports: string[]) {
  return { name, type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: ports };
}

const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];

export function renderContainerInstance(
  state: EcsState,
  instance: ContainerInstance,
  form: TimeFormat,
  withTags = false,
) {
  const remaining = state.remaining(instance);
  const live = state.tasksOn(instance).filter((task) => task.lastStatus !== 'STOPPED');
  const running = live.filter((task) => task.lastStatus === 'RUNNING').length;
  return compact({
    containerInstanceArn: instance.arn,
    ec2InstanceId: instance.ec2InstanceId,
    capacityProviderName: instance.capacityProviderName,
    clusterArn: form === 'event' ? arns.cluster(instance.clusterName) : undefined,
    version: instance.version,
    versionInfo: {
      agentVersion: AGENT_VERSION,
      agentHash: 'sandbox',
      dockerVersion: 'DockerVersion: 20.10.25',
    },
    remainingResources: [
      integerResource('CPU', remaining.cpu),
      integerResource('MEMORY', remaining.memory),
      portsResource('PORTS', RESERVED_PORTS),
      portsResource('PORTS_UDP', []),
    ],
    registeredResources: [
      integerResource('CPU', instance.cpu),
      integerResource('MEMORY', instance.memory),
      portsResource('PORTS', RESERVED_PORTS),
      portsResource('PORTS_UDP', []),
    ],
    status: instance.status,
    agentConnected: instance.agentConnected,
    runningTasksCount: running,
    pendingTasksCount: live.length - running,
    attributes: instance.attributes,
    registeredAt: formatTime(instance.registeredAt, form),
    updatedAt: form === 'event' ? formatTime(instance.updatedAt, form) : undefined,
    attachments: [],
    tags: form === 'api' && withTags ? tagList(instance.tags) : undefined,
  });
}

export function renderTaskDefinition(td: TaskDefinition) {
  return compact({
    taskDefinitionArn: td.arn,
    family: td.family,
    revision: td.revision,
    status: td.status,
    containerDefinitions: td.containerDefinitions,
    networkMode: td.networkMode,
    requiresCompatibilities: td.requiresCompatibilities,
    compatibilities: td.compatibilities,
    cpu: td.cpu,
    memory: td.memory,
    taskRoleArn: td.taskRoleArn,
    executionRoleArn: td.executionRoleArn,
    volumes: [],
    placementConstraints: [],
    requiresAttributes: [],
    ...td.passthrough,
    registeredAt: td.registeredAt / 1000,
    registeredBy: `arn:aws:iam::${td.arn.split(':')[4]}:root`,
    deregisteredAt: td.deregisteredAt === undefined ? undefined : td.deregisteredAt / 1000,
  });
}

/** DescribeClusters' include values (ClusterField). */
export const CLUSTER_FIELDS = ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] as const;
export type ClusterField = (typeof CLUSTER_FIELDS)[number];

/**
 * A cluster; `include` adds what DescribeClusters' include asks for ("If this field is omitted, this
 * information isn't included"). Without STATISTICS the list is empty, as in AWS's CreateCluster example.
 * CONFIGURATIONS adds nothing: the sandbox keeps no execute-command or managed-storage configuration.
 */
export function renderCluster(
  state: EcsState,
  cluster: Cluster,
  include: ReadonlySet<ClusterField> = new Set(['SETTINGS']),
) {
  const tasks = state.tasksOf(cluster);
  return compact({
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: cluster.status,
    registeredContainerInstancesCount: state
      .instancesOf(cluster)
      .filter((instance) => instance.status !== 'INACTIVE').length,
    runningTasksCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((task) => PENDING_STATUSES.includes(task.lastStatus)).length,
    activeServicesCount: state.servicesOf(cluster).filter((service) => service.status === 'ACTIVE').length,
    statistics: include.has('STATISTICS') ? clusterStatistics(state, cluster) : [],
    settings: include.has('SETTINGS') ? [{ name: 'containerInsights', value: 'disabled' }] : undefined,
    capacityProviders: cluster.capacityProviders,
    defaultCapacityProviderStrategy: cluster.defaultStrategy,
    // UNCERTAIN: ECS lists a capacity provider's scaling-policy attachments here; the sandbox's ASG providers
    // have managed scaling off, so there are none.
    attachments: include.has('ATTACHMENTS') ? [] : undefined,
    attachmentsStatus: include.has('ATTACHMENTS') ? 'UPDATE_COMPLETE' : undefined,
    tags: include.has('TAGS') ? tagList(cluster.tags) : undefined,
  });
}

const PENDING_STATUSES: readonly string[] = ['PROVISIONING', 'PENDING'];

/**
 * The task and service counts split by launch type, named and ordered as the Cluster.statistics
 * documentation lists them, values as strings (KeyValuePair).
 */
function clusterStatistics(state: EcsState, cluster: Cluster) {
  const tasks = state.tasksOf(cluster);
  const taskCount = (statuses: readonly string[], fargate: boolean) =>
    tasks.filter((task) => statuses.includes(task.lastStatus) && (task.launchType === 'FARGATE') === fargate)
      .length;
  const services = state.servicesOf(cluster);
  const serviceCount = (status: Service['status'], fargate: boolean) =>
    services.filter((service) => {
      const primary = service.deployments[0];
      return service.status === status && !!primary && isFargateTarget(state, primary.target) === fargate;
    }).length;
  const counts: Array<[string, number]> = [
    ['runningEC2TasksCount', taskCount(['RUNNING'], false)],
    ['runningFargateTasksCount', taskCount(['RUNNING'], true)],
    ['pendingEC2TasksCount', taskCount(PENDING_STATUSES, false)],
    ['pendingFargateTasksCount', taskCount(PENDING_STATUSES, true)],
    ['activeEC2ServiceCount', serviceCount('ACTIVE', false)],
    ['activeFargateServiceCount', serviceCount('ACTIVE', true)],
    ['drainingEC2ServiceCount', serviceCount('DRAINING', false)],
    ['drainingFargateServiceCount', serviceCount('DRAINING', true)],
  ];
  return counts.map(([name, value]) => ({ name, value: String(value) }));
}

/** The launch members shared by services and their deployments. */
function renderTarget(deployment: Deployment) {
  const fargate =
    'launchType' in deployment.target
      ? deployment.target.launchType === 'FARGATE'
      : deployment.target.strategy.some((item) => item.capacityProvider.startsWith('FARGATE'));
  return compact({
    launchType: 'launchType' in deployment.target ? deployment.target.launchType : undefined,
    capacityProviderStrategy: 'strategy' in deployment.target ? deployment.target.strategy : undefined,
    platformVersion: fargate ? 'LATEST' : undefined,
    platformFamily: fargate ? 'Linux' : undefined,
    networkConfiguration: deployment.networkConfiguration,
  });
}

function deploymentCounts(state: EcsState, service: Service, deployment: Deployment) {
  const tasks = [...state.tasks.values()].filter(
    (task) =>
      task.serviceName === service.name &&
      task.clusterName === service.clusterName &&
      task.startedBy === deployment.id &&
      task.desiredStatus === 'RUNNING',
  );
  const running = tasks.filter((task) => task.lastStatus === 'RUNNING').length;
  return { runningCount: running, pendingCount: tasks.length - running };
}

export function renderService(state: EcsState, service: Service, withTags = false) {
  const primary = service.deployments[0];
  const all = service.deployments.map((deployment) => deploymentCounts(state, service, deployment));
  return compact({
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: arns.cluster(service.clusterName),
    loadBalancers: [],
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: all.reduce((sum, counts) => sum + counts.runningCount, 0),
    pendingCount: all.reduce((sum, counts) => sum + counts.pendingCount, 0),
    ...(primary ? renderTarget(primary) : {}),
    taskDefinition: primary?.taskDefinition.arn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: service.deployments.map((deployment, index) => ({
      id: deployment.id,
      status: deployment.status,
      taskDefinition: deployment.taskDefinition.arn,
      desiredCount: deployment.status === 'PRIMARY' ? service.desiredCount : 0,
      ...all[index],
      failedTasks: 0,
      createdAt: deployment.createdAt / 1000,
      updatedAt: deployment.updatedAt / 1000,
      ...renderTarget(deployment),
      rolloutState: deployment.rolloutState,
      rolloutStateReason:
        deployment.rolloutState === 'COMPLETED'
          ? `ECS deployment ${deployment.id} completed.`
          : `ECS deployment ${deployment.id} in progress.`,
    })),
    events: service.events.map((event) => ({ ...event, createdAt: event.createdAt / 1000 })),
    createdAt: service.createdAt / 1000,
    placementConstraints: [],
    placementStrategy: [],
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    enableECSManagedTags: false,
    propagateTags: service.propagateTags,
    enableExecuteCommand: false,
    tags: withTags ? tagList(service.tags) : undefined,
  });
}
