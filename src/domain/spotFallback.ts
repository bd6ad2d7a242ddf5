import type { LaunchRequest, Lineage, RunTaskInput } from './launchRequest';
import { isServiceTask } from './lifecycle';
import {
  ATTEMPT_TAG,
  type LaunchRecordView,
  type NetworkDefaults,
  ORIGIN_TAG,
  REASON_TAG,
  rebuildRunTask,
  replacementRequestId,
  replacementStartedBy,
  replacementTags,
} from './restartDecision';
import { relaunchable } from './secrets';
import type { TaskDetail } from './taskEvent';
import { lastArnSegment } from './taskEvent';

/**
 * Spot to on-demand: when Spot capacity takes a task away (Fargate Spot's two-minute warning, an EC2
 * Spot interruption), start the same task at once on the on-demand counterpart of its provider.
 * ECS does this for neither Fargate nor standalone tasks.
 */
export const SPOT_FALLBACK_TAG = 'ecs-autopilot:spot-fallback';

/** Per cluster: Spot capacity provider -> its on-demand counterpart. FARGATE_SPOT -> FARGATE always holds. */
export type SpotMapping = Record<string, Record<string, string>>;

export function onDemandFor(provider: string, cluster: string, mapping: SpotMapping): string | undefined {
  return mapping[cluster]?.[provider] ?? (provider === 'FARGATE_SPOT' ? 'FARGATE' : undefined);
}

/** The Spot providers of a launch's strategy that have an on-demand counterpart in the cluster. */
export function spotProvidersOf(runTask: RunTaskInput, cluster: string, mapping: SpotMapping): string[] {
  return (runTask.capacityProviderStrategy ?? [])
    .map((item) => item.capacityProvider)
    .filter((provider) => onDemandFor(provider, cluster, mapping) !== undefined);
}

/**
 * The same launch on on-demand capacity: each Spot provider of the strategy replaced by its on-demand
 * counterpart (weights of merged items added, the base kept). undefined when nothing in it is Spot.
 */
export function toOnDemand(
  runTask: RunTaskInput,
  cluster: string,
  mapping: SpotMapping,
): RunTaskInput | undefined {
  const strategy = runTask.capacityProviderStrategy;
  if (!strategy?.some((item) => onDemandFor(item.capacityProvider, cluster, mapping))) return undefined;
  const merged = new Map<string, { capacityProvider: string; weight?: number; base?: number }>();
  for (const item of strategy) {
    const provider = onDemandFor(item.capacityProvider, cluster, mapping) ?? item.capacityProvider;
    const seen = merged.get(provider);
    merged.set(provider, {
      capacityProvider: provider,
      weight: (seen?.weight ?? 0) + (item.weight ?? 0) || undefined,
      base: seen?.base ?? item.base,
    });
  }
  // A strategy needs some weight: an item with base only would place nothing beyond the base.
  const items = [...merged.values()];
  if (!items.some((i) => (i.weight ?? 0) > 0) && items[0]) items[0].weight = 1;
  return { ...runTask, capacityProviderStrategy: items };
}

export type SpotDecision =
  | { action: 'none'; reason: string }
  | { action: 'not-restartable'; reason: 'network configuration unknown' }
  | {
      action: 'spot-fallback';
      request: LaunchRequest;
      /** Environment variables relaunched without their value: the stage does not store them. */
      withoutValuesOf?: string[];
    };

export interface SpotInputs {
  taskArn: string;
  taskId: string;
  cluster: string;
  clusterArn: string;
  family: string;
  group?: string;
  /** The event (or DescribeTasks) form of the task, to rebuild a launch ecs-autopilot did not record. */
  detail: TaskDetail;
  launch?: LaunchRecordView;
  tags: Record<string, string>;
  optOutFamilies: ReadonlySet<string>;
  mapping: SpotMapping;
  networkDefaults: NetworkDefaults;
}

export function decideSpotFallback(i: SpotInputs): SpotDecision {
  if (isServiceTask(i)) return { action: 'none', reason: 'service task (see service fallback)' };
  if (i.tags[SPOT_FALLBACK_TAG]?.toLowerCase() === 'off')
    return { action: 'none', reason: `tag ${SPOT_FALLBACK_TAG}=off` };
  if (i.optOutFamilies.has(i.family)) return { action: 'none', reason: `family ${i.family} opted out` };

  const recorded = i.launch ? relaunchable(i.launch.runTask) : undefined;
  const base = recorded?.runTask ?? rebuildRunTask(i, i.detail, i.tags, i.networkDefaults);
  if (!base) return { action: 'not-restartable', reason: 'network configuration unknown' };
  const onDemand = toOnDemand(base, i.cluster, i.mapping);
  if (!onDemand) return { action: 'none', reason: 'no on-demand counterpart for its capacity provider' };

  const lineage: Lineage | undefined = i.launch?.lineage;
  const originTaskArn = lineage?.originTaskArn ?? i.taskArn;
  const launchNumber = (lineage?.launches ?? 0) + 1;
  const attempt = lineage?.attempt ?? 0;
  return {
    action: 'spot-fallback',
    ...(recorded?.dropped.length && { withoutValuesOf: recorded.dropped }),
    request: {
      requestId: replacementRequestId('spot', i.taskId),
      reason: 'spot-interruption',
      runTask: {
        ...onDemand,
        count: 1,
        startedBy: replacementStartedBy(base, 'spot', lastArnSegment(originTaskArn), launchNumber),
        tags: replacementTags(base.tags, {
          [ATTEMPT_TAG]: String(attempt),
          [ORIGIN_TAG]: originTaskArn,
          [REASON_TAG]: 'spot-interruption',
        }),
      },
      // A Spot interruption uses no restart attempt.
      lineage: {
        originTaskArn,
        attempt,
        launches: launchNumber,
        previousTaskArn: i.taskArn,
        chain: [
          ...(lineage?.chain ?? []),
          {
            taskArn: i.taskArn,
            attempt,
            stopCode: i.detail.stopCode,
            stoppedReason: i.detail.stoppedReason,
            decision: 'spot fallback',
          },
        ],
      },
      policy: i.launch?.policy,
      capacityRetries: 0,
      deferSeconds: 0,
      requestedBy: 'ecs-autopilot',
      ...(i.launch?.launchLease && { launchLease: i.launch.launchLease }),
      ...(i.launch?.context && { context: i.launch.context }),
    },
  };
}
