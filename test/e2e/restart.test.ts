/**
 * Restarts of failed standalone tasks, end to end in the sandbox: ECS emulator -> EventBridge ->
 * taskReactions (bundled, in serverless-offline) -> launch queue -> launcher -> ECS.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  advanceUntil,
  captureProductEvents,
  hasStopped,
  replacementsIn,
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
} from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;
let events: Awaited<ReturnType<typeof captureProductEvents>>;

beforeAll(async () => {
  env = await startTestSandbox();
  events = await captureProductEvents(env.clients, 'restart-test-events');
}, 60_000);
afterAll(() => env?.stop());

const exitWith = (code: number) => ({
  containerOverrides: [{ name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: String(code) }] }],
});

async function runTask(input: { exitCode?: number; maxAttempts?: number; group?: string } = {}) {
  const out = await env.clients.ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: 'sandbox-worker',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      ...(input.exitCode !== undefined && { overrides: exitWith(input.exitCode) }),
      ...(input.group && { group: input.group }),
      tags: [
        { key: 'team', value: 'data' },
        ...(input.maxAttempts !== undefined
          ? [{ key: 'ecs-autopilot:max-attempts', value: String(input.maxAttempts) }]
          : []),
      ],
    }),
  );
  const arn = out.tasks?.[0]?.taskArn as string;
  return { arn, id: arn.split('/').pop() as string };
}

const tasks = () => env.sandbox.ecs.taskTable();
const replacementsOf = (originArn: string) => replacementsIn(env.sandbox, originArn);
const stopped = (taskId: string) => hasStopped(env.sandbox, taskId);

describe('restarting failed standalone tasks', () => {
  it('replaces a task that exited 1 exactly once, after the backoff, keeping its spec and tags', async () => {
    const origin = await runTask({ exitCode: 1, maxAttempts: 1 });
    const [replacement] = await advanceUntil(env.sandbox, 'a replacement', async () => {
      const r = await replacementsOf(origin.arn);
      return r.length > 0 && r;
    });
    expect(replacement?.tags).toMatchObject({
      team: 'data',
      'ecs-autopilot:attempt': '1',
      'ecs-autopilot:origin-task': origin.arn,
    });
    expect(replacement?.startedBy).toBe(`ecs-autopilot/restart/${origin.id}/1`);
    expect(replacement?.capacityProvider ?? replacement?.launchType).toMatch(/FARGATE/);

    // The replacement fails too; with max-attempts 1 that is the end: exhausted, nothing more launched.
    const exhausted = await advanceUntil(env.sandbox, 'Task Restart Exhausted', async () => {
      const found = (await events.ofType('Task Restart Exhausted')).filter(
        (e) => e.detail.originTaskArn === origin.arn,
      );
      return found.length > 0 && found;
    });
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]?.detail.attempts).toHaveLength(2);
    await sleep(500);
    expect(await replacementsOf(origin.arn)).toHaveLength(1);

    const scheduled = (await events.ofType('Task Restart Scheduled')).filter(
      (e) => e.resources[0] === origin.arn,
    );
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]?.detail).toMatchObject({ attempt: 1, exitCode: 1 });
    const restarted = (await events.ofType('Task Restarted')).filter(
      (e) => e.detail.originTaskArn === origin.arn,
    );
    expect(restarted).toHaveLength(1);

    // The history API shows the chain: origin, its exit, the decision, the delay, the replacement.
    const body = (await (await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${origin.id}`)).json()) as {
      attempts: {
        taskArn: string;
        exitCode?: number;
        decision?: string;
        delaySeconds?: number;
        replacementTaskArns?: string[];
      }[];
    };
    expect(body.attempts.map((a) => [a.taskArn, a.exitCode])).toEqual([
      [origin.arn, 1],
      [replacement?.taskId && expect.stringContaining(replacement.taskId), 1],
    ]);
    expect(body.attempts[0]?.decision).toBe('restart');
    expect(body.attempts[0]?.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(body.attempts[1]?.decision).toBe('give-up: exhausted');
  }, 60_000);

  it('gives up after three failures with max-attempts 2 and launches no fourth task', async () => {
    const origin = await runTask({ exitCode: 3, maxAttempts: 2 });
    await advanceUntil(env.sandbox, 'Task Restart Exhausted', async () =>
      (await events.ofType('Task Restart Exhausted')).some((e) => e.detail.originTaskArn === origin.arn),
    );
    await sleep(500);
    env.sandbox.clock.advance(600_000);
    await sleep(500);
    const chain = await replacementsOf(origin.arn);
    expect(chain.map((t) => t.tags['ecs-autopilot:attempt']).sort()).toEqual(['1', '2']);
  }, 60_000);

  it('does not relaunch a task that succeeded, one a user stopped, or a service task', async () => {
    const ok = await runTask({ exitCode: 0 });
    const userStopped = await runTask();
    await advanceUntil(env.sandbox, 'the user-stopped task to run', () =>
      tasks().find((t) => t.taskId === userStopped.id && t.lastStatus === 'RUNNING'),
    );
    await env.clients.ecs.send(
      new StopTaskCommand({ cluster: 'sandbox', task: userStopped.arn, reason: 'not needed' }),
    );

    await env.clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'crashing-service',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: 'web',
            image: 'web:1',
            essential: true,
            environment: [{ name: 'SANDBOX_EXIT_CODE', value: '1' }],
          },
        ],
      }),
    );
    await env.clients.ecs.send(
      new CreateServiceCommand({
        cluster: 'sandbox',
        serviceName: 'crashing',
        taskDefinition: 'crashing-service',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
    );
    await advanceUntil(
      env.sandbox,
      'the three to stop',
      () =>
        stopped(ok.id) &&
        stopped(userStopped.id) &&
        tasks().some((t) => t.group === 'service:crashing' && t.lastStatus === 'STOPPED'),
    );
    await env.clients.ecs.send(
      new DeleteServiceCommand({ cluster: 'sandbox', service: 'crashing', force: true }),
    );
    for (let i = 0; i < 3; i++) {
      env.sandbox.clock.advance(60_000);
      await sleep(300);
    }
    await env.sandbox.idle();
    expect(await replacementsOf(ok.arn)).toEqual([]);
    expect(await replacementsOf(userStopped.arn)).toEqual([]);
    expect(
      tasks().filter((t) => t.group === 'service:crashing' && t.startedBy?.startsWith('ecs-autopilot/')),
    ).toEqual([]);
  }, 60_000);

  it('launches one replacement when events arrive duplicated and shuffled', async () => {
    await env.sandbox.control('events', { duplicate: 0.5, shuffle: true });
    try {
      const origin = await runTask({ exitCode: 1, maxAttempts: 1 });
      await advanceUntil(env.sandbox, 'exhaustion', async () =>
        (await events.ofType('Task Restart Exhausted')).some((e) => e.detail.originTaskArn === origin.arn),
      );
      env.sandbox.clock.advance(600_000);
      await sleep(500);
      expect(await replacementsOf(origin.arn)).toHaveLength(1);
      expect(
        (await events.ofType('Task Restarted')).filter((e) => e.detail.originTaskArn === origin.arn),
      ).toHaveLength(1);
    } finally {
      await env.sandbox.control('events', { duplicate: 0, shuffle: false });
    }
  }, 60_000);

  it('restarts every task, none twice, while RunTask is throttled 20% of the time', async () => {
    const origins: { arn: string; id: string }[] = [];
    for (let i = 0; i < 8; i++) origins.push(await runTask({ exitCode: 2, maxAttempts: 1 }));
    await env.sandbox.control('faults', { throttle: 0.2, api: ['RunTask'] });
    try {
      await advanceUntil(
        env.sandbox,
        'a replacement for every task',
        async () =>
          (await Promise.all(origins.map((o) => replacementsOf(o.arn)))).every((r) => r.length >= 1),
        { timeoutMs: 45_000 },
      );
      env.sandbox.clock.advance(600_000);
      await sleep(1000);
      for (const o of origins) expect(await replacementsOf(o.arn)).toHaveLength(1);
    } finally {
      await env.sandbox.control('faults', { throttle: 0, error: 0 });
    }
  }, 60_000);
});
