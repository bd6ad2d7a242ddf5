/** Spot to on-demand, end to end in the sandbox. */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import {
  advanceUntil,
  captureProductEvents,
  replacementsIn,
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
  waitFor,
} from '../support/sandbox';

let env: Awaited<ReturnType<typeof Start>>;
let events: Awaited<ReturnType<typeof captureProductEvents>>;

beforeAll(async () => {
  env = await startTestSandbox({ verbose: !!process.env.SANDBOX_VERBOSE });
  events = await captureProductEvents(env.clients, 'spot-test-events');
}, 60_000);
afterAll(() => env?.stop());

const tasks = () => env.sandbox.ecs.taskTable();
const task = (id: string) => tasks().find((t) => t.taskId === id);
const replacementsOf = (originArn: string) => replacementsIn(env.sandbox, originArn);

async function runSpotTask(options: { exitCode?: number; tags?: Record<string, string> } = {}) {
  const out = await env.clients.ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: 'sandbox-worker',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      ...(options.exitCode !== undefined && {
        overrides: {
          containerOverrides: [
            { name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: String(options.exitCode) }] },
          ],
        },
      }),
      tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    }),
  );
  const arn = out.tasks?.[0]?.taskArn as string;
  return { arn, id: arn.split('/').pop() as string };
}

describe('Spot to on-demand', () => {
  it('starts an interrupted Fargate Spot task on FARGATE before the Spot task stops, exactly once', async () => {
    const spot = await runSpotTask({ tags: { team: 'ml' } });
    await waitFor('the Spot task to run', () => task(spot.id)?.lastStatus === 'RUNNING');
    const warnedAt = Date.now();
    await env.sandbox.control('interrupt', { taskId: spot.id });

    // No clock fast-forward: the Spot task has its two minutes; the replacement must be RUNNING within them.
    const [replacement] = await waitFor('a RUNNING replacement', async () => {
      const r = (await replacementsOf(spot.arn)).filter((t) => t.lastStatus === 'RUNNING');
      return r.length > 0 && r;
    });
    const secondsToRunning = (Date.now() - warnedAt) / 1000;
    expect(task(spot.id)?.lastStatus).not.toBe('STOPPED');
    expect(replacement?.capacityProvider).toBe('FARGATE');
    expect(replacement?.tags).toMatchObject({
      team: 'ml',
      'ecs-autopilot:reason': 'spot-interruption',
      'ecs-autopilot:origin-task': spot.arn,
      'ecs-autopilot:attempt': '0',
    });
    console.log(
      `Spot warning to replacement RUNNING: ${secondsToRunning.toFixed(2)} s (sandbox, fast timings)`,
    );

    // The Spot task's later events (STOPPING, STOPPED) change nothing.
    await advanceUntil(env.sandbox, 'the Spot task to stop', () => task(spot.id)?.lastStatus === 'STOPPED');
    env.sandbox.clock.advance(300_000);
    await sleep(1000);
    expect(await replacementsOf(spot.arn)).toHaveLength(1);
    const fallbacks = (await events.ofType('Spot Fallback')).filter(
      (e) => e.detail.originTaskArn === spot.arn,
    );
    expect(fallbacks).toHaveLength(1);
  }, 60_000);

  it('leaves a task tagged ecs-autopilot:spot-fallback=off where it is', async () => {
    const spot = await runSpotTask({ tags: { 'ecs-autopilot:spot-fallback': 'off' } });
    await waitFor('the Spot task to run', () => task(spot.id)?.lastStatus === 'RUNNING');
    await env.sandbox.control('interrupt', { taskId: spot.id });
    await advanceUntil(env.sandbox, 'the Spot task to stop', () => task(spot.id)?.lastStatus === 'STOPPED');
    await sleep(1000);
    expect(await replacementsOf(spot.arn)).toEqual([]);
  }, 60_000);

  it('lands a launch on on-demand when Spot has no capacity', async () => {
    const spot = await runSpotTask({ exitCode: 1, tags: { 'ecs-autopilot:max-attempts': '1' } });
    await waitFor('the Spot task to run', () => task(spot.id)?.lastStatus === 'RUNNING');
    await env.sandbox.control('spot-capacity', { on: false });
    try {
      // The task fails; its restart asks for FARGATE_SPOT, gets the capacity failure, and goes to FARGATE.
      const [replacement] = await advanceUntil(env.sandbox, 'a replacement', async () => {
        const r = await replacementsOf(spot.arn);
        return r.length > 0 && r;
      });
      expect(replacement?.capacityProvider).toBe('FARGATE');
      // The shortage is announced once for its cool-down, not per task.
      const fallbacks = (await events.ofType('Spot Fallback')).filter(
        (e) => e.detail.cause === 'spot-capacity',
      );
      expect(fallbacks).toHaveLength(1);
      expect(fallbacks[0]?.detail).toMatchObject({
        capacityProvider: 'FARGATE_SPOT',
        to: [{ capacityProvider: 'FARGATE', weight: 1 }],
      });
    } finally {
      await env.sandbox.control('spot-capacity', { on: true });
    }
  }, 60_000);
});

describe('EC2 Spot', () => {
  /** Runs a task on the EC2 Spot provider; returns it with the EC2 instance it landed on. */
  async function runOnEc2Spot(input: Partial<ConstructorParameters<typeof RunTaskCommand>[0]>) {
    const { DescribeContainerInstancesCommand, DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
    const out = await env.clients.ecs.send(
      new RunTaskCommand({
        cluster: 'sandbox',
        taskDefinition: 'sandbox-ec2-worker',
        capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2-spot', weight: 1 }],
        ...input,
      }),
    );
    const arn = out.tasks?.[0]?.taskArn as string;
    const id = arn.split('/').pop() as string;
    await waitFor('the EC2 Spot task to run', () => task(id)?.lastStatus === 'RUNNING');
    const described = await env.clients.ecs.send(
      new DescribeTasksCommand({ cluster: 'sandbox', tasks: [arn] }),
    );
    const instanceArn = described.tasks?.[0]?.containerInstanceArn as string;
    const instances = await env.clients.ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'sandbox', containerInstances: [instanceArn] }),
    );
    return {
      arn,
      id,
      instanceArn,
      ec2InstanceId: instances.containerInstances?.[0]?.ec2InstanceId as string,
    };
  }

  it('moves an awsvpc task launched elsewhere to the on-demand provider before the instance goes, exactly once', async () => {
    // The network configuration comes from the stage's networkDefaults: events never carry it.
    const { arn, id, ec2InstanceId } = await runOnEc2Spot({
      taskDefinition: 'sandbox-worker',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
    });
    await env.sandbox.control('spot-warning', { instanceId: ec2InstanceId });
    // No clock fast-forward: the instance has its two minutes; the replacement must run within them.
    const [replacement] = await waitFor('a RUNNING on-demand replacement', async () => {
      const r = (await replacementsOf(arn)).filter((t) => t.lastStatus === 'RUNNING');
      return r.length > 0 && r;
    });
    expect(task(id)?.lastStatus).toBe('RUNNING');
    expect(replacement?.capacityProvider).toBe('sandbox-ec2');
    expect(replacement?.tags).toMatchObject({ 'ecs-autopilot:reason': 'spot-interruption' });

    await advanceUntil(env.sandbox, 'the Spot task to stop', () => task(id)?.lastStatus === 'STOPPED');
    await sleep(1000);
    expect(await replacementsOf(arn)).toHaveLength(1);
  }, 60_000);

  it('drains an interrupted instance and relaunches its standalone tasks on on-demand, each once', async () => {
    const { DescribeContainerInstancesCommand } = await import('@aws-sdk/client-ecs');
    const { arn, id, instanceArn, ec2InstanceId } = await runOnEc2Spot({
      tags: [{ key: 'team', value: 'batch' }],
    });

    await env.sandbox.control('spot-warning', { instanceId: ec2InstanceId });
    const [replacement] = await waitFor('an on-demand replacement', async () => {
      const r = await replacementsOf(arn);
      return r.length > 0 && r;
    });
    expect(replacement?.capacityProvider).toBe('sandbox-ec2');
    expect(replacement?.tags).toMatchObject({ team: 'batch', 'ecs-autopilot:reason': 'spot-interruption' });
    const drained = await env.clients.ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'sandbox', containerInstances: [instanceArn] }),
    );
    expect(drained.containerInstances?.[0]?.status).toBe('DRAINING');

    // Two minutes later the instance goes away and the task stops (TerminationNotice): still one replacement.
    await advanceUntil(env.sandbox, 'the Spot task to stop', () => task(id)?.lastStatus === 'STOPPED');
    await sleep(1000);
    expect(await replacementsOf(arn)).toHaveLength(1);
  }, 60_000);
});
