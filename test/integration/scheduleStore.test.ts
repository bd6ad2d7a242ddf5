import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { LAUNCH_LEASE_MS } from '../../src/domain/leases';
import { ScheduleConflictError, ScheduleLimitError } from '../../src/ports';
import { useTablePerTest } from '../support/dynamo';
import { fakeLaunchLeases } from '../support/fakeLaunchLeases';
import { storedSchedule } from '../support/storeFixtures';

const dynamo = useTablePerTest('schedule-store');

const T0 = Date.parse('2026-11-28T12:00:00.000Z');
const DUE = 's-nightly-1764331200000';
const RUN_NOW = 'm-nightly-manual-1';

/** The store on a clock the test moves. */
function storeAt(start = T0) {
  const clock = { now: start };
  return { store: buildScheduleStore(dynamo.db, dynamo.table, 30, () => clock.now), clock };
}

const leaseItem = async () =>
  (
    await dynamo.db.send(
      new GetCommand({
        TableName: dynamo.table,
        Key: { pk: 'SCHEDULE#nightly', sk: 'LAUNCH_LEASE' },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe("a schedule's launch lease in DynamoDB (dynalite)", () => {
  it('is taken when free, as an item naming its holder, its end and its TTL', async () => {
    const { store } = storeAt();
    expect(await store.acquireLaunchLease('nightly', DUE)).toBe(true);
    expect(await leaseItem()).toEqual({
      pk: 'SCHEDULE#nightly',
      sk: 'LAUNCH_LEASE',
      holder: DUE,
      until: T0 + LAUNCH_LEASE_MS,
      expiresAt: Math.ceil((T0 + LAUNCH_LEASE_MS) / 1000),
    });
  });

  it('is refused to a second holder while the first holds it, and left as it was', async () => {
    const { store, clock } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    clock.now = T0 + LAUNCH_LEASE_MS - 1;
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
    expect(await leaseItem()).toMatchObject({ holder: DUE, until: T0 + LAUNCH_LEASE_MS });
  });

  it('is taken again by the same holder (a redelivered trigger), from the new time', async () => {
    const { store, clock } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    clock.now = T0 + 1_000;
    expect(await store.acquireLaunchLease('nightly', DUE)).toBe(true);
    expect(await leaseItem()).toMatchObject({ holder: DUE, until: T0 + 1_000 + LAUNCH_LEASE_MS });
  });

  it('is taken over once it has expired (a crashed holder)', async () => {
    const { store, clock } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    clock.now = T0 + LAUNCH_LEASE_MS + 1;
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(true);
    expect(await leaseItem()).toMatchObject({ holder: RUN_NOW });
  });

  it('is one lease per schedule: another schedule is free meanwhile', async () => {
    const { store } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    expect(await store.acquireLaunchLease('hourly', 's-hourly-1764331200000')).toBe(true);
  });

  it('stays when released by another holder, without an error', async () => {
    const { store } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    await expect(store.releaseLaunchLease('nightly', RUN_NOW)).resolves.toBeUndefined();
    expect(await leaseItem()).toMatchObject({ holder: DUE });
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
  });

  it('is freed when released by its holder, for the next run at once', async () => {
    const { store } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    await store.releaseLaunchLease('nightly', DUE);
    expect(await leaseItem()).toBeUndefined();
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(true);
  });

  it('releases nothing, without an error, when there is no lease', async () => {
    const { store } = storeAt();
    await expect(store.releaseLaunchLease('nightly', DUE)).resolves.toBeUndefined();
  });

  it('lives beside the runs without showing among them', async () => {
    const { store } = storeAt();
    await store.recordRun('nightly', {
      requestId: DUE,
      trigger: 'schedule',
      scheduledTime: '2026-11-28T12:00:00.000Z',
      status: 'PENDING',
    });
    await store.acquireLaunchLease('nightly', DUE);
    expect((await store.listRuns('nightly', 10)).runs.map((r) => r.requestId)).toEqual([DUE]);
  });
});

describe("a schedule's runs in DynamoDB (dynalite)", () => {
  it("expire the retention period after the store's clock, not the machine's (the sandbox's virtual time)", async () => {
    const { store } = storeAt(T0);
    await store.recordRun('nightly', {
      requestId: DUE,
      trigger: 'schedule',
      scheduledTime: '2026-11-28T12:00:00.000Z',
      status: 'PENDING',
    });
    const { Item } = await dynamo.db.send(
      new GetCommand({
        TableName: dynamo.table,
        Key: { pk: 'SCHEDULE#nightly', sk: `RUN#2026-11-28T12:00:00.000Z#${DUE}` },
      }),
    );
    // T0 (2026-11-28T12:00:00Z) in epoch seconds, plus 30 days.
    expect(Item?.expiresAt).toBe(1_798_459_200);
  });
});

describe("a schedule's launch lease in DynamoDB (dynalite): kept and parked by its launch", () => {
  it('is kept by its holder for the time asked, parked, without changing hands', async () => {
    const { store } = storeAt();
    await store.acquireLaunchLease('nightly', DUE);
    expect(
      await store.holdLaunchLease('nightly', DUE, { holdMs: 5_000 + LAUNCH_LEASE_MS, parked: true }),
    ).toBe(true);
    const until = T0 + 5_000 + LAUNCH_LEASE_MS;
    expect(await leaseItem()).toEqual({
      pk: 'SCHEDULE#nightly',
      sk: 'LAUNCH_LEASE',
      holder: DUE,
      until,
      parked: true,
      expiresAt: Math.ceil(until / 1000),
    });
  });
});

/**
 * The lease's rules, on the DynamoDB adapter and on the in-memory fake the unit tests use
 * (test/support/fakeLaunchLeases.ts), so the fake cannot drift from the conditions it stands for.
 */
describe.each([
  ['DynamoDB (dynalite)', () => storeAt()],
  [
    'the in-memory fake',
    () => {
      const clock = { now: T0 };
      return { store: fakeLaunchLeases(() => clock.now), clock };
    },
  ],
])("a schedule's launch lease, kept while its launch waits: %s", (_name, start) => {
  const parked = { holdMs: 5_000 + LAUNCH_LEASE_MS, parked: true };

  it('is kept only by its holder', async () => {
    const { store } = start();
    await store.acquireLaunchLease('nightly', DUE);
    expect(await store.holdLaunchLease('nightly', RUN_NOW, parked)).toBe(false);
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
  });

  it('is not kept once gone (released, or never taken): the waiting launch must not start', async () => {
    const { store } = start();
    expect(await store.holdLaunchLease('nightly', DUE, parked)).toBe(false);
    await store.acquireLaunchLease('nightly', DUE);
    await store.releaseLaunchLease('nightly', DUE);
    expect(await store.holdLaunchLease('nightly', DUE, parked)).toBe(false);
  });

  it('outlives the usual lease while parked for a long wait', async () => {
    const { store, clock } = start();
    await store.acquireLaunchLease('nightly', DUE);
    await store.holdLaunchLease('nightly', DUE, { holdMs: 10 * 60_000, parked: true });
    clock.now = T0 + 9 * 60_000;
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
    expect(await store.holdLaunchLease('nightly', DUE, { holdMs: LAUNCH_LEASE_MS, parked: false })).toBe(
      true,
    );
  });

  it('is taken over while parked by a run that asks to (Replace), and the parked holder loses it', async () => {
    const { store } = start();
    await store.acquireLaunchLease('nightly', DUE);
    await store.holdLaunchLease('nightly', DUE, parked);
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
    expect(await store.acquireLaunchLease('nightly', RUN_NOW, { takeOverParked: true })).toBe(true);
    expect(await store.holdLaunchLease('nightly', DUE, parked)).toBe(false);
    // Nor does the parked holder get it back once the new run has finished with it.
    await store.releaseLaunchLease('nightly', RUN_NOW);
    expect(await store.holdLaunchLease('nightly', DUE, parked)).toBe(false);
  });

  it('is not taken over while its holder is starting its launch (not parked)', async () => {
    const { store } = start();
    await store.acquireLaunchLease('nightly', DUE);
    await store.holdLaunchLease('nightly', DUE, { holdMs: LAUNCH_LEASE_MS, parked: false });
    expect(await store.acquireLaunchLease('nightly', RUN_NOW, { takeOverParked: true })).toBe(false);
    expect(await store.holdLaunchLease('nightly', DUE, parked)).toBe(true);
  });

  it('is taken parked for a long wait (a restart in its backoff), which a Replace may take over', async () => {
    const { store, clock } = start();
    const hold = { holdMs: 6 * 60_000 + LAUNCH_LEASE_MS, parked: true };
    expect(await store.acquireLaunchLease('nightly', DUE, { hold })).toBe(true);
    clock.now = T0 + 7 * 60_000;
    expect(await store.acquireLaunchLease('nightly', RUN_NOW)).toBe(false);
    expect(await store.acquireLaunchLease('nightly', RUN_NOW, { takeOverParked: true })).toBe(true);
  });

  it('is unparked when its holder takes it again (a redelivered trigger)', async () => {
    const { store } = start();
    await store.acquireLaunchLease('nightly', DUE);
    await store.holdLaunchLease('nightly', DUE, parked);
    expect(await store.acquireLaunchLease('nightly', DUE)).toBe(true);
    expect(await store.acquireLaunchLease('nightly', RUN_NOW, { takeOverParked: true })).toBe(false);
  });
});

const schedule = storedSchedule;

/** The count item's value (undefined when the table has none). */
const counted = async () =>
  (
    await dynamo.db.send(
      new GetCommand({
        TableName: dynamo.table,
        Key: { pk: 'SCHEDULE_COUNT', sk: 'SCHEDULE_COUNT' },
        ConsistentRead: true,
      }),
    )
  ).Item?.count;

const names = async (store: ReturnType<typeof storeAt>['store']) =>
  (await store.list(100)).schedules.map((s) => s.name);

describe('the cap on schedules in DynamoDB (dynalite)', () => {
  it('lets exactly 5 of 20 concurrent creates through with a cap of 5, refusing the others', async () => {
    const { store } = storeAt();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.create(schedule(`job-${String(i).padStart(2, '0')}`), 5)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(refusals).toHaveLength(15);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(ScheduleLimitError);
      expect(refusal.message).toBe(
        'this stage keeps at most 5 schedules (maxSchedules): delete one, or raise maxSchedules',
      );
    }
    expect(await names(store)).toHaveLength(5);
    expect(await counted()).toBe(5);
  });

  it('counts the schedules a table had before the count once, then holds the cap', async () => {
    // Schedules written by a version without the count.
    for (const name of ['old-a', 'old-b', 'old-c']) {
      await dynamo.db.send(
        new PutCommand({ TableName: dynamo.table, Item: { pk: 'SCHEDULES', sk: name, ...schedule(name) } }),
      );
    }
    expect(await counted()).toBeUndefined();
    const { store } = storeAt();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => store.create(schedule(`new-${i}`), 5)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await names(store)).toHaveLength(5);
    expect(await counted()).toBe(5);
  });

  it('makes room again when a schedule is deleted, and uncounts a schedule deleted twice at once only once', async () => {
    const { store } = storeAt();
    await store.create(schedule('a'), 2);
    await store.create(schedule('b'), 2);
    await expect(store.create(schedule('c'), 2)).rejects.toBeInstanceOf(ScheduleLimitError);
    await Promise.all([store.remove('a'), store.remove('a')]);
    expect(await counted()).toBe(1);
    await store.create(schedule('c'), 2);
    expect(await names(store)).toEqual(['b', 'c']);
    expect(await counted()).toBe(2);
  });

  it('refuses a taken name as a conflict, counting nothing', async () => {
    const { store } = storeAt();
    await store.create(schedule('nightly'), 5);
    await expect(store.create({ ...schedule('nightly'), count: 3 }, 5)).rejects.toThrow(
      new ScheduleConflictError('schedule nightly exists'),
    );
    expect(await counted()).toBe(1);
    expect((await store.get('nightly'))?.count).toBe(1);
  });

  it('starts the count on a delete in a table from before it, without the deleted schedule', async () => {
    await dynamo.db.send(
      new PutCommand({ TableName: dynamo.table, Item: { pk: 'SCHEDULES', sk: 'old', ...schedule('old') } }),
    );
    const { store } = storeAt();
    await store.remove('old');
    await store.remove('never-existed');
    expect(await names(store)).toEqual([]);
    expect(await counted()).toBe(0);
  });

  it('replaces only the version read, leaving the count', async () => {
    const { store } = storeAt();
    await store.create(schedule('nightly'), 5);
    await store.put({ ...schedule('nightly'), version: 2, count: 4 }, 1);
    const refused = store.put({ ...schedule('nightly'), version: 2 }, 1);
    await expect(refused).rejects.toBeInstanceOf(ScheduleConflictError);
    // The failed condition it wraps stays its cause.
    await expect(refused).rejects.toMatchObject({
      message: 'schedule nightly changed meanwhile',
      cause: { name: 'ConditionalCheckFailedException' },
      context: { schedule: 'nightly' },
    });
    expect((await store.get('nightly'))?.count).toBe(4);
    expect(await counted()).toBe(1);
  });
});
