/**
 * The fault drills, each at two sizes: `full` for `npm run drill` (the sizes of the issue), `small` for
 * test/drills.test.ts (under a minute in all on two cores). Every drill returns counts and failures.
 */
import { apiFuzzDrill } from './apiFuzz';
import { hostileCallerDrill } from './hostileCaller';
import { claimCrashDrill, ecsFaultsDrill, launcherCrashDrill } from './launcherFaults';
import { lifecycleDrill } from './lifecycleEvents';
import type { DrillDb, DrillResult } from './support';

export type DrillSize = 'full' | 'small';

export interface Drill {
  id: string;
  title: string;
  run(db: DrillDb, size: DrillSize): Promise<DrillResult>;
}

export const DRILLS: Drill[] = [
  {
    id: '5',
    title: 'lifecycle events with 30% duplicates, shuffled: history exact, no action taken twice',
    run: (db, size) => lifecycleDrill(db, { events: size === 'full' ? 10_000 : 1_500 }),
  },
  {
    id: '5b',
    title: 'the same, each duplicate delivered at the same moment as its original, DynamoDB latency jitter',
    run: (db, size) =>
      lifecycleDrill(db, {
        events: size === 'full' ? 3_000 : 600,
        duplicateShare: 0.5,
        duplicates: 'together',
        dynamoJitterMs: 10,
        seed: 55,
      }),
  },
  {
    id: '5c',
    title:
      'the same with restartMaxAttempts=0 (half the tasks opt in by tag) and half the tag reads throttled: decisions wait on the retry queue, none lost',
    run: (db, size) =>
      lifecycleDrill(db, { events: size === 'full' ? 3_000 : 600, optInWithThrottledTags: 0.5, seed: 57 }),
  },
  {
    id: '6',
    title:
      'ECS at 20% ThrottlingException and 5% 5xx through a mass restart: nothing lost, nothing duplicated',
    run: (db, size) => ecsFaultsDrill(db, { requests: size === 'full' ? 1_000 : 200 }),
  },
  {
    id: '7',
    title: 'the launcher killed between RunTask and its record (batched): the retry starts no second task',
    run: (db, size) => launcherCrashDrill(db, { requests: size === 'full' ? 500 : 100 }),
  },
  {
    id: '7b',
    title:
      'the launcher killed after claiming a group and before RunTask, its members redelivered in another grouping: no task twice, none lost',
    run: (db, size) => claimCrashDrill(db, { requests: size === 'full' ? 500 : 100 }),
  },
  {
    id: '8',
    title: 'random malformed API requests: all 4xx, no 5xx, nothing launched',
    run: (db, size) => apiFuzzDrill(db, { runs: size === 'full' ? 5_000 : 500 }),
  },
  {
    id: '9',
    title:
      'a hostile caller: random launches through the API and raw launch-queue messages; each starts tasks within the allowlist and the budgets, or nothing',
    run: (db, size) => hostileCallerDrill(db, { inputs: size === 'full' ? 3_000 : 400 }),
  },
];
