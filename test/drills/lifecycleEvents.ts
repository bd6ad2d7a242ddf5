/**
 * Drill 5: lifecycle events with duplicates, shuffled, delivered concurrently in small groups, through the
 * real taskEvents and taskReactions handlers, history adapter, restart handler and launch store on dynalite. ECS DescribeTasks,
 * SQS SendMessage and EventBridge PutEvents are mocked clients behind the real adapters, and count.
 * Expected: every (task, version) stored once and exactly as the event says, each summary the newest version,
 * and each failed standalone task one decision, one launch request and one "Task Restart Scheduled".
 */
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildDescribeTaskTags } from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildGetTaskHistory, buildRecordTransition } from '../../src/adapters/taskHistory';
import { buildReactions } from '../../src/app/reactions';
import { buildRunOutcomes } from '../../src/app/runOutcomes';
import { buildRecordTaskLifecycle } from '../../src/app/taskLifecycle';
import { buildReactToTaskEvent, REACTION_MAX_ATTEMPTS } from '../../src/app/taskReactions';
import { type TaskTransition, toTransition } from '../../src/domain/lifecycle';
import { mayNeedRestart } from '../../src/domain/restartDecision';
import { parseTaskStateChange, type TaskStateChangeEvent } from '../../src/domain/taskEvent';
import type { ReactionRetry } from '../../src/ports';
import { fixture } from '../support/fixtures';
import { unusedRunOutcomes, unusedScheduleRuns } from '../support/unusedDeps';
import {
  type DrillDb,
  type DrillResult,
  hexOf,
  inParallel,
  quietLogger,
  seededRandom,
  shuffle,
  Tally,
} from './support';

export interface LifecycleDrillOptions {
  /** Deliveries in all, duplicates included. */
  events: number;
  /** Share of the deliveries that are duplicates of another delivery. */
  duplicateShare?: number;
  /** Deliveries handled at once (each group awaited before the next). */
  groupSize?: number;
  /**
   * 'shuffled' (default): duplicates anywhere in the stream. 'together': each duplicate in the same group as
   * its original, so the two run at the same moment (two Lambda invocations of one event).
   */
  duplicates?: 'shuffled' | 'together';
  /** Each DynamoDB call first waits up to this many ms (seeded), varying the order concurrent calls land in. */
  dynamoJitterMs?: number;
  /**
   * restartMaxAttempts=0: only the tasks that opt in by tag (`ecs-autopilot:max-attempts`, about half) restart,
   * and ECS throttles this share of the tag reads, so decisions wait on taskReactions' retry queue.
   */
  optInWithThrottledTags?: number;
  seed?: number;
}

/** In the opt-in variant, the tasks whose tags allow restarts: about half, by id. */
const optsIn = (taskArn: string) => Number.parseInt(taskArn.slice(-1), 16) % 2 === 0;

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/ecs-autopilot-launch';
const CLUSTERS = ['batch-cluster', 'etl', 'web-jobs'];
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'] } };
/** The fixtures' own task id and cluster name, replaced in each generated task. */
const FIXTURE_TASK_ID = '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';

/** How a generated task ends, with its share of the tasks and the fixtures it goes through. */
const ENDINGS = [
  {
    name: 'exit-1',
    share: 0.3,
    steps: ['provisioning', 'pending', 'running', '~stopped-exit-1', 'stopped-exit-1'],
  },
  { name: 'oom', share: 0.1, steps: ['provisioning', 'pending', 'running', '~stopped-oom', 'stopped-oom'] },
  {
    name: 'exit-0',
    share: 0.3,
    steps: ['provisioning', 'pending', 'running', '~stopped-exit-0', 'stopped-exit-0'],
  },
  {
    name: 'user',
    share: 0.25,
    steps: ['provisioning', 'pending', 'running', '~stopped-by-user', 'stopped-by-user'],
  },
  { name: 'failed-to-start', share: 0.05, steps: ['provisioning', 'pending', 'failed-to-start-image'] },
] as const;

/** The ending whose share covers `r` (ENDINGS' shares add up to 1). */
function pickEnding(r: number): (typeof ENDINGS)[number] {
  let left = r;
  for (const ending of ENDINGS) {
    left -= ending.share;
    if (left < 0) return ending;
  }
  return ENDINGS[0];
}

interface GeneratedTask {
  taskId: string;
  taskArn: string;
  ending: string;
  events: TaskStateChangeEvent[];
}

/**
 * Tasks with new ids, clusters, event ids, times and versions 1..n, from the fixtures. A step written
 * `~name` is that stopped event one version earlier with lastStatus DEPROVISIONING (ECS sends it while the
 * task winds down). The last task is cut short when the unique events run out.
 */
export function generateLifecycles(uniqueEvents: number, random: () => number): GeneratedTask[] {
  const templates = new Map<string, string>();
  const template = (name: string) => {
    let text = templates.get(name);
    if (!text) {
      text = JSON.stringify(fixture(name));
      templates.set(name, text);
    }
    return text;
  };
  const tasks: GeneratedTask[] = [];
  const start = Date.parse('2024-05-14T09:00:00Z');
  let made = 0;
  while (made < uniqueEvents) {
    const ending = pickEnding(random());
    const taskId = hexOf(random, 32);
    const cluster = CLUSTERS[tasks.length % CLUSTERS.length] as string;
    const taskStart = start + tasks.length * 300;
    const events: TaskStateChangeEvent[] = [];
    for (const [index, step] of ending.steps.entries()) {
      if (made >= uniqueEvents) break;
      const winding = step.startsWith('~');
      const text = template(winding ? step.slice(1) : step);
      const event = JSON.parse(
        text.split(FIXTURE_TASK_ID).join(taskId).split('batch-cluster').join(cluster),
      ) as TaskStateChangeEvent;
      const at = new Date(taskStart + index * 5_000 + Math.floor(random() * 1_000)).toISOString();
      const detail = event.detail as TaskStateChangeEvent['detail'] & Record<string, unknown>;
      event.id = `${hexOf(random, 8)}-${hexOf(random, 4)}-4${hexOf(random, 3)}-a${hexOf(random, 3)}-${hexOf(random, 12)}`;
      event.time = at;
      detail.version = index + 1;
      detail.updatedAt = at;
      if (winding) {
        detail.lastStatus = 'DEPROVISIONING';
        delete detail.stoppedAt;
        delete detail.executionStoppedAt;
      }
      events.push(event);
      made++;
    }
    tasks.push({ taskId, taskArn: events[0]?.detail.taskArn as string, ending: ending.name, events });
  }
  return tasks;
}

/** JSON with object keys sorted, so items read back from DynamoDB compare with what was written. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export async function lifecycleDrill(dynamo: DrillDb, options: LifecycleDrillOptions): Promise<DrillResult> {
  const together = options.duplicates === 'together';
  const tally = new Tally(
    options.optInWithThrottledTags !== undefined
      ? `5c lifecycle events, restarts only by opt-in tag, ${Math.round(options.optInWithThrottledTags * 100)}% of tag reads throttled`
      : together
        ? `5b lifecycle events, duplicates delivered simultaneously${options.dynamoJitterMs ? `, DynamoDB jitter ${options.dynamoJitterMs} ms` : ''}`
        : '5 lifecycle events, duplicates, shuffled',
  );
  const random = seededRandom(options.seed ?? 5);
  const duplicates = Math.round(options.events * (options.duplicateShare ?? 0.3));
  const tasks = generateLifecycles(options.events - duplicates, random);
  const unique = tasks.flatMap((t) => t.events.map((e) => JSON.stringify(e)));
  // Each delivery bundle: an event and its duplicates (copies of the same JSON, as EventBridge redelivers it).
  const bundles = unique.map((raw) => [raw]);
  for (let i = 0; i < duplicates; i++) {
    const bundle = bundles[Math.floor(random() * bundles.length)] as string[];
    bundle.push(bundle[0] as string);
  }
  shuffle(bundles, random);
  const groupSize = options.groupSize ?? 8;
  const groups: string[][] = [];
  if (together) {
    // Whole bundles per group: an event and its duplicates always run at the same time.
    let group: string[] = [];
    for (const bundle of bundles) {
      if (group.length > 0 && group.length + bundle.length > groupSize) {
        groups.push(shuffle(group, random));
        group = [];
      }
      group.push(...bundle);
    }
    if (group.length > 0) groups.push(shuffle(group, random));
  } else {
    const deliveries = shuffle(bundles.flat(), random);
    for (let i = 0; i < deliveries.length; i += groupSize) groups.push(deliveries.slice(i, i + groupSize));
  }
  const deliveries = groups.flat();
  // Deliveries of one event that share a group (they run concurrently): certain with 'together', by chance otherwise.
  let sameGroupCopies = 0;
  let sameGroupStoppedCopies = 0;
  for (const group of groups) {
    const seen = new Set<string>();
    for (const raw of group) {
      if (seen.has(raw)) {
        sameGroupCopies++;
        if (raw.includes('"lastStatus":"STOPPED"')) sameGroupStoppedCopies++;
      }
      seen.add(raw);
    }
  }
  const db = options.dynamoJitterMs ? dynamo.jittered(options.dynamoJitterMs, random) : dynamo.db;

  const table = await dynamo.newTable('drill-lifecycle');
  const credentials = { accessKeyId: 'drill', secretAccessKey: 'drill' };
  const ecs = new ECSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const sqs = new SQSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const eventBridge = new EventBridgeClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const ecsMock = mockClient(ecs);
  const sqsMock = mockClient(sqs);
  const eventsMock = mockClient(eventBridge);

  const describedTags: string[] = [];
  const optIn = options.optInWithThrottledTags;
  let tagReadsThrottled = 0;
  ecsMock.on(DescribeTasksCommand).callsFake(async (input) => {
    const taskArn = input.tasks?.[0] ?? '';
    describedTags.push(taskArn);
    if (optIn !== undefined && random() < optIn) {
      tagReadsThrottled++;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    }
    const tags = [{ key: 'team', value: 'data' }];
    if (optIn !== undefined && optsIn(taskArn)) tags.push({ key: 'ecs-autopilot:max-attempts', value: '3' });
    return { tasks: [{ taskArn, tags }], failures: [] };
  });
  const sentByRequest = new Map<string, number>();
  sqsMock.on(SendMessageCommand).callsFake(async (input) => {
    const body = JSON.parse(input.MessageBody ?? '{}') as { requestId: string };
    sentByRequest.set(body.requestId, (sentByRequest.get(body.requestId) ?? 0) + 1);
    return { MessageId: `m-${sentByRequest.size}` };
  });
  const published = new Map<string, number>();
  eventsMock.on(PutEventsCommand).callsFake(async (input) => {
    for (const entry of input.Entries ?? []) {
      const key = `${entry.DetailType} ${entry.Resources?.[0]}`;
      published.set(key, (published.get(key) ?? 0) + 1);
    }
    return {
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `e-${i}` })),
    };
  });

  // The lifecycle lines, by task and version: how many, and whether each said `late`.
  const lines = new Map<string, { count: number; late: boolean }>();
  const quiet = quietLogger();
  const logger = {
    ...quiet,
    info: (...args: unknown[]) => {
      quiet.info(...args);
      const line = args[0] as { message?: string; taskId?: string; version?: number; late?: boolean };
      if (line?.message !== 'task state change') return;
      const key = `${line.taskId}#${line.version}`;
      lines.set(key, { count: (lines.get(key)?.count ?? 0) + 1, late: line.late === true });
    },
  };
  let stopMetrics = 0;
  const decisionsCounted: string[] = [];
  // Two EventBridge rules, two functions: every event to the lifecycle log, and the same event to the
  // reactions (their rule passes STOPPED tasks and Spot interruptions; the handler ignores the rest too).
  const retryQueue: ReactionRetry[] = [];
  const react = buildReactToTaskEvent({
    // No task here is a schedule's: their ends reach no store.
    runEnded: buildRunOutcomes(unusedRunOutcomes).taskStopped,
    react: buildReactions({
      store: buildLaunchStore(db, table, 30),
      describeTaskTags: buildDescribeTaskTags(ecs),
      sendLaunchRequest: buildSendLaunchRequest(sqs, QUEUE_URL),
      publishEvents: buildPublishEvents(eventBridge, 'default'),
      config: {
        ...(optIn !== undefined && { defaultPolicy: { maxAttempts: 0 } }),
        familyPolicies: {},
        networkDefaults: Object.fromEntries(CLUSTERS.map((c) => [c, NETWORK])),
      },
      logger,
      countDecision: (action) => decisionsCounted.push(action),
      random,
      scheduleRuns: unusedScheduleRuns,
    }),
    // The retry queue: drained after the stream, round by round (its delays are not waited out here).
    retryLater: async (retry) => {
      if (optIn === undefined) throw new Error(`a decision waited: ${JSON.stringify(retry.event)}`);
      retryQueue.push(retry);
    },
    logger,
  });
  const logLifecycle = buildRecordTaskLifecycle({
    recordTransition: buildRecordTransition(db, table, 30),
    logger,
    metrics: {
      addDimensions: () => undefined,
      addMetric: () => {
        stopMetrics++;
      },
      publishStoredMetrics: () => undefined,
    },
  });

  // Small groups delivered at once; a delivery that throws is retried, as Lambda retries an async event.
  for (const group of groups) {
    const deliveries = group.flatMap((raw) => [logLifecycle, react].map((handler) => ({ raw, handler })));
    await inParallel(deliveries, deliveries.length, async ({ raw, handler }) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await handler(JSON.parse(raw));
          return;
        } catch (error) {
          tally.add('delivery errors (retried)');
          if (attempt >= 3) {
            tally.fail(`a delivery failed 3 times: ${(error as Error).name}: ${(error as Error).message}`);
            return;
          }
        }
      }
    });
  }

  let retriesDelivered = 0;
  for (let round = 1; retryQueue.length > 0; round++) {
    if (round > REACTION_MAX_ATTEMPTS) {
      tally.fail(`${retryQueue.length} decision(s) still waiting after ${REACTION_MAX_ATTEMPTS} rounds`);
      break;
    }
    const due = retryQueue.splice(0);
    retriesDelivered += due.length;
    await inParallel(due, groupSize, async ({ event, attempt }) => {
      try {
        await react(event, attempt);
      } catch (error) {
        tally.fail(`a retried decision failed: ${(error as Error).name}: ${(error as Error).message}`);
      }
    });
  }

  // ---------- what should have happened ----------
  const getHistory = buildGetTaskHistory(dynamo.db, table);
  let failedTasks = 0;
  let stoppedTasks = 0;
  let transitionsStored = 0;
  let newestLoggedLate = 0;
  let optedOut = 0;
  const endings: Record<string, number> = {};
  await inParallel(tasks, 16, async (task) => {
    const transitions = task.events.map((e) => toTransition(parseTaskStateChange(e)));
    const newest = transitions.reduce((a, b) => (b.version > a.version ? b : a));
    const failed = mayNeedRestart(newest);
    endings[task.ending] = (endings[task.ending] ?? 0) + 1;
    if (failed) failedTasks++;
    if (transitions.some((t) => t.lastStatus === 'STOPPED')) stoppedTasks++;

    const history = await getHistory(task.taskId);
    if (!history) return tally.fail(`task ${task.taskId}: no history`);
    transitionsStored += history.transitions.length;
    tally.expectEqual(
      `task ${task.taskId} stored versions`,
      history.transitions.map((t) => t.version),
      transitions.map((t) => t.version),
    );
    for (const expected of transitions) {
      const stored = history.transitions.find((t) => t.version === expected.version);
      if (stored && canonical(stored) !== canonical(expected)) {
        tally.fail(`task ${task.taskId} version ${expected.version}: stored item differs from the event`);
      }
    }
    for (const t of transitions) {
      const line = lines.get(`${task.taskId}#${t.version}`);
      if (line?.count !== 1)
        tally.fail(`task ${task.taskId} version ${t.version}: ${line?.count ?? 0} lifecycle lines`);
    }
    if (lines.get(`${task.taskId}#${newest.version}`)?.late) {
      newestLoggedLate++;
      tally.fail(`task ${task.taskId}: its newest state (version ${newest.version}) was logged late: true`);
    }
    if (canonical(history.summary) !== canonical(newest as TaskTransition)) {
      tally.fail(
        `task ${task.taskId}: summary is version ${history.summary?.version} (${history.summary?.lastStatus}), ` +
          `expected the newest, ${newest.version} (${newest.lastStatus})`,
      );
    }
    const decision = history.decision as { action?: string; reason?: string; done?: boolean } | undefined;
    if (failed && optIn !== undefined && !optsIn(task.taskArn)) {
      optedOut++;
      if (
        decision?.action !== 'give-up' ||
        decision.reason !== 'restart disabled' ||
        decision.done !== true
      ) {
        tally.fail(`failed task ${task.taskId} (no opt-in tag): decision ${canonical(decision)}`);
      }
      if (sentByRequest.has(`r-${task.taskId}`))
        tally.fail(`failed task ${task.taskId} (no opt-in tag) relaunched`);
    } else if (failed) {
      if (decision?.action !== 'restart' || decision.done !== true) {
        tally.fail(`failed task ${task.taskId}: decision ${canonical(decision)}, expected a done restart`);
      }
      const sends = sentByRequest.get(`r-${task.taskId}`) ?? 0;
      if (sends !== 1)
        tally.fail(`failed task ${task.taskId}: launch request r-${task.taskId} sent ${sends} times`);
      const announced = published.get(`Task Restart Scheduled ${task.taskArn}`) ?? 0;
      if (announced !== 1) {
        tally.fail(`failed task ${task.taskId}: "Task Restart Scheduled" published ${announced} times`);
      }
    } else if (decision) {
      tally.fail(
        `task ${task.taskId} (${task.ending}) did not fail but has a decision ${canonical(decision)}`,
      );
    }
  });

  const sends = [...sentByRequest.values()].reduce((a, b) => a + b, 0);
  const publishedTotal = [...published.values()].reduce((a, b) => a + b, 0);
  const stateLines = quiet.messages['task state change'] ?? 0;
  tally.set('deliveries', deliveries.length);
  tally.set('unique events', unique.length);
  tally.set('duplicate deliveries', duplicates);
  tally.set('parallel groups', groups.length);
  tally.set('copies delivered at the same time as another', sameGroupCopies);
  tally.set('... of which STOPPED events', sameGroupStoppedCopies);
  tally.set('tasks', tasks.length);
  for (const [ending, n] of Object.entries(endings)) tally.set(`tasks ending ${ending}`, n);
  tally.set('transitions stored', transitionsStored);
  tally.set('lifecycle lines (new transitions)', stateLines);
  tally.set('stopped tasks', stoppedTasks);
  tally.set('newest states logged late', newestLoggedLate);
  tally.set('StoppedTasks metrics', stopMetrics);
  tally.set('failed standalone tasks', failedTasks);
  tally.set('decisions taken', decisionsCounted.length);
  tally.set('DescribeTasks calls', describedTags.length);
  if (optIn !== undefined) {
    tally.set('... throttled', tagReadsThrottled);
    tally.set('decisions retried through the retry queue', retriesDelivered);
    tally.set('failed tasks without the opt-in tag (given up)', optedOut);
  }
  tally.set('launch requests sent', sends);
  tally.set('distinct launch requestIds', sentByRequest.size);
  tally.set('requests sent more than once', [...sentByRequest.values()].filter((n) => n > 1).length);
  tally.set('events published', publishedTotal);

  tally.expectEqual('transitions stored', transitionsStored, unique.length);
  tally.expectEqual('lifecycle lines (one per new transition)', stateLines, unique.length);
  tally.expectEqual('StoppedTasks metrics (one per stopped task)', stopMetrics, stoppedTasks);
  tally.expectEqual('decisions taken', decisionsCounted.length, failedTasks);
  const restarted = failedTasks - optedOut;
  tally.expectEqual('distinct launch requestIds', sentByRequest.size, restarted);
  tally.expectEqual('launch requests sent', sends, restarted);
  tally.expectEqual(
    'events published (one "Task Restart Scheduled" per restarted task)',
    publishedTotal,
    restarted,
  );
  if (optIn !== undefined && tagReadsThrottled === 0) tally.fail('no tag read was throttled: nothing waited');
  return tally.result();
}
