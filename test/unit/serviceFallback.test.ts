import {
  type CurrentService,
  decideServiceAction,
  isOptedIn,
  MAX_HISTORY,
  mayAct,
  type ServiceDecision,
  type ServiceFallbackConfig,
  type ServiceSignal,
  type ServiceSpotState,
  type StrategyItem,
  sameStrategy,
  serviceHistoryView,
} from '../../src/domain/serviceFallback';

const CLUSTER = 'web';
const SERVICE = 'api';
const SERVICE_ARN = `arn:aws:ecs:us-east-1:111122223333:service/${CLUSTER}/${SERVICE}`;
const cp = (name: string) => `arn:aws:ecs:us-east-1:111122223333:capacity-provider/${name}`;

const SPOT_MIX: StrategyItem[] = [
  { capacityProvider: 'FARGATE', weight: 1, base: 1 },
  { capacityProvider: 'FARGATE_SPOT', weight: 3 },
];
const ON_DEMAND: StrategyItem[] = [{ capacityProvider: 'FARGATE', weight: 4, base: 1 }];
const ALL_SPOT: StrategyItem[] = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];

const config: ServiceFallbackConfig = { mapping: {}, cooldownSeconds: 900, optInServices: new Set() };
const OPTED_IN = { 'ecs-autopilot:spot-fallback': 'on' };

const service = (over: Partial<CurrentService> = {}): CurrentService => ({
  cluster: CLUSTER,
  service: SERVICE,
  serviceArn: SERVICE_ARN,
  strategy: SPOT_MIX,
  tags: OPTED_IN,
  ...over,
});

const T0 = '2024-05-14T09:00:00Z';
/** T0 plus some seconds, as event envelopes spell times. */
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString().replace('.000Z', 'Z');

const placementFailure = (seconds: number, providers = ['FARGATE_SPOT']): ServiceSignal => ({
  kind: 'placement-failure',
  at: at(seconds),
  capacityProviderArns: providers.map(cp),
  reason: 'RESOURCE:FARGATE',
});
const interruption = (seconds: number): ServiceSignal => ({
  kind: 'spot-interruption',
  at: at(seconds),
  taskArn: `arn:aws:ecs:us-east-1:111122223333:task/${CLUSTER}/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c`,
});
const steady = (seconds: number): ServiceSignal => ({ kind: 'steady', at: at(seconds) });
const tick = (seconds: number): ServiceSignal => ({ kind: 'tick', at: at(seconds) });

function expectSwitch<A extends 'fallback' | 'restore'>(d: ServiceDecision, action: A) {
  expect(d.action).toBe(action);
  if (d.action !== action) throw new Error(`expected ${action}, got ${d.action}: ${JSON.stringify(d)}`);
  return d as Extract<ServiceDecision, { action: A }>;
}

/** The state after a fallback at T0 on the Spot mix. */
function fellBack(): ServiceSpotState {
  return expectSwitch(decideServiceAction(undefined, placementFailure(0), service(), config), 'fallback')
    .newState;
}

describe('service Spot fallback: decisions', () => {
  it('does nothing for a service not opted in', () => {
    const d = decideServiceAction(undefined, placementFailure(0), service({ tags: {} }), config);
    expect(d).toEqual({ action: 'none', reason: expect.stringContaining('not opted in') });
  });

  it('opts in by tag or by name in optInServices; the tag off wins', () => {
    const base = { cluster: CLUSTER, service: SERVICE };
    expect(isOptedIn({ ...base, tags: { 'ecs-autopilot:spot-fallback': 'ON' } }, new Set())).toBe(true);
    expect(isOptedIn({ ...base, tags: {} }, new Set(['web/api']))).toBe(true);
    expect(isOptedIn({ ...base, tags: {} }, new Set(['api']))).toBe(true);
    expect(isOptedIn({ ...base, tags: {} }, new Set(['other/api']))).toBe(false);
    expect(isOptedIn({ ...base, tags: { 'ecs-autopilot:spot-fallback': 'off' } }, new Set(['api']))).toBe(
      false,
    );
  });

  it('falls back on a Spot placement failure to the on-demand strategy, remembering the original', () => {
    const d = expectSwitch(
      decideServiceAction(undefined, placementFailure(0), service(), config),
      'fallback',
    );
    expect(d.strategy).toEqual(ON_DEMAND);
    expect(d.newState).toEqual({
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
    });
    expect(d.event).toEqual({
      detailType: 'Service Spot Fallback',
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
    });
  });

  it('opts in through optInServices without the tag', () => {
    const d = decideServiceAction(undefined, placementFailure(0), service({ tags: {} }), {
      ...config,
      optInServices: new Set(['web/api']),
    });
    expect(d.action).toBe('fallback');
  });

  it('ignores a placement failure on an on-demand provider', () => {
    const d = decideServiceAction(undefined, placementFailure(0, ['FARGATE']), service(), config);
    expect(d).toEqual({ action: 'none', reason: 'placement failure not on a Spot capacity provider' });
  });

  it('accepts a placement failure naming no provider only when the strategy is all Spot', () => {
    const unnamed: ServiceSignal = { kind: 'placement-failure', at: T0 };
    expect(decideServiceAction(undefined, unnamed, service(), config).action).toBe('none');
    const d = expectSwitch(
      decideServiceAction(undefined, unnamed, service({ strategy: ALL_SPOT }), config),
      'fallback',
    );
    expect(d.strategy).toEqual([{ capacityProvider: 'FARGATE', weight: 1 }]);
  });

  it('falls back on a Spot interruption of one of its tasks', () => {
    const d = expectSwitch(decideServiceAction(undefined, interruption(0), service(), config), 'fallback');
    expect(d.strategy).toEqual(ON_DEMAND);
    expect(d.newState.history[0]).toMatchObject({ cause: 'spot-interruption', note: expect.any(String) });
  });

  it('does nothing for a strategy with no Spot provider or a launch type', () => {
    expect(
      decideServiceAction(undefined, placementFailure(0), service({ strategy: ON_DEMAND }), config),
    ).toEqual({ action: 'none', reason: 'no Spot capacity provider with an on-demand counterpart' });
    expect(
      decideServiceAction(undefined, interruption(0), service({ strategy: undefined }), config).action,
    ).toBe('none');
  });

  it('maps EC2 Auto Scaling Spot providers through the mapping', () => {
    const mapping = { [CLUSTER]: { 'asg-spot': 'asg-on-demand' } };
    const strategy = [
      { capacityProvider: 'asg-on-demand', base: 2, weight: 1 },
      { capacityProvider: 'asg-spot', weight: 4 },
    ];
    const d = expectSwitch(
      decideServiceAction(undefined, placementFailure(0, ['asg-spot']), service({ strategy }), {
        ...config,
        mapping,
      }),
      'fallback',
    );
    expect(d.strategy).toEqual([{ capacityProvider: 'asg-on-demand', base: 2, weight: 5 }]);
    // Without the mapping the same provider is not known as Spot; nor in another cluster.
    expect(
      decideServiceAction(undefined, placementFailure(0, ['asg-spot']), service({ strategy }), config),
    ).toEqual(expect.objectContaining({ action: 'none' }));
    expect(
      decideServiceAction(
        undefined,
        placementFailure(0, ['asg-spot']),
        service({ strategy, cluster: 'batch' }),
        { ...config, mapping },
      ).action,
    ).toBe('none');
  });

  it('does not switch twice within the cool-down (no flapping)', () => {
    const state = fellBack();
    // A second failure, even as if the service were on Spot again (state says on-demand): no switch.
    const again = decideServiceAction(state, placementFailure(60), service(), config);
    expect(again.action).toBe('none');
    // Restored at 900 s; Spot fails at 1000 s: less than a cool-down since the restore, so no fallback.
    const restored = expectSwitch(decideServiceAction(state, steady(900), service(), config), 'restore');
    const tooSoon = decideServiceAction(restored.newState, placementFailure(1000), service(), config);
    expect(tooSoon).toEqual({ action: 'none', reason: 'switched less than a cool-down ago' });
    // A cool-down after the restore it may fall back again.
    const later = expectSwitch(
      decideServiceAction(restored.newState, placementFailure(1800), service(), config),
      'fallback',
    );
    expect(later.newState.history.map((h) => h.action)).toEqual(['fallback', 'restore', 'fallback']);
    expect(later.newState.originalStrategy).toEqual(SPOT_MIX);
  });

  it('keeps waiting on a steady state before the cool-down', () => {
    const d = decideServiceAction(fellBack(), steady(899), service({ strategy: ON_DEMAND }), config);
    expect(d).toEqual({ action: 'none', reason: 'on-demand; cooling down (1 s left)' });
  });

  it('restores the original strategy on a steady state after the cool-down', () => {
    const d = expectSwitch(
      decideServiceAction(fellBack(), steady(900), service({ strategy: ON_DEMAND }), config),
      'restore',
    );
    expect(d.strategy).toEqual(SPOT_MIX);
    expect(d.newState).toMatchObject({ mode: 'spot', lastSwitchAt: at(900) });
    expect(d.newState.originalStrategy).toBeUndefined();
    expect(d.newState.history[1]).toEqual({
      at: at(900),
      action: 'restore',
      cause: 'steady',
      note: 'Spot quiet for 900 s',
      from: ON_DEMAND,
      to: SPOT_MIX,
    });
    expect(d.event).toMatchObject({
      detailType: 'Service Spot Restored',
      detail: { cluster: CLUSTER, service: SERVICE, from: ON_DEMAND, to: SPOT_MIX, cause: 'steady' },
    });
  });

  it('restores even when the opt-in was removed meanwhile (it puts back what it changed)', () => {
    const d = decideServiceAction(
      fellBack(),
      steady(900),
      service({ strategy: ON_DEMAND, tags: {} }),
      config,
    );
    expect(d.action).toBe('restore');
  });

  it('pushes the restore back on Spot trouble while on-demand', () => {
    const troubled = decideServiceAction(
      fellBack(),
      interruption(600),
      service({ strategy: ON_DEMAND }),
      config,
    );
    expect(troubled.action).toBe('none');
    const state = troubled.newState;
    expect(state).toMatchObject({ mode: 'on-demand', lastSwitchAt: T0, lastSpotTroubleAt: at(600) });
    if (!state) throw new Error('state expected');
    expect(decideServiceAction(state, steady(1200), service({ strategy: ON_DEMAND }), config)).toEqual({
      action: 'none',
      reason: 'on-demand; cooling down (300 s left)',
    });
    expect(decideServiceAction(state, steady(1500), service({ strategy: ON_DEMAND }), config).action).toBe(
      'restore',
    );
    // A Spot placement failure (the old deployment's tasks) counts too; an older one changes nothing.
    const placed = decideServiceAction(
      state,
      placementFailure(700),
      service({ strategy: ON_DEMAND }),
      config,
    );
    expect(placed.newState?.lastSpotTroubleAt).toBe(at(700));
    expect(decideServiceAction(state, interruption(500), service({ strategy: ON_DEMAND }), config)).toEqual({
      action: 'none',
      reason: 'on-demand already; Spot trouble already noted',
    });
  });

  it('does not count an on-demand placement failure as Spot trouble', () => {
    const d = decideServiceAction(
      fellBack(),
      placementFailure(600, ['FARGATE']),
      service({ strategy: ON_DEMAND }),
      config,
    );
    expect(d).toEqual({ action: 'none', reason: 'on-demand; not Spot trouble' });
  });

  it('restores on a periodic tick after the cool-down, not before', () => {
    expect(decideServiceAction(fellBack(), tick(300), service({ strategy: ON_DEMAND }), config).action).toBe(
      'none',
    );
    const d = expectSwitch(
      decideServiceAction(fellBack(), tick(960), service({ strategy: ON_DEMAND }), config),
      'restore',
    );
    expect(d.strategy).toEqual(SPOT_MIX);
    expect(d.newState.history[1]?.cause).toBe('tick');
  });

  it('ignores steady states and ticks on Spot, and late events before the switch', () => {
    expect(decideServiceAction(undefined, steady(0), service(), config)).toEqual({
      action: 'none',
      reason: 'on Spot',
    });
    expect(decideServiceAction(undefined, tick(0), service(), config).action).toBe('none');
    expect(mayAct(undefined, steady(0))).toBe(false);
    expect(mayAct(fellBack(), steady(0))).toBe(true);
    expect(mayAct(undefined, placementFailure(0))).toBe(true);
    // A steady state stamped before the fallback (delivered late) restores nothing.
    expect(
      decideServiceAction(fellBack(), steady(-60), service({ strategy: ON_DEMAND }), config).action,
    ).toBe('none');
  });

  it('honours a configured cool-down and defaults to 15 minutes', () => {
    const short = { ...config, cooldownSeconds: 60 };
    expect(decideServiceAction(fellBack(), steady(60), service({ strategy: ON_DEMAND }), short).action).toBe(
      'restore',
    );
    const defaults = { mapping: {}, optInServices: new Set<string>() };
    expect(
      decideServiceAction(fellBack(), steady(899), service({ strategy: ON_DEMAND }), defaults).action,
    ).toBe('none');
    expect(
      decideServiceAction(fellBack(), steady(900), service({ strategy: ON_DEMAND }), defaults).action,
    ).toBe('restore');
  });

  it('keeps the newest 50 switches', () => {
    let state: ServiceSpotState | undefined;
    for (let i = 0; i < 30; i++) {
      const down = expectSwitch(
        decideServiceAction(state, placementFailure(i * 2000), service(), config),
        'fallback',
      );
      const up = expectSwitch(
        decideServiceAction(down.newState, tick(i * 2000 + 1000), service({ strategy: ON_DEMAND }), config),
        'restore',
      );
      state = up.newState;
    }
    expect(state?.history).toHaveLength(MAX_HISTORY);
    expect(state?.history.at(-1)).toMatchObject({ action: 'restore', at: at(29 * 2000 + 1000) });
  });

  it('compares strategies whatever the order and spelled-out zeros', () => {
    expect(
      sameStrategy(
        [
          { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
          { capacityProvider: 'FARGATE', weight: 1, base: 1 },
        ],
        SPOT_MIX,
      ),
    ).toBe(true);
    expect(sameStrategy(SPOT_MIX, ON_DEMAND)).toBe(false);
  });

  it('shows the history for the API', () => {
    const state = { ...fellBack(), pending: undefined };
    expect(serviceHistoryView(state)).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      mode: 'on-demand',
      originalStrategy: SPOT_MIX,
      history: state.history,
    });
  });
});
