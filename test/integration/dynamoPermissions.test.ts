/**
 * The DynamoDB operations the launch path sends are the ones the roles that run it may call. The sandbox
 * enforces no IAM, so an operation added to the code without its action in serverless.yml (BatchGetItem for
 * the launch budgets, once) would pass every other test and fail every launch in AWS. The launcher's code
 * runs in the launcher and in the api (run-now).
 */

import { loadTemplate } from '../../local/template';
import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildRunOutcomeStore } from '../../src/adapters/runOutcomes';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildLaunch } from '../../src/app/launcher';
import { buildLaunchGuard } from '../../src/app/launchGuard';
import { buildRunOutcomes } from '../../src/app/runOutcomes';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import { useTablePerTest } from '../support/dynamo';
import { launcherTestDefaults } from '../support/launcherDefaults';
import { storedSchedule } from '../support/storeFixtures';
import { ignoredRunEnds, unusedDescribeTaskTags } from '../support/unusedDeps';

const dynamo = useTablePerTest('permissions');

/** The DynamoDB actions a role's policies allow. */
function dynamoActions(roleId: string): Set<string> {
  const role = loadTemplate().Resources[roleId];
  const statements = (role?.Properties?.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } }) =>
      p.PolicyDocument.Statement,
  );
  return new Set(
    statements
      .filter((s: { Effect: string }) => s.Effect === 'Allow')
      .flatMap((s: { Action: string | string[] }) => [s.Action].flat())
      .filter((a: string) => a.startsWith('dynamodb:')),
  );
}

/** The action IAM checks for each operation (a transaction is checked per item, as Put/Update/...Item). */
const ACTION: Record<string, string[]> = {
  GetItemCommand: ['dynamodb:GetItem'],
  BatchGetItemCommand: ['dynamodb:BatchGetItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ConditionCheckItemCommand: ['dynamodb:ConditionCheckItem'],
};

describe('the DynamoDB operations of the launch path', () => {
  it('are all allowed to the launcher and the api roles', async () => {
    const sent = new Set<string>();
    const transactionItems = new Set<string>();
    dynamo.db.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? '');
        sent.add(name);
        if (name === 'TransactWriteItemsCommand') {
          for (const item of (args.input as { TransactItems?: Record<string, unknown>[] }).TransactItems ??
            [])
            for (const kind of Object.keys(item)) transactionItems.add(`${kind}ItemCommand`);
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordOperations' },
    );
    const store = buildLaunchStore(dynamo.db, dynamo.table, 30);
    const guard = buildLaunchGuard({
      budgets: buildLaunchBudgets(dynamo.db, dynamo.table),
      settings: {
        launchesPerClusterHour: 10,
        replacementsPerClusterHour: 10,
        breaker: { relaunches: 1, windowMinutes: 15, cooldownMinutes: 15 },
      },
      allowlist: { clusters: new Set(['batch']), families: new Set(['worker']), taskRoles: new Set() },
      taskSize: { maxTaskCpu: 4096, maxTaskMemory: 16384 },
      scope: { partition: 'aws', region: 'us-east-1', account: '111122223333' },
      handledClusters: new Set(),
      decisions: store,
      publishEvents: async () => undefined,
      countMetric: () => undefined,
    });
    let started = 0;
    const launch = buildLaunch({
      ...launcherTestDefaults(),
      guard,
      runs: ignoredRunEnds,
      countMetric: () => undefined,
      runTask: async () => ({
        taskArns: [`arn:aws:ecs:us-east-1:111122223333:task/batch/${String(++started).padStart(32, '0')}`],
        failures: [],
        alreadyStarted: false,
      }),
      store,
      sendLaunchRequest: async () => undefined,
      publishEvents: async () => undefined,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      leases: buildScheduleStore(dynamo.db, dynamo.table, 30),
      describeTaskTags: unusedDescribeTaskTags,
    });
    const task = (n: number) =>
      `arn:aws:ecs:us-east-1:111122223333:task/batch/${String(n).padStart(32, 'a')}`;
    const restart = (n: number, attempt: number): LaunchRequest => ({
      requestId: `r-${n}`,
      reason: 'restart',
      runTask: {
        cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch',
        taskDefinition: 'worker:1',
        count: 1,
      },
      lineage: { originTaskArn: task(n), attempt, launches: attempt, previousTaskArn: task(n), chain: [] },
      capacityRetries: 0,
      deferSeconds: 0,
    });
    // A run-now, and restarts that count against the breaker until it opens (and pauses the next one).
    await launch({
      ...restart(0, 1),
      requestId: 't-0',
      reason: 'run-now',
      lineage: undefined,
      runTask: { ...restart(0, 1).runTask, cluster: 'batch' },
    });
    for (const n of [1, 2, 3]) {
      const request = restart(n, 2);
      await store.putDecision(task(n).split('/').pop() ?? '', {
        taskArn: task(n),
        action: 'restart',
        decidedAt: new Date().toISOString(),
        events: [],
        done: true,
        request,
      });
      await launch(request);
    }
    expect(started).toBe(2);
    const used = [...sent, ...transactionItems].filter((name) => name !== 'TransactWriteItemsCommand');
    expect(used).toEqual(
      expect.arrayContaining(['BatchGetItemCommand', 'GetItemCommand', 'UpdateItemCommand']),
    );
    for (const roleId of ['LauncherRole', 'ApiRole']) {
      const allowed = dynamoActions(roleId);
      const missing = used
        .flatMap((name) => ACTION[name] ?? [`(unknown ${name})`])
        .filter((a) => !allowed.has(a));
      expect({ role: roleId, missing: [...new Set(missing)] }).toEqual({ role: roleId, missing: [] });
    }
  });

  it('of how a schedule run ends are all allowed to taskReactions, the launcher and the api', async () => {
    const sent = new Set<string>();
    dynamo.db.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? '');
        if (name === 'TransactWriteItemsCommand') {
          for (const item of (args.input as { TransactItems?: Record<string, unknown>[] }).TransactItems ??
            [])
            for (const kind of Object.keys(item)) sent.add(`${kind}ItemCommand`);
        } else sent.add(name);
        return next(args);
      },
      { step: 'initialize', name: 'recordRunOutcomeOperations' },
    );
    const schedules = buildScheduleStore(dynamo.db, dynamo.table, 30);
    const runs = buildRunOutcomeStore(dynamo.db, dynamo.table, 30);
    await schedules.create({ ...storedSchedule('etl'), pauseAfterConsecutiveFailures: 1 }, 10);
    const ref = { schedule: 'etl', scheduledTime: '2026-05-01T10:00:00.000Z', requestId: 's-etl-1' };
    await schedules.recordRun('etl', { ...ref, trigger: 'schedule', status: 'PENDING', count: 1 });
    await runs.buffer('etl', { ...ref, requestId: 's-etl-2', trigger: 'schedule' });
    const triggers: unknown[] = [];
    const outcomes = buildRunOutcomes({
      runs,
      schedules,
      launches: buildLaunchStore(dynamo.db, dynamo.table, 30),
      publishEvents: async () => undefined,
      sendTrigger: async (trigger) => {
        triggers.push(trigger);
      },
      logger: { info: () => undefined, warn: () => undefined },
    });
    const request: LaunchRequest = {
      requestId: ref.requestId,
      reason: 'schedule',
      runTask: {
        cluster: 'batch',
        taskDefinition: 'worker',
        count: 1,
        tags: [
          { key: 'ecs-autopilot:schedule', value: 'etl' },
          { key: 'ecs-autopilot:run', value: ref.requestId },
        ],
      },
      context: { schedule: 'etl', scheduledTime: ref.scheduledTime },
      capacityRetries: 0,
      deferSeconds: 0,
    };
    await outcomes.launchEnded(request, { status: 'launched', taskArns: ['arn'], events: [] });
    await outcomes.launchEnded(request, {
      status: 'failed',
      taskArns: [],
      failures: [{ reason: 'RESOURCE:MEMORY' }],
      events: [],
    });
    await runs.addSucceededTask(ref, 'x');
    await runs.recordedRunIds('etl', 0, Date.now());
    // The run ended once, paused the schedule (pauseAfterConsecutiveFailures 1) and let the waiting run go.
    expect((await runs.getRun(ref))?.outcome).toMatchObject({ status: 'FAILED' });
    expect((await schedules.get('etl'))?.state).toBe('PAUSED');
    expect(triggers).toEqual([expect.objectContaining({ requestId: 's-etl-2' })]);
    const used = [...sent];
    for (const roleId of ['TaskReactionsRole', 'LauncherRole', 'ApiRole']) {
      const allowed = dynamoActions(roleId);
      // Only the api lists a window's runs (backfill).
      const missing = used
        .filter((name) => roleId === 'ApiRole' || name !== 'QueryCommand')
        .flatMap((name) => ACTION[name] ?? [`(unknown ${name})`])
        .filter((a) => !allowed.has(a));
      expect({ role: roleId, missing: [...new Set(missing)] }).toEqual({ role: roleId, missing: [] });
    }
  });
});
