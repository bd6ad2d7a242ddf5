/** Clusters and capacity providers: CreateCluster, DescribeClusters, ListClusters, PutClusterCapacityProviders, DescribeCapacityProviders. */
import type { EcsContext, Operation } from './context';
import type { Cluster, Failure, StrategyItem } from './model';
import { validateStrategy } from './placement';
import { CLUSTER_FIELDS, type ClusterField, renderCluster } from './render';
import type { EcsState } from './state';
import {
  arns,
  type Input,
  invalid,
  lastSegment,
  objList,
  paginate,
  readTags,
  str,
  strList,
  tagList,
} from './util';

export function clusterOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    CreateCluster: (input) => ({ cluster: renderCluster(ctx.state, createCluster(ctx.state, input)) }),
    DescribeClusters: (input) => describeClusters(ctx.state, input),
    ListClusters: (input) => listClusters(ctx.state, input),
    PutClusterCapacityProviders: (input) => putCapacityProviders(ctx, input),
    DescribeCapacityProviders: (input) => describeCapacityProviders(ctx.state, input),
  };
}

/** Capacity providers must exist; the default strategy may only use providers associated with the cluster. */
function readProviders(
  state: EcsState,
  cluster: Cluster,
  input: Input,
): { names: string[]; strategy: StrategyItem[] } {
  const names = (strList(input, 'capacityProviders') ?? []).map(lastSegment);
  for (const name of names) state.requireProvider(name);
  const items = objList(input, 'defaultCapacityProviderStrategy') ?? [];
  const strategy = items.length
    ? validateStrategy(state, { ...cluster, capacityProviders: names }, items)
    : [];
  return { names, strategy };
}

/** Idempotent: an existing cluster is returned unchanged. */
export function createCluster(state: EcsState, input: Input): Cluster {
  const name = str(input, 'clusterName') ?? 'default';
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw invalid('Cluster name may contain up to 255 letters, numbers, hyphens and underscores.');
  }
  const existing = state.clusters.get(name);
  if (existing) return existing;
  const cluster: Cluster = {
    name,
    arn: arns.cluster(name),
    status: 'ACTIVE',
    capacityProviders: [],
    defaultStrategy: [],
    tags: readTags(input),
    clientTokens: new Map(),
  };
  const { names, strategy } = readProviders(state, cluster, input);
  cluster.capacityProviders = names;
  cluster.defaultStrategy = strategy;
  state.clusters.set(name, cluster);
  return cluster;
}

function describeClusters(state: EcsState, input: Input) {
  const refs = strList(input, 'clusters') ?? ['default'];
  if (refs.length > 100) throw invalid('clusters can have at most 100 items.');
  const include = strList(input, 'include') ?? [];
  const unknown = include.find((field) => !(CLUSTER_FIELDS as readonly string[]).includes(field));
  // UNCERTAIN wording; the values are the ClusterField enum.
  if (unknown !== undefined) {
    throw invalid(`Invalid include value '${unknown}': use ${CLUSTER_FIELDS.join(', ')}.`);
  }
  const fields = new Set(include as ClusterField[]);
  const clusters: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const cluster = state.clusters.get(lastSegment(ref));
    if (cluster) clusters.push(renderCluster(state, cluster, fields));
    else failures.push({ arn: ref.startsWith('arn:') ? ref : arns.cluster(ref), reason: 'MISSING' });
  }
  return { clusters, failures };
}

function listClusters(state: EcsState, input: Input) {
  const { page, nextToken } = paginate([...state.clusters.values()], input);
  return { clusterArns: page.map((cluster) => cluster.arn), ...(nextToken ? { nextToken } : {}) };
}

function putCapacityProviders(ctx: EcsContext, input: Input) {
  const { state } = ctx;
  const cluster = state.cluster(str(input, 'cluster'));
  if (!Array.isArray(input.capacityProviders) || !Array.isArray(input.defaultCapacityProviderStrategy)) {
    throw invalid('capacityProviders and defaultCapacityProviderStrategy are required.');
  }
  const { names, strategy } = readProviders(state, cluster, input);
  cluster.capacityProviders = names;
  cluster.defaultStrategy = strategy;
  return { cluster: renderCluster(state, cluster) };
}

function describeCapacityProviders(state: EcsState, input: Input) {
  const refs = strList(input, 'capacityProviders') ?? [...state.providers.keys()];
  const withTags = (strList(input, 'include') ?? []).includes('TAGS');
  const capacityProviders: unknown[] = [];
  const failures: Failure[] = [];
  for (const ref of refs) {
    const provider = state.provider(ref);
    if (!provider) {
      failures.push({ arn: ref.startsWith('arn:') ? ref : arns.capacityProvider(ref), reason: 'MISSING' });
      continue;
    }
    capacityProviders.push({
      capacityProviderArn: provider.arn,
      name: provider.name,
      status: 'ACTIVE',
      ...(provider.autoScalingGroupArn
        ? {
            autoScalingGroupProvider: {
              autoScalingGroupArn: provider.autoScalingGroupArn,
              managedScaling: { status: 'DISABLED' },
              managedTerminationProtection: 'DISABLED',
            },
          }
        : {}),
      ...(withTags ? { tags: tagList(provider.tags) } : {}),
    });
  }
  return { capacityProviders, failures };
}
