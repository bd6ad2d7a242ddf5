import { onDemandFor, SPOT_FALLBACK_TAG, type SpotMapping, toOnDemand } from './spotFallback';
import { lastArnSegment } from './taskEvent';

/**
 * Spot to on-demand for services: when Spot cannot place a service's tasks (SERVICE_TASK_PLACEMENT_FAILURE
 * naming a Spot provider) or takes them away (a Spot interruption), switch the service's capacity provider
 * strategy to the on-demand counterparts, remember the original, and put it back once Spot has been quiet
 * for a cool-down. At most one switch per cool-down, so a service never flaps.
 *
 * Time comes only from the signals (event times), never from the clock: events can arrive late and the
 * sandbox fast-forwards its clock.
 */
export const SERVICE_FALLBACK_DETAIL_TYPE = 'Service Spot Fallback';
export const SERVICE_RESTORED_DETAIL_TYPE = 'Service Spot Restored';
export const DEFAULT_COOLDOWN_SECONDS = 900;
export const MAX_HISTORY = 50;

export interface StrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

export interface ServiceSwitch {
  at: string;
  action: 'fallback' | 'restore';
  /** The signal that caused it: placement-failure, spot-interruption, steady, tick. */
  cause: string;
  /** The placement failure's reason, the interrupted task's ARN, or how long Spot was quiet. */
  note?: string;
  from: StrategyItem[];
  to: StrategyItem[];
}

/** Compatible with the adapters' OutgoingEvent. */
export interface ServiceSpotEvent {
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
}

/**
 * A switch decided and stored but not yet applied to ECS and announced (written with the state, so a crash
 * or a failed UpdateService is finished on the next delivery instead of forgotten).
 */
export interface PendingSwitch {
  action: 'fallback' | 'restore';
  strategy: StrategyItem[];
  event: ServiceSpotEvent;
  /** The state before the switch, put back when ECS refuses the switch (a client error). */
  previous: Omit<ServiceSpotState, 'pending'>;
  /** The delivery that decided it (event id): its retries finish the switch at once. */
  owner?: string;
  /** Wall-clock time the owner stored it (not event time: the lease is about a running process). */
  claimedAt?: string;
}

/**
 * How long a pending switch belongs to the delivery that stored it: longer than the function's timeout
 * (60 s), so the owner is no longer running when it ends. Another delivery inside the lease leaves the
 * switch alone (the owner is applying it; finishing it too would announce it twice); after it, the owner
 * is taken to have crashed and the next signal (the periodic check at the latest) finishes it.
 */
export const SWITCH_LEASE_MS = 90_000;

/** Whether the delivery `deliveryId` may finish the pending switch at wall-clock time `nowMs`. */
export function mayFinishPending(pending: PendingSwitch, deliveryId: string, nowMs: number): boolean {
  if (pending.owner === undefined || pending.claimedAt === undefined) return true;
  return pending.owner === deliveryId || nowMs - ms(pending.claimedAt) >= SWITCH_LEASE_MS;
}

export interface ServiceSpotState {
  cluster: string;
  service: string;
  mode: 'spot' | 'on-demand';
  /** The strategy before the fallback; set while on-demand. */
  originalStrategy?: StrategyItem[];
  lastSwitchAt?: string;
  /** The latest Spot trouble seen while on-demand (pushes the restore back). */
  lastSpotTroubleAt?: string;
  /** The newest MAX_HISTORY switches, oldest first. */
  history: ServiceSwitch[];
  pending?: PendingSwitch;
}

export type ServiceSignal =
  | { kind: 'placement-failure'; at: string; capacityProviderArns?: string[]; reason?: string }
  | { kind: 'spot-interruption'; at: string; taskArn: string }
  | { kind: 'steady'; at: string }
  | { kind: 'tick'; at: string };

/** What DescribeServices says about the service now. */
export interface CurrentService {
  cluster: string;
  service: string;
  serviceArn?: string;
  /** undefined for a service with a launch type. */
  strategy: StrategyItem[] | undefined;
  tags: Record<string, string>;
}

export interface ServiceFallbackConfig {
  mapping: SpotMapping;
  /** Default DEFAULT_COOLDOWN_SECONDS (15 minutes). */
  cooldownSeconds?: number;
  /** Services opted in without the tag: 'cluster/service' or 'service' (any cluster). */
  optInServices: ReadonlySet<string>;
}

export type ServiceDecision =
  | {
      action: 'none';
      reason: string;
      /** Set when the state changes without a switch (Spot trouble while on-demand): store it. */
      newState?: ServiceSpotState;
    }
  | { action: 'fallback'; strategy: StrategyItem[]; newState: ServiceSpotState; event: ServiceSpotEvent }
  | { action: 'restore'; strategy: StrategyItem[]; newState: ServiceSpotState; event: ServiceSpotEvent };

const ms = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso));
const later = (a: string | undefined, b: string | undefined) => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return ms(b) > ms(a) ? b : a;
};

export function isOptedIn(
  current: Pick<CurrentService, 'cluster' | 'service' | 'tags'>,
  optInServices: ReadonlySet<string>,
): boolean {
  const tag = current.tags[SPOT_FALLBACK_TAG]?.trim().toLowerCase();
  if (tag === 'off') return false;
  return (
    tag === 'on' ||
    optInServices.has(`${current.cluster}/${current.service}`) ||
    optInServices.has(current.service)
  );
}

/** The strategy with every Spot provider replaced by its on-demand counterpart; undefined when none is Spot. */
export function onDemandStrategy(
  strategy: StrategyItem[] | undefined,
  cluster: string,
  mapping: SpotMapping,
): StrategyItem[] | undefined {
  if (!strategy?.length) return undefined;
  return toOnDemand(
    { cluster, taskDefinition: '-', count: 1, capacityProviderStrategy: strategy },
    cluster,
    mapping,
  )?.capacityProviderStrategy;
}

const isSpotProvider = (provider: string, cluster: string, mapping: SpotMapping) =>
  onDemandFor(lastArnSegment(provider), cluster, mapping) !== undefined;

/**
 * Whether a signal is Spot trouble: every interruption; a placement failure naming a Spot provider, or,
 * when it names none, one of a service whose strategy is all Spot.
 */
export function isSpotTrouble(
  signal: ServiceSignal,
  cluster: string,
  strategy: StrategyItem[] | undefined,
  mapping: SpotMapping,
): boolean {
  if (signal.kind === 'spot-interruption') return true;
  if (signal.kind !== 'placement-failure') return false;
  const named = signal.capacityProviderArns ?? [];
  if (named.length > 0) return named.some((arn) => isSpotProvider(arn, cluster, mapping));
  return (
    !!strategy?.length && strategy.every((item) => isSpotProvider(item.capacityProvider, cluster, mapping))
  );
}

/**
 * false when decideServiceAction cannot but answer 'none' whatever ECS says about the service: a steady
 * state or a tick for a service that is on Spot. Lets the handler skip DescribeServices for the frequent
 * SERVICE_STEADY_STATE events.
 */
export function mayAct(state: ServiceSpotState | undefined, signal: ServiceSignal): boolean {
  if (state?.pending) return true;
  if (signal.kind === 'steady' || signal.kind === 'tick') return state?.mode === 'on-demand';
  return true;
}

const noteOf = (signal: ServiceSignal): string | undefined =>
  signal.kind === 'placement-failure'
    ? signal.reason
    : signal.kind === 'spot-interruption'
      ? signal.taskArn
      : undefined;

export function decideServiceAction(
  state: ServiceSpotState | undefined,
  signal: ServiceSignal,
  current: CurrentService,
  config: ServiceFallbackConfig,
): ServiceDecision {
  const cooldownMs = (config.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS) * 1000;
  const { cluster, service } = current;
  const at = ms(signal.at);
  const base: ServiceSpotState = state
    ? { ...withoutPending(state) }
    : { cluster, service, mode: 'spot', history: [] };

  if (base.mode === 'on-demand') {
    const trouble = isSpotTrouble(signal, cluster, current.strategy, config.mapping);
    if (trouble) {
      const lastSpotTroubleAt = later(base.lastSpotTroubleAt, signal.at);
      return lastSpotTroubleAt === base.lastSpotTroubleAt
        ? { action: 'none', reason: 'on-demand already; Spot trouble already noted' }
        : {
            action: 'none',
            reason: 'on-demand already; Spot trouble pushes the restore back',
            newState: { ...base, lastSpotTroubleAt },
          };
    }
    if (signal.kind !== 'steady' && signal.kind !== 'tick')
      return { action: 'none', reason: 'on-demand; not Spot trouble' };
    const quietSince = later(base.lastSwitchAt, base.lastSpotTroubleAt);
    const quietMs = at - ms(quietSince);
    if (quietSince !== undefined && !(quietMs >= cooldownMs)) {
      return {
        action: 'none',
        reason: `on-demand; cooling down (${Math.ceil((cooldownMs - quietMs) / 1000)} s left)`,
      };
    }
    if (!base.originalStrategy?.length)
      return { action: 'none', reason: 'on-demand; original strategy unknown' };
    const strategy = base.originalStrategy;
    const entry: ServiceSwitch = {
      at: signal.at,
      action: 'restore',
      cause: signal.kind,
      note: quietSince !== undefined ? `Spot quiet for ${Math.floor(quietMs / 1000)} s` : undefined,
      from: current.strategy ?? [],
      to: strategy,
    };
    // A restore applies whatever the opt-in says now: ecs-autopilot changed the strategy, it puts it back.
    return {
      action: 'restore',
      strategy,
      newState: {
        ...base,
        mode: 'spot',
        originalStrategy: undefined,
        lastSwitchAt: signal.at,
        lastSpotTroubleAt: undefined,
        history: [...base.history, entry].slice(-MAX_HISTORY),
      },
      event: announce(SERVICE_RESTORED_DETAIL_TYPE, current, entry),
    };
  }

  if (signal.kind === 'steady' || signal.kind === 'tick') return { action: 'none', reason: 'on Spot' };
  if (!isOptedIn(current, config.optInServices))
    return { action: 'none', reason: `not opted in (tag ${SPOT_FALLBACK_TAG}=on)` };
  const strategy = onDemandStrategy(current.strategy, cluster, config.mapping);
  if (!strategy || !current.strategy)
    return { action: 'none', reason: 'no Spot capacity provider with an on-demand counterpart' };
  if (!isSpotTrouble(signal, cluster, current.strategy, config.mapping))
    return { action: 'none', reason: 'placement failure not on a Spot capacity provider' };
  if (base.lastSwitchAt !== undefined && !(at - ms(base.lastSwitchAt) >= cooldownMs))
    return { action: 'none', reason: 'switched less than a cool-down ago' };

  const entry: ServiceSwitch = {
    at: signal.at,
    action: 'fallback',
    cause: signal.kind,
    note: noteOf(signal),
    from: current.strategy,
    to: strategy,
  };
  return {
    action: 'fallback',
    strategy,
    newState: {
      ...base,
      mode: 'on-demand',
      originalStrategy: current.strategy,
      lastSwitchAt: signal.at,
      lastSpotTroubleAt: signal.at,
      history: [...base.history, entry].slice(-MAX_HISTORY),
    },
    event: announce(SERVICE_FALLBACK_DETAIL_TYPE, current, entry),
  };
}

function announce(detailType: string, current: CurrentService, entry: ServiceSwitch): ServiceSpotEvent {
  return {
    detailType,
    ...(current.serviceArn && { resources: [current.serviceArn] }),
    detail: {
      cluster: current.cluster,
      service: current.service,
      from: entry.from,
      to: entry.to,
      cause: entry.cause,
      ...(entry.note !== undefined && { note: entry.note }),
      at: entry.at,
    },
  };
}

export function withoutPending(state: ServiceSpotState): Omit<ServiceSpotState, 'pending'> {
  const { pending: _pending, ...rest } = state;
  return rest;
}

/** The same strategy, whatever the order of its items and whether 0 weights and bases are spelled out. */
export function sameStrategy(a: StrategyItem[] | undefined, b: StrategyItem[] | undefined): boolean {
  const norm = (s: StrategyItem[] | undefined) =>
    JSON.stringify(
      (s ?? [])
        .map((i) => [i.capacityProvider, i.weight ?? 0, i.base ?? 0])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  return norm(a) === norm(b);
}

export interface ServiceHistoryView {
  cluster: string;
  service: string;
  mode: 'spot' | 'on-demand';
  originalStrategy?: StrategyItem[];
  history: ServiceSwitch[];
}

/** GET /services/{cluster}/{service}: the state as the API shows it, newest switch last. */
export function serviceHistoryView(state: ServiceSpotState): ServiceHistoryView {
  return {
    cluster: state.cluster,
    service: state.service,
    mode: state.mode,
    originalStrategy: state.originalStrategy,
    history: state.history,
  };
}

/** ECS errors that refuse the request itself: sending it again cannot succeed (throttling and 5xx can). */
const ECS_REFUSALS = new Set([
  'AccessDeniedException',
  'ClusterNotFoundException',
  'InvalidParameterException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'ServiceNotActiveException',
  'ServiceNotFoundException',
  'UnsupportedFeatureException',
]);

/** True for an ECS error that refuses the request itself (by its name): retrying it cannot help. */
export function isEcsRefusal(error: unknown): boolean {
  return ECS_REFUSALS.has((error as Error)?.name);
}
