import { buildSpotShortages } from '../../src/adapters/spotShortages';
import { useTablePerTest } from '../support/dynamo';

const dynamo = useTablePerTest('spot-shortages');

describe('the memory of Spot shortages in DynamoDB (dynalite)', () => {
  it('remembers a shortage once per cool-down, shared by every launcher, and forgets it when Spot is back', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const one = buildSpotShortages(dynamo.db, dynamo.table, clock, 0);
    const other = buildSpotShortages(dynamo.db, dynamo.table, clock, 0);
    const shortage = {
      cluster: 'batch',
      provider: 'FARGATE_SPOT',
      until: now + 180_000,
      probeAfter: now + 30_000,
    };
    expect(await one.remember(shortage)).toEqual({ started: true });
    // Another launcher learns of it, and announces nothing more.
    expect(await other.current('batch', 'FARGATE_SPOT')).toMatchObject({ until: shortage.until });
    expect(await other.remember({ ...shortage, until: now + 200_000 })).toEqual({ started: false });
    expect(await other.current('batch', 'FARGATE')).toBeUndefined();
    expect(await other.current('etl', 'FARGATE_SPOT')).toBeUndefined();
    // One probe per interval, for whichever launcher asks first.
    now += 31_000;
    const seen = await one.current('batch', 'FARGATE_SPOT');
    if (!seen) throw new Error('the shortage is gone');
    expect(await one.takeProbe(seen, now + 30_000)).toBe(true);
    expect(await other.takeProbe(seen, now + 30_000)).toBe(false);
    await other.forget('batch', 'FARGATE_SPOT');
    expect(await one.current('batch', 'FARGATE_SPOT')).toBeUndefined();
  });

  it('ends with its cool-down, and a later shortage is a new one (announced again)', async () => {
    let now = 5_000_000;
    const memory = buildSpotShortages(dynamo.db, dynamo.table, () => now, 0);
    const shortage = {
      cluster: 'batch',
      provider: 'FARGATE_SPOT',
      until: now + 180_000,
      probeAfter: now + 30_000,
    };
    await memory.remember(shortage);
    now += 181_000;
    expect(await memory.current('batch', 'FARGATE_SPOT')).toBeUndefined();
    expect(await memory.remember({ ...shortage, until: now + 180_000 })).toEqual({ started: true });
  });

  it('asks DynamoDB at most once per cache period for the same provider', async () => {
    const memory = buildSpotShortages(dynamo.db, dynamo.table, Date.now, 60_000);
    const send = jest.spyOn(dynamo.db, 'send');
    for (let i = 0; i < 5; i++) await memory.current('batch', 'FARGATE_SPOT');
    expect(send).toHaveBeenCalledTimes(1);
    send.mockRestore();
  });
});
