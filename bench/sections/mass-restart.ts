/**
 * Mass restart in the sandbox (issue 7, point 3). Two waves, each against the real handlers (bundled as
 * deployed, run by bench/lib/lambdaHost.ts) and the sandbox's ECS with its published throttles:
 *   - failure wave: N standalone Fargate tasks, launched elsewhere, exit 1 within a few milliseconds;
 *   - Spot wave: M Fargate Spot tasks get the Spot interruption warning at once.
 * Measured: time from the wave until every replacement is RUNNING; replacements per origin (duplicates);
 * origins never replaced (lost). The floor, in the same sandbox: an ideal client that launches the same
 * number of tasks with RunTask as fast as ECS admits them (10 tasks a call, retrying a throttled call 20 ms
 * later). The naive baseline: one RunTask per event with the SDK's default retries (bench/naive).
 * Restart backoff is 0 for the family (a family policy), so the floor needs no added delay.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTablesFromTemplate } from '../../local/dynamo';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { startDynaliteProcess } from '../../test/drills/support';
import { type DynamoDbCalls, type LambdaHost, lambdaHost } from '../lib/lambdaHost';
import { atMost, type Figure, type SectionResult, vsFloor } from '../lib/report';
import { readServerlessConfig } from '../lib/serverlessConfig';

export const description =
  'mass restart (failure wave, Spot wave) in the sandbox: time to every replacement RUNNING vs an ideal client, and a naive baseline';

const SCALE = Number(process.env.BENCH_MASS_SCALE ?? 1);
const FAILURES = Math.max(10, Math.round(1000 * SCALE));
const SPOT_TASKS = Math.max(10, Math.round(500 * SCALE));
const SHORTAGE_TASKS = Math.max(10, Math.round(200 * SCALE));
const SUBNETS = ['subnet-0123456789abcdef0'];
const FAMILY = 'sandbox-worker';
const ORIGIN_TAG = 'ecs-autopilot:origin-task';
/** Short but not instant task start-up, the same for every contender. */
const TIMINGS = { provisioningMs: 500, pendingMs: 500, stoppingMs: 200, deprovisioningMs: 200 };
/** Lambda's own async retry delays (about 1 and 2 minutes), so the naive baseline retries as in AWS. */
const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a process has used so far (user + system, from /proc; Linux only, else undefined). */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    // Fields after "(comm)": state is 3rd, so utime (14th) and stime (15th) are at 11 and 12 here.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** Linux's USER_HZ, 100 on every common kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Cores each process kept busy between two snapshots of cpuSecondsOf. */
function coresBusy(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  wallMs: number,
) {
  const cores: Record<string, number> = {};
  let total = 0;
  for (const [name, start] of Object.entries(before)) {
    const end = after[name];
    if (start === undefined || end === undefined) continue;
    cores[name] = Number(((end - start) / (wallMs / 1000)).toFixed(2));
    total += cores[name];
  }
  return { ...cores, total: Number(total.toFixed(2)), machine: availableParallelism() };
}

interface World {
  /** The table, read from the benchmark's side (which replacement belongs to which origin). */
  table: DynamoDBDocumentClient;
  sandbox: Sandbox;
  host: LambdaHost;
  ecs: ECSClient;
  dynamo: Awaited<ReturnType<typeof startDynaliteProcess>>;
}

/** 'ours'; the naive baseline; or ours without the lifecycle log (a diagnostic: what the log's CPU costs here). */
type Contender = 'ours' | 'naive' | 'ours-without-log';

async function startWorld(contender: Contender): Promise<World> {
  const host = lambdaHost(
    contender === 'naive'
      ? {
          'ecs-autopilot-sandbox-taskEvents': 'bench/naive/restarter.ts',
          'ecs-autopilot-sandbox-taskReactions': 'bench/naive/off.ts',
        }
      : contender === 'ours-without-log'
        ? { 'ecs-autopilot-sandbox-taskEvents': 'bench/naive/off.ts' }
        : {},
  );
  const sandbox = await startSandbox({
    invoker: host,
    timings: { ...TIMINGS, spotWarningMs: 120_000 },
    // Lambda runs up to 1,000 invocations at once; the host process is the limit here.
    lambdaConcurrency: 200,
    lambdaRetryDelaysMs: LAMBDA_RETRY_DELAYS_MS,
  });
  const config = readServerlessConfig();
  const functions: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const f of config.functions) {
    const deployed = sandbox.stack.functionNames[f.name];
    if (!deployed) throw new Error(`the sandbox stack has no function ${f.name}`);
    functions[deployed] = `${f.file}.ts`;
    Object.assign(env, sandbox.stack.environments[f.name]);
  }
  // DynamoDB in its own process (dynalite, on the other core), reached through the standard variable.
  const dynamo = await startDynaliteProcess();
  await createTablesFromTemplate(dynamo.endpoint, sandbox.stack.template, (id) =>
    sandbox.stack.physicalName(id),
  );
  Object.assign(env, sandbox.clientEnv, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    RESTART_FAMILY_POLICIES: JSON.stringify({
      [FAMILY]: { backoff: { baseSeconds: 0, maxSeconds: 0, jitter: false } },
    }),
    NODE_OPTIONS: '',
  });
  await host.start(functions, env);
  const ecs = new ECSClient({
    region: 'us-east-1',
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  const table = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    }),
  );
  return { sandbox, host, ecs, dynamo, table };
}

async function stopWorld(w: World) {
  w.ecs.destroy();
  w.table.destroy();
  await w.sandbox.stop();
  w.host.stop();
  await w.dynamo.close();
}

const isThrottle = (error: unknown) => (error as Error).name === 'ThrottlingException';

/** Launches `n` tasks (10 a call), retrying throttled calls; returns their ids once all are RUNNING. */
async function launch(w: World, n: number, provider: string, startedBy: string): Promise<string[]> {
  let sent = 0;
  while (sent < n) {
    const count = Math.min(10, n - sent);
    try {
      await w.ecs.send(
        new RunTaskCommand({
          cluster: 'sandbox',
          taskDefinition: FAMILY,
          count,
          capacityProviderStrategy: [{ capacityProvider: provider, weight: 1 }],
          networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
          startedBy,
        }),
      );
      sent += count;
    } catch (error) {
      if (!isThrottle(error)) throw error;
      await sleep(20);
    }
  }
  for (;;) {
    const mine = w.sandbox.ecs.taskTable().filter((t) => t.startedBy === startedBy);
    if (mine.length === n && mine.every((t) => t.lastStatus === 'RUNNING')) return mine.map((t) => t.taskId);
    await sleep(50);
  }
}

/** Starts the wave's tasks with ECS throttling off (setup is not measured), and lets their events settle. */
async function prepare(w: World, n: number, provider: string, startedBy: string): Promise<string[]> {
  w.sandbox.ecs.setThrottling(false);
  const ids = await launch(w, n, provider, startedBy);
  await w.sandbox.idle();
  w.sandbox.ecs.setThrottling(true);
  // Full buckets for the measured part: 100 launches at 20/s refill in 5 s.
  await sleep(6_000);
  return ids;
}

interface WaveResult {
  /** ms from the wave to the last origin's first replacement RUNNING (or to the deadline). */
  ms: number;
  replaced: number;
  lost: number;
  duplicates: number;
  /** Tasks started as replacements, in all. */
  replacements: number;
  /** Origins whose RUNNING replacement is on on-demand capacity. */
  onDemand: number;
  /** RunTask calls ECS answered with failures[] (capacity) during the wave. */
  runTaskWithFailures: number;
  /** AWS calls the sandbox served during the wave, by operation (and by error code). */
  calls: Record<string, number>;
  /** DynamoDB calls the functions sent during the wave (every attempt), by function and operation. */
  dynamoDb: DynamoDbCalls;
  /**
   * Cores kept busy from the wave to the last replacement RUNNING, per process: the sandbox (with this
   * driver), the Lambda host processes, dynalite; near the machine's count, the wave is CPU-bound here.
   */
  cores: Record<string, number>;
  /**
   * ms from the wave to the first and the last origin's replacement appearing in ECS, and the replacements a
   * second in between: against ECS's 20 RunTask calls a second, how well the launcher kept ECS busy.
   */
  launchPhase?: { firstMs: number; lastMs: number; perSecond: number };
  /**
   * Every 2 s of the wave, the calls served so far: tag reads (DescribeTasks), launch requests sent
   * (SendMessage), RunTask accepted. Shows which stage paces the wave: decisions or launches.
   */
  timeline: { s: number; describeTasks: number; launchRequests: number; runTaskAccepted: number }[];
}

/**
 * Which origin each replacement belongs to: its launch record names it (a batched launch's lineage tags come
 * after the launch), or its origin tag. One scan of the table, from the benchmark's side.
 */
async function originsOf(w: World): Promise<Map<string, string>> {
  const origins = new Map<string, string>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await w.table.send(
      new ScanCommand({
        TableName: w.sandbox.stack.physicalName('Table'),
        FilterExpression: 'kind = :launch',
        ExpressionAttributeValues: { ':launch': 'launch' },
        ProjectionExpression: 'taskId, lineage.originTaskArn',
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const origin = (item.lineage as { originTaskArn?: string } | undefined)?.originTaskArn;
      if (origin) origins.set(item.taskId as string, origin.split('/').pop() ?? origin);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  for (const t of w.sandbox.ecs.taskTable()) {
    const tagged = t.tags[ORIGIN_TAG]?.split('/').pop();
    if (tagged && !origins.has(t.taskId)) origins.set(t.taskId, tagged);
  }
  return origins;
}

/**
 * Triggers the wave, then watches the tasks ecs-autopilot starts (startedBy ecs-autopilot/...): once as many
 * are RUNNING as there are origins, their launch records tell whether every origin has one.
 */
async function wave(
  w: World,
  origins: string[],
  trigger: (taskId: string) => void,
  deadlineMs: number,
): Promise<WaveResult> {
  const wanted = new Set(origins);
  const existing = new Set(w.sandbox.ecs.taskTable().map((t) => t.taskId));
  const started = () =>
    w.sandbox.ecs
      .taskTable()
      .filter((t) => !existing.has(t.taskId) && t.startedBy?.startsWith('ecs-autopilot/'));
  const replacementsOf = async () => {
    const originOf = await originsOf(w);
    const by = new Map<string, { running: boolean; capacityProvider?: string }[]>();
    for (const t of started()) {
      const origin = originOf.get(t.taskId);
      if (!origin || !wanted.has(origin)) continue;
      const list = by.get(origin) ?? [];
      list.push({ running: t.lastStatus === 'RUNNING', capacityProvider: t.capacityProvider });
      by.set(origin, list);
    }
    return by;
  };
  const cpu = () => ({
    sandbox: cpuSecondsOf(process.pid),
    lambdaHosts: w.host.pids().reduce<number | undefined>((sum, pid) => {
      const seconds = cpuSecondsOf(pid);
      return sum === undefined || seconds === undefined ? undefined : sum + seconds;
    }, 0),
    dynalite: cpuSecondsOf(w.dynamo.pid),
  });
  w.sandbox.calls.reset();
  const ecsCallsBefore = w.sandbox.ecs.callCounts();
  await w.host.dynamoDbCalls({ reset: true });
  const cpuBefore = cpu();
  const t0 = Date.now();
  for (const id of origins) trigger(id);
  let ms = deadlineMs;
  // When the first and the last replacement appeared (any status), seen at each 50 ms poll.
  let firstLaunchMs: number | undefined;
  let lastLaunchMs: number | undefined;
  let launched = 0;
  let checkedAt = 0;
  const timeline: WaveResult['timeline'] = [];
  const sampleTimeline = () => {
    const c = w.sandbox.calls.snapshot();
    const ok = (op: string) => (c[op] ?? 0) - (c[`${op}!ThrottlingException`] ?? 0);
    timeline.push({
      s: Math.round((Date.now() - t0) / 1000),
      describeTasks: ok('ecs.DescribeTasks'),
      launchRequests: ok('sqs.SendMessage'),
      runTaskAccepted: ok('ecs.RunTask'),
    });
  };
  for (;;) {
    if (Date.now() - t0 >= timeline.length * 2000) sampleTimeline();
    const ours = started();
    if (ours.length > launched) {
      launched = ours.length;
      firstLaunchMs ??= Date.now() - t0;
      lastLaunchMs = Date.now() - t0;
    }
    const running = ours.filter((t) => t.lastStatus === 'RUNNING').length;
    // Enough RUNNING: do the records say every origin has one? (At most once a second.)
    if (running >= wanted.size && Date.now() - checkedAt >= 1000) {
      const at = Date.now() - t0;
      checkedAt = Date.now();
      const by = await replacementsOf();
      let replaced = 0;
      for (const list of by.values()) if (list.some((r) => r.running)) replaced++;
      if (replaced === wanted.size) {
        ms = at;
        break;
      }
    }
    if (Date.now() - t0 > deadlineMs) break;
    await sleep(50);
  }
  const cores = coresBusy(cpuBefore, cpu(), Date.now() - t0);
  // Late duplicates: let what is in flight finish (retries waiting minutes are not waited for).
  await Promise.race([w.sandbox.idle().catch(() => undefined), sleep(15_000)]);
  const by = await replacementsOf();
  let replacements = 0;
  let duplicates = 0;
  let replaced = 0;
  let onDemand = 0;
  for (const list of by.values()) {
    replacements += list.length;
    duplicates += list.length - 1;
    if (list.some((r) => r.running)) replaced++;
    if (list.some((r) => r.running && !r.capacityProvider?.includes('SPOT'))) onDemand++;
  }
  const calls = w.sandbox.calls.snapshot();
  const ecsCalls = w.sandbox.ecs.callCounts();
  const dynamoDb = await w.host.dynamoDbCalls();
  const launchPhase =
    firstLaunchMs !== undefined && lastLaunchMs !== undefined && lastLaunchMs > firstLaunchMs
      ? {
          firstMs: firstLaunchMs,
          lastMs: lastLaunchMs,
          perSecond: Number(((launched - 1) / ((lastLaunchMs - firstLaunchMs) / 1000)).toFixed(1)),
        }
      : undefined;
  return {
    ms,
    replaced,
    lost: wanted.size - replaced,
    duplicates,
    replacements,
    onDemand,
    runTaskWithFailures: (ecsCalls['RunTask!failures'] ?? 0) - (ecsCallsBefore['RunTask!failures'] ?? 0),
    calls,
    dynamoDb,
    cores,
    launchPhase,
    timeline,
  };
}

/** The ideal client: n tasks on `provider`, 10 a call, as fast as ECS admits; ms until all RUNNING. */
async function floor(w: World, n: number, provider: string, startedBy: string): Promise<number> {
  await sleep(6_000);
  const t0 = Date.now();
  await launch(w, n, provider, startedBy);
  return Date.now() - t0;
}

const DYNAMODB_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** DynamoDB calls of one function (by its name in serverless.yml) during a wave: writes, reads, by operation. */
function dynamoDbCallsOf(calls: DynamoDbCalls, fn: string) {
  const byOperation = Object.entries(calls).find(([deployed]) => deployed.endsWith(`-${fn}`))?.[1] ?? {};
  let writes = 0;
  let reads = 0;
  for (const [operation, n] of Object.entries(byOperation)) {
    if (DYNAMODB_WRITES.includes(operation)) writes += n;
    else reads += n;
  }
  return { writes, reads, byOperation };
}

function waveFigures(
  name: string,
  ours: WaveResult,
  naive: WaveResult | undefined,
  floorMs: number,
  n: number,
  target: number,
): Figure[] {
  const accepted = (op: string) => (ours.calls[op] ?? 0) - (ours.calls[`${op}!ThrottlingException`] ?? 0);
  const figures = [
    vsFloor(`${name}: ours, to all RUNNING`, 'ms', ours.ms, floorMs, target, { ...ours }),
    atMost(`${name}: ours, duplicates`, 'count', ours.duplicates, 0),
    atMost(`${name}: ours, lost`, 'count', ours.lost, 0),
    // Batched launches (issue 17): up to 10 tasks a RunTask call; throttled calls are retries, not work.
    atMost(`${name}: ours, RunTask accepted per task`, 'count', accepted('ecs.RunTask') / n, 0.2),
    vsFloor(
      `${name}: ours, RunTask calls throttled`,
      'count',
      ours.calls['ecs.RunTask!ThrottlingException'] ?? 0,
      n,
      null,
    ),
    // The call budget per restart issue 17 settled: 2 PutEvents (Scheduled, Restarted), 2 decision writes,
    // 2 launch-record writes (the record and its "done" mark), counted by the sandbox and the Lambda host.
    atMost(`${name}: ours, PutEvents per task`, 'count', accepted('events.PutEvents') / n, 2),
    atMost(
      `${name}: ours, decision writes per task`,
      'count',
      dynamoDbCallsOf(ours.dynamoDb, 'taskReactions').writes / n,
      2,
    ),
    atMost(
      `${name}: ours, launch record writes per task`,
      'count',
      dynamoDbCallsOf(ours.dynamoDb, 'launcher').writes / n,
      2,
    ),
  ];
  if (naive) {
    figures.push(
      vsFloor(`${name}: naive, to all RUNNING or deadline`, 'ms', naive.ms, floorMs, null, { ...naive }),
      vsFloor(`${name}: naive, replaced of ${n}`, 'count', naive.replaced, n, null),
      vsFloor(`${name}: naive, duplicates`, 'count', naive.duplicates, n, null),
    );
  }
  return figures;
}

/**
 * A Spot shortage: `n` Fargate Spot tasks fail while Spot has no capacity. Their restarts ask for Spot; the
 * first launches learn of the shortage, the rest go to on-demand at once (the shortage memory).
 */
async function shortageWave(w: World, n: number): Promise<WaveResult> {
  const tasks = await prepare(w, n, 'FARGATE_SPOT', 'bench-shortage');
  w.sandbox.ecs.setSpotCapacity(false);
  try {
    return await wave(w, tasks, (id) => w.sandbox.ecs.exitTask(id, 1), 300_000);
  } finally {
    w.sandbox.ecs.setSpotCapacity(true);
  }
}

export async function run(): Promise<SectionResult> {
  const notes: string[] = [];
  const only = process.env.BENCH_MASS_ONLY; // 'ours' | 'naive' while developing
  let failOurs: WaveResult | undefined;
  let spotOurs: WaveResult | undefined;
  let failFloor = Number.NaN;
  let spotFloor = Number.NaN;
  let shortage: WaveResult | undefined;
  if (only !== 'naive') {
    const w = await startWorld('ours');
    try {
      const failing = await prepare(w, FAILURES, 'FARGATE', 'bench-failing');
      failOurs = await wave(w, failing, (id) => w.sandbox.ecs.exitTask(id, 1), 300_000);
      failFloor = await floor(w, FAILURES, 'FARGATE', 'bench-floor-failure');
      // Before the Spot wave, whose interrupted tasks stop two minutes later and keep the sandbox busy.
      shortage = await shortageWave(w, SHORTAGE_TASKS);
      const spot = await prepare(w, SPOT_TASKS, 'FARGATE_SPOT', 'bench-spot');
      spotOurs = await wave(w, spot, (id) => w.sandbox.ecs.interrupt(id), 300_000);
      spotFloor = await floor(w, SPOT_TASKS, 'FARGATE', 'bench-floor-spot');
    } finally {
      await stopWorld(w);
    }
  }
  let failNaive: WaveResult | undefined;
  let spotNaive: WaveResult | undefined;
  if (only !== 'ours') {
    const w = await startWorld('naive');
    try {
      // Past Lambda's two retries (1 and 2 minutes later) a naive failure is gone for good.
      const deadline = 200_000;
      const failing = await prepare(w, FAILURES, 'FARGATE', 'bench-failing');
      failNaive = await wave(w, failing, (id) => w.sandbox.ecs.exitTask(id, 1), deadline);
      const spot = await prepare(w, SPOT_TASKS, 'FARGATE_SPOT', 'bench-spot');
      spotNaive = await wave(w, spot, (id) => w.sandbox.ecs.interrupt(id), deadline);
    } finally {
      await stopWorld(w);
    }
  }
  // BENCH_MASS_WITHOUT_LOG=1: ours again with taskEvents switched off. On a machine where every function
  // shares the cores, the lifecycle log (8 state changes a replacement, 2 writes each) competes with the
  // restarts; in AWS each function has its own instances. Information only: the product logs every change.
  const withoutLog: { fail?: WaveResult; failFloor?: number; spot?: WaveResult; spotFloor?: number } = {};
  if (process.env.BENCH_MASS_WITHOUT_LOG === '1') {
    const w = await startWorld('ours-without-log');
    try {
      const failing = await prepare(w, FAILURES, 'FARGATE', 'bench-failing');
      withoutLog.fail = await wave(w, failing, (id) => w.sandbox.ecs.exitTask(id, 1), 300_000);
      withoutLog.failFloor = await floor(w, FAILURES, 'FARGATE', 'bench-floor-failure');
      const spot = await prepare(w, SPOT_TASKS, 'FARGATE_SPOT', 'bench-spot');
      withoutLog.spot = await wave(w, spot, (id) => w.sandbox.ecs.interrupt(id), 300_000);
      withoutLog.spotFloor = await floor(w, SPOT_TASKS, 'FARGATE', 'bench-floor-spot');
    } finally {
      await stopWorld(w);
    }
  }
  const figures: Figure[] = [];
  for (const [name, result, floorMs] of [
    [`${FAILURES} failures`, withoutLog.fail, withoutLog.failFloor],
    [`${SPOT_TASKS} Spot warnings`, withoutLog.spot, withoutLog.spotFloor],
  ] as const) {
    if (!result || floorMs === undefined) continue;
    figures.push(
      vsFloor(`${name}: ours without the lifecycle log (diagnostic)`, 'ms', result.ms, floorMs, null, {
        ...result,
      }),
    );
    notes.push(
      `${name}, ours without the lifecycle log: cores busy ${JSON.stringify(result.cores)}; duplicates ${result.duplicates}, lost ${result.lost}` +
        (result.launchPhase
          ? `; first replacement at ${result.launchPhase.firstMs} ms, ${result.launchPhase.perSecond} a second`
          : ''),
    );
  }
  if (failOurs)
    figures.push(...waveFigures(`${FAILURES} failures`, failOurs, failNaive, failFloor, FAILURES, 1.15));
  if (spotOurs)
    figures.push(
      ...waveFigures(`${SPOT_TASKS} Spot warnings`, spotOurs, spotNaive, spotFloor, SPOT_TASKS, 1.1),
    );
  if (shortage) {
    const name = `Spot shortage, ${SHORTAGE_TASKS} restarts`;
    figures.push(
      atMost(
        `${name}: RunTask calls failed for capacity per launch`,
        'count',
        shortage.runTaskWithFailures / SHORTAGE_TASKS,
        0.1,
        {
          ...shortage,
        },
      ),
      atMost(`${name}: not RUNNING on on-demand`, 'count', SHORTAGE_TASKS - shortage.onDemand, 0),
      atMost(`${name}: duplicates`, 'count', shortage.duplicates, 0),
      vsFloor(`${name}: to all RUNNING`, 'ms', shortage.ms, failFloor * (SHORTAGE_TASKS / FAILURES), null),
    );
    notes.push(
      `${name}: ${shortage.runTaskWithFailures} RunTask calls answered with capacity failures; ${shortage.onDemand} of ${SHORTAGE_TASKS} replacements RUNNING on on-demand`,
    );
  }
  notes.push(
    `floor = an ideal client launching the same number of tasks, 10 per RunTask, as fast as the sandbox's ECS admits (100-task burst, then 20/s; 20 RunTask calls/s); task start-up ${TIMINGS.provisioningMs + TIMINGS.pendingMs} ms`,
    `handlers: the deployment bundles in Lambda host processes (bench/lib/lambdaHost.ts), up to 200 concurrent async invocations; Lambda async retries after ${LAMBDA_RETRY_DELAYS_MS.join(' and ')} ms`,
  );
  for (const [name, result] of [
    [`${FAILURES} failures`, failOurs],
    [`${SPOT_TASKS} Spot warnings`, spotOurs],
  ] as const) {
    if (!result) continue;
    notes.push(`${name}, ours: cores busy during the wave ${JSON.stringify(result.cores)}`);
    const perTask = (fn: string) =>
      Object.entries(dynamoDbCallsOf(result.dynamoDb, fn).byOperation)
        .map(([operation, count]) => `${operation} ${(count / result.replacements).toFixed(2)}`)
        .join(', ') || 'none';
    notes.push(
      `${name}, ours: DynamoDB calls per replacement: taskReactions ${perTask('taskReactions')}; launcher ${perTask('launcher')}; taskEvents ${perTask('taskEvents')}`,
    );
    if (result.launchPhase) {
      const { firstMs, lastMs, perSecond } = result.launchPhase;
      notes.push(
        `${name}, ours: first replacement in ECS at ${firstMs} ms, last at ${lastMs} ms: ${perSecond} a second in between (ECS admits 20 RunTask calls a second)`,
      );
    }
  }
  return {
    figures,
    details: {
      failures: FAILURES,
      spotTasks: SPOT_TASKS,
      failOurs,
      failNaive,
      spotOurs,
      spotNaive,
      failFloor,
      spotFloor,
    },
    notes,
  };
}
