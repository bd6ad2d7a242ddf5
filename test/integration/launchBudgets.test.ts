import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { useTablePerTest } from '../support/dynamo';

const dynamo = useTablePerTest('budgets');
const HOUR = { limit: 5, windowMinutes: 60 };
const T0 = Date.parse('2025-03-01T10:00:30.000Z');

describe('launch budgets in DynamoDB (dynalite)', () => {
  it('grants exactly the limit to concurrent claims from several launchers, and counts each request once', async () => {
    // Three "containers", each with its own adapter (and so its own batching), claiming at once.
    const launchers = [0, 1, 2].map(() => buildLaunchBudgets(dynamo.db, dynamo.table, () => T0));
    const claims = Array.from({ length: 12 }, (_, i) =>
      (launchers[i % 3] ?? launchers[0])?.claim('cluster#batch#launches', `r-${i}`, 1, HOUR),
    );
    const results = await Promise.all(claims);
    expect(results.filter((r) => r?.granted)).toHaveLength(5);
    // A redelivery of a granted request is granted again without counting; the window still holds 5.
    const grantedIndex = results.findIndex((r) => r?.granted);
    const again = await launchers[1]?.claim('cluster#batch#launches', `r-${grantedIndex}`, 1, HOUR);
    expect(again).toMatchObject({ granted: true, replay: true });
    expect(await launchers[0]?.state('cluster#batch#launches', 60)).toEqual({ used: 5 });
  });

  it('frees the window as minutes pass out of it (a rolling hour, not a clock hour)', async () => {
    let now = T0;
    const budgets = buildLaunchBudgets(dynamo.db, dynamo.table, () => now);
    expect((await budgets.claim('k', 'a', 4, HOUR)).granted).toBe(true);
    now += 30 * 60_000;
    expect((await budgets.claim('k', 'b', 1, HOUR)).granted).toBe(true);
    expect(await budgets.claim('k', 'c', 1, HOUR)).toMatchObject({ granted: false, used: 5, limit: 5 });
    now = T0 + 60 * 60_000; // the first minute has left the window; the 4 of it no longer count
    expect(await budgets.claim('k', 'c', 1, HOUR)).toMatchObject({ granted: true, used: 1 });
  });

  it('refuses a claim bigger than what is left, and grants a smaller one after it', async () => {
    const budgets = buildLaunchBudgets(dynamo.db, dynamo.table, () => T0);
    await budgets.claim('k', 'a', 3, HOUR);
    expect((await budgets.claim('k', 'b', 3, HOUR)).granted).toBe(false);
    expect((await budgets.claim('k', 'c', 2, HOUR)).granted).toBe(true);
  });

  it('opens a breaker once, for the first caller, and closes it on reset', async () => {
    const budgets = buildLaunchBudgets(dynamo.db, dynamo.table, () => T0);
    const opened = await Promise.all([
      budgets.open('breaker#etl', T0 + 900_000),
      budgets.open('breaker#etl', T0 + 900_000),
    ]);
    expect(opened.sort()).toEqual([false, true]);
    expect((await budgets.state('breaker#etl', 15)).openUntil).toBe(new Date(T0 + 900_000).toISOString());
    await budgets.reset('breaker#etl');
    expect(await budgets.state('breaker#etl', 15)).toEqual({ used: 0 });
  });

  it('counts a request claimed twice in one batch once, and fails none of the others', async () => {
    const budgets = buildLaunchBudgets(dynamo.db, dynamo.table, () => T0);
    const results = await Promise.all(['a', 'b', 'a', 'c'].map((id) => budgets.claim('k', id, 1, HOUR)));
    expect(results.map((r) => r.granted)).toEqual([true, true, true, true]);
    expect(results[2]?.replay).toBe(true);
    expect(await budgets.state('k', 60)).toEqual({ used: 3 });
  });

  it('keeps a reset when a claim that read the window before it commits after it', async () => {
    const budgets = buildLaunchBudgets(dynamo.db, dynamo.table, () => T0);
    for (const id of ['a', 'b', 'c']) await budgets.claim('breaker#etl', id, 1, HOUR);
    // Another container reads the window (3 counted), then the operator resets, then its commit lands.
    const racing = buildLaunchBudgets(
      dynamo.db,
      dynamo.table,
      () => T0,
      async () => undefined,
    );
    const claim = racing.claim('breaker#etl', 'd', 1, HOUR);
    await budgets.reset('breaker#etl');
    await claim;
    expect((await budgets.state('breaker#etl', 60)).used).toBeLessThanOrEqual(1);
  });
});
