/**
 * The fault drills (drills/README.md) at jest sizes, on one dynalite. `npm run drill` runs them at full size.
 * Known bugs in src are pinned with test.failing: these tests pass while the bug is there and fail once it
 * is fixed (then make them plain tests).
 */
import { apiFuzzDrill, CONFIRMATIONS, judge, realApi, toEvent } from './drills/apiFuzz';
import { DRILLS } from './drills/index';
import { claimCrashDrill, ecsFaultsDrill, launcherCrashDrill } from './drills/launcherFaults';
import { lifecycleDrill } from './drills/lifecycleEvents';
import { type DrillDb, startDrillDb } from './drills/support';

let db: DrillDb;
beforeAll(async () => {
  db = await startDrillDb();
});
afterAll(async () => {
  await db.close();
});

const drill = (id: string) => {
  const drill = DRILLS.find((d) => d.id === id);
  if (!drill) throw new Error(`no drill ${id}`);
  return drill;
};

describe('fault drills (small sizes)', () => {
  it('5: 1,500 lifecycle events, 30% duplicates, shuffled, groups of 8: history exact, no action twice', async () => {
    const r = await lifecycleDrill(db, { events: 1_500 });
    expect(r.failures).toEqual([]);
    expect(r.counts).toMatchObject({
      deliveries: 1_500,
      'unique events': 1_050,
      'transitions stored': 1_050,
    });
    expect(r.counts['decisions taken']).toBe(r.counts['failed standalone tasks']);
    expect(r.counts['launch requests sent']).toBe(r.counts['failed standalone tasks']);
    expect(r.counts['events published']).toBe(r.counts['failed standalone tasks']);
    expect(r.counts['failed standalone tasks']).toBeGreaterThan(50);
  });

  it('5b: duplicates delivered at the same moment keep the StoppedTasks metric and act once', async () => {
    const r = await drill('5b').run(db, 'small');
    expect(r.failures).toEqual([]);
  });

  it('5c: opt-in restarts with half the tag reads throttled: every opted-in failure restarts once, no other', async () => {
    const r = await drill('5c').run(db, 'small');
    expect(r.failures).toEqual([]);
    expect(r.counts['decisions retried through the retry queue']).toBeGreaterThan(10);
    const optedOut = r.counts['failed tasks without the opt-in tag (given up)'] ?? 0;
    expect(optedOut).toBeGreaterThan(10);
    expect(r.counts['launch requests sent']).toBe((r.counts['failed standalone tasks'] ?? 0) - optedOut);
    expect(r.counts['launch requests sent']).toBeGreaterThan(10);
  });

  it('6: 200 launches through 20% throttling and 5% 5xx: one task each, none twice, none lost', async () => {
    const r = await ecsFaultsDrill(db, { requests: 200 });
    expect(r.failures).toEqual([]);
    expect(r.counts).toMatchObject({
      requests: 200,
      'tasks started by ECS': 200,
      'distinct tasks recorded': 200,
      'dead-lettered': 0,
    });
    expect(r.counts.throttles).toBeGreaterThan(0);
    expect(r.counts['5xx after start (answer lost)']).toBeGreaterThan(0);
    // Batched: far fewer calls than tasks, even with every throttled and failed call retried.
    expect(r.counts['RunTask calls per task (x100)']).toBeLessThan(40);
  });

  it('7: 100 launches in batches, the launcher killed before or after each group record: one task each', async () => {
    const r = await launcherCrashDrill(db, { requests: 100 });
    expect(r.failures).toEqual([]);
    expect(r.counts['tasks started by ECS']).toBe(100);
    expect(r.counts['groups killed before the record']).toBeGreaterThan(2);
    expect(r.counts['groups killed after the record']).toBeGreaterThan(2);
    // A group killed before its record calls RunTask again with its token: ECS answers the same tasks.
    expect(r.counts['RunTask token replays (same tasks returned)']).toBeGreaterThanOrEqual(
      r.counts['groups killed before the record'] ?? 0,
    );
  });

  it('7b: 100 launches, half the groups killed after their claim, redelivered regrouped: one task each', async () => {
    const r = await claimCrashDrill(db, { requests: 100 });
    expect(r.failures).toEqual([]);
    expect(r.counts['tasks started by ECS']).toBe(100);
    expect(r.counts['groups killed after their claim']).toBeGreaterThan(2);
  });

  it('8: 500 random malformed API requests: 4xx, no launch for an invalid one, no 5xx', async () => {
    const r = await apiFuzzDrill(undefined, { runs: 500 });
    expect(r.counts['unexplained problems'] ?? 0).toBe(0);
    expect(r.counts.requests).toBe(500);
    expect(r.counts['status 400']).toBeGreaterThan(100);
  });

  it('8: the request that answered 500 before d1b6540 (a 2 KB Idempotency-Key) answers 400 naming the header on the real adapters', async () => {
    const confirmation = CONFIRMATIONS.find((c) => c.case.headers?.['idempotency-key']);
    if (!confirmation) throw new Error('no Idempotency-Key confirmation');
    const world = await realApi(db);
    const { response, error } = await world.call(toEvent(confirmation.case));
    expect(judge(confirmation.case, response, error, world.ecs.counts.launches).problems).toEqual([]);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}').message).toMatch(
      /^invalid header: Idempotency-Key: must be 1 to 128 /,
    );
    expect(world.ecs.counts.launches).toBe(0);
  });

  it('8: a nextToken that decodes to a non-key object answers 400, not 500, on the real adapters', async () => {
    const problems: string[] = [];
    for (const confirmation of CONFIRMATIONS) {
      const world = await realApi(db);
      const { response, error } = await world.call(toEvent(confirmation.case));
      problems.push(...judge(confirmation.case, response, error, world.ecs.counts.launches).problems);
    }
    expect(problems).toEqual([]);
  });

  it('9: a hostile caller through the API and the launch queue starts tasks only within the allowlist and budgets', async () => {
    const r = await drill('9').run(db, 'small');
    expect(r.failures).toEqual([]);
    // Each way of being refused was exercised, and some inputs did launch.
    expect(r.counts['refused as untrusted (to the DLQ)']).toBeGreaterThan(10);
    expect(r.counts['refused: allowlist']).toBeGreaterThan(10);
    expect(r.counts['refused: budget']).toBeGreaterThan(0);
    expect(r.counts['API 403']).toBeGreaterThan(10);
    expect(r.counts['tasks started']).toBeGreaterThan(10);
  });
});
