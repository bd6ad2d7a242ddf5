import { buildLaunchBudgets } from '../../src/adapters/launchBudgets';
import { buildLaunchGuard, UntrustedLaunchRequestError } from '../../src/app/launchGuard';
import type { LaunchRequest } from '../../src/domain/launchRequest';
import type { DecisionRecord, OutgoingEvent } from '../../src/ports';
import { useTablePerTest } from '../support/dynamo';

const dynamo = useTablePerTest('guard');
const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111122223333:cluster/batch';
const WORKER = 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:7';
const taskArn = (id: string) => `arn:aws:ecs:us-east-1:111122223333:task/batch/${id.padStart(32, '0')}`;

/** A restart of task `id` as the decision asked for it, at `attempt`. */
const restart = (
  id: string,
  attempt = 1,
  changes: Partial<LaunchRequest['runTask']> = {},
): LaunchRequest => ({
  requestId: `r-${id}`,
  reason: 'restart',
  runTask: { cluster: CLUSTER_ARN, taskDefinition: WORKER, count: 1, launchType: 'FARGATE', ...changes },
  lineage: {
    originTaskArn: taskArn('origin'),
    attempt,
    launches: attempt,
    previousTaskArn: taskArn(id),
    chain: [],
  },
  capacityRetries: 0,
  deferSeconds: 0,
});

function setup(settings: { launches?: number; replacements?: number; relaunches?: number } = {}) {
  let now = T0;
  const decisions = new Map<string, DecisionRecord>();
  const published: OutgoingEvent[] = [];
  const metrics: string[] = [];
  const failPublish = { next: false };
  const guard = buildLaunchGuard({
    budgets: buildLaunchBudgets(dynamo.db, dynamo.table, () => now),
    settings: {
      launchesPerClusterHour: settings.launches ?? 100,
      replacementsPerClusterHour: settings.replacements ?? 100,
      breaker: { relaunches: settings.relaunches ?? 2, windowMinutes: 15, cooldownMinutes: 15 },
    },
    allowlist: { clusters: new Set(['batch']), families: new Set(['worker']), taskRoles: new Set() },
    taskSize: { maxTaskCpu: 4096, maxTaskMemory: 16384 },
    scope: { partition: 'aws', region: 'us-east-1', account: '111122223333' },
    handledClusters: new Set(),
    decisions: { getDecision: async (taskId) => decisions.get(taskId) },
    publishEvents: async (events) => {
      if (failPublish.next) {
        failPublish.next = false;
        throw new Error('PutEvents failed for 1 entries');
      }
      published.push(...events);
    },
    countMetric: (name, dimensions) =>
      metrics.push(dimensions ? `${name}:${Object.values(dimensions).join('/')}` : name),
    now: () => now,
  });
  /** The decision on the replaced task, as taskReactions records it before sending the request. */
  const decide = (request: LaunchRequest) => {
    const id = request.lineage?.previousTaskArn?.split('/').pop() ?? '';
    decisions.set(id, {
      taskArn: taskArn(id),
      action: 'restart',
      decidedAt: '',
      events: [],
      done: true,
      request,
    });
    return request;
  };
  const check = async (request: LaunchRequest) => {
    const verified = await guard.verify(request);
    return verified.action === 'go' ? guard.admit(request) : verified;
  };
  return {
    guard,
    check,
    decide,
    published,
    metrics,
    failPublish,
    advance: (ms: number) => (now += ms),
  };
}

describe('the launch guard', () => {
  describe('on a message from the queue', () => {
    it('launches a restart only as the decision on the replaced task asked for it', async () => {
      const { check, decide } = setup();
      expect(await check(decide(restart('1')))).toEqual({ action: 'go' });
    });

    it.each([
      ['no decision on the replaced task', () => restart('2'), 'no decision on'],
      [
        'overrides the decision did not ask for',
        () => ({
          ...restart('3'),
          runTask: {
            ...restart('3').runTask,
            overrides: { containerOverrides: [{ name: 'worker', command: ['sh', '-c', 'curl evil'] }] },
          },
        }),
        'overrides differ from what was decided',
      ],
      [
        'a cluster of another account',
        () => restart('4', 1, { cluster: 'arn:aws:ecs:us-east-1:999999999999:cluster/batch' }),
        'outside this stack',
      ],
    ])('refuses a restart with %s, before any ECS call', async (_, make, why) => {
      const { check, decide, metrics } = setup();
      decide(restart('3'));
      await expect(check(make())).rejects.toThrow(UntrustedLaunchRequestError);
      await expect(check(make())).rejects.toThrow(why);
      expect(metrics).toContain('LaunchRequestRefused');
    });

    it('refuses a scheduled run that the current allowlist no longer allows, naming why', async () => {
      const { check } = setup();
      const run: LaunchRequest = {
        ...restart('5'),
        requestId: 's-nightly-1',
        reason: 'schedule',
        lineage: undefined,
        runTask: { ...restart('5').runTask, taskDefinition: 'admin:1' },
      };
      expect(await check(run)).toEqual({
        action: 'refuse',
        cause: 'allowlist',
        why: "task definition family admin is not on this stage's allowlist (allowedFamilies)",
      });
    });
  });

  it('refuses a raw run-now bigger than the API would take (maxTaskCpu)', async () => {
    const { check } = setup();
    const big: LaunchRequest = {
      ...restart('b'),
      requestId: 't-big',
      reason: 'run-now',
      lineage: undefined,
      runTask: { ...restart('b').runTask, overrides: { cpu: '16384', memory: '122880' } },
    };
    expect(await check(big)).toMatchObject({
      action: 'refuse',
      cause: 'allowlist',
      why: expect.stringContaining('maxTaskCpu'),
    });
  });

  describe('budgets', () => {
    it("refuses a launch past the cluster's hourly budget, naming the budget, and counts Spot moves apart", async () => {
      const { check, decide, metrics } = setup({ launches: 3, replacements: 3 });
      for (const id of ['a', 'b', 'c']) expect((await check(decide(restart(id)))).action).toBe('go');
      const refused = await check(decide(restart('d')));
      expect(refused).toEqual({
        action: 'refuse',
        cause: 'budget',
        budget: 'launchesPerClusterHour',
        why: 'budget launchesPerClusterHour: cluster batch started 3 of 3 tasks in the last 60 minutes, 1 more would exceed it',
      });
      expect(metrics).toContain('LaunchBudgetExhausted:launchesPerClusterHour/batch');
      const spot = decide({ ...restart('e'), requestId: 's-e', reason: 'spot-interruption' });
      expect((await check(spot)).action).toBe('go');
    });

    it('counts a redelivered request once', async () => {
      const { check, decide } = setup({ launches: 1 });
      const request = decide(restart('a'));
      expect((await check(request)).action).toBe('go');
      expect((await check(request)).action).toBe('go');
      expect((await check(decide(restart('b')))).action).toBe('refuse');
    });
  });

  describe('the restart circuit breaker', () => {
    it('replaces a wave of first failures at full speed: attempt 1 never counts', async () => {
      const { check, decide } = setup({ relaunches: 2 });
      for (let i = 0; i < 20; i++) expect((await check(decide(restart(`w${i}`, 1)))).action).toBe('go');
    });

    it('opens after the relaunches that did not help, announces it once, holds every restart of the family, and closes after the cool-down', async () => {
      const { check, decide, published, metrics, advance } = setup({ relaunches: 2 });
      expect((await check(decide(restart('a', 2)))).action).toBe('go');
      expect((await check(decide(restart('b', 3)))).action).toBe('go');
      const paused = await check(decide(restart('c', 2)));
      // Held in hops of a minute at most, so a breaker closed by an operator lets them go soon.
      expect(paused).toMatchObject({ action: 'pause', delaySeconds: 60 });
      expect(published).toEqual([
        expect.objectContaining({
          detailType: 'Task Restart Paused',
          detail: expect.objectContaining({ family: 'worker', relaunchesThatFailedAgain: 2, limit: 2 }),
        }),
      ]);
      expect(metrics).toContain('RestartBreakerOpened');
      // While open, a first failure of the family waits too; a Spot move does not.
      expect((await check(decide(restart('d', 1)))).action).toBe('pause');
      expect(
        (await check(decide({ ...restart('s'), requestId: 's-s', reason: 'spot-interruption' }))).action,
      ).toBe('go');
      expect(published).toHaveLength(1);
      advance(15 * 60_000 + 1);
      expect((await check(decide(restart('c', 2)))).action).toBe('go');
    });
  });

  describe('a restart message changed from what its decision asked for', () => {
    it.each([
      ['more tasks', (r: LaunchRequest) => ({ ...r, runTask: { ...r.runTask, count: 10 } }), 'count'],
      [
        'a lineage tag that picks another budget',
        (r: LaunchRequest) => ({
          ...r,
          runTask: { ...r.runTask, tags: [{ key: 'ecs-autopilot:reason', value: 'infrastructure' }] },
        }),
        'ecs-autopilot:* tags',
      ],
      [
        'an earlier attempt, to slip past the breaker',
        (r: LaunchRequest) => ({
          ...r,
          lineage: { ...(r.lineage as NonNullable<LaunchRequest['lineage']>), attempt: 1 },
        }),
        'lineage',
      ],
      [
        'a capacity retry asking for more',
        (r: LaunchRequest) => ({ ...r, capacityRetries: 1, runTask: { ...r.runTask, count: 2 } }),
        'count',
      ],
    ])('is refused: %s', async (_, change, field) => {
      const { check, decide } = setup();
      const request = decide(restart('x', 3));
      await expect(check(change(request))).rejects.toThrow(field);
    });

    it('passes as a capacity retry for fewer tasks, counted once', async () => {
      const { check, decide } = setup({ launches: 1 });
      const request = decide({ ...restart('y', 1), runTask: { ...restart('y').runTask, count: 1 } });
      expect((await check(request)).action).toBe('go');
      expect((await check({ ...request, capacityRetries: 1 })).action).toBe('go');
      expect((await check(decide(restart('z')))).action).toBe('refuse');
    });

    it('passes when the decision comes back from the table with its maps in another key order', async () => {
      const { check, decide } = setup();
      const request = restart('k', 1, {
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a'], assignPublicIp: 'DISABLED' } },
      });
      decide(request);
      const reordered: LaunchRequest = {
        ...request,
        runTask: {
          ...request.runTask,
          networkConfiguration: {
            awsvpcConfiguration: { assignPublicIp: 'DISABLED', subnets: ['subnet-0a'] },
          },
        },
      };
      expect(await check(reordered)).toEqual({ action: 'go' });
    });

    it('passes when resent from a decision stored without environment values (storeOverrideValues false), and may not add variables', async () => {
      const { check, decide } = setup();
      const withValues = restart('e', 1, {
        overrides: {
          containerOverrides: [{ name: 'worker', environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }],
        },
      });
      // The stored decision keeps the name only; its resend goes without the variable.
      decide({
        ...withValues,
        runTask: {
          ...withValues.runTask,
          overrides: {
            containerOverrides: [{ name: 'worker', environment: [{ name: 'DB_PASSWORD' } as never] }],
          },
        },
      });
      const resent = {
        ...withValues,
        runTask: {
          ...withValues.runTask,
          overrides: { containerOverrides: [{ name: 'worker', environment: [] }] },
        },
      };
      expect(await check(resent)).toEqual({ action: 'go' });
      expect(await check(withValues)).toEqual({ action: 'go' });
      const added = {
        ...withValues,
        runTask: {
          ...withValues.runTask,
          overrides: {
            containerOverrides: [{ name: 'worker', environment: [{ name: 'AWS_SECRET', value: 'x' }] }],
          },
        },
      };
      await expect(check(added)).rejects.toThrow('overrides');
    });
  });

  it('announces an opened breaker on the next delivery when the first could not publish it', async () => {
    const { guard, decide, published, failPublish } = setup({ relaunches: 1 });
    expect((await guard.admit(decide(restart('a', 2)))).action).toBe('go');
    failPublish.next = true;
    await expect(guard.admit(decide(restart('b', 2)))).rejects.toThrow('PutEvents failed');
    expect(published).toEqual([]);
    expect((await guard.admit(decide(restart('c', 2)))).action).toBe('pause');
    expect(published.map((e) => e.detailType)).toEqual(['Task Restart Paused']);
    expect((await guard.admit(decide(restart('d', 2)))).action).toBe('pause');
    expect(published).toHaveLength(1);
  });
});
