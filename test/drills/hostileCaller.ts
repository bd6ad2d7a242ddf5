/**
 * Drill 9, the hostile caller: random launches over the whole launch surface, the HTTP API (POST /tasks) and
 * raw messages on the launch queue (what a principal with sqs:SendMessage could send, if the queue policy
 * failed), through the real API routes, the real launcher and the real guard, with budgets in DynamoDB.
 * Every input either starts tasks within the allowlist and the budgets, or starts nothing.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildScheduleRoutes } from '../../src/app/api/scheduleRoutes';
import { buildApi } from '../../src/app/api/taskRoutes';
import { buildLaunch, parseQueueMessage } from '../../src/app/launcher';
import { buildLaunchGuard, UntrustedLaunchRequestError } from '../../src/app/launchGuard';
import { buildRunScheduled } from '../../src/app/scheduledRun';
import { clusterNameOf, familyOf, refusalOf, scopeRefusalOf } from '../../src/domain/allowlist';
import type { LaunchRequest, RunTaskInput } from '../../src/domain/launchRequest';
import type { DecisionRecord, RunTask } from '../../src/ports';
import { launcherTestDefaults } from '../support/launcherDefaults';
import { defaultLimits } from '../support/limits';
import {
  ignoredRunEnds,
  noRunStats,
  unusedBackfill,
  unusedBreakers,
  unusedBuffer,
  unusedClusterRoutes,
  unusedDescribeTaskTags,
} from '../support/unusedDeps';
import { type DrillDb, quietLogger, Tally } from './support';

const ACCOUNT = '111122223333';
const SCOPE = { partition: 'aws', region: 'us-east-1', account: ACCOUNT };
const ALLOWLIST = {
  clusters: new Set(['batch']),
  families: new Set(['worker']),
  taskRoles: new Set([`arn:aws:iam::${ACCOUNT}:role/worker-task`]),
};
/** Small budgets, so a run of the drill reaches them. */
const BUDGET = { launches: 40, replacements: 40 };
const ecsArn = (type: string, name: string, account = ACCOUNT, region = 'us-east-1', partition = 'aws') =>
  `arn:${partition}:ecs:${region}:${account}:${type}/${name}`;

const cluster = fc.constantFrom(
  'batch',
  'etl',
  ecsArn('cluster', 'batch'),
  ecsArn('cluster', 'batch', '999999999999'),
  ecsArn('cluster', 'batch', ACCOUNT, 'eu-west-1'),
  ecsArn('cluster', 'batch', ACCOUNT, 'us-east-1', 'aws-cn'),
  `arn:aws:ecs:us-east-1:${ACCOUNT}:service/batch`,
);
const taskDefinition = fc.constantFrom(
  'worker',
  'worker:3',
  'admin',
  ecsArn('task-definition', 'worker:3'),
  ecsArn('task-definition', 'worker:3', '999999999999'),
  ecsArn('task-definition', 'admin:1'),
);
const role = fc.constantFrom(
  undefined,
  `arn:aws:iam::${ACCOUNT}:role/worker-task`,
  `arn:aws:iam::${ACCOUNT}:role/admin`,
  'arn:aws:iam::999999999999:role/worker-task',
);
const runTask = fc.record({
  cluster,
  taskDefinition,
  count: fc.integer({ min: 1, max: 10 }),
  launchType: fc.constant('FARGATE'),
  networkConfiguration: fc.constant({
    awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] as string[] },
  }),
  taskRoleArn: role,
  command: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
});
type Drawn = typeof runTask extends fc.Arbitrary<infer T> ? T : never;
const asRunTask = (d: Drawn): RunTaskInput => ({
  cluster: d.cluster,
  taskDefinition: d.taskDefinition,
  count: d.count,
  launchType: d.launchType,
  networkConfiguration: d.networkConfiguration,
  overrides: {
    containerOverrides: [{ name: 'worker', command: d.command }],
    ...(d.taskRoleArn && { taskRoleArn: d.taskRoleArn }),
  },
});

type Input =
  | { via: 'api'; body: Record<string, unknown> }
  | {
      via: 'queue';
      reason: LaunchRequest['reason'];
      drawn: Drawn;
      lineage: 'none' | 'decided' | 'forged' | 'altered';
      alteration: 'command' | 'count' | 'lineage tag' | 'attempt' | 'capacity retry for more';
    }
  | { via: 'queue-trigger'; schedule: string };

const input: fc.Arbitrary<Input> = fc.oneof(
  runTask.map((d) => {
    const { taskRoleArn, command, ...rest } = d;
    const body: Record<string, unknown> = {
      ...rest,
      overrides: { containerOverrides: [{ name: 'worker', command }], ...(taskRoleArn && { taskRoleArn }) },
    };
    return { via: 'api' as const, body };
  }),
  fc.record({
    via: fc.constant('queue' as const),
    reason: fc.constantFrom<LaunchRequest['reason']>('run-now', 'schedule', 'restart', 'spot-interruption'),
    drawn: runTask,
    lineage: fc.constantFrom('none', 'decided', 'forged', 'altered'),
    alteration: fc.constantFrom('command', 'count', 'lineage tag', 'attempt', 'capacity retry for more'),
  }),
  fc.record({ via: fc.constant('queue-trigger' as const), schedule: fc.constantFrom('nightly', 'missing') }),
);

/** What a sender with access to the queue might change in a request a decision asked for. */
function alter(request: LaunchRequest, how: Extract<Input, { via: 'queue' }>['alteration']): void {
  const runTask = request.runTask;
  if (how === 'command')
    runTask.overrides = { containerOverrides: [{ name: 'worker', command: ['sh', '-c', 'steal'] }] };
  if (how === 'count' || how === 'capacity retry for more') runTask.count = Math.min(10, runTask.count + 1);
  if (how === 'capacity retry for more') request.capacityRetries = 1;
  if (how === 'lineage tag') runTask.tags = [{ key: 'ecs-autopilot:reason', value: 'infrastructure' }];
  if (how === 'attempt' && request.lineage) request.lineage.attempt += 1;
}

export async function hostileCallerDrill(db: DrillDb, options: { inputs: number; seed?: number }) {
  const tally = new Tally('hostile caller');
  const table = await db.newTable('drill-hostile');
  const store = buildLaunchStore(db.db, table, 30);
  const schedules = buildScheduleStore(db.db, table, 30);
  const decisions = new Map<string, DecisionRecord>();
  /** What the guard's decision check reads: the decisions this drill "took". */
  const getDecision = async (taskId: string) => decisions.get(taskId) ?? (await store.getDecision(taskId));
  const started: { request: string; reason: string; input: RunTaskInput }[] = [];
  /** The reason of each request the launcher saw, by request id (the clientToken starts with it). */
  const reasons = new Map<string, string>();
  const runTaskPort: RunTask = async (input, clientToken) => {
    const request = clientToken.split('~')[0] ?? clientToken;
    started.push({ request, reason: reasons.get(request) ?? 'unknown', input });
    const taskArns = Array.from({ length: input.count }, () =>
      ecsArn('task', `batch/${randomUUID().replace(/-/g, '')}`),
    );
    return { taskArns, failures: [], alreadyStarted: false };
  };
  const guard = buildLaunchGuard({
    budgets: buildLaunchBudgets(db.db, table),
    settings: {
      launchesPerClusterHour: BUDGET.launches,
      replacementsPerClusterHour: BUDGET.replacements,
      breaker: { relaunches: 10, windowMinutes: 15, cooldownMinutes: 15 },
    },
    allowlist: ALLOWLIST,
    taskSize: { maxTaskCpu: 4096, maxTaskMemory: 16384 },
    scope: SCOPE,
    handledClusters: new Set(['batch']),
    decisions: { getDecision },
    publishEvents: async () => undefined,
    countMetric: (name) => tally.add(`metric ${name}`),
  });
  const requeued: LaunchRequest[] = [];
  const launchRecord = buildLaunch({
    ...launcherTestDefaults(),
    guard,
    runs: ignoredRunEnds,
    countMetric: () => undefined,
    runTask: runTaskPort,
    store,
    sendLaunchRequest: async (request) => {
      requeued.push(request);
    },
    publishEvents: async (events) => {
      for (const e of events)
        if (e.detailType === 'Task Launch Failed') tally.add(`refused: ${String(e.detail.cause)}`);
    },
    logger: quietLogger(),
    leases: schedules,
    describeTaskTags: unusedDescribeTaskTags,
  });
  const launch = (request: LaunchRequest) => {
    reasons.set(request.requestId, request.reason);
    return launchRecord(request);
  };
  const runScheduled = buildRunScheduled({
    buffer: unusedBuffer,
    store: schedules,
    listRunningTasks: async () => [],
    stopTasks: async () => undefined,
    logger: quietLogger(),
    refusalOf: (s) => refusalOf(s, ALLOWLIST, SCOPE)?.message,
    publishEvents: async () => undefined,
  });
  const at = new Date().toISOString();
  // A schedule stored before the allowlist was narrowed: its family is no longer allowed.
  await schedules.create(
    {
      name: 'nightly',
      expression: 'cron(0 2 * * ? *)',
      timezone: 'UTC',
      state: 'ENABLED',
      cluster: 'batch',
      taskDefinition: 'retired',
      count: 1,
      concurrencyPolicy: 'Allow',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] } },
      version: 1,
      createdAt: at,
      updatedAt: at,
    },
    200,
  );
  const routes = buildScheduleRoutes({
    runs: noRunStats,
    backfill: unusedBackfill,
    schedules,
    scheduler: { put: async () => undefined, remove: async () => undefined },
    launch,
    launches: store,
    runScheduled,
    allowlist: ALLOWLIST,
    scope: SCOPE,
    limits: defaultLimits(),
    openApi: () => ({}),
  });
  const api = buildApi({
    getTaskHistory: async () => undefined,
    listTasks: async () => ({ tasks: [] }),
    breakers: unusedBreakers,
    getServiceState: async () => undefined,
    routes: { ...routes, ...unusedClusterRoutes },
  });

  /** Launches allowed for a run-now or schedule, by the rule the API states. */
  const allowedByList = (r: RunTaskInput) => refusalOf(r, ALLOWLIST, SCOPE) === undefined;
  const genuine = new Set<string>();

  const inputs = fc.sample(input, { numRuns: options.inputs, seed: options.seed ?? 9 });
  for (const [i, item] of inputs.entries()) {
    const before = started.length;
    try {
      if (item.via === 'api') {
        tally.add('API requests');
        const response = (await api({
          routeKey: 'POST /tasks',
          body: JSON.stringify(item.body),
          headers: {},
          requestContext: { authorizer: { iam: { userArn: `arn:aws:iam::${ACCOUNT}:user/mallory` } } },
        } as unknown as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
        tally.add(`API ${response.statusCode}`);
      } else if (item.via === 'queue-trigger') {
        tally.add('raw schedule triggers');
        const message = parseQueueMessage({
          body: JSON.stringify({
            trigger: 'schedule',
            schedule: item.schedule,
            scheduledTime: new Date(Date.now() + i).toISOString(),
          }),
        });
        if (message.kind === 'trigger') await runScheduled(message.trigger, launch);
      } else {
        tally.add('raw launch requests');
        const previous = ecsArn('task', `batch/${String(i).padStart(32, '0')}`);
        const request: LaunchRequest = {
          requestId: `${item.reason === 'restart' ? 'r' : item.reason === 'spot-interruption' ? 's' : 't'}-${i}`,
          reason: item.reason,
          runTask: asRunTask(item.drawn),
          capacityRetries: 0,
          deferSeconds: 0,
          ...(item.lineage !== 'none' && {
            lineage: {
              originTaskArn: previous,
              attempt: 1,
              launches: 1,
              previousTaskArn: previous,
              chain: [],
            },
          }),
        };
        if (item.lineage === 'decided' || item.lineage === 'altered') {
          // A decision on the replaced task asked for this request; 'altered' sends it changed.
          decisions.set(previous.split('/').pop() ?? '', {
            taskArn: previous,
            action: 'restart',
            decidedAt: at,
            events: [],
            done: true,
            request: structuredClone(request),
          });
          if (item.lineage === 'altered') alter(request, item.alteration);
          else genuine.add(request.requestId);
        }
        const message = parseQueueMessage({ body: JSON.stringify(request) });
        if (message.kind === 'request') await launch(message.request);
      }
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (item.via === 'api' && status !== undefined && status < 500) tally.add(`API ${status}`);
      else if (error instanceof UntrustedLaunchRequestError) tally.add('refused as untrusted (to the DLQ)');
      else tally.fail(`input ${i} (${item.via}): ${(error as Error).message}`);
    }
    // Judge what this input started.
    for (const { request, reason, input: launched } of started.slice(before)) {
      const automatic = reason === 'restart' || reason === 'spot-interruption';
      if (automatic) {
        if (!genuine.has(request)) tally.fail(`input ${i} started ${request}, which no decision asked for`);
        if (scopeRefusalOf(launched, SCOPE) || clusterNameOf(launched.cluster) !== 'batch')
          tally.fail(`input ${i} started a relaunch outside the handled clusters: ${launched.cluster}`);
      } else if (!allowedByList(launched)) {
        tally.fail(
          `input ${i} started ${launched.cluster} ${familyOf(launched.taskDefinition)} ${launched.overrides?.taskRoleArn ?? ''} outside the allowlist`,
        );
      }
    }
  }
  const tasks = (which: (reason: string) => boolean) =>
    started.filter((s) => which(s.reason)).reduce((sum, s) => sum + s.input.count, 0);
  const budgeted = tasks((r) => r !== 'spot-interruption');
  const replacements = tasks((r) => r === 'spot-interruption');
  tally.set(
    'tasks started',
    tasks(() => true),
  );
  tally.set(`tasks started by restarts, schedules and run-now (budget ${BUDGET.launches})`, budgeted);
  tally.set(`tasks started by Spot moves (budget ${BUDGET.replacements})`, replacements);
  tally.set('RunTask calls', started.length);
  tally.set('requests requeued', requeued.length);
  if (budgeted > BUDGET.launches)
    tally.fail(`started ${budgeted} tasks in the hour, budget ${BUDGET.launches}`);
  if (replacements > BUDGET.replacements)
    tally.fail(`started ${replacements} Spot replacements in the hour, budget ${BUDGET.replacements}`);
  return tally.result();
}
