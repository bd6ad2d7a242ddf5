import {
  DescribeServicesCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { buildEcsServices } from '../../src/adapters/ecsServices';
import { buildPublishEvents } from '../../src/adapters/events';
import {
  buildReactToServiceEvent,
  buildReactToServiceTaskInterruption,
  SERVICE_STATE_ROUNDS,
  type ServiceFallbackDeps,
  ServiceStateConflictError,
} from '../../src/app/serviceFallback';
import { serviceOfGroup } from '../../src/domain/lifecycle';
import { type ServiceSpotState, type StrategyItem, SWITCH_LEASE_MS } from '../../src/domain/serviceFallback';
import { InvalidEventError } from '../../src/domain/taskEvent';
import type { ServiceRef, ServiceStateStore, StoredServiceState } from '../../src/ports';

const ecsMock = mockClient(ECSClient);
const ebMock = mockClient(EventBridgeClient);

const ACCOUNT = '111122223333';
const CLUSTER = 'web';
const SERVICE = 'api';
const SERVICE_ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`;
const CLUSTER_ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${CLUSTER}`;
const TASK_ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${CLUSTER}/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c`;
const SPOT_MIX: StrategyItem[] = [
  { capacityProvider: 'FARGATE', weight: 1, base: 1 },
  { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
];
const ON_DEMAND: StrategyItem[] = [{ capacityProvider: 'FARGATE', weight: 4, base: 1 }];
const T0 = '2024-05-14T09:00:00Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString().replace('.000Z', 'Z');

const serviceAction = (eventName: string, seconds: number, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: `e-${eventName}-${seconds}`,
  'detail-type': 'ECS Service Action',
  source: 'aws.ecs',
  account: ACCOUNT,
  time: at(seconds),
  region: 'us-east-1',
  resources: [SERVICE_ARN],
  detail: { eventType: 'INFO', eventName, clusterArn: CLUSTER_ARN, createdAt: at(seconds), ...detail },
});
const placementFailure = (seconds: number) =>
  serviceAction('SERVICE_TASK_PLACEMENT_FAILURE', seconds, {
    eventType: 'ERROR',
    capacityProviderArns: [`arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/FARGATE_SPOT`],
    reason: 'RESOURCE:FARGATE',
  });
const steady = (seconds: number) => serviceAction('SERVICE_STEADY_STATE', seconds);
const scheduled = (seconds: number) => ({
  version: '0',
  id: `tick-${seconds}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: at(seconds),
  region: 'us-east-1',
  resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/service-spot-check`],
  detail: {},
});

/**
 * The state items in memory, like the DynamoDB store: a put succeeds only on the revision it expects and
 * stores the next one; reads hand out copies. `beforePut` runs once before the next put (a racing writer).
 */
class FakeStateStore implements ServiceStateStore {
  readonly items = new Map<string, StoredServiceState>();
  readonly puts: { state: ServiceSpotState; expected: number; ok: boolean }[] = [];
  beforePut?: () => void;

  async getState(cluster: string, service: string) {
    const item = this.items.get(`${cluster}/${service}`);
    return item && structuredClone(item);
  }

  async putState(state: ServiceSpotState, expected: number) {
    const hook = this.beforePut;
    this.beforePut = undefined;
    hook?.();
    const key = `${state.cluster}/${state.service}`;
    const ok = (this.items.get(key)?.revision ?? 0) === expected;
    if (ok) this.items.set(key, { state: JSON.parse(JSON.stringify(state)), revision: expected + 1 });
    this.puts.push({ state: structuredClone(state), expected, ok });
    return ok;
  }

  async listOnDemandServices(): Promise<ServiceRef[]> {
    return [...this.items.values()]
      .filter((i) => i.state.mode === 'on-demand')
      .map((i) => ({ cluster: i.state.cluster, service: i.state.service }));
  }

  stored() {
    return this.items.get(`${CLUSTER}/${SERVICE}`);
  }
}

/** The service as ECS knows it: UpdateService changes its strategy, DescribeServices reads it. */
let ecsService: { strategy: StrategyItem[]; tags: Record<string, string>; status: string } | undefined;
let store: FakeStateStore;
let deps: ServiceFallbackDeps;

const updates = () => ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input);
const published = () =>
  ebMock.commandCalls(PutEventsCommand).flatMap((c) =>
    (c.args[0].input.Entries ?? []).map((e) => ({
      detailType: e.DetailType,
      source: e.Source,
      resources: e.Resources,
      detail: JSON.parse(e.Detail ?? '{}'),
    })),
  );

beforeEach(() => {
  ecsMock.reset();
  ebMock.reset();
  ecsService = {
    strategy: SPOT_MIX,
    tags: { 'ecs-autopilot:spot-fallback': 'on' },
    status: 'ACTIVE',
  };
  ecsMock.on(DescribeServicesCommand).callsFake(() =>
    ecsService
      ? {
          services: [
            {
              serviceArn: SERVICE_ARN,
              serviceName: SERVICE,
              status: ecsService.status,
              capacityProviderStrategy: ecsService.strategy,
              tags: Object.entries(ecsService.tags).map(([key, value]) => ({ key, value })),
            },
          ],
          failures: [],
        }
      : { services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] },
  );
  ecsMock.on(UpdateServiceCommand).callsFake((input) => {
    if (ecsService) ecsService.strategy = input.capacityProviderStrategy;
    return { service: { serviceArn: SERVICE_ARN } };
  });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  store = new FakeStateStore();
  deps = {
    ecs: buildEcsServices(new ECSClient({ region: 'us-east-1' })),
    store,
    publishEvents: buildPublishEvents(new EventBridgeClient({ region: 'us-east-1' }), 'default'),
    config: { mapping: {}, cooldownSeconds: 900, optInServices: new Set() },
    logger: { info: jest.fn(), warn: jest.fn() },
  };
});

describe('service Spot fallback handler', () => {
  it('moves an opted-in service to on-demand on a Fargate Spot placement failure', async () => {
    const handler = buildReactToServiceEvent(deps);
    const results = await handler(placementFailure(0));

    expect(results).toEqual([
      expect.objectContaining({
        cluster: CLUSTER,
        service: SERVICE,
        signal: 'placement-failure',
        decision: expect.objectContaining({ action: 'fallback', strategy: ON_DEMAND }),
      }),
    ]);
    expect(ecsMock.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      services: [SERVICE],
      include: ['TAGS'],
    });
    expect(updates()).toEqual([
      { cluster: CLUSTER, service: SERVICE, capacityProviderStrategy: ON_DEMAND, forceNewDeployment: true },
    ]);
    expect(store.stored()).toEqual({
      revision: 2,
      state: {
        cluster: CLUSTER,
        service: SERVICE,
        mode: 'on-demand',
        originalStrategy: SPOT_MIX,
        lastSwitchAt: T0,
        lastSpotTroubleAt: T0,
        history: [
          {
            at: T0,
            action: 'fallback',
            cause: 'placement-failure',
            note: 'RESOURCE:FARGATE',
            from: SPOT_MIX,
            to: ON_DEMAND,
          },
        ],
      },
    });
    // Stored with the switch pending first, then marked done.
    expect(store.puts.map((p) => [p.expected, p.ok, p.state.pending?.action])).toEqual([
      [0, true, 'fallback'],
      [1, true, undefined],
    ]);
    expect(published()).toEqual([
      {
        detailType: 'Service Spot Fallback',
        source: 'ecs-autopilot',
        resources: [SERVICE_ARN],
        detail: {
          cluster: CLUSTER,
          service: SERVICE,
          from: SPOT_MIX,
          to: ON_DEMAND,
          cause: 'placement-failure',
          note: 'RESOURCE:FARGATE',
          at: T0,
        },
      },
    ]);
  });

  it('switches and announces once when the event arrives twice or Spot keeps failing', async () => {
    const handler = buildReactToServiceEvent(deps);
    await handler(placementFailure(0));
    await handler(placementFailure(0));
    const again = await handler(placementFailure(30));
    expect(again[0]?.decision.action).toBe('none');
    expect(updates()).toHaveLength(1);
    expect(published()).toHaveLength(1);
    expect(store.stored()?.state.lastSpotTroubleAt).toBe(at(30));
  });

  it('does nothing for a service that is not opted in', async () => {
    ecsService = { strategy: SPOT_MIX, tags: {}, status: 'ACTIVE' };
    const [result] = await buildReactToServiceEvent(deps)(placementFailure(0));
    expect(result?.decision).toMatchObject({
      action: 'none',
      reason: expect.stringContaining('not opted in'),
    });
    expect(updates()).toEqual([]);
    expect(store.puts).toEqual([]);
    expect(published()).toEqual([]);
  });

  it('restores the original strategy on a steady state once the cool-down has passed', async () => {
    const handler = buildReactToServiceEvent(deps);
    await handler(placementFailure(0));
    expect((await handler(steady(600)))[0]?.decision.action).toBe('none');
    const [restored] = await handler(steady(900));
    expect(restored?.decision).toMatchObject({ action: 'restore', strategy: SPOT_MIX });
    expect(updates().at(-1)).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      capacityProviderStrategy: SPOT_MIX,
      forceNewDeployment: true,
    });
    expect(store.stored()?.state).toMatchObject({ mode: 'spot', lastSwitchAt: at(900) });
    expect(store.stored()?.state.history.map((h) => h.action)).toEqual(['fallback', 'restore']);
    expect(published().map((e) => e.detailType)).toEqual(['Service Spot Fallback', 'Service Spot Restored']);
  });

  it('answers a steady state of a service on Spot without calling ECS', async () => {
    const results = await buildReactToServiceEvent(deps)(steady(0));
    expect(results[0]?.decision).toEqual({ action: 'none', reason: 'on Spot' });
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('ignores other service actions', async () => {
    const results = await buildReactToServiceEvent(deps)(serviceAction('SERVICE_DESIRED_COUNT_UPDATED', 0));
    expect(results).toEqual([]);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it.each([
    ['no resources', { ...placementFailure(0), resources: [] }],
    ['a resource that is not a service', { ...placementFailure(0), resources: [CLUSTER_ARN] }],
    ['a time that is not ISO', { ...placementFailure(0), time: 'yesterday' }],
    ['no eventName', { ...placementFailure(0), detail: { clusterArn: CLUSTER_ARN } }],
    ['another detail-type', { ...placementFailure(0), 'detail-type': 'ECS Task State Change' }],
    ['a scheduled event from another source', { ...scheduled(0), source: 'custom' }],
    ['not an object', 'hello'],
  ])('throws on a malformed event: %s', async (_name, event) => {
    await expect(buildReactToServiceEvent(deps)(event)).rejects.toBeInstanceOf(InvalidEventError);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('reads the cluster from clusterArn for an old-format service ARN', async () => {
    const event = {
      ...placementFailure(0),
      resources: [`arn:aws:ecs:us-east-1:${ACCOUNT}:service/${SERVICE}`],
    };
    const [result] = await buildReactToServiceEvent(deps)(event);
    expect(result).toMatchObject({ cluster: CLUSTER, service: SERVICE, decision: { action: 'fallback' } });
  });

  it('on a conflict re-reads and decides again: a concurrent fallback wins, this one does nothing', async () => {
    const handler = buildReactToServiceEvent(deps);
    store.beforePut = () => {
      // Another delivery switched the service between our read and our write.
      store.items.set(`${CLUSTER}/${SERVICE}`, {
        revision: 2,
        state: {
          cluster: CLUSTER,
          service: SERVICE,
          mode: 'on-demand',
          originalStrategy: SPOT_MIX,
          lastSwitchAt: at(-5),
          lastSpotTroubleAt: at(-5),
          history: [
            { at: at(-5), action: 'fallback', cause: 'spot-interruption', from: SPOT_MIX, to: ON_DEMAND },
          ],
        },
      });
    };
    const [result] = await handler(placementFailure(0));
    expect(result?.decision).toMatchObject({ action: 'none' });
    expect(store.puts.map((p) => [p.expected, p.ok])).toEqual([
      [0, false],
      [2, true],
    ]);
    expect(store.stored()?.state).toMatchObject({
      mode: 'on-demand',
      lastSwitchAt: at(-5),
      lastSpotTroubleAt: T0,
    });
    // The winner applies and announces its switch; the loser touched neither ECS nor the bus.
    expect(updates()).toEqual([]);
    expect(published()).toEqual([]);
  });

  it('on a conflict that changed nothing decisive, decides again and switches once', async () => {
    store.items.set(`${CLUSTER}/${SERVICE}`, {
      revision: 1,
      state: { cluster: CLUSTER, service: SERVICE, mode: 'spot', history: [] },
    });
    store.beforePut = () => {
      const item = store.items.get(`${CLUSTER}/${SERVICE}`);
      if (item) item.revision = 2;
    };
    const [result] = await buildReactToServiceEvent(deps)(placementFailure(0));
    expect(result?.decision.action).toBe('fallback');
    expect(store.puts.map((p) => [p.expected, p.ok])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
    expect(updates()).toHaveLength(1);
    expect(published()).toHaveLength(1);
  });

  /** Another delivery writes the state just before each of our next `times` writes. */
  const racingWrites = (times: number) => {
    let racing = 0;
    const bump = () => {
      racing++;
      store.items.set(`${CLUSTER}/${SERVICE}`, {
        revision: 10 + racing,
        state: { cluster: CLUSTER, service: SERVICE, mode: 'spot', history: [] },
      });
      store.beforePut = racing < times ? bump : undefined;
    };
    store.beforePut = bump;
  };

  it('resolves contention of a few rounds within the invocation (expected, not a failed delivery)', async () => {
    racingWrites(3);
    const [result] = await buildReactToServiceEvent({ ...deps, pause: async () => undefined })(
      placementFailure(0),
    );
    expect(result?.decision.action).toBe('fallback');
    expect(updates()).toHaveLength(1);
    expect(published()).toHaveLength(1);
  });

  it('throws only when the state keeps changing under it for every round (the delivery is retried)', async () => {
    racingWrites(SERVICE_STATE_ROUNDS);
    const pauses: number[] = [];
    const handler = buildReactToServiceEvent({
      ...deps,
      pause: async (round) => {
        pauses.push(round);
      },
    });
    await expect(handler(placementFailure(0))).rejects.toBeInstanceOf(ServiceStateConflictError);
    expect(pauses).toEqual([1, 2, 3, 4, 5]);
    expect(updates()).toEqual([]);
  });

  it('throws when UpdateService fails, and the retry finishes the stored switch once', async () => {
    const handler = buildReactToServiceEvent(deps);
    ecsMock.on(UpdateServiceCommand).rejectsOnce(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
    );
    await expect(handler(placementFailure(0))).rejects.toThrow('Rate exceeded');
    expect(store.stored()?.state.pending?.action).toBe('fallback');
    expect(published()).toEqual([]);

    ecsMock.on(UpdateServiceCommand).callsFake((input) => {
      if (ecsService) ecsService.strategy = input.capacityProviderStrategy;
      return {};
    });
    const [retried] = await handler(placementFailure(0));
    expect(retried?.decision.action).toBe('none');
    expect(updates()).toHaveLength(2);
    expect(updates()[1]).toMatchObject({ capacityProviderStrategy: ON_DEMAND, forceNewDeployment: true });
    expect(store.stored()?.state.pending).toBeUndefined();
    expect(store.stored()?.state.mode).toBe('on-demand');
    expect(published().map((e) => e.detailType)).toEqual(['Service Spot Fallback']);
  });

  it('a concurrent signal leaves a switch in flight to its owner: one UpdateService, one event', async () => {
    const handler = buildReactToServiceEvent(deps);
    const onInterruption = buildReactToServiceTaskInterruption(deps);
    // The interrupted task's event arrives while the placement failure's switch is stored but not applied.
    let concurrent: Promise<unknown> | undefined;
    ecsMock.on(UpdateServiceCommand).callsFakeOnce(async (input) => {
      concurrent = onInterruption(CLUSTER, SERVICE, TASK_ARN, at(2), 'task-event-1');
      const result = await concurrent;
      if (ecsService) ecsService.strategy = input.capacityProviderStrategy;
      return { service: { serviceArn: SERVICE_ARN }, result };
    });
    const [result] = await handler(placementFailure(0));
    expect(result?.decision.action).toBe('fallback');
    expect(await concurrent).toMatchObject({
      decision: { action: 'none', reason: 'a switch is in progress' },
    });
    expect(updates()).toHaveLength(1);
    expect(published().map((e) => e.detailType)).toEqual(['Service Spot Fallback']);
    expect(store.stored()?.state.pending).toBeUndefined();
  });

  it('a switch left pending by a crashed delivery is finished by a later signal after the lease', async () => {
    let wallClock = Date.parse('2026-01-01T00:00:00Z');
    deps.now = () => wallClock;
    const handler = buildReactToServiceEvent(deps);
    ebMock.on(PutEventsCommand).rejectsOnce(new Error('bus down'));
    await expect(handler(placementFailure(0))).rejects.toThrow('bus down');
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '3' }] });

    // Another delivery inside the lease does not touch it; the periodic check after it finishes it.
    wallClock += SWITCH_LEASE_MS - 1;
    await handler(scheduled(300));
    expect(store.stored()?.state.pending?.action).toBe('fallback');
    wallClock += 1;
    await handler(scheduled(600));
    expect(store.stored()?.state.pending).toBeUndefined();
    expect(updates()).toHaveLength(1);
    // The failed attempt, then the one that went through.
    expect(published().map((e) => e.detailType)).toEqual(['Service Spot Fallback', 'Service Spot Fallback']);
  });

  it('after a failed publish, the retry publishes without a second UpdateService', async () => {
    const handler = buildReactToServiceEvent(deps);
    ebMock
      .on(PutEventsCommand)
      .rejectsOnce(new Error('bus down'))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    await expect(handler(placementFailure(0))).rejects.toThrow('bus down');
    await handler(placementFailure(0));
    expect(updates()).toHaveLength(1);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(store.stored()?.state.pending).toBeUndefined();
  });

  it('puts the state back when ECS refuses the switch', async () => {
    ecsMock.on(UpdateServiceCommand).rejects(
      new InvalidParameterException({
        message: 'The specified capacity provider FARGATE is not associated with the cluster.',
        $metadata: {},
      }),
    );
    await expect(buildReactToServiceEvent(deps)(placementFailure(0))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    expect(store.stored()?.state).toEqual({ cluster: CLUSTER, service: SERVICE, mode: 'spot', history: [] });
    expect(published()).toEqual([]);
    expect(deps.logger.warn).toHaveBeenCalled();
  });

  it('restores on the periodic check once the cool-down has passed', async () => {
    const handler = buildReactToServiceEvent(deps);
    await handler(placementFailure(0));
    expect(await handler(scheduled(300))).toEqual([
      expect.objectContaining({ signal: 'tick', decision: expect.objectContaining({ action: 'none' }) }),
    ]);
    const results = await handler(scheduled(960));
    expect(results).toEqual([
      expect.objectContaining({
        cluster: CLUSTER,
        service: SERVICE,
        decision: expect.objectContaining({ action: 'restore' }),
      }),
    ]);
    expect(updates().at(-1)?.capacityProviderStrategy).toEqual(SPOT_MIX);
    expect(await store.listOnDemandServices()).toEqual([]);
    expect(await handler(scheduled(2000))).toEqual([]);
  });

  it('forgets a deleted service on the periodic check', async () => {
    const handler = buildReactToServiceEvent(deps);
    await handler(placementFailure(0));
    ecsService = undefined;
    const [result] = await handler(scheduled(60));
    expect(result?.decision).toEqual({ action: 'none', reason: 'service not found or not active' });
    expect(store.stored()?.state.mode).toBe('spot');
    expect(store.stored()?.state.history).toHaveLength(1);
    expect(await store.listOnDemandServices()).toEqual([]);
  });

  it('moves a service off Spot on a Spot interruption of its task', async () => {
    const onInterruption = buildReactToServiceTaskInterruption(deps);
    const result = await onInterruption(CLUSTER, SERVICE, TASK_ARN, T0, 'task-event-1');
    expect(result.decision).toMatchObject({ action: 'fallback', strategy: ON_DEMAND });
    expect(updates()).toEqual([
      { cluster: CLUSTER, service: SERVICE, capacityProviderStrategy: ON_DEMAND, forceNewDeployment: true },
    ]);
    expect(published()[0]).toMatchObject({
      detailType: 'Service Spot Fallback',
      detail: { cause: 'spot-interruption', note: TASK_ARN, at: T0 },
    });
    // The task's later events (STOPPING, STOPPED) only push the restore back.
    expect((await onInterruption(CLUSTER, SERVICE, TASK_ARN, at(90), 'task-event-2')).decision.action).toBe(
      'none',
    );
    expect(updates()).toHaveLength(1);
    expect(store.stored()?.state.lastSpotTroubleAt).toBe(at(90));
  });

  it('rejects an interruption without a valid time or names', async () => {
    const onInterruption = buildReactToServiceTaskInterruption(deps);
    await expect(onInterruption(CLUSTER, SERVICE, TASK_ARN, 'now', 'task-event-1')).rejects.toBeInstanceOf(
      InvalidEventError,
    );
    await expect(onInterruption(CLUSTER_ARN, SERVICE, TASK_ARN, T0, 'task-event-1')).rejects.toBeInstanceOf(
      InvalidEventError,
    );
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('reads the service of a task group', () => {
    expect(serviceOfGroup('service:api')).toBe('api');
    expect(serviceOfGroup('family:worker')).toBeUndefined();
    expect(serviceOfGroup(undefined)).toBeUndefined();
  });
});
