/**
 * What the sandbox endpoint answers about the stack, read by the AWS SDK's own clients (their protocol
 * parsers): CloudFormation DescribeStacks (awsQuery, XML), SNS subscriptions (awsQuery) and Lambda
 * GetFunctionConfiguration (rest-json), on the same edge server as every other service.
 */
import type { Server } from 'node:http';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { CloudFormationEmulator, stackOutputs } from '../../local/cloudformation';
import { LambdaApiEmulator } from '../../local/lambdaApi';
import { createEdgeServer, listen } from '../../local/server';
import { SnsEmulator } from '../../local/sns';
import type { CfnTemplate } from '../../local/template';

const template: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table' },
    LaunchDlq: { Type: 'AWS::SQS::Queue' },
    AlarmTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { Subscription: [{ Protocol: 'email', Endpoint: 'oncall@example.com' }] },
    },
  },
  Outputs: {
    TableName: { Value: { Ref: 'Table' } },
    LaunchDlqUrl: { Value: { Ref: 'LaunchDlq' } },
    LaunchDlqArn: { Value: { 'Fn::GetAtt': ['LaunchDlq', 'Arn'] } },
    AlarmTopicArn: { Value: { Ref: 'AlarmTopic' }, Description: 'Where alarms page' },
    Where: {
      Value: { 'Fn::Join': ['', ['https://x.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
    },
  },
};

const physicalName = (id: string) => `ecs-autopilot-test-${id}`;
let server: Server;
let endpoint: string;
const config = () => ({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  maxAttempts: 1,
});

beforeAll(async () => {
  const unused = async () => {
    throw new Error('not used here');
  };
  const sns = new SnsEmulator();
  sns.loadTemplate(template, physicalName);
  let cloudformation: CloudFormationEmulator | undefined;
  server = createEdgeServer({
    ecs: unused,
    events: unused,
    sqs: unused,
    dynamodb: () => undefined,
    scheduler: unused,
    control: unused,
    sns,
    cloudformation: { namespace: 'cfn', handle: (action, input) => cloudformation?.handle(action, input) },
    lambda: (method, path) =>
      new LambdaApiEmulator([
        {
          name: 'ecs-autopilot-test-launcher',
          environment: { ALLOWED_CLUSTERS: 'batch', SPOT_TO_ON_DEMAND: '{}' },
        },
      ]).handleRest(method, path),
  });
  endpoint = `http://127.0.0.1:${await listen(server, 0)}`;
  cloudformation = new CloudFormationEmulator({
    name: 'ecs-autopilot-test',
    createdAt: new Date('2026-05-14T09:00:00Z'),
    outputs: stackOutputs({ template, physicalName, endpoint }, 'http://127.0.0.1:3000'),
  });
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('the sandbox stack APIs', () => {
  it("answers DescribeStacks with the stack's outputs resolved, as CloudFormation would", async () => {
    const client = new CloudFormationClient(config());
    const out = await client.send(new DescribeStacksCommand({ StackName: 'ecs-autopilot-test' }));
    const stack = out.Stacks?.[0];
    expect(stack).toMatchObject({ StackName: 'ecs-autopilot-test', StackStatus: 'CREATE_COMPLETE' });
    expect(stack?.CreationTime).toEqual(new Date('2026-05-14T09:00:00Z'));
    expect(Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]))).toEqual({
      HttpApiId: 'sandbox',
      HttpApiUrl: 'http://127.0.0.1:3000',
      TableName: 'ecs-autopilot-test-Table',
      LaunchDlqUrl: `${endpoint}/000000000000/ecs-autopilot-test-LaunchDlq`,
      LaunchDlqArn: 'arn:aws:sqs:us-east-1:000000000000:ecs-autopilot-test-LaunchDlq',
      AlarmTopicArn: 'arn:aws:sns:us-east-1:000000000000:ecs-autopilot-test-AlarmTopic',
      Where: 'https://x.us-east-1.amazonaws.com',
    });
    await expect(
      client.send(new DescribeStacksCommand({ StackName: 'ecs-autopilot-other' })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id ecs-autopilot-other does not exist',
      $metadata: { httpStatusCode: 400 },
    });
    client.destroy();
  });

  it("lists, adds and removes the alarm topic's subscriptions", async () => {
    const client = new SNSClient(config());
    const TopicArn = 'arn:aws:sns:us-east-1:000000000000:ecs-autopilot-test-AlarmTopic';
    const list = async () =>
      (await client.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions?.map(
        (s) => s.Endpoint,
      );
    expect(await list()).toEqual(['oncall@example.com']);
    const { SubscriptionArn } = await client.send(
      new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'second@example.com' }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    expect(await list()).toEqual(['oncall@example.com', 'second@example.com']);
    await client.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect(await list()).toEqual(['oncall@example.com']);
    await expect(
      client.send(new ListSubscriptionsByTopicCommand({ TopicArn: `${TopicArn}-nope` })),
    ).rejects.toBeInstanceOf(NotFoundException);
    client.destroy();
  });

  it("answers GetFunctionConfiguration with the function's deployed environment", async () => {
    const client = new LambdaClient(config());
    const out = await client.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'ecs-autopilot-test-launcher' }),
    );
    expect(out.Environment?.Variables).toEqual({ ALLOWED_CLUSTERS: 'batch', SPOT_TO_ON_DEMAND: '{}' });
    expect(out.State).toBe('Active');
    await expect(
      client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ecs-autopilot-test-nope' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    client.destroy();
  });
});
