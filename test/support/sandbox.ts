import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Sandbox, startSandbox } from '../../local/sandbox';

/** Short task lifecycles so an end-to-end test takes seconds, not minutes. */
export const FAST_TIMINGS = { provisioningMs: 50, pendingMs: 50, stoppingMs: 50, deprovisioningMs: 50 };

export const SUBNETS = ['subnet-0123456789abcdef0'];

export interface SandboxClients {
  ecs: ECSClient;
  events: EventBridgeClient;
  sqs: SQSClient;
}

export async function startTestSandbox(options: Parameters<typeof startSandbox>[0] = {}) {
  const sandbox = await startSandbox({
    timings: FAST_TIMINGS,
    verbose: process.env.SANDBOX_VERBOSE === '1',
    ...options,
  });
  const config = {
    region: 'us-east-1',
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
  const clients: SandboxClients = {
    ecs: new ECSClient(config),
    events: new EventBridgeClient(config),
    sqs: new SQSClient(config),
  };
  return {
    sandbox,
    clients,
    async stop() {
      for (const c of Object.values(clients)) c.destroy();
      await sandbox.stop();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails with the last seen state. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type { Sandbox };

const tableClients = new WeakMap<Sandbox, DynamoDBDocumentClient>();

/** The ids of the tasks whose launch record names `originArn` as their origin. */
async function launchedFor(sandbox: Sandbox, originArn: string): Promise<Set<string>> {
  let db = tableClients.get(sandbox);
  if (!db) {
    db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: sandbox.endpoint,
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      }),
    );
    tableClients.set(sandbox, db);
  }
  const ids = new Set<string>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: sandbox.stack.physicalName('Table'),
        FilterExpression: 'kind = :launch AND lineage.originTaskArn = :origin',
        ExpressionAttributeValues: { ':launch': 'launch', ':origin': originArn },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) ids.add(item.taskId as string);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return ids;
}

/**
 * The tasks ecs-autopilot started in place of `originArn`: their launch record names it (a batched launch's
 * lineage tags come after the launch, and a task that stopped first never gets them), or their origin tag.
 */
export async function replacementsIn(sandbox: Sandbox, originArn: string) {
  const recorded = await launchedFor(sandbox, originArn);
  return sandbox.ecs
    .taskTable()
    .filter((t) => recorded.has(t.taskId) || t.tags['ecs-autopilot:origin-task'] === originArn);
}

/** Whether the sandbox's task `taskId` is STOPPED. */
export function hasStopped(sandbox: Sandbox, taskId: string): boolean {
  return sandbox.ecs.taskTable().find((t) => t.taskId === taskId)?.lastStatus === 'STOPPED';
}

/** Like waitFor, but moves the sandbox clock forward between checks, so backoffs and delays pass. */
export async function advanceUntil<T>(
  sandbox: Sandbox,
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { stepMs?: number; timeoutMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    sandbox.clock.advance(options.stepMs ?? 5_000);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects the events ecs-autopilot puts on the bus, through a rule and an SQS queue (the way a user would). */
export async function captureProductEvents(clients: SandboxClients, name: string) {
  const { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand } =
    await import('@aws-sdk/client-sqs');
  const { PutRuleCommand, PutTargetsCommand } = await import('@aws-sdk/client-eventbridge');
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const attrs = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.events.send(
    new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: ['ecs-autopilot'] }) }),
  );
  await clients.events.send(
    new PutTargetsCommand({
      Rule: name,
      Targets: [{ Id: 'capture', Arn: attrs.Attributes?.QueueArn as string }],
    }),
  );
  const seen: { id: string; 'detail-type': string; detail: Record<string, unknown>; resources: string[] }[] =
    [];
  const ids = new Set<string>();
  return {
    seen,
    async drain() {
      for (;;) {
        const out = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        if (!out.Messages?.length) return seen;
        for (const m of out.Messages) {
          // EventBridge delivers at least once: a consumer dedupes by event id, and so does this one.
          const event = JSON.parse(m.Body as string);
          if (!ids.has(event.id)) seen.push(event);
          ids.add(event.id);
          await clients.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
    },
    async ofType(detailType: string) {
      await this.drain();
      return seen.filter((e) => e['detail-type'] === detailType);
    },
  };
}
