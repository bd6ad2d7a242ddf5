/** The emulator's in-memory state shapes. API and event JSON is produced from these by render.ts. */
import type { TimerHandle } from '../core';

export interface EcsTimings {
  provisioningMs: number;
  pendingMs: number;
  stoppingMs: number;
  deprovisioningMs: number;
  /** Fargate Spot: warning -> stop, default 120000 */
  spotWarningMs: number;
}

export const DEFAULT_TIMINGS: EcsTimings = {
  provisioningMs: 2_000,
  pendingMs: 3_000,
  stoppingMs: 2_000,
  deprovisioningMs: 2_000,
  spotWarningMs: 120_000,
};

/**
 * Stopped tasks stay describable this long: "at least one hour" (ListTasks,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html).
 */
export const STOPPED_TASK_RETENTION_MS = 3_600_000;
/** RunTask clientToken lifetime: 24 hours ("Ensuring idempotency", Amazon ECS API Reference). */
export const CLIENT_TOKEN_TTL_MS = 24 * 3_600_000;
/**
 * EC2 Spot: interruption warning -> instance terminated, two minutes ("Spot Instance interruption notices",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html).
 */
export const EC2_SPOT_WARNING_MS = 120_000;

export const CAPACITY_UNAVAILABLE =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';

export type Tags = Record<string, string>;
export type LaunchType = 'FARGATE' | 'EC2';
export interface KeyValue {
  name: string;
  value: string;
}

export interface StrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** How a launch is targeted: an explicit launch type, or a capacity provider strategy. */
export type LaunchTarget = { launchType: LaunchType } | { strategy: StrategyItem[] };

export interface NetworkConfiguration {
  awsvpcConfiguration: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: string };
}

export interface CapacityProvider {
  name: string;
  arn: string;
  fargate: boolean;
  spot: boolean;
  autoScalingGroupArn?: string;
  tags: Tags;
}

export interface Failure {
  arn?: string;
  reason: string;
  detail?: string;
}

export interface TokenRecord {
  paramsKey: string;
  taskArns: string[];
  failures: Failure[];
  expiresAt: number;
}

export interface Cluster {
  name: string;
  arn: string;
  status: 'ACTIVE';
  capacityProviders: string[];
  defaultStrategy: StrategyItem[];
  tags: Tags;
  /** RunTask idempotency tokens, scoped per cluster. */
  clientTokens: Map<string, TokenRecord>;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  environment: KeyValue[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  [member: string]: unknown;
}

export interface TaskDefinition {
  family: string;
  revision: number;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  containerDefinitions: ContainerDefinition[];
  networkMode: string;
  requiresCompatibilities: string[];
  compatibilities: string[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  /** Members we keep and echo without interpreting (volumes, runtimePlatform, ...). */
  passthrough: Record<string, unknown>;
  registeredAt: number;
  deregisteredAt?: number;
  tags: Tags;
}

export interface ContainerInstance {
  id: string;
  arn: string;
  clusterName: string;
  ec2InstanceId: string;
  capacityProviderName?: string;
  spot: boolean;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  cpu: number;
  memory: number;
  availabilityZone: string;
  /** ECS's built-in attributes (ecs.instance-type, ecs.availability-zone, ...); capabilities have no value. */
  attributes: InstanceAttribute[];
  registeredAt: number;
  updatedAt: number;
  version: number;
  agentConnected: boolean;
  tags: Tags;
}

export interface InstanceAttribute {
  name: string;
  value?: string;
}

export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export interface ContainerState {
  name: string;
  image: string;
  essential: boolean;
  arn: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  runtimeId?: string;
  exitCode?: number;
  reason?: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  /** Task definition environment merged with the container override (override wins). */
  environment: Record<string, string>;
}

export interface EniAttachment {
  id: string;
  status: 'PRECREATED' | 'ATTACHING' | 'ATTACHED' | 'DETACHING' | 'DETACHED' | 'DELETED';
  subnetId: string;
  networkInterfaceId: string;
  macAddress: string;
  privateIPv4Address: string;
  privateDnsName: string;
}

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: KeyValue[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  [member: string]: unknown;
}

export interface TaskOverrides {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  [member: string]: unknown;
}

export interface Task {
  id: string;
  arn: string;
  clusterName: string;
  taskDefinition: TaskDefinition;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  launchType: LaunchType;
  capacityProviderName?: string;
  containerInstanceId?: string;
  platformVersion?: string;
  availabilityZone: string;
  group: string;
  startedBy?: string;
  serviceName?: string;
  tags: Tags;
  overrides: TaskOverrides;
  cpu: number;
  memory: number;
  containers: ContainerState[];
  attachment?: EniAttachment;
  createdAt: number;
  updatedAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** TaskFailedToStart: containers never ran, so they never get exit codes. */
  failedToStart?: boolean;
  /** Lifecycle timers still to fire; cancelled when a stop overtakes them. */
  timers: TimerHandle[];
}

export interface DeploymentConfig {
  taskDefinition: TaskDefinition;
  target: LaunchTarget;
  networkConfiguration?: NetworkConfiguration;
}

export interface Deployment extends DeploymentConfig {
  /** Also the startedBy of the deployment's tasks: 'ecs-svc/<19 digits>'. */
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED';
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface Service {
  name: string;
  arn: string;
  clusterName: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  /** Newest first; deployments[0] is PRIMARY. */
  deployments: Deployment[];
  events: ServiceEvent[];
  tags: Tags;
  propagateTags: string;
  clientToken?: string;
  createdAt: number;
  steady: boolean;
  lastPlacementFailureEventAt?: number;
  reconcileTimer?: TimerHandle;
  retryTimer?: TimerHandle;
}
