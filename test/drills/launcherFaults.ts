/**
 * Drill 6: a mass restart while ECS throttles 20% and fails 5% of RunTask calls (half of those after starting
 * the task). Drill 7: the launcher killed between RunTask and its record (and, for half the requests, right
 * after the record), then the message redelivered. Both run the real launcher (buildLaunch, the RunTask
 * and SendMessage adapters, parseQueueMessage) with the real launch store on dynalite.
 * Expected: every request ends with exactly one task, recorded once, announced once; no task started twice.
 */

import { buildRunTask } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildLaunch, parseQueueMessage } from '../../src/app/launcher';
import { clientTokenFor } from '../../src/domain/launchRequest';
import type { LaunchStore } from '../../src/ports';
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

/** Every request: one launched outcome, done, naming the task ECS started for its token; LAUNCH and decision agree. */
async function verify({ tally, store, ecs, bus, cases, queue }: World) {
  const tasks = new Set<string>();
  await inParallel(cases, 16, async ({ request, failedTaskId }) => {
    const outcome = await store.getOutcome(request);
    const ecsTask = ecs.taskByToken.get(clientTokenFor(request));
    if (!outcome) return tally.fail(`${request.requestId}: no outcome recorded (lost)`);
    if (outcome.status !== 'launched' || outcome.taskArns.length !== 1 || !outcome.done) {
      tally.fail(
        `${request.requestId}: outcome ${outcome.status} with ${outcome.taskArns.length} tasks, done ${outcome.done}`,
      );
    }
    const [taskArn] = outcome.taskArns;
    if (!taskArn) return;
    tasks.add(taskArn);
    if (taskArn !== ecsTask) tally.fail(`${request.requestId}: recorded ${taskArn}, ECS started ${ecsTask}`);
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
  const tokensPerRequest = new Map<string, number>();
  for (const token of ecs.taskByToken.keys()) {
    const requestId = token.replace(/~c\d+$/, '');
    tokensPerRequest.set(requestId, (tokensPerRequest.get(requestId) ?? 0) + 1);
  }
  const launchedTwice = [...tokensPerRequest.values()].filter((n) => n > 1).length;

  tally.set('requests', cases.length);
  tally.set('tasks started by ECS', ecs.counts.launches);
  tally.set('distinct tasks recorded', tasks.size);
  tally.set('requests launched twice', launchedTwice);
  tally.set('RunTask calls', ecs.counts.runTaskCalls);
  tally.set('RunTask token replays (same task returned)', ecs.counts.tokenReplays);
  tally.set('messages received', queue.counts.received);
  tally.set('messages sent (initial + requeues)', queue.counts.sent);
  tally.set('redelivered after an error', queue.counts.redeliveredAfterError);
  tally.set('dead-lettered', queue.counts.deadLettered);
  tally.set(
    'events published',
    [...bus.byType.values()].reduce((a, b) => a + b, 0),
  );
  tally.expectEqual('tasks started by ECS', ecs.counts.launches, cases.length);
  tally.expectEqual('distinct tasks recorded', tasks.size, cases.length);
  tally.expectEqual('requests launched twice', launchedTwice, 0);
  tally.expectEqual('RunTask calls without a clientToken', ecs.counts.callsWithoutToken, 0);
  tally.expectEqual('dead-lettered', queue.counts.deadLettered, 0);
  tally.expectEqual('events published', Object.fromEntries(bus.byType), { 'Task Restarted': cases.length });
}

export async function ecsFaultsDrill(dynamo: DrillDb, options: LauncherDrillOptions): Promise<DrillResult> {
  const tally = new Tally('6 ECS throttling 20% + 5xx 5% through a mass restart');
  const random = seededRandom(options.seed ?? 6);
  const { store, cases } = await setUp(dynamo, 'drill-ecs-faults', options.requests, random);
  const ecs = new FakeEcs({ random, throttleRate: 0.2, serverErrorRate: 0.05 });
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  const send = buildSendLaunchRequest(queue.client, QUEUE_URL);
  const launch = buildLaunch({
    guard: openLaunchGuard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    runTask: buildRunTask(ecs.client),
    store,
    sendLaunchRequest: send,
    publishEvents: buildPublishEvents(bus.client, 'default'),
    logger: quietLogger(),
    random,
    describeTaskTags: unusedDescribeTaskTags,
    leases: unusedLeases,
  });
  for (const c of cases) await send(c.request, 0);
  const results: Record<string, number> = {};
  await queue.drain(async (record) => {
    const message = parseQueueMessage(record);
    if (message.kind !== 'request') throw new Error('the drill sends launch requests only');
    const result = await launch(message.request);
    results[result] = (results[result] ?? 0) + 1;
  });
  await verify({ tally, store, ecs, queue, bus, cases });
  tally.set('throttles', ecs.counts.throttles);
  tally.set('5xx before start', ecs.counts.serverErrorsBeforeStart);
  tally.set('5xx after start (answer lost)', ecs.counts.serverErrorsAfterStart);
  tally.set('requeues by the launcher', queue.counts.sent - cases.length);
  for (const [result, n] of Object.entries(results)) tally.set(`launcher result ${result}`, n);
  tally.expectEqual(
    'requeues (one per throttle or 5xx)',
    queue.counts.sent - cases.length,
    ecs.counts.throttles + ecs.counts.serverErrorsBeforeStart + ecs.counts.serverErrorsAfterStart,
  );
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
  const tally = new Tally('7 launcher killed between RunTask and its record');
  const random = seededRandom(options.seed ?? 7);
  const { store, cases } = await setUp(dynamo, 'drill-launcher-crash', options.requests, random);
  const ecs = new FakeEcs();
  const queue = new FakeLaunchQueue();
  const bus = new FakeEventBus();
  // Even requests die before their record is written, odd ones right after it (the answer never seen).
  const mode = new Map(cases.map((c, i) => [c.request.requestId, i % 2 === 0 ? 'before' : 'after'] as const));
  const crashed = new Set<string>();
  const crashes = { before: 0, after: 0 };
  const crashingStore: LaunchStore = {
    ...store,
    async recordOutcome(request, outcome) {
      if (crashed.has(request.requestId)) return store.recordOutcome(request, outcome);
      crashed.add(request.requestId);
      if (mode.get(request.requestId) === 'before') {
        crashes.before++;
        throw new LauncherKilled('after RunTask, before recordOutcome');
      }
      await store.recordOutcome(request, outcome);
      crashes.after++;
      throw new LauncherKilled('after recordOutcome, before its answer');
    },
  };
  const send = buildSendLaunchRequest(queue.client, QUEUE_URL);
  const launch = buildLaunch({
    guard: openLaunchGuard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    runTask: buildRunTask(ecs.client),
    store: crashingStore,
    sendLaunchRequest: send,
    publishEvents: buildPublishEvents(bus.client, 'default'),
    logger: quietLogger(),
    random,
    describeTaskTags: unusedDescribeTaskTags,
    leases: unusedLeases,
  });
  for (const c of cases) await send(c.request, 0);
  const results: Record<string, number> = {};
  await queue.drain(async (record) => {
    const message = parseQueueMessage(record);
    if (message.kind !== 'request') throw new Error('the drill sends launch requests only');
    const result = await launch(message.request);
    results[result] = (results[result] ?? 0) + 1;
  });
  await verify({ tally, store, ecs, queue, bus, cases });
  tally.set('killed before the record', crashes.before);
  tally.set('killed after the record', crashes.after);
  for (const [result, n] of Object.entries(results)) tally.set(`launcher result ${result}`, n);
  tally.expectEqual('kills', crashes.before + crashes.after, cases.length);
  tally.expectEqual('redeliveries (one per kill)', queue.counts.redeliveredAfterError, cases.length);
  // A retry after a kill before the record calls RunTask again with the same token; after the record it does not.
  tally.expectEqual('RunTask calls', ecs.counts.runTaskCalls, cases.length + crashes.before);
  return tally.result();
}
