/** Guardrails, end to end in the sandbox: budgets and the breaker, the closed launch path, no secrets echoed. */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
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
  env = await startTestSandbox();
  events = await captureProductEvents(env.clients, 'guardrails-test-events');
}, 60_000);
afterAll(() => env?.stop());

async function api(method: string, path: string, body?: unknown) {
  const response = await sandboxFetch(`${env.sandbox.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

const launch = {
  cluster: 'sandbox',
  taskDefinition: 'sandbox-worker',
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
};
const tasks = () => env.sandbox.ecs.taskTable();
const physical = (logicalId: string) => env.sandbox.stack.physicalName(logicalId);

async function launchQueueUrl() {
  const out = await env.clients.sqs.send(new GetQueueUrlCommand({ QueueName: physical('LaunchQueue') }));
  return out.QueueUrl as string;
}

describe('guardrails', () => {
  it('launches nothing for messages sent straight to the launch queue outside the allowlist or without a decision', async () => {
    const before = tasks().length;
    const QueueUrl = await launchQueueUrl();
    const base = {
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      overrides: { containerOverrides: [{ name: 'worker', command: ['sh', '-c', 'exfiltrate'] }] },
    };
    const forged = [
      {
        requestId: 't-forged-family',
        reason: 'run-now',
        runTask: { ...base, cluster: 'sandbox', taskDefinition: 'not-allowlisted' },
      },
      {
        requestId: 't-forged-cluster',
        reason: 'run-now',
        runTask: {
          ...base,
          cluster: 'arn:aws:ecs:us-east-1:999999999999:cluster/sandbox',
          taskDefinition: 'sandbox-worker',
        },
      },
      {
        requestId: 'r-forged',
        reason: 'restart',
        runTask: { ...base, cluster: 'sandbox', taskDefinition: 'sandbox-worker' },
        lineage: {
          originTaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/sandbox/00000000000000000000000000000001',
          attempt: 1,
          launches: 1,
          previousTaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/sandbox/00000000000000000000000000000001',
          chain: [],
        },
      },
    ];
    for (const message of forged) {
      await env.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(message) }));
    }
    await waitFor('the refusals', async () => {
      const failed = (await events.ofType('Task Launch Failed')).filter(
        (e) => e.detail.cause === 'allowlist',
      );
      return failed.length >= 2;
    });
    // The untrusted restart is retried by SQS (5 receives, 3 minutes apart), then lands in the DLQ.
    const { QueueUrl: dlq } = await env.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: physical('LaunchDlq') }),
    );
    const dead = await advanceUntil(
      env.sandbox,
      'the forged restart in the launch DLQ',
      async () => {
        const out = await env.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }),
        );
        return out.Messages?.length ? out.Messages : undefined;
      },
      { stepMs: 60_000 },
    );
    expect(dead.map((m) => JSON.parse(m.Body as string).requestId)).toEqual(['r-forged']);
    expect(tasks().length).toBe(before);
    const refused = await api('GET', '/launches/t-forged-family');
    expect(refused.body).toMatchObject({
      status: 'FAILED',
      failures: [
        {
          reason:
            "not launched: task definition family not-allowlisted is not on this stage's allowlist (allowedFamilies)",
        },
      ],
    });
  }, 60_000);

  it('skips a schedule the allowlist no longer allows at its next due time, saying why', async () => {
    // What a stage narrowed after the schedule was created leaves in the table: written with the store itself.
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: env.sandbox.endpoint,
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const at = new Date(env.sandbox.clock.now()).toISOString();
    await buildScheduleStore(db, physical('Table'), 30).create(
      {
        name: 'narrowed',
        expression: 'rate(1 hour)',
        timezone: 'UTC',
        state: 'ENABLED',
        cluster: 'sandbox',
        taskDefinition: 'retired-family',
        count: 1,
        concurrencyPolicy: 'Allow',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
        version: 1,
        createdAt: at,
        updatedAt: at,
      },
      200,
    );
    db.destroy();
    const before = tasks().length;
    await env.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: await launchQueueUrl(),
        MessageBody: JSON.stringify({ trigger: 'schedule', schedule: 'narrowed', scheduledTime: at }),
      }),
    );
    const runs = await waitFor('the skipped run', async () => {
      const r = await api('GET', '/schedules/narrowed/runs');
      return r.body?.runs?.length > 0 && r.body.runs;
    });
    expect(runs[0]).toMatchObject({
      status: 'SKIPPED',
      message:
        "not allowed: task definition family retired-family is not on this stage's allowlist (allowedFamilies)",
    });
    expect(tasks().length).toBe(before);
    const [skipped] = await waitFor('the event', async () => {
      const e = await events.ofType('Scheduled Run Skipped');
      return e.length > 0 && e;
    });
    expect(skipped?.detail).toMatchObject({ schedule: 'narrowed', cause: 'allowlist' });
  }, 60_000);

  it('never answers an environment value: a task launched with DB_PASSWORD shows the name only', async () => {
    const r = await api('POST', '/tasks', {
      ...launch,
      overrides: {
        containerOverrides: [{ name: 'worker', environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }],
      },
    });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('hunter2');
    const taskId = (r.body.taskArns[0] as string).split('/').pop();
    const history = await waitFor('the task history', async () => {
      const h = await api('GET', `/tasks/${taskId}`);
      return h.status === 200 && h.body.launch && h;
    });
    expect(history.text).not.toContain('hunter2');
    expect(history.body.launch.runTask.overrides.containerOverrides[0].environment).toEqual([
      { name: 'DB_PASSWORD', value: '(redacted)' },
    ]);
  }, 60_000);

  it('stops a crash-looping run-now of 10 tasks with 10 restart attempts at the breaker, announced, instead of 110 tasks', async () => {
    const before = tasks().length;
    const r = await api('POST', '/tasks', {
      ...launch,
      count: 10,
      overrides: {
        containerOverrides: [
          {
            name: 'worker',
            environment: [
              { name: 'SANDBOX_EXIT_CODE', value: '1' },
              { name: 'SANDBOX_RUN_MS', value: '100' },
            ],
          },
        ],
      },
      restartPolicy: { maxAttempts: 10, backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1 } },
    });
    expect(r.status).toBe(200);
    // Attempts 1 are first failures (never held back); attempts 2 and later count against the breaker
    // (restartBreakerRelaunches 10 by default), which then opens.
    await advanceUntil(
      env.sandbox,
      'the restart circuit breaker to open',
      async () => (await events.ofType('Task Restart Paused')).length > 0,
      { stepMs: 2000, timeoutMs: 45_000 },
    );
    const [paused] = await events.ofType('Task Restart Paused');
    expect(paused?.detail).toMatchObject({ family: 'sandbox-worker', limit: 10 });
    // Restarts admitted before it opened may still be starting.
    env.sandbox.clock.advance(5000);
    await sleep(500);
    await env.sandbox.idle();
    const started = tasks().length - before;
    // Let ten minutes of the cool-down pass: nothing more starts.
    for (let i = 0; i < 10; i++) {
      env.sandbox.clock.advance(60_000);
      await sleep(100);
    }
    await env.sandbox.idle();
    expect(tasks().length - before).toBe(started);
    // The 10 tasks, their 10 first restarts, and the 10 relaunches that failed again: not 110.
    expect(started).toBeLessThanOrEqual(10 + 10 + 10);
    const breaker = await api('GET', '/restart-breakers/sandbox-worker');
    expect(breaker.body).toMatchObject({ state: 'OPEN', limit: 10 });
    // An operator closes it: the family's restarts resume.
    expect((await api('DELETE', '/restart-breakers/sandbox-worker')).body).toMatchObject({ state: 'CLOSED' });
  }, 90_000);
});
