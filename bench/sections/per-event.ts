import { Console } from 'node:console';
import { buildRecordTransition } from '../../src/adapters/taskHistory';
import { buildRecordTaskLifecycle, lifecycleLine } from '../../src/app/taskLifecycle';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { logger, metrics, publishCount } from '../../src/observability';
import { generateTaskEvents } from '../lib/events';
import { createFakeDocumentClient } from '../lib/fakeDynamoDb';
import { atMost, type SectionResult, vsFloor } from '../lib/report';
import { median, summary } from '../lib/stats';

export const description =
  'CPU time per "ECS Task State Change" in the taskEvents handler vs a parse-and-log floor; writes per event';

const EVENTS = 10_000;
const WARMUP_ROUNDS = 1;
const ROUNDS = 5;
const CPU_TARGET = 2;
const MAX_WRITES = 2;
const NOW = Date.parse('2024-05-14T10:00:00Z');

interface Sink {
  lines: number;
  emfLines: number;
  /** Bytes of the non-EMF lines (the lifecycle log). */
  bytes: number;
}

/**
 * Runs `fn` with process.stdout as a null stream (the Powertools Logger and Metrics write there through their
 * own Console), counting what would have been printed.
 */
async function withNullStdout<T>(fn: (sink: Sink) => Promise<T>): Promise<T> {
  const sink: Sink = { lines: 0, emfLines: 0, bytes: 0 };
  const stdout = process.stdout;
  const write = stdout.write;
  stdout.write = ((chunk: string | Uint8Array) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"_aws"')) sink.emfLines++;
    else {
      sink.lines++;
      sink.bytes += chunk.length;
    }
    return true;
  }) as typeof stdout.write;
  try {
    return await fn(sink);
  } finally {
    stdout.write = write;
  }
}

/** CPU microseconds (user + system) per event for one pass over all events. */
async function cpuPerEvent<T>(handle: (item: T) => unknown, items: readonly T[]) {
  const before = process.cpuUsage();
  for (const item of items) await handle(item);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / items.length;
}

/**
 * Where the handler's time goes: each step alone over the same events (one warm-up pass, one measured pass;
 * indicative, not judged). The metric is emitted only on stops; its cost is averaged over all events.
 */
async function breakdown(events: readonly string[], db: ReturnType<typeof createFakeDocumentClient>) {
  const recordTransition = buildRecordTransition(db.client, 'bench-table', 30, () => NOW);
  const objects = events.map((raw) => JSON.parse(raw));
  const parsed = objects.map((o) => parseTaskStateChange(o));
  const transitions = parsed.map((p) => toTransition(p));
  const steps: [string, () => Promise<number>][] = [
    ['JSON.parse', () => cpuPerEvent((raw: string) => JSON.parse(raw), events)],
    ['parseTaskStateChange (zod)', () => cpuPerEvent((o: unknown) => parseTaskStateChange(o), objects)],
    ['toTransition', () => cpuPerEvent((p: (typeof parsed)[number]) => toTransition(p), parsed)],
    [
      'recordTransition (in-memory DynamoDB)',
      () => {
        db.reset(); // first deliveries again, as in the handler passes
        return cpuPerEvent(recordTransition, transitions);
      },
    ],
    [
      'logger.info lifecycle line',
      () => cpuPerEvent((t) => logger.info(lifecycleLine(t, false)), transitions),
    ],
    [
      'StoppedTasks count on stops',
      () =>
        cpuPerEvent((t) => {
          if (t.lastStatus !== 'STOPPED') return;
          publishCount(metrics, 'StoppedTasks', { classification: t.classification, family: t.family });
        }, transitions),
    ],
  ];
  const usPerEvent: Record<string, number> = {};
  for (const [name, step] of steps) {
    await step();
    usPerEvent[name] = Number((await step()).toFixed(1));
  }
  return usPerEvent;
}

export async function run(): Promise<SectionResult> {
  const generated = generateTaskEvents(EVENTS);
  const events = generated.raw;

  // The handler as functions/taskEvents/handler.ts builds it, minus middy:
  // the real adapter (buildRecordTransition) on an in-memory DynamoDB, the real Logger and Metrics.
  const db = createFakeDocumentClient();
  const handler = buildRecordTaskLifecycle({
    recordTransition: buildRecordTransition(db.client, 'bench-table', 30, () => NOW),
    logger,
    metrics,
  });
  let newEvents = 0;
  const handle = async (raw: string) => {
    const outcome = await handler(JSON.parse(raw));
    if (outcome.isNew && outcome.isNewest) newEvents++;
  };

  // The floor: what any handler of this event must do at least: parse it and print one lifecycle line of the
  // same fields, serialized and written the way the Powertools Logger writes (a Console on stdout).
  const floorConsole = new Console({ stdout: process.stdout, stderr: process.stderr });
  const floor = async (raw: string) => {
    const event = JSON.parse(raw);
    const d = event.detail;
    floorConsole.info(
      JSON.stringify({
        level: 'INFO',
        message: 'task state change',
        timestamp: new Date().toISOString(),
        service: 'ecs-autopilot',
        taskArn: d.taskArn,
        clusterArn: d.clusterArn,
        taskDefinitionArn: d.taskDefinitionArn,
        version: d.version,
        eventId: event.id,
        eventTime: event.time,
        group: d.group,
        startedBy: d.startedBy,
        launchType: d.launchType,
        capacityProviderName: d.capacityProviderName,
        availabilityZone: d.availabilityZone,
        containerInstanceArn: d.containerInstanceArn,
        lastStatus: d.lastStatus,
        desiredStatus: d.desiredStatus,
        stopCode: d.stopCode,
        stoppedReason: d.stoppedReason,
        containers: d.containers.map((c: Record<string, unknown>) => ({
          name: c.name,
          lastStatus: c.lastStatus,
          exitCode: c.exitCode,
          reason: c.reason,
        })),
        createdAt: d.createdAt,
        startedAt: d.startedAt,
        stoppingAt: d.stoppingAt,
        stoppedAt: d.stoppedAt,
      }),
    );
  };

  const handlerUs: number[] = [];
  let steps: Record<string, number> = {};
  const floorUs: number[] = [];
  const last = {
    writes: 0,
    reads: 0,
    conditionFailures: 0,
    items: 0,
    lines: 0,
    lineBytes: 0,
    emfLines: 0,
    floorLines: 0,
    floorLineBytes: 0,
  };
  await withNullStdout(async (sink) => {
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      const measured = round >= WARMUP_ROUNDS;
      const handlerPass = async () => {
        db.reset(); // every pass sees the same first deliveries
        newEvents = 0;
        const linesBefore = sink.lines;
        const bytesBefore = sink.bytes;
        const emfBefore = sink.emfLines;
        const us = await cpuPerEvent(handle, events);
        if (measured) handlerUs.push(us);
        Object.assign(last, {
          writes: db.counts.writes,
          reads: db.counts.reads,
          conditionFailures: db.counts.conditionFailures,
          items: db.items.size,
          lines: sink.lines - linesBefore,
          lineBytes: sink.bytes - bytesBefore,
          emfLines: sink.emfLines - emfBefore,
        });
      };
      const floorPass = async () => {
        const linesBefore = sink.lines;
        const bytesBefore = sink.bytes;
        const us = await cpuPerEvent(floor, events);
        if (measured) floorUs.push(us);
        last.floorLines = sink.lines - linesBefore;
        last.floorLineBytes = sink.bytes - bytesBefore;
      };
      if (round % 2 === 0) {
        await handlerPass();
        await floorPass();
      } else {
        await floorPass();
        await handlerPass();
      }
    }
    steps = await breakdown(events, db);
  });

  // The workload is all first deliveries, in order per task: anything else means the benchmark is broken.
  if (
    newEvents !== EVENTS ||
    last.conditionFailures !== 0 ||
    last.lines !== EVENTS ||
    last.floorLines !== EVENTS
  ) {
    throw new Error(
      `per-event: unexpected workload outcome (new ${newEvents}, condition failures ${last.conditionFailures}, ` +
        `log lines ${last.lines}, floor lines ${last.floorLines}, of ${EVENTS} events)`,
    );
  }

  const writesPerEvent = last.writes / EVENTS;
  return {
    figures: [
      vsFloor('taskEvents CPU per event', 'us', median(handlerUs), median(floorUs), CPU_TARGET, {
        handler: summary(handlerUs),
        floor: summary(floorUs),
      }),
      atMost('writes per lifecycle event', 'count', writesPerEvent, MAX_WRITES, {
        writes: last.writes,
        reads: last.reads,
        events: EVENTS,
        itemsStored: last.items,
      }),
    ],
    details: {
      events: EVENTS,
      tasks: generated.tasks,
      mix: generated.mix,
      rounds: ROUNDS,
      warmupRounds: WARMUP_ROUNDS,
      readsPerEvent: last.reads / EVENTS,
      logLinesPerEvent: last.lines / EVENTS,
      logLineBytes: Math.round(last.lineBytes / last.lines),
      floorLineBytes: Math.round(last.floorLineBytes / last.floorLines),
      metricLinesPerEvent: last.emfLines / EVENTS,
      breakdownUsPerEvent: steps,
    },
    notes: [
      `${EVENTS} events (${generated.tasks} tasks, fixtures in lifecycles, first deliveries in order), ` +
        `median of ${ROUNDS} rounds of process.cpuUsage() after ${WARMUP_ROUNDS} warm-up rounds, alternating with the floor`,
      'handler = JSON.parse + buildRecordTaskLifecycle (zod parse, classify, real buildRecordTransition on an in-memory ' +
        'DynamoDB, Powertools Logger line, EMF metric on stops); floor = JSON.parse + the same fields as one JSON line',
      `breakdown, µs per event, each step alone: ${Object.entries(steps)
        .map(([step, us]) => `${step} ${us}`)
        .join(', ')}`,
      `writes counted at the DynamoDB client: ${last.writes} writes, ${last.reads} reads for ${EVENTS} events; ` +
        `middy is not in this section (the restart reactions are another function, taskReactions)`,
    ],
  };
}
