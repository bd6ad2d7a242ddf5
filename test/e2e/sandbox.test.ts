/**
 * The sandbox end to end: real SDK and CLI clients against the emulated AWS endpoint, the real bundled
 * handlers in serverless-offline, the HTTP API on top.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DescribeTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { type startTestSandbox as Start, SUBNETS, startTestSandbox, waitFor } from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

const exec = promisify(execFile);
let env: Awaited<ReturnType<typeof Start>>;

beforeAll(async () => {
  env = await startTestSandbox();
}, 60_000);
afterAll(() => env?.stop());

const runTask = (extra: Record<string, unknown> = {}) =>
  env.clients.ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: 'sandbox-worker',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      ...extra,
    }),
  );

describe('sandbox', () => {
  it('shows a task run with the SDK in GET /tasks/{taskId} with its whole lifecycle', async () => {
    const out = await runTask({
      overrides: {
        containerOverrides: [{ name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: '0' }] }],
      },
    });
    const taskArn = out.tasks?.[0]?.taskArn as string;
    const taskId = taskArn.split('/').pop();
    const history = await waitFor('the STOPPED state in the history API', async () => {
      const response = await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${taskId}`);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as {
        task: Record<string, unknown>;
        transitions: { lastStatus: string; version: number }[];
      };
      return body.task.lastStatus === 'STOPPED' ? body : undefined;
    });
    expect(history.task).toMatchObject({
      taskArn,
      cluster: 'sandbox',
      classification: 'succeeded',
      platformVersion: '1.4.0',
      pullStartedAt: expect.any(String),
      pullStoppedAt: expect.any(String),
      executionStoppedAt: expect.any(String),
      durations: { provisioningMs: expect.any(Number), pullMs: expect.any(Number) },
      // The override's variable by name: its value is never stored.
      overrides: { containerOverrides: [{ name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE' }] }] },
    });
    const statuses = history.transitions.map((t) => t.lastStatus);
    expect(statuses[0]).toBe('PROVISIONING');
    expect(statuses).toEqual(expect.arrayContaining(['PENDING', 'RUNNING', 'STOPPED']));
    const versions = history.transitions.map((t) => t.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('names the container instance of an EC2 task in GET /tasks/{taskId}', async () => {
    const out = await env.clients.ecs.send(
      new RunTaskCommand({
        cluster: 'sandbox',
        taskDefinition: 'sandbox-ec2-worker',
        capacityProviderStrategy: [{ capacityProvider: 'sandbox-ec2', weight: 1 }],
      }),
    );
    const taskArn = out.tasks?.[0]?.taskArn as string;
    const task = await waitFor('the RUNNING state in the history API', async () => {
      const response = await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${taskArn.split('/').pop()}`);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as { task: Record<string, unknown> | null };
      return body.task?.lastStatus === 'RUNNING' ? body.task : undefined;
    });
    const described = await env.clients.ecs.send(
      new DescribeTasksCommand({ cluster: 'sandbox', tasks: [taskArn] }),
    );
    expect(task).toMatchObject({
      launchType: 'EC2',
      capacityProviderName: 'sandbox-ec2',
      containerInstanceArn: described.tasks?.[0]?.containerInstanceArn,
    });
    expect(task.containerInstanceArn).toMatch(/:container-instance\/sandbox\//);
  });

  it('answers 404 from the API for a task it never saw', async () => {
    const response = await sandboxFetch(`${env.sandbox.apiUrl}/tasks/ffffffffffffffffffffffffffffffff`);
    expect(response.status).toBe(404);
  });

  it('throttles a RunTask burst past the bucket with ThrottlingException', async () => {
    const results = await Promise.allSettled(Array.from({ length: 120 }, () => runTask()));
    const throttled = results.filter(
      (r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException',
    );
    // Fargate RunTask: 20 calls/s; earlier tests took a few tokens too.
    expect(throttled.length).toBeGreaterThanOrEqual(20);
    expect((throttled[0] as PromiseRejectedResult).reason.message).toBe('Rate exceeded');
  });

  it('returns the same task for a replayed clientToken, and a conflict for changed parameters', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // let the Fargate RunTask bucket refill
    const first = await runTask({ clientToken: 'replay-test-token-1' });
    const again = await runTask({ clientToken: 'replay-test-token-1' });
    expect(again.tasks?.[0]?.taskArn).toBe(first.tasks?.[0]?.taskArn);
    await expect(runTask({ clientToken: 'replay-test-token-1', group: 'other' })).rejects.toMatchObject({
      name: 'ConflictException',
    });
  });

  const hasCli = async () =>
    exec('aws', ['--version']).then(
      () => true,
      () => false,
    );

  it('speaks the wire protocols the AWS CLI uses (ECS, EventBridge, SQS, DynamoDB)', async () => {
    if (!(await hasCli())) {
      console.warn('aws CLI not installed: wire check with the CLI skipped');
      return;
    }
    await new Promise((r) => setTimeout(r, 1500));
    const cliEnv = { ...process.env, ...env.sandbox.clientEnv };
    const aws = async (...args: string[]) =>
      JSON.parse(
        (
          await exec('aws', [...args, '--endpoint-url', env.sandbox.endpoint, '--output', 'json'], {
            env: cliEnv,
          })
        ).stdout || '{}',
      );

    const run = await aws(
      'ecs',
      'run-task',
      '--cluster',
      'sandbox',
      '--task-definition',
      'sandbox-worker',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      `awsvpcConfiguration={subnets=[${SUBNETS[0]}]}`,
    );
    const taskArn = run.tasks[0].taskArn;
    const described = await aws(
      'ecs',
      'describe-tasks',
      '--cluster',
      'sandbox',
      '--tasks',
      taskArn,
      '--include',
      'TAGS',
    );
    expect(described.tasks[0].taskArn).toBe(taskArn);
    expect(typeof described.tasks[0].createdAt).toBe('number');

    const rule = await aws(
      'events',
      'put-rule',
      '--name',
      'cli-check',
      '--event-pattern',
      '{"source":["cli"]}',
    );
    expect(rule.RuleArn).toMatch(/:rule\/cli-check$/);

    const queueUrl = `${env.sandbox.endpoint}/000000000000/${env.sandbox.stack.physicalName('TaskEventsDlq')}`;
    const sent = await aws('sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'hello');
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');

    const scan = await aws(
      'dynamodb',
      'scan',
      '--table-name',
      env.sandbox.stack.physicalName('Table'),
      '--max-items',
      '1',
    );
    expect(scan.Items.length).toBe(1);

    const tasks = await env.clients.ecs.send(
      new DescribeTasksCommand({ cluster: 'sandbox', tasks: [taskArn] }),
    );
    expect(tasks.tasks?.[0]?.taskArn).toBe(taskArn);
  }, 60_000);
});
