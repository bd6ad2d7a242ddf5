/**
 * A cluster as the operator sees and steers it, end to end in the sandbox: Fargate, Fargate Spot and EC2
 * tasks, a service, a failed task and a Spot interruption show in GET /clusters/{cluster} with the
 * automation's actions; stop and scale refuse off-allowlist targets and out-of-range counts, record who
 * acted, and a task stopped through the API is never restarted.
 */
import { CreateServiceCommand, DescribeServicesCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import type { ClusterState } from '../../src/domain/clusterState';
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
import { sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;
let events: Awaited<ReturnType<typeof captureProductEvents>>;

beforeAll(async () => {
  env = await startTestSandbox({ verbose: process.env.SANDBOX_VERBOSE === '1' });
  events = await captureProductEvents(env.clients, 'cluster-state-test-events');
}, 60_000);
afterAll(() => env?.stop());

async function run(
  capacityProvider: string,
  options: { exitCode?: number; taskDefinition?: string; maxAttempts?: number } = {},
) {
  const out = await env.clients.ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: options.taskDefinition ?? 'sandbox-worker',
      capacityProviderStrategy: [{ capacityProvider, weight: 1 }],
      ...(options.taskDefinition === undefined && {
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
      ...(options.exitCode !== undefined && {
        overrides: {
          containerOverrides: [
            { name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: String(options.exitCode) }] },
          ],
        },
      }),
      ...(options.maxAttempts !== undefined && {
        tags: [{ key: 'ecs-autopilot:max-attempts', value: String(options.maxAttempts) }],
      }),
    }),
  );
  const arn = out.tasks?.[0]?.taskArn as string;
  return { arn, id: arn.split('/').pop() as string };
}

const api = (path: string, init?: { method: string; body?: unknown }) =>
  sandboxFetch(`${env.sandbox.apiUrl}${path}`, {
    method: init?.method ?? 'GET',
    ...(init?.body !== undefined && {
      body: JSON.stringify(init.body),
      headers: { 'content-type': 'application/json' },
    }),
  });
const status = (taskId: string) => env.sandbox.ecs.taskTable().find((t) => t.taskId === taskId)?.lastStatus;

describe('the cluster state and the actions', () => {
  it('shows the fleet by capacity, the failure and the Spot move, and what the automation did about them', async () => {
    await env.clients.ecs.send(
      new CreateServiceCommand({
        cluster: 'sandbox',
        serviceName: 'api',
        taskDefinition: 'sandbox-worker',
        desiredCount: 1,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      }),
    );
    const fargate = await run('FARGATE');
    const ec2 = await run('sandbox-ec2', { taskDefinition: 'sandbox-ec2-worker' });
    const spot = await run('FARGATE_SPOT');
    const failing = await run('FARGATE', { exitCode: 1, maxAttempts: 1 });
    await waitFor('the tasks to run', () => [fargate, ec2, spot].every((t) => status(t.id) === 'RUNNING'));

    await env.sandbox.control('interrupt', { taskId: spot.id });
    const moved = await waitFor('the Spot task moved', async () => {
      const r = (await replacementsIn(env.sandbox, spot.arn)).filter((t) => t.lastStatus === 'RUNNING');
      return r.length > 0 && r;
    });
    await advanceUntil(env.sandbox, 'the failed task restarted', async () => {
      const r = await replacementsIn(env.sandbox, failing.arn);
      return r.length > 0;
    });
    await advanceUntil(env.sandbox, 'the Spot task stopped', () => status(spot.id) === 'STOPPED');

    const state = await waitFor('the state to show it all', async () => {
      const response = await api('/clusters/sandbox');
      expect(response.status).toBe(200);
      const body = (await response.json()) as ClusterState;
      const kinds = body.recentActions.map((a) => a.kind);
      return (
        kinds.includes('spot-fallback') &&
        kinds.includes('restart') &&
        body.services.some((s) => s.service === 'api' && s.runningCount === 1) &&
        body
      );
    });
    const capacity = Object.fromEntries(state.tasks.byCapacity.map((c) => [c.name, c]));
    // Our two Fargate tasks, the service's, the Spot move's replacement (and a restart, if it still runs).
    expect(capacity.FARGATE).toMatchObject({ compute: 'fargate', spot: false });
    expect(capacity.FARGATE?.running).toBeGreaterThanOrEqual(3);
    expect(capacity['sandbox-ec2']).toMatchObject({ compute: 'ec2', spot: false, running: 1 });
    // The interrupted Spot task is gone; its replacement runs on-demand.
    expect(capacity.FARGATE_SPOT?.running ?? 0).toBe(0);
    expect(moved[0]?.capacityProvider).toBe('FARGATE');
    expect(state.tasks.byFamily.map((f) => f.family)).toEqual(
      expect.arrayContaining(['sandbox-worker', 'sandbox-ec2-worker']),
    );
    expect(state.stoppedLastHour.byClassification).toMatchObject({
      failed: expect.any(Number),
      'spot-interrupted': 1,
    });
    expect(state.budgets.map((b) => b.name)).toEqual([
      'launchesPerClusterHour',
      'replacementsPerClusterHour',
    ]);
    expect(state.budgets[1]?.used).toBeGreaterThanOrEqual(1);
    expect(state.recentActions.find((a) => a.kind === 'spot-fallback')).toMatchObject({
      by: 'ecs-autopilot',
      taskArn: spot.arn,
    });

    // The capacity mix over the last day counts the Fargate Spot hour fractions and the fallback's.
    const mix = (await (await api('/clusters/sandbox/capacity')).json()) as {
      totals: { spotTaskHours: number; movedBySpotFallbackTaskHours: number };
      estimatedSaving: { pricesRegion: string };
    };
    expect(mix.totals.spotTaskHours).toBeGreaterThan(0);
    expect(mix.totals.movedBySpotFallbackTaskHours).toBeGreaterThan(0);
    expect(mix.estimatedSaving.pricesRegion).toBe('us-east-1');
  });

  it('stops a task with the reason, records who did it, and never restarts it', async () => {
    const task = await run('FARGATE');
    await waitFor('the task to run', () => status(task.id) === 'RUNNING');
    const response = await api(`/tasks/${task.id}/stop`, {
      method: 'POST',
      body: { reason: 'drained for maintenance', cluster: 'sandbox' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      taskArn: task.arn,
      requestedBy: 'arn:aws:iam::000000000000:user/sandbox',
    });
    await advanceUntil(env.sandbox, 'the task stopped', () => status(task.id) === 'STOPPED');
    env.sandbox.clock.advance(300_000);
    await sleep(1500);
    expect(await replacementsIn(env.sandbox, task.arn)).toEqual([]);
    const history = (await (await api(`/tasks/${task.id}`)).json()) as {
      task: { stoppedReason?: string; classification: string };
      decision: { action: string; stoppedBy: string };
    };
    expect(history.task.stoppedReason).toBe('drained for maintenance');
    expect(history.decision).toMatchObject({
      action: 'none',
      stoppedBy: 'arn:aws:iam::000000000000:user/sandbox',
    });
    const stops = (await events.ofType('Task Stop Requested')).filter((e) => e.detail.taskArn === task.arn);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.detail).toMatchObject({
      by: 'arn:aws:iam::000000000000:user/sandbox',
      kind: 'stop-task',
    });

    // A second call changes nothing: the task is stopped already.
    const again = await api(`/tasks/${task.id}/stop`, { method: 'POST', body: { reason: 'again' } });
    expect(await again.json()).toMatchObject({ alreadyStopping: true });
    expect(
      (await events.ofType('Task Stop Requested')).filter((e) => e.detail.taskArn === task.arn),
    ).toHaveLength(1);
  });

  it('scales and redeploys within the bounds and the allowlist, naming the field when refused', async () => {
    const tooMany = await api('/services/sandbox/api', { method: 'PATCH', body: { desiredCount: 51 } });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { message: string }).message).toMatch(
      /desiredCount: must be from 0 to 50/,
    );
    const notAllowed = await api('/services/elsewhere/api', { method: 'PATCH', body: { desiredCount: 2 } });
    expect(notAllowed.status).toBe(403);
    expect(((await notAllowed.json()) as { message: string }).message).toMatch(
      /cluster elsewhere.*allowedClusters/,
    );
    expect((await api('/clusters/elsewhere')).status).toBe(403);
    const stopElsewhere = await api('/tasks/0123456789abcdef/stop', {
      method: 'POST',
      body: { reason: 'x', cluster: 'elsewhere' },
    });
    expect(stopElsewhere.status).toBe(403);
    expect((await api('/services/sandbox/nope', { method: 'PATCH', body: { desiredCount: 1 } })).status).toBe(
      404,
    );

    const scaled = await api('/services/sandbox/api', { method: 'PATCH', body: { desiredCount: 2 } });
    expect(scaled.status).toBe(200);
    expect(await scaled.json()).toMatchObject({ desiredCount: 2, previousDesiredCount: 1 });
    const described = await env.clients.ecs.send(
      new DescribeServicesCommand({ cluster: 'sandbox', services: ['api'] }),
    );
    expect(described.services?.[0]?.desiredCount).toBe(2);
    expect((await api('/services/sandbox/api/redeploy', { method: 'POST' })).status).toBe(200);

    const state = (await (await api('/clusters/sandbox')).json()) as ClusterState;
    const mine = state.recentActions.filter((a) => a.by === 'arn:aws:iam::000000000000:user/sandbox');
    expect(mine.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['stop-task', 'scale-service', 'redeploy-service']),
    );
    expect(mine.find((a) => a.kind === 'scale-service')?.detail).toBe('desiredCount 1 -> 2');
  });
});
