import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { buildServiceStateStore } from '../../src/adapters/serviceState';
import { keys } from '../../src/adapters/table';
import type { ServiceSpotState } from '../../src/domain/serviceFallback';
import { useTablePerTest } from '../support/dynamo';

const dynamo = useTablePerTest('service-state');

const SPOT_MIX = [
  { capacityProvider: 'FARGATE', weight: 1, base: 1 },
  { capacityProvider: 'FARGATE_SPOT', weight: 3 },
];
const ON_DEMAND = [{ capacityProvider: 'FARGATE', weight: 4, base: 1 }];
const onDemand = (cluster: string, service: string): ServiceSpotState => ({
  cluster,
  service,
  mode: 'on-demand',
  originalStrategy: SPOT_MIX,
  lastSwitchAt: '2024-05-14T09:00:00Z',
  lastSpotTroubleAt: '2024-05-14T09:00:00Z',
  history: [
    {
      at: '2024-05-14T09:00:00Z',
      action: 'fallback',
      cause: 'placement-failure',
      from: SPOT_MIX,
      to: ON_DEMAND,
    },
  ],
});
const restored = (state: ServiceSpotState): ServiceSpotState => ({
  ...state,
  mode: 'spot',
  originalStrategy: undefined,
  lastSwitchAt: '2024-05-14T09:15:00Z',
  lastSpotTroubleAt: undefined,
  history: [
    ...state.history,
    { at: '2024-05-14T09:15:00Z', action: 'restore', cause: 'steady', from: ON_DEMAND, to: SPOT_MIX },
  ],
});

describe('service Spot fallback state in DynamoDB (dynalite)', () => {
  it('stores a state with revision 1 and reads it back as it was', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    expect(await store.getState('web', 'api')).toBeUndefined();
    const state = onDemand('web', 'api');
    expect(await store.putState(state, 0)).toBe(true);
    expect(await store.getState('web', 'api')).toEqual({ state, revision: 1 });
    const raw = await dynamo.db.send(
      new GetCommand({ TableName: dynamo.table, Key: { pk: 'SERVICE#web#api', sk: 'STATE' } }),
    );
    expect(raw.Item).toMatchObject({ kind: 'service-state', revision: 1, mode: 'on-demand' });
  });

  it('writes only on the revision it expects: a stale writer gets false and changes nothing', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    const state = onDemand('web', 'api');
    expect(await store.putState(state, 0)).toBe(true);
    // A second first write (a concurrent delivery that read no state) loses.
    expect(await store.putState({ ...state, lastSpotTroubleAt: '2024-05-14T09:01:00Z' }, 0)).toBe(false);
    const next = { ...state, lastSpotTroubleAt: '2024-05-14T09:02:00Z' };
    expect(await store.putState(next, 1)).toBe(true);
    expect(await store.putState({ ...state, lastSpotTroubleAt: '2024-05-14T09:03:00Z' }, 1)).toBe(false);
    expect(await store.getState('web', 'api')).toEqual({ state: next, revision: 2 });
  });

  it('keeps the on-demand index in step with the state, in the same transaction', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    const api = onDemand('web', 'api');
    await store.putState(api, 0);
    await store.putState(onDemand('batch', 'worker'), 0);
    await store.putState({ cluster: 'web', service: 'spot-only', mode: 'spot', history: [] }, 0);
    expect(await store.listOnDemandServices()).toEqual([
      { cluster: 'batch', service: 'worker' },
      { cluster: 'web', service: 'api' },
    ]);
    const index = await dynamo.db.send(
      new GetCommand({ TableName: dynamo.table, Key: keys.onDemandService('web', 'api') }),
    );
    expect(index.Item).toMatchObject({ cluster: 'web', service: 'api', since: '2024-05-14T09:00:00Z' });

    // Restored: the index item goes with the same write.
    expect(await store.putState(restored(api), 1)).toBe(true);
    expect(await store.listOnDemandServices()).toEqual([{ cluster: 'batch', service: 'worker' }]);
    const back = await store.getState('web', 'api');
    expect(back?.state.mode).toBe('spot');
    expect(back?.state.originalStrategy).toBeUndefined();
    expect(back?.state.history.map((h) => h.action)).toEqual(['fallback', 'restore']);
  });

  it('a conflicting write leaves the index as it was', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    const api = onDemand('web', 'api');
    await store.putState(api, 0);
    expect(await store.putState(restored(api), 7)).toBe(false);
    expect(await store.listOnDemandServices()).toEqual([{ cluster: 'web', service: 'api' }]);
    expect((await store.getState('web', 'api'))?.revision).toBe(1);
  });

  it('stores a pending switch and clears it', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    const api = onDemand('web', 'api');
    const withPending: ServiceSpotState = {
      ...api,
      pending: {
        action: 'fallback',
        strategy: ON_DEMAND,
        event: { detailType: 'Service Spot Fallback', detail: { cluster: 'web', service: 'api' } },
        previous: { cluster: 'web', service: 'api', mode: 'spot', history: [] },
      },
    };
    await store.putState(withPending, 0);
    expect((await store.getState('web', 'api'))?.state).toEqual(withPending);
    await store.putState(api, 1);
    expect(await store.getState('web', 'api')).toEqual({ state: api, revision: 2 });
  });

  it('lists every on-demand service, in key order', async () => {
    const store = buildServiceStateStore(dynamo.db, dynamo.table);
    const names = Array.from({ length: 60 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    for (const name of names) await store.putState(onDemand('web', name), 0);
    const listed = await store.listOnDemandServices();
    expect(listed.map((s) => s.service)).toEqual(names);
  });
});
