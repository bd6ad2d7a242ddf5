import type { Logger } from '@aws-lambda-powertools/logger';
import { serviceOfGroup, toTransition } from '../domain/lifecycle';
import {
  type CurrentService,
  decideServiceAction,
  isEcsRefusal,
  mayAct,
  mayFinishPending,
  type PendingSwitch,
  type ServiceDecision,
  type ServiceFallbackConfig,
  type ServiceSignal,
  type ServiceSpotState,
  sameStrategy,
  withoutPending,
} from '../domain/serviceFallback';
import { InvalidEventError, parseTaskStateChange } from '../domain/taskEvent';
import { AutopilotError } from '../errors';
import type {
  EcsServices,
  PublishEvents,
  ServiceDescription,
  ServiceStateStore,
  StoredServiceState,
} from '../ports';
import * as z from '../zod';

export interface ServiceFallbackDeps {
  ecs: EcsServices;
  store: ServiceStateStore;
  publishEvents: PublishEvents;
  config: ServiceFallbackConfig;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Wall clock, for the pending-switch lease only; decisions take time from the events. */
  now?: () => number;
  /** The pause before round `round` (>= 1) of re-reading a state that changed under us. */
  pause?: (round: number) => Promise<void>;
}

export interface ServiceResult {
  cluster: string;
  service: string;
  signal: ServiceSignal['kind'];
  decision: ServiceDecision;
}

/** The state kept changing under us for SERVICE_STATE_ROUNDS rounds: thrown so the delivery is retried later. */
export class ServiceStateConflictError extends AutopilotError {
  constructor(cluster: string, service: string) {
    super(`the Spot fallback state of ${cluster}/${service} changed concurrently; retry`, {
      context: { cluster, service },
    });
    this.name = 'ServiceStateConflictError';
  }
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
// Long format service/<cluster>/<service>; the old format service/<service> names no cluster.
const SERVICE_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/(?:([A-Za-z0-9_-]{1,255})\/)?([A-Za-z0-9_-]{1,255})$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/([A-Za-z0-9_-]{1,255})$/;
const isoTime = z.iso.datetime({ offset: true });

const serviceActionSchema = z.looseObject({
  'detail-type': z.literal('ECS Service Action'),
  source: z.literal('aws.ecs'),
  id: z.string().check(z.minLength(1)),
  time: isoTime,
  resources: z.tuple([z.string().check(z.regex(SERVICE_ARN, 'must be an ECS service ARN'))], z.string()),
  detail: z.looseObject({
    eventName: z.string().check(z.minLength(1)),
    eventType: z.optional(z.string()),
    clusterArn: z.optional(z.string().check(z.regex(CLUSTER_ARN, 'must be an ECS cluster ARN'))),
    reason: z.optional(z.string()),
    capacityProviderArns: z.optional(z.array(z.string())),
  }),
});

const scheduledSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  // The stack's schedule fills it with <aws.scheduler.execution-id>; an input without it still works.
  id: z.optional(z.string().check(z.minLength(1))),
  time: isoTime,
});

const eventSchema = z.discriminatedUnion('detail-type', [serviceActionSchema, scheduledSchema]);

const interruptionSchema = z.object({
  cluster: z.string().check(z.regex(NAME, 'must be a cluster name')),
  service: z.string().check(z.regex(NAME, 'must be a service name')),
  taskArn: z.string().check(z.minLength(1)),
  at: isoTime,
  eventId: z.string().check(z.minLength(1)),
});

function invalid(what: string, error: z.core.$ZodError): InvalidEventError {
  return new InvalidEventError(`${what}: ${z.prettifyError(error).replace(/\n/g, '; ')}`, { cause: error });
}

/**
 * "ECS Service Action" events (placement failures move an opted-in service off Spot, steady states may
 * put it back) and the periodic check ("Scheduled Event": every service still on-demand). A malformed
 * event throws, so EventBridge and Lambda retry it and the DLQ keeps it.
 */
export function buildReactToServiceEvent(deps: ServiceFallbackDeps) {
  const handle = buildHandleServiceSignal(deps);
  return async (event: unknown): Promise<ServiceResult[]> => {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) throw invalid('not an ECS Service Action or Scheduled Event', parsed.error);
    const e = parsed.data;

    if (e['detail-type'] === 'Scheduled Event') {
      const results: ServiceResult[] = [];
      const errors: unknown[] = [];
      // One after the other: few services are on-demand at a time, and DescribeServices is rate limited.
      for (const { cluster, service } of await deps.store.listOnDemandServices()) {
        try {
          results.push(
            await handle(cluster, service, { kind: 'tick', at: e.time }, e.id ?? `tick@${e.time}`),
          );
        } catch (error) {
          deps.logger.warn('service Spot check failed', { cluster, serviceName: service, error });
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, `${errors.length} service checks failed`);
      return results;
    }

    const [, clusterInArn, service] = SERVICE_ARN.exec(e.resources[0]) ?? [];
    const cluster = clusterInArn ?? (e.detail.clusterArn && CLUSTER_ARN.exec(e.detail.clusterArn)?.[1]);
    if (!cluster || !service) throw new InvalidEventError(`cannot tell the cluster of ${e.resources[0]}`);
    let signal: ServiceSignal;
    switch (e.detail.eventName) {
      case 'SERVICE_TASK_PLACEMENT_FAILURE':
        signal = {
          kind: 'placement-failure',
          at: e.time,
          capacityProviderArns: e.detail.capacityProviderArns,
          reason: e.detail.reason,
        };
        break;
      case 'SERVICE_STEADY_STATE':
        signal = { kind: 'steady', at: e.time };
        break;
      default:
        return [];
    }
    return [await handle(cluster, service, signal, e.id)];
  };
}

/**
 * For the task events path: a Spot interruption of a service's task (group 'service:<name>'), with the
 * event's time. Throws on invalid input and on a failed switch, so the task event is retried.
 */
export function buildReactToServiceTaskInterruption(deps: ServiceFallbackDeps) {
  const handle = buildHandleServiceSignal(deps);
  return async (
    cluster: string,
    service: string,
    taskArn: string,
    at: string,
    eventId: string,
  ): Promise<ServiceResult> => {
    const input = interruptionSchema.safeParse({ cluster, service, taskArn, at, eventId });
    if (!input.success) throw invalid('not a service task interruption', input.error);
    return handle(cluster, service, { kind: 'spot-interruption', at, taskArn }, eventId);
  };
}

/** Rounds of re-read and re-decide a signal gets when other deliveries keep writing the service's state. */
export const SERVICE_STATE_ROUNDS = 6;

/**
 * One signal for one service: read the state, finish a switch a previous delivery left pending, describe
 * the service, decide, and for a switch: store it with its follow-ups first (conditional on the revision
 * read), then UpdateService, publish, and mark it done. Storing first means a concurrent delivery loses the
 * conditional write before touching ECS, and a crash or a failed UpdateService leaves the switch pending for
 * the retry instead of forgotten. A pending switch is finished by its own delivery's retries (same event
 * id), by others only after SWITCH_LEASE_MS, so two concurrent signals (a placement failure and the
 * interrupted task's event) announce one switch once. A lost conditional write is expected contention (the
 * interrupted tasks of one service send their events together): it is resolved here, by reading the state
 * again after a short jittered pause and deciding again, for up to SERVICE_STATE_ROUNDS rounds.
 */
export function buildHandleServiceSignal(deps: ServiceFallbackDeps) {
  const now = deps.now ?? Date.now;
  const pause = deps.pause ?? ((round: number) => sleep(Math.random() * 20 * round));
  return async (
    cluster: string,
    service: string,
    signal: ServiceSignal,
    deliveryId: string,
  ): Promise<ServiceResult> => {
    const result = (decision: ServiceDecision): ServiceResult => ({
      cluster,
      service,
      signal: signal.kind,
      decision,
    });
    let stored = await deps.store.getState(cluster, service);
    // SERVICE_STEADY_STATE comes often for every service: no ECS call unless there is something to restore.
    if (!mayAct(stored?.state, signal)) return result({ action: 'none', reason: 'on Spot' });

    let described = await deps.ecs.describeService(cluster, service);
    if (described?.status !== 'ACTIVE') {
      // Deleted (or being deleted): stop checking it; a service created again under the name starts on Spot.
      if (stored && (stored.state.mode === 'on-demand' || stored.state.pending)) {
        await deps.store.putState(
          { ...withoutPending(stored.state), mode: 'spot', originalStrategy: undefined },
          stored.revision,
        );
      }
      return result({ action: 'none', reason: 'service not found or not active' });
    }
    let strategy = described.strategy;

    for (let round = 0; round < SERVICE_STATE_ROUNDS; round++) {
      if (round > 0) {
        // Someone wrote the state since we read it: decide again on what is there now.
        await pause(round);
        stored = await deps.store.getState(cluster, service);
      }
      const pendingSwitch = stored?.state.pending;
      if (stored && pendingSwitch) {
        // In flight in another delivery: it applies and announces it.
        if (!mayFinishPending(pendingSwitch, deliveryId, now()))
          return result({ action: 'none', reason: 'a switch is in progress' });
        // Ours (a retry after a crash) or abandoned: finish it, on a fresh view of the service.
        if (round > 0) described = (await deps.ecs.describeService(cluster, service)) ?? described;
        strategy = pendingSwitch.strategy;
        stored = await finishSwitch(deps, stored, pendingSwitch, described);
        if (stored?.state.pending) continue;
      }
      const current: CurrentService = {
        cluster,
        service,
        serviceArn: described.serviceArn,
        strategy,
        tags: described.tags,
      };
      const decision = decideServiceAction(stored?.state, signal, current, deps.config);
      const expected = stored?.revision ?? 0;
      if (decision.action === 'none') {
        if (!decision.newState || (await deps.store.putState(decision.newState, expected)))
          return result(decision);
        continue;
      }
      const pending: PendingSwitch = {
        action: decision.action,
        strategy: decision.strategy,
        event: decision.event,
        previous: stored ? withoutPending(stored.state) : { cluster, service, mode: 'spot', history: [] },
        owner: deliveryId,
        claimedAt: new Date(now()).toISOString(),
      };
      const next: ServiceSpotState = { ...decision.newState, pending };
      if (await deps.store.putState(next, expected)) {
        // 'service' is Powertools' own key (the logging service): the ECS service goes in serviceName.
        deps.logger.info(`service Spot ${decision.action}`, {
          cluster,
          serviceName: service,
          cause: signal.kind,
          from: current.strategy,
          to: decision.strategy,
          at: signal.at,
        });
        await finishSwitch(deps, { state: next, revision: expected + 1 }, pending, described);
        return result(decision);
      }
    }
    throw new ServiceStateConflictError(cluster, service);
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies a stored switch: UpdateService (unless ECS already has the strategy: a retry after a crash),
 * publishes its event, clears it. When ECS refuses the switch (a client error: sending it again cannot
 * help), the state before the switch is put back and the error thrown; other errors leave it pending.
 */
async function finishSwitch(
  deps: ServiceFallbackDeps,
  stored: StoredServiceState,
  pending: PendingSwitch,
  described: ServiceDescription,
): Promise<StoredServiceState | undefined> {
  const { cluster, service } = stored.state;
  try {
    if (!sameStrategy(described.strategy, pending.strategy))
      await deps.ecs.updateStrategy(cluster, service, pending.strategy);
  } catch (error) {
    if (isEcsRefusal(error)) {
      const restored = await deps.store.putState(pending.previous, stored.revision);
      deps.logger.warn(`ECS refused the service Spot ${pending.action}`, {
        cluster,
        serviceName: service,
        strategy: pending.strategy,
        error,
        stateRestored: restored,
      });
    }
    throw error;
  }
  await deps.publishEvents([pending.event]);
  const done = withoutPending(stored.state);
  if (await deps.store.putState(done, stored.revision)) return { state: done, revision: stored.revision + 1 };
  // A concurrent delivery finished it first.
  return deps.store.getState(cluster, service);
}

/**
 * Everything serviceEvents is given: service actions and the periodic check, plus Spot interruptions of
 * service tasks (task events; a standalone task's are the reactions' to move, so they are ignored here).
 */
export function buildServiceFallback(deps: ServiceFallbackDeps) {
  const serviceEvent = buildReactToServiceEvent(deps);
  const taskInterrupted = buildReactToServiceTaskInterruption(deps);
  return async (event: { 'detail-type'?: string }): Promise<ServiceResult[]> => {
    if (event['detail-type'] !== 'ECS Task State Change') return serviceEvent(event);
    const t = toTransition(parseTaskStateChange(event));
    const service = serviceOfGroup(t.group);
    if (!service) return [];
    return [await taskInterrupted(t.cluster, service, t.taskArn, t.eventTime, t.eventId)];
  };
}
