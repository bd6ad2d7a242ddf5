/** Service Spot fallback end to end: a Spot service whose capacity goes away moves to on-demand, then back. */
import { CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  advanceUntil,
  captureProductEvents,
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
  waitFor,
} from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;
let events: Awaited<ReturnType<typeof captureProductEvents>>;

beforeAll(async () => {
  env = await startTestSandbox({ verbose: process.env.SANDBOX_VERBOSE === '1' });
  events = await captureProductEvents(env.clients, 'service-test-events');
}, 60_000);
afterAll(() => env?.stop());
// A failed test must not leave Spot capacity off for the next one.
let spotOffInTest = false;
afterEach(async () => {
  if (spotOffInTest) await env.sandbox.control('spot-capacity', { on: true });
  spotOffInTest = false;
});

const strategyOf = async (service: string) => {
  const out = await env.clients.ecs.send(
    new DescribeServicesCommand({ cluster: 'sandbox', services: [service] }),
  );
  return out.services?.[0]?.capacityProviderStrategy?.map((s) => s.capacityProvider);
};

describe('service Spot fallback', () => {
  it('moves an opted-in Spot service to on-demand when Spot has no capacity, once, and back after the cool-down', async () => {
    await env.clients.ecs.send(
      new CreateServiceCommand({
        cluster: 'sandbox',
        serviceName: 'web',
        taskDefinition: 'sandbox-worker',
        desiredCount: 2,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
        tags: [{ key: 'ecs-autopilot:spot-fallback', value: 'on' }],
      }),
    );
    const spotTasks = () =>
      env.sandbox.ecs.taskTable().filter((t) => t.group === 'service:web' && t.lastStatus === 'RUNNING');
    await waitFor('two Spot tasks running', () => spotTasks().length === 2);

    // Spot goes away and reclaims one task: the service cannot place its replacement on Spot.
    await env.sandbox.control('spot-capacity', { on: false });
    spotOffInTest = true;
    await env.sandbox.control('interrupt', { taskId: spotTasks()[0]?.taskId });
    await advanceUntil(env.sandbox, 'the service on FARGATE', async () =>
      (await strategyOf('web'))?.includes('FARGATE'),
    );
    // More Spot trouble inside the cool-down: no second switch (no flapping).
    for (let i = 0; i < 3; i++) {
      env.sandbox.clock.advance(30_000);
      await sleep(300);
    }
    const fallbacks = await events.ofType('Service Spot Fallback');
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]?.detail).toMatchObject({ cluster: 'sandbox', service: 'web' });
    expect(await strategyOf('web')).toEqual(['FARGATE']);

    const during = (await (await sandboxFetch(`${env.sandbox.apiUrl}/services/sandbox/web`)).json()) as {
      mode: string;
      history: { action: string }[];
    };
    expect(during.mode).toBe('on-demand');
    expect(during.history.map((h) => h.action)).toEqual(['fallback']);

    // Spot is back; after the cool-down the periodic check restores the original strategy.
    await env.sandbox.control('spot-capacity', { on: true });
    spotOffInTest = false;
    await advanceUntil(
      env.sandbox,
      'the service back on FARGATE_SPOT',
      async () => (await strategyOf('web'))?.includes('FARGATE_SPOT'),
      { stepMs: 60_000 },
    );
    const restored = await events.ofType('Service Spot Restored');
    expect(restored).toHaveLength(1);
    const after = (await (await sandboxFetch(`${env.sandbox.apiUrl}/services/sandbox/web`)).json()) as {
      mode: string;
      history: { action: string; at: string }[];
    };
    expect(after.mode).toBe('spot');
    expect(after.history.map((h) => h.action)).toEqual(['fallback', 'restore']);
    const [fellBack, cameBack] = after.history.map((h) => Date.parse(h.at));
    expect((cameBack ?? 0) - (fellBack ?? 0)).toBeGreaterThanOrEqual(900_000);
    await env.clients.ecs.send(new DeleteServiceCommand({ cluster: 'sandbox', service: 'web', force: true }));
  }, 90_000);

  it('leaves a service that did not opt in alone', async () => {
    await env.clients.ecs.send(
      new CreateServiceCommand({
        cluster: 'sandbox',
        serviceName: 'batch-api',
        taskDefinition: 'sandbox-worker',
        desiredCount: 1,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
    );
    await waitFor('the task running', () =>
      env.sandbox.ecs.taskTable().some((t) => t.group === 'service:batch-api' && t.lastStatus === 'RUNNING'),
    );
    await env.sandbox.control('spot-capacity', { on: false });
    try {
      const task = env.sandbox.ecs
        .taskTable()
        .find((t) => t.group === 'service:batch-api' && t.lastStatus === 'RUNNING');
      await env.sandbox.control('interrupt', { taskId: task?.taskId });
      for (let i = 0; i < 5; i++) {
        env.sandbox.clock.advance(30_000);
        await sleep(300);
      }
      expect(await strategyOf('batch-api')).toEqual(['FARGATE_SPOT']);
      expect((await sandboxFetch(`${env.sandbox.apiUrl}/services/sandbox/batch-api`)).status).toBe(404);
    } finally {
      await env.sandbox.control('spot-capacity', { on: true });
      await env.clients.ecs.send(
        new DeleteServiceCommand({ cluster: 'sandbox', service: 'batch-api', force: true }),
      );
    }
  }, 60_000);
});
