/**
 * What a stage may launch on a caller's behalf (schedules, run-now): allowlisted clusters, task-definition
 * families and task roles, each named exactly. A cluster or task definition given as an ARN must also be in
 * the stack's own partition, Region and account: comparing only the name after the last "/" let
 * arn:aws:ecs:<other Region>:<other account>:cluster/batch pass as "batch".
 */

export interface LaunchAllowlist {
  clusters: ReadonlySet<string>;
  families: ReadonlySet<string>;
  taskRoles: ReadonlySet<string>;
}

/** Where the stack runs: an ARN of anywhere else is never ours to launch into. */
export interface StackScope {
  partition: string;
  region: string;
  account: string;
}

export interface LaunchTarget {
  cluster: string;
  taskDefinition: string;
  overrides?: { taskRoleArn?: string; executionRoleArn?: string };
}

/** Why a launch is not allowed: the field and the rule, as the 403 and the run history say it. */
export interface Refusal {
  field: string;
  message: string;
}

interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** arn:partition:service:region:account:resource (the resource may hold ':' and '/'). */
function parseArn(text: string): ParsedArn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/** The name an ECS ARN or name gives: cluster/<name>, task-definition/<family>[:rev], or the name itself. */
function ecsName(value: string, resourceType: string): string {
  const arn = parseArn(value);
  if (!arn) return value;
  return arn.resource.startsWith(`${resourceType}/`) ? arn.resource.slice(resourceType.length + 1) : '';
}

/** Why an ARN is outside the stack's scope, or undefined when it is inside (or not an ARN). */
function outsideScope(
  value: string,
  service: string,
  scope: StackScope,
  regional: boolean,
): string | undefined {
  const arn = parseArn(value);
  if (!arn) return undefined;
  if (arn.partition !== scope.partition) return `partition ${arn.partition} (this stack: ${scope.partition})`;
  if (arn.service !== service) return `service ${arn.service} (expected ${service})`;
  if (regional && arn.region !== scope.region) return `Region ${arn.region} (this stack: ${scope.region})`;
  if (arn.account !== scope.account) return `account ${arn.account} (this stack: ${scope.account})`;
  return undefined;
}

export const familyOf = (taskDefinition: string) => {
  const name = ecsName(taskDefinition, 'task-definition');
  return name.split(':')[0] ?? name;
};

export const clusterNameOf = (cluster: string) => ecsName(cluster, 'cluster');

/** Why the cluster or task definition ARN of `launch` is not the stack's own, or undefined. */
export function scopeRefusalOf(
  launch: Pick<LaunchTarget, 'cluster' | 'taskDefinition'>,
  scope: StackScope,
): Refusal | undefined {
  const clusterAway = outsideScope(launch.cluster, 'ecs', scope, true);
  if (clusterAway) {
    return {
      field: 'cluster',
      message: `cluster ${launch.cluster} is outside this stack's scope: ${clusterAway}`,
    };
  }
  const definitionAway = outsideScope(launch.taskDefinition, 'ecs', scope, true);
  if (definitionAway) {
    return {
      field: 'taskDefinition',
      message: `task definition ${launch.taskDefinition} is outside this stack's scope: ${definitionAway}`,
    };
  }
  return undefined;
}

/** The first reason `launch` may not run here, or undefined when it may. */
export function refusalOf(
  launch: LaunchTarget,
  allow: LaunchAllowlist,
  scope: StackScope,
): Refusal | undefined {
  const away = scopeRefusalOf(launch, scope);
  if (away) return away;
  const cluster = clusterNameOf(launch.cluster);
  if (!allow.clusters.has(cluster)) {
    return {
      field: 'cluster',
      message: `cluster ${cluster || launch.cluster} is not on this stage's allowlist (allowedClusters)`,
    };
  }
  const family = familyOf(launch.taskDefinition);
  if (!allow.families.has(family)) {
    return {
      field: 'taskDefinition',
      message: `task definition family ${family || launch.taskDefinition} is not on this stage's allowlist (allowedFamilies)`,
    };
  }
  for (const field of ['taskRoleArn', 'executionRoleArn'] as const) {
    const role = launch.overrides?.[field];
    if (!role) continue;
    const away = outsideScope(role, 'iam', scope, false);
    if (away || !allow.taskRoles.has(role)) {
      return {
        field: `overrides.${field}`,
        message: away
          ? `overrides.${field} ${role} is outside this stack's scope: ${away}`
          : `overrides.${field} ${role} is not on this stage's allowlist (allowedTaskRoles)`,
      };
    }
  }
  return undefined;
}

/**
 * The stage's allowlist parameters as the checks compare them: a cluster given as an ARN becomes its name
 * (after checking the ARN is the stack's own), a task role given by name becomes its ARN in the stack's
 * account. An entry of another account, Region or partition is a configuration error, named.
 */
export function allowlistFrom(
  entries: { clusters: Iterable<string>; families: Iterable<string>; taskRoles: Iterable<string> },
  scope: StackScope,
): LaunchAllowlist {
  const clusters = new Set<string>();
  for (const entry of entries.clusters) {
    const away = outsideScope(entry, 'ecs', scope, true);
    const name = clusterNameOf(entry);
    if (away || !name)
      throw new Error(`allowedClusters: ${entry} is not a cluster of this stack${away ? ` (${away})` : ''}`);
    clusters.add(name);
  }
  const taskRoles = new Set<string>();
  for (const entry of entries.taskRoles) {
    if (!entry.startsWith('arn:')) {
      taskRoles.add(`arn:${scope.partition}:iam::${scope.account}:role/${entry}`);
      continue;
    }
    const away = outsideScope(entry, 'iam', scope, false);
    if (away) throw new Error(`allowedTaskRoles: ${entry} is not a role of this stack's account (${away})`);
    taskRoles.add(entry);
  }
  return { clusters, families: new Set(entries.families), taskRoles };
}
