/**
 * Where tasks go: launch type / capacity provider strategy resolution and validation (a launch names one of
 * them, not both), base-then-weight distribution across providers, and bin-checking on EC2 container instances.
 */

import {
  CAPACITY_UNAVAILABLE,
  type Cluster,
  type ContainerInstance,
  type Failure,
  type LaunchTarget,
  type LaunchType,
  type NetworkConfiguration,
  type StrategyItem,
  type TaskDefinition,
} from './model';
import type { EcsState } from './state';
import { type Input, invalid, obj, objList, str, strList } from './util';

/** launchType XOR capacityProviderStrategy; neither means the cluster default strategy (or EC2 without one). */
export function resolveTarget(state: EcsState, cluster: Cluster, input: Input): LaunchTarget {
  const launchType = str(input, 'launchType');
  const strategy = objList(input, 'capacityProviderStrategy');
  if (launchType && strategy?.length) {
    // moto's wording; the real AWS text is UNCERTAIN.
    throw invalid('Specify either Launch Type or Capacity Provider Strategy, but not both.');
  }
  if (launchType) {
    if (launchType !== 'FARGATE' && launchType !== 'EC2') {
      throw invalid(`The sandbox supports launch types FARGATE and EC2, not ${launchType}.`);
    }
    return { launchType };
  }
  if (strategy?.length) return { strategy: validateStrategy(state, cluster, strategy) };
  if (cluster.defaultStrategy.length) return { strategy: cluster.defaultStrategy };
  return { launchType: 'EC2' };
}

export function validateStrategy(state: EcsState, cluster: Cluster, items: Input[]): StrategyItem[] {
  if (items.length > 20) throw invalid('A capacity provider strategy can have at most 20 items.');
  const strategy = items.map((item) => {
    const capacityProvider = item.capacityProvider;
    const weight = item.weight ?? 0;
    const base = item.base ?? 0;
    if (typeof capacityProvider !== 'string' || !capacityProvider)
      throw invalid('capacityProvider is required.');
    if (typeof weight !== 'number' || weight < 0 || weight > 1000) throw invalid('weight must be 0..1000.');
    if (typeof base !== 'number' || base < 0 || base > 100000) throw invalid('base must be 0..100000.');
    return { capacityProvider, weight, base };
  });
  const names = strategy.map((item) => item.capacityProvider);
  if (new Set(names).size !== names.length) {
    throw invalid('A capacity provider strategy cannot contain the same capacity provider twice.');
  }
  const providers = names.map((name) => state.requireProvider(name));
  if (names.some((name) => !cluster.capacityProviders.includes(name))) {
    throw invalid(
      'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
    );
  }
  if (strategy.filter((item) => item.base > 0).length > 1) {
    throw invalid(
      'You can only specify a base value for one capacity provider in a capacity provider strategy.',
    );
  }
  if (!strategy.some((item) => item.weight > 0)) {
    throw invalid('At least one capacity provider in the strategy must have a weight greater than zero.');
  }
  if (new Set(providers.map((provider) => provider.fargate)).size > 1) {
    throw invalid(
      'A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.',
    );
  }
  return strategy;
}

export function isFargateTarget(state: EcsState, target: LaunchTarget): boolean {
  if ('launchType' in target) return target.launchType === 'FARGATE';
  return target.strategy.some((item) => state.provider(item.capacityProvider)?.fargate);
}

/** Fargate needs a Fargate-compatible (awsvpc, task-level cpu/memory) task definition. */
export function checkCompatibility(state: EcsState, td: TaskDefinition, target: LaunchTarget): void {
  const fargate = isFargateTarget(state, target);
  if (fargate && !td.compatibilities.includes('FARGATE')) {
    throw invalid('Task definition does not support launch_type FARGATE.');
  }
  if (!fargate && !td.compatibilities.includes('EC2'))
    throw invalid('Task definition does not support launch_type EC2.');
}

/** awsvpc needs subnets; other network modes must not carry a network configuration (texts as observed). */
export function readNetworkConfiguration(
  input: Input,
  td: TaskDefinition,
  fargate: boolean,
): NetworkConfiguration | undefined {
  const vpc = obj(obj(input, 'networkConfiguration') ?? {}, 'awsvpcConfiguration');
  if (td.networkMode !== 'awsvpc') {
    if (vpc)
      throw invalid('Network Configuration is not valid for the given networkMode of this task definition.');
    return undefined;
  }
  const subnets = vpc ? strList(vpc, 'subnets') : undefined;
  if (!vpc || !subnets?.length) {
    throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (subnets.length > 16) throw invalid('subnets can have at most 16 items.');
  const securityGroups = strList(vpc, 'securityGroups');
  if (securityGroups && securityGroups.length > 5) throw invalid('securityGroups can have at most 5 items.');
  const assignPublicIp = str(vpc, 'assignPublicIp');
  if (assignPublicIp && !['ENABLED', 'DISABLED'].includes(assignPublicIp)) {
    throw invalid('assignPublicIp must be ENABLED or DISABLED.');
  }
  if (assignPublicIp === 'ENABLED' && !fargate)
    throw invalid('Assign public IP is not supported for this launch type.');
  const awsvpcConfiguration: NetworkConfiguration['awsvpcConfiguration'] = { subnets };
  if (securityGroups) awsvpcConfiguration.securityGroups = securityGroups;
  if (assignPublicIp) awsvpcConfiguration.assignPublicIp = assignPublicIp;
  return { awsvpcConfiguration };
}

/**
 * One provider name per task: base first (only one item may have a base), then by weight. `existing` counts
 * tasks already on each provider (a service's running tasks), so the split holds across reconciles.
 */
export function distribute(
  strategy: StrategyItem[],
  count: number,
  existing = new Map<string, number>(),
): string[] {
  const counts = new Map(
    strategy.map((item) => [item.capacityProvider, existing.get(item.capacityProvider) ?? 0]),
  );
  const chosen: string[] = [];
  for (let n = 0; n < count; n++) {
    const pick =
      strategy.find((item) => item.base > (counts.get(item.capacityProvider) ?? 0)) ??
      weightedPick(strategy, counts);
    counts.set(pick.capacityProvider, (counts.get(pick.capacityProvider) ?? 0) + 1);
    chosen.push(pick.capacityProvider);
  }
  return chosen;
}

function weightedPick(strategy: StrategyItem[], counts: Map<string, number>): StrategyItem {
  let best: StrategyItem | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const item of strategy) {
    if (item.weight <= 0) continue;
    const beyondBase = Math.max(0, (counts.get(item.capacityProvider) ?? 0) - item.base);
    const score = (beyondBase + 1) / item.weight;
    if (score < bestScore) {
      best = item;
      bestScore = score;
    }
  }
  if (!best)
    throw invalid('At least one capacity provider in the strategy must have a weight greater than zero.');
  return best;
}

export interface Placement {
  launchType: LaunchType;
  capacityProviderName?: string;
  instance?: ContainerInstance;
}

export interface PlacementFailure extends Failure {
  arn: string;
  capacityProviderName?: string;
}

export interface Plan {
  placed: Placement[];
  failures: PlacementFailure[];
}

export interface PlanOptions {
  cpu: number;
  memory: number;
  existing?: Map<string, number>;
}

/**
 * Decides where `count` tasks would go without changing anything, so a request can still be throttled or
 * rejected whole after planning. Fargate Spot and EC2 Spot fail while Spot capacity is switched off; Fargate
 * never falls back to on-demand ("AWS Fargate capacity providers", Amazon ECS Developer Guide).
 */
export function planPlacement(
  state: EcsState,
  cluster: Cluster,
  target: LaunchTarget,
  count: number,
  options: PlanOptions,
): Plan {
  const plan: Plan = { placed: [], failures: [] };
  const reserved = new Map<string, { cpu: number; memory: number }>();
  const providers: Array<string | undefined> =
    'launchType' in target
      ? Array.from({ length: count }, () => undefined)
      : distribute(target.strategy, count, options.existing);
  for (const providerName of providers) {
    const provider = providerName ? state.provider(providerName) : undefined;
    const fargate = provider ? provider.fargate : 'launchType' in target && target.launchType === 'FARGATE';
    if (fargate) {
      if (provider?.spot && !state.spotCapacity) {
        plan.failures.push({
          arn: provider.arn,
          reason: CAPACITY_UNAVAILABLE,
          capacityProviderName: provider.name,
        });
      } else {
        plan.placed.push({ launchType: 'FARGATE', capacityProviderName: provider?.name });
      }
      continue;
    }
    const candidates = state
      .instancesOf(cluster)
      .filter(
        (instance) =>
          instance.status === 'ACTIVE' && (!provider || instance.capacityProviderName === provider.name),
      );
    const spotOut = provider?.spot && !state.spotCapacity;
    const fit = spotOut ? { reason: 'RESOURCE:CPU' } : pickInstance(state, candidates, reserved, options);
    if ('instance' in fit) {
      plan.placed.push({ launchType: 'EC2', capacityProviderName: provider?.name, instance: fit.instance });
    } else {
      const arn = candidates[0]?.arn ?? provider?.arn ?? cluster.arn;
      plan.failures.push({ arn, reason: fit.reason, capacityProviderName: provider?.name });
    }
  }
  return plan;
}

/** Spread: the instance with the most free memory that fits; otherwise which resource ran out. */
function pickInstance(
  state: EcsState,
  candidates: ContainerInstance[],
  reserved: Map<string, { cpu: number; memory: number }>,
  need: { cpu: number; memory: number },
): { instance: ContainerInstance } | { reason: string } {
  const free = candidates.map((instance) => {
    const remaining = state.remaining(instance);
    const held = reserved.get(instance.id) ?? { cpu: 0, memory: 0 };
    return { instance, cpu: remaining.cpu - held.cpu, memory: remaining.memory - held.memory };
  });
  const cpuFits = free.filter((entry) => entry.cpu >= need.cpu);
  if (cpuFits.length === 0) return { reason: 'RESOURCE:CPU' };
  const fits = cpuFits.filter((entry) => entry.memory >= need.memory);
  if (fits.length === 0) return { reason: 'RESOURCE:MEMORY' };
  const best = fits.reduce((a, b) => (b.memory > a.memory ? b : a));
  const held = reserved.get(best.instance.id) ?? { cpu: 0, memory: 0 };
  reserved.set(best.instance.id, { cpu: held.cpu + need.cpu, memory: held.memory + need.memory });
  return { instance: best.instance };
}
