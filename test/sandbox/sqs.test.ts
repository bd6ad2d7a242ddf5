import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { AwsError, type InvokeResult, type LambdaInvoker, VirtualClock } from '../../local/core';
import { md5Hex, md5OfMessageAttributes, SqsEmulator } from '../../local/sqs';

interface SqsRecord {
  messageId: string;
  body: string;
  md5OfBody: string;
  eventSource: string;
  eventSourceARN: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { stringValue?: string; dataType: string }>;
}

/** A fake Lambda: records every batch and answers with `respond` after `delayMs` of real time. */
class FakeInvoker implements LambdaInvoker {
  batches: SqsRecord[][] = [];
  active = 0;
  maxActive = 0;
  constructor(
    private readonly respond: (records: SqsRecord[], call: number) => InvokeResult = () => ({ ok: true }),
    private readonly delayMs = 0,
  ) {}

  async invoke(_functionName: string, payload: unknown): Promise<InvokeResult> {
    const records = (payload as { Records: SqsRecord[] }).Records;
    this.batches.push(records);
    const call = this.batches.length;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      return this.respond(records, call);
    } finally {
      this.active--;
    }
  }
}

interface Harness {
  clock: VirtualClock;
  sqs: SqsEmulator;
  client: SQSClient;
  server: Server;
  invoker: FakeInvoker;
}

/** A throwaway awsJson1_0 server in front of the emulator, like the sandbox's edge port. */
async function start(invoker = new FakeInvoker(), corruptMd5 = false): Promise<Harness> {
  const clock = new VirtualClock();
  let sqs: SqsEmulator | undefined;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^AmazonSQS\./, '');
    const text = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' });
      res.end(JSON.stringify(body));
    };
    try {
      const result = (await sqs?.handle(operation, text ? JSON.parse(text) : {})) as Record<string, unknown>;
      if (corruptMd5 && typeof result.MD5OfMessageBody === 'string') result.MD5OfMessageBody = '0'.repeat(32);
      send(200, result);
    } catch (error) {
      if (error instanceof AwsError) send(error.status, { __type: error.code, message: error.message });
      else send(500, { __type: 'InternalFailure', message: String(error) });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://localhost:${port}`;
  sqs = new SqsEmulator({ clock, baseUrl, invoker, pollIntervalMs: 5 });
  const client = new SQSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { clock, sqs, client, server, invoker };
}

async function stop(h: Harness): Promise<void> {
  h.sqs.stop();
  h.clock.stop();
  h.client.destroy();
  h.server.closeAllConnections();
  await new Promise((resolve) => h.server.close(resolve));
}

describe('SQS emulator through the AWS SDK v3', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    await stop(h);
  });

  it('round-trips SendMessage, ReceiveMessage and DeleteMessage with the SDK MD5 checks on', async () => {
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'launch' }));
    expect(QueueUrl).toMatch(/^http:\/\/localhost:\d+\/000000000000\/launch$/);

    const sent = await h.client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"cluster":"prod","ünï":"cödé"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'restart' },
          attempt: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5Hex('{"cluster":"prod","ünï":"cödé"}'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const received = await h.client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages?.[0];
    expect(message?.Body).toBe('{"cluster":"prod","ünï":"cödé"}');
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'restart' });
    expect(Buffer.from(message?.MessageAttributes?.blob?.BinaryValue ?? [])).toEqual(Buffer.from([1, 2, 3]));
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(0);

    await h.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(h.sqs.queueStats('launch')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('answers an unknown queue with the QueueDoesNotExist exception class', async () => {
    const error = await h.client
      .send(new SendMessageCommand({ QueueUrl: 'http://elsewhere:9/000000000000/missing', MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    await expect(h.client.send(new GetQueueUrlCommand({ QueueName: 'missing' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('hides a delayed message until the virtual clock passes the delay, and rejects a delay over 900 s', async () => {
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'delayed' }));
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 120 }));
    expect(h.sqs.queueStats('delayed')).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect((await h.client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();

    h.clock.advance(120_000);
    const received = await h.client.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(received.Messages?.[0]?.Body).toBe('later');

    await expect(
      h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', DelaySeconds: 901 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });

  it('makes a received message visible again after its visibility timeout', async () => {
    const { QueueUrl } = await h.client.send(
      new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '30' } }),
    );
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));
    const first = await h.client.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(first.Messages).toHaveLength(1);
    expect((await h.client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    expect(h.sqs.queueStats('work')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    h.clock.advance(30_000);
    const again = await h.client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(again.Messages?.[0]?.Attributes).toEqual({ ApproximateReceiveCount: '2' });

    // ChangeMessageVisibility extends the current receive; the stale handle of the first receive no longer deletes.
    await h.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: again.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 300,
      }),
    );
    h.clock.advance(60_000);
    expect((await h.client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    await h.client.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    expect(h.sqs.queueStats('work').inFlight).toBe(1);
  });

  it('moves a message to the dead-letter queue once its receive count exceeds maxReceiveCount', async () => {
    const dlq = await h.client.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
    const dlqArn = (
      await h.client.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    expect(dlqArn).toBe('arn:aws:sqs:us-east-1:000000000000:work-dlq');
    const { QueueUrl } = await h.client.send(
      new CreateQueueCommand({
        QueueName: 'work',
        Attributes: {
          VisibilityTimeout: '10',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));

    for (let i = 0; i < 2; i++) {
      expect((await h.client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toHaveLength(1);
      h.clock.advance(10_000);
    }
    expect((await h.client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const dead = await h.client.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(dead.Messages?.[0]?.Body).toBe('poison');
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(
      'arn:aws:sqs:us-east-1:000000000000:work',
    );
  });

  it('reports per-entry failures of SendMessageBatch and rejects more than 10 entries', async () => {
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const result = await h.client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two', DelaySeconds: 1000 },
          {
            Id: 'c',
            MessageBody: 'three',
            MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          },
        ],
      }),
    );
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['a', 'c']);
    expect(result.Successful?.[1]?.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({ k: { DataType: 'String', StringValue: 'v' } }),
    );
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(h.sqs.queueStats('batch').visible).toBe(2);

    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    await expect(
      h.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: tooMany })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
  });

  it('reports visible, in-flight and delayed counts in GetQueueAttributes', async () => {
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'counts' }));
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b' }));
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'c', DelaySeconds: 60 }));
    await h.client.send(new ReceiveMessageCommand({ QueueUrl }));
    const { Attributes } = await h.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      VisibilityTimeout: '30',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:counts',
    });
    await expect(
      h.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Nope' as never] })),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('lists, purges and deletes queues', async () => {
    await h.client.send(new CreateQueueCommand({ QueueName: 'alpha' }));
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'beta' }));
    expect((await h.client.send(new ListQueuesCommand({ QueueNamePrefix: 'al' }))).QueueUrls).toEqual([
      expect.stringMatching(/\/000000000000\/alpha$/),
    ]);
    await h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    await h.client.send(new PurgeQueueCommand({ QueueUrl }));
    expect(h.sqs.queueStats('beta').visible).toBe(0);
    await expect(
      h.client.send(new CreateQueueCommand({ QueueName: 'beta', Attributes: { DelaySeconds: '5' } })),
    ).rejects.toMatchObject({ name: 'QueueNameExists' });
    await h.client.send(new DeleteQueueCommand({ QueueUrl }));
    await expect(h.client.send(new GetQueueUrlCommand({ QueueName: 'beta' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('long-polls until a message arrives or the wait elapses on the virtual clock', async () => {
    const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'poll' }));
    const waiting = h.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    setTimeout(() => h.sqs.sendToArn('arn:aws:sqs:us-east-1:000000000000:poll', 'arrived'), 30);
    expect((await waiting).Messages?.[0]?.Body).toBe('arrived');

    const empty = h.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    setTimeout(() => h.clock.advance(20_000), 30);
    expect((await empty).Messages).toBeUndefined();
  });
});

describe('SQS emulator wire details', () => {
  it('computes MD5OfMessageAttributes with the SQS algorithm', () => {
    expect(
      md5OfMessageAttributes({
        Hello: { DataType: 'String', StringValue: 'There' },
        General: { DataType: 'String', StringValue: 'Kenobi' },
      }),
    ).toBe('fca026605781cb4126a1e9044df24232');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it('is caught by the SDK when a body MD5 is wrong (the validation is really on)', async () => {
    const h = await start(new FakeInvoker(), true);
    try {
      const { QueueUrl } = await h.client.send(new CreateQueueCommand({ QueueName: 'md5' }));
      await expect(h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toThrow(
        'InvalidChecksumError',
      );
    } finally {
      await stop(h);
    }
  });
});

describe('SQS event source mappings', () => {
  const queueArn = 'arn:aws:sqs:us-east-1:000000000000:launch';
  let clock: VirtualClock;
  let sqs: SqsEmulator;

  function setUp(invoker: LambdaInvoker, attributes: Record<string, string> = {}): void {
    clock = new VirtualClock();
    sqs = new SqsEmulator({ clock, baseUrl: 'http://localhost:4599', invoker, pollIntervalMs: 5 });
    sqs.createQueue('launch', attributes);
  }

  afterEach(() => {
    sqs.stop();
    clock.stop();
  });

  it('delivers SQS events in batches of batchSize and deletes them on success', async () => {
    const invoker = new FakeInvoker();
    setUp(invoker);
    for (let i = 0; i < 25; i++) sqs.sendToArn(queueArn, `m${i}`);
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher', batchSize: 10 });
    await sqs.idle();

    expect(invoker.batches.map((batch) => batch.length).sort((a, b) => b - a)).toEqual([10, 10, 5]);
    const record = invoker.batches[0]?.[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      body: 'm0',
      md5OfBody: md5Hex('m0'),
      attributes: { ApproximateReceiveCount: '1', SenderId: expect.any(String) },
      messageAttributes: {},
    });
    expect(sqs.queueStats('launch')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('keeps at most maximumConcurrency batches in flight', async () => {
    const invoker = new FakeInvoker(() => ({ ok: true }), 25);
    setUp(invoker);
    for (let i = 0; i < 8; i++) sqs.sendToArn(queueArn, `m${i}`);
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher', batchSize: 1, maximumConcurrency: 2 });
    await sqs.idle();
    expect(invoker.batches).toHaveLength(8);
    expect(invoker.maxActive).toBe(2);
  });

  it('leaves the batchItemFailures in the queue and retries them after the visibility timeout', async () => {
    const invoker = new FakeInvoker((records, call) => ({
      ok: true,
      payload:
        call === 1
          ? {
              batchItemFailures: records
                .filter((r) => r.body === 'bad')
                .map((r) => ({ itemIdentifier: r.messageId })),
            }
          : { batchItemFailures: [] },
    }));
    setUp(invoker, { VisibilityTimeout: '30' });
    sqs.sendToArn(queueArn, 'good');
    sqs.sendToArn(queueArn, 'bad');
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher', reportBatchItemFailures: true });
    await sqs.idle();
    expect(invoker.batches).toHaveLength(1);
    expect(sqs.queueStats('launch')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    clock.advance(30_000);
    await sqs.idle();
    expect(invoker.batches).toHaveLength(2);
    expect(invoker.batches[1]?.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      ['bad', '2'],
    ]);
    expect(sqs.queueStats('launch')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('retries the whole batch after a function error, then dead-letters it', async () => {
    const invoker = new FakeInvoker(() => ({ ok: false, error: 'boom' }));
    clock = new VirtualClock();
    sqs = new SqsEmulator({ clock, baseUrl: 'http://localhost:4599', invoker, pollIntervalMs: 5 });
    const dlq = sqs.createQueue('launch-dlq');
    sqs.createQueue('launch', {
      VisibilityTimeout: '60',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    sqs.sendToArn(queueArn, 'a');
    sqs.sendToArn(queueArn, 'b');
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher' });

    await sqs.idle();
    expect(invoker.batches.map((batch) => batch.length)).toEqual([2]);
    clock.advance(60_000);
    await sqs.idle();
    expect(invoker.batches.map((batch) => batch.map((r) => r.attributes.ApproximateReceiveCount))).toEqual([
      ['1', '1'],
      ['2', '2'],
    ]);
    clock.advance(60_000);
    await sqs.idle();
    expect(invoker.batches).toHaveLength(2);
    expect(sqs.queueStats('launch')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(sqs.peekMessages('launch-dlq').map((m) => [m.body, m.deadLetterQueueSourceArn])).toEqual([
      ['a', queueArn],
      ['b', queueArn],
    ]);
  });

  it('waits up to the batching window (virtual time) to fill a batch', async () => {
    const invoker = new FakeInvoker();
    setUp(invoker);
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher', maximumBatchingWindowSeconds: 5 });
    for (let i = 0; i < 3; i++) sqs.sendToArn(queueArn, `m${i}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await sqs.idle();
    expect(invoker.batches).toHaveLength(0);

    clock.advance(5_000);
    await sqs.idle();
    expect(invoker.batches.map((batch) => batch.length)).toEqual([3]);
  });

  it('does not poll a disabled mapping', async () => {
    const invoker = new FakeInvoker();
    setUp(invoker);
    sqs.addEventSourceMapping({ queueArn, functionName: 'launcher', enabled: false });
    sqs.sendToArn(queueArn, 'x');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await sqs.idle();
    expect(invoker.batches).toHaveLength(0);
  });

  it('loads queues, redrive policies and event source mappings from a CloudFormation fragment', () => {
    clock = new VirtualClock();
    sqs = new SqsEmulator({ clock, baseUrl: 'http://localhost:4599', invoker: new FakeInvoker() });
    const template = {
      Resources: {
        LaunchQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: 'ecs-autopilot-dev-launch',
            VisibilityTimeout: 60,
            RedrivePolicy: {
              deadLetterTargetArn: { 'Fn::GetAtt': ['LaunchDlq', 'Arn'] },
              maxReceiveCount: 3,
            },
          },
        },
        LaunchDlq: {
          Type: 'AWS::SQS::Queue',
          Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
        },
        LauncherEventSourceMappingSQSLaunchQueue: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': ['LaunchQueue', 'Arn'] },
            FunctionName: { 'Fn::GetAtt': ['LauncherLambdaFunction', 'Arn'] },
            BatchSize: 5,
            MaximumBatchingWindowInSeconds: 2,
            ScalingConfig: { MaximumConcurrency: 3 },
            FunctionResponseTypes: ['ReportBatchItemFailures'],
            Enabled: true,
          },
        },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      },
    };
    const result = sqs.loadTemplate(
      template,
      (logicalId) => (logicalId === 'LauncherLambdaFunction' ? 'ecs-autopilot-dev-launcher' : undefined),
      (logicalId) => `ecs-autopilot-dev-${logicalId}`,
    );
    expect(result).toEqual({ queues: 2, mappings: 1 });
    expect(sqs.eventSourceMappings()).toEqual([
      {
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:ecs-autopilot-dev-launch',
        functionName: 'ecs-autopilot-dev-launcher',
        batchSize: 5,
        maximumBatchingWindowSeconds: 2,
        maximumConcurrency: 3,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ]);
    const attributes = sqs.handle('GetQueueAttributes', {
      QueueUrl: 'http://anything/000000000000/ecs-autopilot-dev-launch',
      AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
    });
    return expect(attributes).resolves.toEqual({
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:ecs-autopilot-dev-LaunchDlq',
          maxReceiveCount: 3,
        }),
      },
    });
  });
});
