/**
 * Drill 6: a mass restart while ECS throttles 20% and fails 5% of RunTask calls (half of those after starting
 * the tasks). Drill 7: the launcher killed between RunTask and its record (and, for half the groups, right
 * after the record), then the messages redelivered. Drill 7b: the launcher killed after claiming a group and
 * before RunTask, its members redelivered mixed with others (another grouping). All run the real launch queue
 * consumer (batches gathered into RunTask groups, the RunTask, TagResource and SendMessage adapters) with the
 * real launch store on dynalite.
 * Expected: every request ends with exactly one task, recorded once, announced once, tagged with its own
 * lineage; no task started twice.
 */

import { buildRunTask, buildTagTask } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest, buildSendTagJob } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildLaunch, type LaunchBatch } from '../../src/app/launcher';
import { buildLaunchQueueConsumer } from '../../src/app/launchQueueConsumer';
import { buildTagLaunchedTasks } from '../../src/app/lineageTags';
import type { LaunchStore } from '../../src/ports';
import { memorySpotShortages, TEST_PACING } from '../support/launcherDefaults';
import { openLaunchGuard } from '../support/openLaunchGuard';
import { ignoredRunEnds, unusedDescribeTaskTags, unusedLeases } from '../support/unusedDeps';
import {
  FakeEcs,
  FakeEventBus,
  FakeLaunchQueue,
  QUEUE_URL,
  type RestartCase,
  restartCase,
} from './launcherHarness';
import {
  type DrillDb,
  type DrillResult,
  inParallel,
  quietLogger,
  seededRandom,
  Tally,
  taskIdOf,
} from './support';

export interface LauncherDrillOptions {
  requests: number;
  seed?: number;
}

interface World {
  tally: Tally;
  store: LaunchStore;
  ecs: FakeEcs;
  queue: FakeLaunchQueue;
  bus: FakeEventBus;
  cases: RestartCase[];
}

/** The failed tasks' decisions stored (as the restart handler leaves them), their requests on the queue. */
async function setUp(dynamo: DrillDb, name: string, requests: number, random: () => number) {
  const table = await dynamo.newTable(name);
  const store = buildLaunchStore(dynamo.db, table, 30);
  const cases = Array.from({ length: requests }, () => restartCase(random));
  await inParallel(cases, 16, async (c) => {
    await store.putDecision(c.failedTaskId, c.decision);
  });
  return { store, cases };
}

/**
 * The launch queue drained by the launcher function's consumer: each SQS batch's launches gathered, so the
 * requests of a batch share RunTask calls; tag jobs handled as they come back.
 */
async function drainWithLauncher(
  world: Omit<World, 'tally' | 'cases'>,
  store: LaunchStore,
  random: () => number,
  options: { shuffle?: () => number } = {},
) {
  const { ecs, queue, bus } = world;
  const sendTagJob = buildSendTagJob(queue.client, QUEUE_URL);
  const logger = quietLogger();
  const launch = buildLaunch({
    guard: openLaunchGuard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    runTask: buildRunTask(ecs.client),
    store,
    sendLaunchRequest: buildSendLaunchRequest(queue.client, QUEUE_URL),
    sendTagJob,
    spotShortages: memorySpotShortages(),
    pacing: TEST_PACING,
    publishEvents: buildPublishEvents(bus.client, 'default'),
    logger,
    random,
    describeTaskTags: unusedDescribeTaskTags,
    leases: unusedLeases,
  });
  const { consume, newBatch } = buildLaunchQueueConsumer({
    launch,
    runScheduled: async () => {
      throw new Error('the drill sends launch requests only');
    },
    tagLaunchedTasks: buildTagLaunchedTasks({
      tagTask: buildTagTask(ecs.client),
      sendTagJob,
      logger,
      countMetric: () => undefined,
      pacing: TEST_PACING,
    }),
    logger: { info: () => undefined, error: () => undefined },
  });
  const results: Record<string, number> = {};
  await queue.drain<LaunchBatch>(
    async (record, batch) => {
      const result = String(await consume(record, batch));
      results[result] = (results[result] ?? 0) + 1;
    },
    { newBatch, ...options },
  );
  return results;
}

/**
 * Every request: one launched outcome, done, naming a task ECS started (each once, for one request), the
 * task tagged with the request's own lineage; LAUNCH and decision agree.
 */
async function verify({ tally, store, ecs, bus, cases, queue }: World) {
  const tasks = new Map<string, string>();
  const started = new Set([...ecs.tasksByToken.values()].flat());
  await inParallel(cases, 16, async ({ request, failedTaskId, failedTaskArn }) => {
    const outcome = await store.getOutcome(request);
    if (!outcome) return tally.fail(`${request.requestId}: no outcome recorded (lost)`);
    if (outcome.status === 'claimed') return tally.fail(`${request.requestId}: claimed, never launched`);
    if (outcome.status !== 'launched' || outcome.taskArns.length !== 1 || !outcome.done) {
      tally.fail(
        `${request.requestId}: outcome ${outcome.status} with ${outcome.taskArns.length} tasks, done ${outcome.done}`,
      );
    }
    const [taskArn] = outcome.taskArns;
    if (!taskArn) return;
    const other = tasks.get(taskArn);
    if (other) tally.fail(`${request.requestId}: ${taskArn} is recorded for ${other} too`);
    tasks.set(taskArn, request.requestId);
    if (!started.has(taskArn))
      tally.fail(`${request.requestId}: recorded ${taskArn}, which ECS never started`);
    const tags = ecs.tagsOf.get(taskArn) ?? {};
    if (tags['ecs-autopilot:origin-task'] !== failedTaskArn || tags['ecs-autopilot:attempt'] !== '1') {
      tally.fail(`${request.requestId}: ${taskArn} is tagged ${JSON.stringify(tags)}`);
    }
    const launch = await store.getLaunch(taskIdOf(taskArn));
    if (launch?.requestId !== request.requestId) {
      tally.fail(`${request.requestId}: LAUNCH item of ${taskArn} names ${launch?.requestId}`);
    }
    const decision = await store.getDecision(failedTaskId);
    tally.expectEqual(`${request.requestId}: the failed task's replacement`, decision?.replacementTaskArns, [
      taskArn,
    ]);
    const announced = bus.byRequest.get(`Task Restarted ${request.requestId}`) ?? 0;
    if (announced !== 1) tally.fail(`${request.requestId}: "Task Restarted" published ${announced} times`);
  });

  tally.set('requests', cases.length);
  tally.set('tasks started by ECS', ecs.counts.launches);
  tally.set('distinct tasks recorded', tasks.size);
  tally.set('RunTask calls', ecs.counts.runTaskCalls);
  tally.set('RunTask calls per task (x100)', Math.round((100 * ecs.counts.runTaskCalls) / cases.length));
  tally.set('RunTask token replays (same tasks returned)', ecs.counts.tokenReplays);
  tally.set('TagResource calls', ecs.counts.tagCalls);
  tally.set('messages received', queue.counts.received);
  tally.set('messages sent (initial + requeues + tag jobs)', queue.counts.sent);
  tally.set('redelivered after an error', queue.counts.redeliveredAfterError);
  tally.set('dead-lettered', queue.counts.deadLettered);
  tally.set(
    'events published',
    [...bus.byType.values()].reduce((a, b) => a + b, 0),
  );
  tally.expectEqual('tasks started by ECS', ecs.counts.launches, cases.length);
  tally.expectEqual('distinct tasks recorded', tasks.size, cases.length);
  tally.expectEqual('RunTask calls without a clientToken', ecs.counts.callsWithoutToken, 0);
  tally.expectEqual('dead-lettered', queue.counts.deadLettered, 0);
  tally.expectEqual('events published', Object.fromEntries(bus.byType), { 'Task Restarted': cases.length });
}

export async function ecsFaultsDrill(dynamo: DrillDb, options: LauncherDrillOptions): Promise<DrillResult> {
  const tally = new Tally('6 ECS throttling 20% + 5xx 5% through a mass restart, batched');
  const random = seededRandom(options.seed ?? 6);
  const { store, cases } = await setUp(dynamo, 'drill-ecs-faults', options.requests, random);
  const ecs = new FakeEcs({ random, throttleRate: 0.2, serverErrorRate: 0.05, loseFirstAnswer: true });
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  const send = buildSendLaunchRequest(queue.client, QUEUE_URL);
  for (const c of cases) await send(c.request, 0);
  const results = await drainWithLauncher({ store, ecs, queue, bus }, store, random);
  await verify({ tally, store, ecs, queue, bus, cases });
  tally.set('throttles', ecs.counts.throttles);
  tally.set('5xx before start', ecs.counts.serverErrorsBeforeStart);
  tally.set('5xx after start (answer lost)', ecs.counts.serverErrorsAfterStart);
  for (const [result, n] of Object.entries(results)) tally.set(`launcher result ${result}`, n);
  return tally.result();
}

export class LauncherKilled extends Error {
  constructor(where: string) {
    super(`launcher killed ${where} (drill)`);
    this.name = 'LauncherKilled';
  }
}

export async function launcherCrashDrill(
  dynamo: DrillDb,
  options: LauncherDrillOptions,
): Promise<DrillResult> {
  const tally = new Tally('7 launcher killed between RunTask and its record, batched');
  const random = seededRandom(options.seed ?? 7);
  const { store, cases } = await setUp(dynamo, 'drill-launcher-crash', options.requests, random);
  const ecs = new FakeEcs();
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  // The first group recorded dies before its record is written, the second right after it, and so on.
  const crashed = new Set<string>();
  const crashes = { before: 0, after: 0 };
  const crashingStore: LaunchStore = {
    ...store,
    async recordGroup(group, outcomes) {
      if (crashed.has(group.groupId)) return store.recordGroup(group, outcomes);
      crashed.add(group.groupId);
      if (crashed.size % 2 === 1) {
        crashes.before++;
        throw new LauncherKilled('after RunTask, before its record');
      }
      await store.recordGroup(group, outcomes);
      crashes.after++;
      throw new LauncherKilled('after the record, before its answer');
    },
  };
  const send = buildSendLaunchRequest(queue.client, QUEUE_URL);
  for (const c of cases) await send(c.request, 0);
  const results = await drainWithLauncher({ store, ecs, queue, bus }, crashingStore, random);
  await verify({ tally, store, ecs, queue, bus, cases });
  tally.set('groups killed before the record', crashes.before);
  tally.set('groups killed after the record', crashes.after);
  for (const [result, n] of Object.entries(results)) tally.set(`launcher result ${result}`, n);
  return tally.result();
}

export async function claimCrashDrill(dynamo: DrillDb, options: LauncherDrillOptions): Promise<DrillResult> {
  const tally = new Tally('7b launcher killed after claiming a group, before RunTask; redelivered regrouped');
  const random = seededRandom(options.seed ?? 71);
  const { store, cases } = await setUp(dynamo, 'drill-claim-crash', options.requests, random);
  const ecs = new FakeEcs();
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  // Half the groups claimed die right after their claim: no RunTask; their messages come back mixed.
  const claimed: { groupId: string; members: string[] }[] = [];
  let killed = 0;
  const crashingStore: LaunchStore = {
    ...store,
    async claimGroup(group) {
      const claim = await store.claimGroup(group);
      if (claim.claimed) {
        claimed.push({ groupId: group.groupId, members: group.members.map((m) => m.requestId) });
        if (claimed.length % 2 === 1) {
          killed++;
          throw new LauncherKilled('after claiming its group, before RunTask');
        }
      }
      return claim;
    },
  };
  const send = buildSendLaunchRequest(queue.client, QUEUE_URL);
  for (const c of cases) await send(c.request, 0);
  const results = await drainWithLauncher({ store, ecs, queue, bus }, crashingStore, random, {
    shuffle: random,
  });
  await verify({ tally, store, ecs, queue, bus, cases });
  // A killed group's members came back in other batches: the groups claimed after hold none of them.
  const inKilled = new Set(claimed.filter((_, i) => i % 2 === 0).flatMap((c) => c.members));
  const reclaimed = claimed
    .filter((_, i) => i % 2 === 1)
    .filter((c) => c.members.some((m) => inKilled.has(m)));
  tally.set('groups killed after their claim', killed);
  tally.set('groups claimed', claimed.length);
  tally.expectEqual('members of a killed group claimed again in another group', reclaimed.length, 0);
  for (const [result, n] of Object.entries(results)) tally.set(`launcher result ${result}`, n);
  return tally.result();
}
