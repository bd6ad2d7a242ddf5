import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { ACCOUNT_ID, AwsError, type BusEvent, envelope, REGION, VirtualClock } from '../../local/core';
import { EventBridgeEmulator } from '../../local/eventbridge';

const LAMBDA_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:ecs-autopilot-dev-taskEvents`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:task-events-copy`;
const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:task-events-dlq`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/prod`;
const TASK_PATTERN = JSON.stringify({
  source: ['aws.ecs'],
  'detail-type': ['ECS Task State Change'],
  detail: { clusterArn: [{ suffix: ':cluster/prod' }], lastStatus: ['STOPPED'] },
});

function setup(opts: { duplicateRate?: number; random?: () => number } = {}) {
  const clock = new VirtualClock();
  const lambda: Array<{ functionName: string; event: unknown }> = [];
  const sqs: Array<{ queueArn: string; body: string }> = [];
  const bridge = new EventBridgeEmulator({
    clock,
    deliver: {
      lambda: (functionName, event) => lambda.push({ functionName, event }),
      sqs: (queueArn, body) => sqs.push({ queueArn, body }),
    },
    ...opts,
  });
  return { clock, bridge, lambda, sqs };
}

function taskEvent(clock: VirtualClock, detail: Record<string, unknown> = {}): BusEvent {
  const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/prod/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c`;
  return envelope(clock, 'aws.ecs', 'ECS Task State Change', [taskArn], {
    clusterArn: CLUSTER_ARN,
    taskArn,
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    group: 'family:worker',
    version: 5,
    ...detail,
  });
}

/** handle() may answer synchronously; this always gives a promise. */
const call = async (bridge: EventBridgeEmulator, operation: string, input: Record<string, unknown>) =>
  bridge.handle(operation, input);

/** Runs an operation and returns the AwsError it throws. */
async function errorOf(run: () => unknown): Promise<AwsError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected an AwsError');
}

describe('EventBridgeEmulator', () => {
  const clocks: VirtualClock[] = [];
  const make = (opts?: Parameters<typeof setup>[0]) => {
    const s = setup(opts);
    clocks.push(s.clock);
    return s;
  };

  afterEach(() => {
    for (const clock of clocks.splice(0)) clock.stop();
  });

  async function ruleWithTargets(bridge: EventBridgeEmulator, name = 'task-events') {
    await bridge.handle('PutRule', { Name: name, EventPattern: TASK_PATTERN, State: 'ENABLED' });
    await bridge.handle('PutTargets', {
      Rule: name,
      Targets: [
        { Id: 'fn', Arn: LAMBDA_ARN },
        { Id: 'queue', Arn: QUEUE_ARN },
      ],
    });
  }

  describe('rules and delivery', () => {
    it('PutRule returns the rule ARN', async () => {
      const { bridge } = make();
      await expect(
        call(bridge, 'PutRule', { Name: 'task-events', EventPattern: TASK_PATTERN }),
      ).resolves.toEqual({
        RuleArn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/task-events`,
      });
    });

    it('delivers a matching service event to its Lambda and SQS targets', async () => {
      const { clock, bridge, lambda, sqs } = make();
      await ruleWithTargets(bridge);
      const event = taskEvent(clock);
      bridge.publish(event);
      expect(lambda).toEqual([{ functionName: 'ecs-autopilot-dev-taskEvents', event }]);
      expect(sqs).toHaveLength(1);
      expect(sqs[0]?.queueArn).toBe(QUEUE_ARN);
      expect(JSON.parse(sqs[0]?.body ?? '')).toEqual(event);
      expect(bridge.stats()).toMatchObject({ published: 1, matched: 1, delivered: 2 });
    });

    it('does not deliver an event the pattern does not match', async () => {
      const { clock, bridge, lambda, sqs } = make();
      await ruleWithTargets(bridge);
      bridge.publish(taskEvent(clock, { lastStatus: 'RUNNING' }));
      bridge.publish(taskEvent(clock, { clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/staging` }));
      expect(lambda).toEqual([]);
      expect(sqs).toEqual([]);
      expect(bridge.stats()).toMatchObject({ published: 2, matched: 0, delivered: 0 });
    });

    it('delivers nothing to a disabled rule, and again once it is enabled', async () => {
      const { clock, bridge, lambda } = make();
      await ruleWithTargets(bridge);
      await bridge.handle('DisableRule', { Name: 'task-events' });
      bridge.publish(taskEvent(clock));
      expect(lambda).toHaveLength(0);
      await expect(call(bridge, 'DescribeRule', { Name: 'task-events' })).resolves.toMatchObject({
        State: 'DISABLED',
      });
      await bridge.handle('EnableRule', { Name: 'task-events' });
      bridge.publish(taskEvent(clock));
      expect(lambda).toHaveLength(1);
    });

    it('delivers to every matching rule', async () => {
      const { clock, bridge, lambda } = make();
      await ruleWithTargets(bridge, 'first');
      await ruleWithTargets(bridge, 'second');
      bridge.publish(taskEvent(clock));
      expect(lambda).toHaveLength(2);
      expect(bridge.stats().matched).toBe(2);
    });

    it('honours a constant Input and an InputPath', async () => {
      const { clock, bridge, lambda, sqs } = make();
      await bridge.handle('PutRule', { Name: 'task-events', EventPattern: TASK_PATTERN });
      await bridge.handle('PutTargets', {
        Rule: 'task-events',
        Targets: [
          { Id: 'constant', Arn: LAMBDA_ARN, Input: '{"action":"sweep"}' },
          { Id: 'detail', Arn: QUEUE_ARN, InputPath: '$.detail' },
        ],
      });
      const event = taskEvent(clock);
      bridge.publish(event);
      expect(lambda[0]?.event).toEqual({ action: 'sweep' });
      expect(JSON.parse(sqs[0]?.body ?? '')).toEqual(event.detail);
    });

    it('fills an InputTransformer template', async () => {
      const { clock, bridge, lambda } = make();
      await bridge.handle('PutRule', { Name: 'task-events', EventPattern: TASK_PATTERN });
      await bridge.handle('PutTargets', {
        Rule: 'task-events',
        Targets: [
          {
            Id: 'shaped',
            Arn: LAMBDA_ARN,
            InputTransformer: {
              InputPathsMap: { task: '$.detail.taskArn', version: '$.detail.version' },
              InputTemplate: '{"task": <task>, "version": <version>, "text": "v<version> of <task>"}',
            },
          },
        ],
      });
      const event = taskEvent(clock);
      bridge.publish(event);
      expect(lambda[0]?.event).toEqual({
        task: event.detail.taskArn,
        version: 5,
        text: `v5 of ${event.detail.taskArn}`,
      });
    });

    it('records and skips ECS RunTask targets', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { clock, bridge, lambda } = make();
      await bridge.handle('PutRule', { Name: 'task-events', EventPattern: TASK_PATTERN });
      await bridge.handle('PutTargets', {
        Rule: 'task-events',
        Targets: [
          {
            Id: 'runner',
            Arn: CLUSTER_ARN,
            RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/ecsEventsRole`,
            EcsParameters: {
              TaskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/worker:7`,
            },
          },
        ],
      });
      bridge.publish(taskEvent(clock));
      bridge.publish(taskEvent(clock));
      expect(lambda).toHaveLength(0);
      expect(bridge.skippedDeliveries()).toHaveLength(2);
      expect(bridge.skippedDeliveries()[0]).toMatchObject({
        rule: 'task-events',
        targetId: 'runner',
        targetArn: CLUSTER_ARN,
      });
      expect(warn).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    });

    it('sends the event to the target DLQ when delivery throws', async () => {
      const clock = new VirtualClock();
      clocks.push(clock);
      const sqs: Array<{ queueArn: string; body: string }> = [];
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const bridge = new EventBridgeEmulator({
        clock,
        deliver: {
          lambda: () => {
            throw new Error('function not found');
          },
          sqs: (queueArn, body) => sqs.push({ queueArn, body }),
        },
      });
      await bridge.handle('PutRule', { Name: 'task-events', EventPattern: TASK_PATTERN });
      await bridge.handle('PutTargets', {
        Rule: 'task-events',
        Targets: [{ Id: 'fn', Arn: LAMBDA_ARN, DeadLetterConfig: { Arn: DLQ_ARN } }],
      });
      const event = taskEvent(clock);
      bridge.publish(event);
      expect(sqs).toEqual([{ queueArn: DLQ_ARN, body: JSON.stringify(event) }]);
      expect(bridge.stats()).toMatchObject({ delivered: 0, failed: 1 });
      error.mockRestore();
    });
  });

  describe('rule API', () => {
    it('rejects an invalid pattern with InvalidEventPatternException', async () => {
      const { bridge } = make();
      const bad = await errorOf(() =>
        bridge.handle('PutRule', { Name: 'r', EventPattern: JSON.stringify({ source: 'aws.ecs' }) }),
      );
      expect(bad).toMatchObject({ code: 'InvalidEventPatternException', status: 400 });
      expect(bad.message).toMatch(/Event pattern is not valid/);
      const notJson = await errorOf(() => bridge.handle('PutRule', { Name: 'r', EventPattern: '{source:' }));
      expect(notJson.code).toBe('InvalidEventPatternException');
      await expect(call(bridge, 'ListRules', {})).resolves.toEqual({ Rules: [] });
    });

    it('requires an EventPattern or a ScheduleExpression, and a valid name', async () => {
      const { bridge } = make();
      expect((await errorOf(() => bridge.handle('PutRule', { Name: 'r' }))).code).toBe('ValidationException');
      expect(
        (await errorOf(() => bridge.handle('PutRule', { Name: 'bad name!', EventPattern: TASK_PATTERN })))
          .code,
      ).toBe('ValidationException');
      expect(
        (await errorOf(() => bridge.handle('PutRule', { Name: 'x'.repeat(65), EventPattern: TASK_PATTERN })))
          .code,
      ).toBe('ValidationException');
      await expect(
        call(bridge, 'PutRule', { Name: 'nightly', ScheduleExpression: 'cron(0 2 * * ? *)' }),
      ).resolves.toHaveProperty('RuleArn');
    });

    it('replaces the whole rule on update and keeps its targets', async () => {
      const { bridge } = make();
      await bridge.handle('PutRule', { Name: 'r', EventPattern: TASK_PATTERN, Description: 'first' });
      await bridge.handle('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] });
      await bridge.handle('PutRule', { Name: 'r', EventPattern: '{"source":["aws.ec2"]}' });
      const rule = await bridge.handle('DescribeRule', { Name: 'r' });
      expect(rule).toEqual({
        Name: 'r',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/r`,
        EventPattern: '{"source":["aws.ec2"]}',
        State: 'ENABLED',
        EventBusName: 'default',
        CreatedBy: ACCOUNT_ID,
      });
      await expect(call(bridge, 'ListTargetsByRule', { Rule: 'r' })).resolves.toEqual({
        Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }],
      });
    });

    it('lists rules by NamePrefix', async () => {
      const { bridge } = make();
      for (const name of ['ecs-b', 'ecs-a', 'other']) {
        await bridge.handle('PutRule', { Name: name, EventPattern: TASK_PATTERN });
      }
      const listed = (await bridge.handle('ListRules', { NamePrefix: 'ecs-' })) as {
        Rules: Array<{ Name: string }>;
      };
      expect(listed.Rules.map((r) => r.Name)).toEqual(['ecs-a', 'ecs-b']);
    });

    it('refuses to delete a rule with targets, deletes it once they are removed', async () => {
      const { bridge } = make();
      await ruleWithTargets(bridge);
      expect((await errorOf(() => bridge.handle('DeleteRule', { Name: 'task-events' }))).code).toBe(
        'ValidationException',
      );
      await expect(
        call(bridge, 'RemoveTargets', { Rule: 'task-events', Ids: ['fn', 'queue'] }),
      ).resolves.toEqual({
        FailedEntryCount: 0,
        FailedEntries: [],
      });
      await bridge.handle('DeleteRule', { Name: 'task-events' });
      expect((await errorOf(() => bridge.handle('DescribeRule', { Name: 'task-events' }))).code).toBe(
        'ResourceNotFoundException',
      );
    });

    it('answers ResourceNotFoundException for targets of an unknown rule', async () => {
      const { bridge } = make();
      const error = await errorOf(() =>
        bridge.handle('PutTargets', { Rule: 'missing', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] }),
      );
      expect(error).toMatchObject({ code: 'ResourceNotFoundException', status: 400 });
    });

    it('requires RoleArn for an ECS target', async () => {
      const { bridge } = make();
      await bridge.handle('PutRule', { Name: 'nightly', ScheduleExpression: 'rate(1 day)' });
      const error = await errorOf(() =>
        bridge.handle('PutTargets', {
          Rule: 'nightly',
          Targets: [
            {
              Id: 'runner',
              Arn: CLUSTER_ARN,
              EcsParameters: {
                TaskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/worker:7`,
              },
            },
          ],
        }),
      );
      expect(error).toMatchObject({
        code: 'ValidationException',
        status: 400,
        message: `RoleArn is required for target ${CLUSTER_ARN}.`,
      });
      await expect(call(bridge, 'ListTargetsByRule', { Rule: 'nightly' })).resolves.toEqual({ Targets: [] });
    });

    it('accepts at most 10 targets per call', async () => {
      const { bridge } = make();
      await bridge.handle('PutRule', { Name: 'r', EventPattern: TASK_PATTERN });
      const targets = Array.from({ length: 11 }, (_, i) => ({ Id: `t${i}`, Arn: LAMBDA_ARN }));
      expect((await errorOf(() => bridge.handle('PutTargets', { Rule: 'r', Targets: targets }))).code).toBe(
        'ValidationException',
      );
    });

    it('answers TestEventPattern', async () => {
      const { clock, bridge } = make();
      const event = JSON.stringify(taskEvent(clock));
      await expect(
        call(bridge, 'TestEventPattern', { EventPattern: TASK_PATTERN, Event: event }),
      ).resolves.toEqual({
        Result: true,
      });
      await expect(
        call(bridge, 'TestEventPattern', { EventPattern: '{"source":["aws.ec2"]}', Event: event }),
      ).resolves.toEqual({ Result: false });
    });
  });

  describe('PutEvents', () => {
    const CUSTOM_PATTERN = JSON.stringify({
      source: ['ecs-autopilot'],
      'detail-type': ['Relaunch Requested'],
    });

    it('delivers a custom event in an EventBridge envelope', async () => {
      const { bridge, lambda } = make();
      await bridge.handle('PutRule', { Name: 'custom', EventPattern: CUSTOM_PATTERN });
      await bridge.handle('PutTargets', { Rule: 'custom', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] });
      const result = (await bridge.handle('PutEvents', {
        Entries: [
          {
            Source: 'ecs-autopilot',
            DetailType: 'Relaunch Requested',
            Detail: '{"taskArn":"t1"}',
            Resources: ['r1'],
            Time: 1715677967,
          },
        ],
      })) as { FailedEntryCount: number; Entries: Array<{ EventId: string }> };
      expect(result.FailedEntryCount).toBe(0);
      expect(lambda).toHaveLength(1);
      expect(lambda[0]?.event).toEqual({
        version: '0',
        id: result.Entries[0]?.EventId,
        'detail-type': 'Relaunch Requested',
        source: 'ecs-autopilot',
        account: ACCOUNT_ID,
        time: '2024-05-14T09:12:47Z',
        region: REGION,
        resources: ['r1'],
        detail: { taskArn: 't1' },
      });
    });

    it('fails an entry with malformed Detail and delivers the others', async () => {
      const { bridge, lambda } = make();
      await bridge.handle('PutRule', { Name: 'custom', EventPattern: CUSTOM_PATTERN });
      await bridge.handle('PutTargets', { Rule: 'custom', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] });
      const entry = { Source: 'ecs-autopilot', DetailType: 'Relaunch Requested' };
      const result = (await bridge.handle('PutEvents', {
        Entries: [
          { ...entry, Detail: '{not json' },
          { ...entry, Detail: '{}' },
        ],
      })) as { FailedEntryCount: number; Entries: Array<Record<string, string>> };
      expect(result.FailedEntryCount).toBe(1);
      expect(result.Entries[0]).toEqual({
        ErrorCode: 'MalformedDetail',
        ErrorMessage: 'Detail is malformed.',
      });
      expect(result.Entries[1]).toHaveProperty('EventId');
      expect(lambda).toHaveLength(1);
    });

    it('rejects an aws.* source for the entry (only AWS services may use it)', async () => {
      const { bridge } = make();
      const result = (await bridge.handle('PutEvents', {
        Entries: [{ Source: 'aws.ecs', DetailType: 'ECS Task State Change', Detail: '{}' }],
      })) as { FailedEntryCount: number; Entries: Array<Record<string, string>> };
      expect(result.FailedEntryCount).toBe(1);
      expect(result.Entries[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    });

    it('accepts at most 10 entries', async () => {
      const { bridge } = make();
      const entries = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' }));
      expect((await errorOf(() => bridge.handle('PutEvents', { Entries: entries }))).code).toBe(
        'ValidationException',
      );
    });
  });

  describe('loadTemplate', () => {
    const template = {
      Resources: {
        TaskEventsLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
        TaskEventsDlq: { Type: 'AWS::SQS::Queue', Properties: {} },
        EcsautopilotdevtaskEventsrule1EventBridgeRule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] },
            Name: 'ecs-autopilot-dev-taskEvents-rule-1',
            State: 'ENABLED',
            Targets: [
              {
                Arn: { 'Fn::GetAtt': ['TaskEventsLambdaFunction', 'Arn'] },
                Id: 'ecs-autopilot-dev-taskEvents-rule-1-target',
                RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
                DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TaskEventsDlq', 'Arn'] } },
              },
              { Arn: { 'Fn::GetAtt': ['SomethingElse', 'Arn'] }, Id: 'unresolvable' },
            ],
          },
        },
      },
    };
    const functionName = (id: string) =>
      id === 'TaskEventsLambdaFunction' ? 'ecs-autopilot-dev-taskEvents' : undefined;

    it('loads the rule with its Lambda target resolved and ignores what it cannot resolve', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { bridge } = make();
      const queueArn = (id: string) => (id === 'TaskEventsDlq' ? DLQ_ARN : undefined);
      expect(bridge.loadTemplate(template, functionName, queueArn)).toBe(1);
      await expect(
        call(bridge, 'DescribeRule', { Name: 'ecs-autopilot-dev-taskEvents-rule-1' }),
      ).resolves.toMatchObject({
        State: 'ENABLED',
        EventPattern: JSON.stringify({ source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] }),
      });
      const { Targets } = (await bridge.handle('ListTargetsByRule', {
        Rule: 'ecs-autopilot-dev-taskEvents-rule-1',
      })) as {
        Targets: unknown[];
      };
      expect(Targets).toEqual([
        {
          Id: 'ecs-autopilot-dev-taskEvents-rule-1-target',
          Arn: LAMBDA_ARN,
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
          DeadLetterConfig: { Arn: DLQ_ARN },
        },
      ]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('SomethingElse'));
      warn.mockRestore();
    });

    it('delivers ECS task events to the loaded rule', () => {
      jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const { clock, bridge, lambda } = make();
      bridge.loadTemplate(template, functionName);
      bridge.publish(taskEvent(clock));
      bridge.publish(envelope(clock, 'aws.ecs', 'ECS Service Action', [], {}));
      expect(lambda.map((l) => l.functionName)).toEqual(['ecs-autopilot-dev-taskEvents']);
      jest.restoreAllMocks();
    });
  });

  describe('delivery faults', () => {
    it('delivers every event twice at duplicateRate 1', async () => {
      const { clock, bridge, lambda } = make({ duplicateRate: 1 });
      await ruleWithTargets(bridge);
      const event = taskEvent(clock);
      bridge.publish(event);
      expect(lambda).toHaveLength(2);
      expect(lambda[0]?.event).toEqual(event);
      expect(lambda[1]?.event).toEqual(event);
      expect(bridge.stats()).toMatchObject({ delivered: 4, duplicated: 2 });
    });

    it('delivers each event once at duplicateRate 0 and after setDelivery turns it off', async () => {
      const { clock, bridge, lambda } = make({ duplicateRate: 1 });
      await ruleWithTargets(bridge);
      bridge.setDelivery({ duplicateRate: 0 });
      bridge.publish(taskEvent(clock));
      expect(lambda).toHaveLength(1);
    });

    it('holds deliveries for the shuffle window and releases them in random order', async () => {
      // Each delivery draws a delay from `random`: later events get shorter delays, so order is reversed.
      const draws = [0.9, 0.5, 0.1];
      const { clock, bridge, lambda } = make({ random: () => draws.shift() ?? 0 });
      await bridge.handle('PutRule', { Name: 'r', EventPattern: TASK_PATTERN });
      await bridge.handle('PutTargets', { Rule: 'r', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] });
      bridge.setDelivery({ shuffleWindowMs: 10_000 });
      for (const version of [1, 2, 3]) bridge.publish(taskEvent(clock, { version }));
      expect(lambda).toHaveLength(0);
      expect(bridge.stats().held).toBe(3);
      clock.advance(10_000);
      expect(lambda.map((l) => (l.event as BusEvent).detail.version)).toEqual([3, 2, 1]);
      expect(bridge.stats()).toMatchObject({ held: 0, delivered: 3 });
    });
  });

  describe('over the wire with the AWS SDK v3', () => {
    let server: Server;
    let endpoint: string;
    let bridge: EventBridgeEmulator;
    let lambda: Array<{ functionName: string; event: unknown }>;
    let clock: VirtualClock;

    beforeAll(async () => {
      const s = setup();
      clock = s.clock;
      bridge = s.bridge;
      lambda = s.lambda;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', async () => {
          const target = String(req.headers['x-amz-target'] ?? '');
          const reply = (status: number, body: unknown) => {
            res.writeHead(status, {
              'content-type': 'application/x-amz-json-1.1',
              'x-amzn-requestid': 'req-1',
            });
            res.end(JSON.stringify(body));
          };
          try {
            const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
            reply(200, await bridge.handle(target.replace(/^AWSEvents\./, ''), input));
          } catch (error) {
            if (error instanceof AwsError)
              reply(error.status, { __type: error.code, message: error.message });
            else reply(500, { __type: 'InternalException', message: String(error) });
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      clock.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const client = () =>
      new EventBridgeClient({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      });

    it('PutRule, PutTargets and PutEvents deliver the event to the Lambda target', async () => {
      const events = client();
      const custom = JSON.stringify({ source: ['ecs-autopilot'] });
      const rule = await events.send(new PutRuleCommand({ Name: 'sdk-rule', EventPattern: custom }));
      expect(rule.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/sdk-rule`);
      const targets = await events.send(
        new PutTargetsCommand({ Rule: 'sdk-rule', Targets: [{ Id: 'fn', Arn: LAMBDA_ARN }] }),
      );
      expect(targets.FailedEntryCount).toBe(0);
      const put = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'ecs-autopilot',
              DetailType: 'Ping',
              Detail: '{"n":1}',
              Time: new Date('2024-05-14T09:12:47Z'),
            },
          ],
        }),
      );
      expect(put.FailedEntryCount).toBe(0);
      expect(put.Entries?.[0]?.EventId).toEqual(expect.any(String));
      expect(lambda).toHaveLength(1);
      expect(lambda[0]?.event).toMatchObject({
        source: 'ecs-autopilot',
        time: '2024-05-14T09:12:47Z',
        detail: { n: 1 },
      });
    });

    it('surfaces an invalid pattern as InvalidEventPatternException', async () => {
      const events = client();
      await expect(
        events.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"aws.ecs"}' })),
      ).rejects.toMatchObject({ name: 'InvalidEventPatternException', $metadata: { httpStatusCode: 400 } });
    });

    it('surfaces a missing RoleArn on an ECS target as ValidationException', async () => {
      const events = client();
      await events.send(new PutRuleCommand({ Name: 'nightly', ScheduleExpression: 'rate(1 day)' }));
      await expect(
        events.send(
          new PutTargetsCommand({ Rule: 'nightly', Targets: [{ Id: 'runner', Arn: CLUSTER_ARN }] }),
        ),
      ).rejects.toMatchObject({
        name: 'ValidationException',
        message: `RoleArn is required for target ${CLUSTER_ARN}.`,
      });
    });
  });
});
