/**
 * CloudFormation, as much as a client of the stack needs: DescribeStacks answers the one stack the sandbox
 * runs (`<service>-<stage>`, CREATE_COMPLETE) with the Outputs serverless.yml declares, resolved to the
 * sandbox's resources, plus the ones serverless adds itself (HttpApiId, HttpApiUrl). awsQuery protocol
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
 */
import { randomUUID } from 'node:crypto';
import type { QueryService } from './awsQuery';
import { ACCOUNT_ID, AwsError, REGION } from './core';
import type { CfnTemplate } from './template';

export interface StackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

export interface CloudFormationStack {
  name: string;
  outputs: StackOutput[];
  createdAt: Date;
}

export class CloudFormationEmulator implements QueryService {
  readonly namespace = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
  private readonly stackId: string;

  constructor(private readonly stack: CloudFormationStack) {
    this.stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT_ID}:stack/${stack.name}/${randomUUID()}`;
  }

  handle(action: string, input: Record<string, string>): unknown {
    switch (action) {
      case 'DescribeStacks':
        return this.describeStacks(input.StackName);
      default:
        throw new AwsError('InvalidAction', `The sandbox CloudFormation does not support ${action}.`);
    }
  }

  private describeStacks(name: string | undefined) {
    if (name !== undefined && name !== this.stack.name && name !== this.stackId) {
      // What CloudFormation answers for a stack that does not exist (400 ValidationError).
      throw new AwsError('ValidationError', `Stack with id ${name} does not exist`);
    }
    return {
      Stacks: [
        {
          StackId: this.stackId,
          StackName: this.stack.name,
          Description: 'The AWS CloudFormation template for this Serverless application',
          CreationTime: this.stack.createdAt,
          StackStatus: 'CREATE_COMPLETE',
          DisableRollback: false,
          NotificationARNs: [],
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          Outputs: this.stack.outputs,
          Tags: [{ Key: 'STAGE', Value: this.stack.name.split('-').pop() }],
          EnableTerminationProtection: false,
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        },
      ],
    };
  }
}

/** What the sandbox names its resources: queue URLs on its endpoint, ARNs in its account and Region. */
export interface ResolveContext {
  template: CfnTemplate;
  physicalName(logicalId: string): string;
  endpoint: string;
}

/**
 * A template value with the intrinsic functions outputs use (Ref, Fn::GetAtt Arn / QueueName, Fn::Join,
 * Fn::Sub of pseudo parameters) resolved the way CloudFormation would for the sandbox's resources.
 */
export function resolveValue(value: unknown, ctx: ResolveContext): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  const v = value as Record<string, unknown>;
  const pseudo: Record<string, string> = {
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof v?.Ref === 'string') {
    const id = v.Ref;
    if (pseudo[id]) return pseudo[id];
    const type = ctx.template.Resources[id]?.Type;
    const name = ctx.physicalName(id);
    if (type === 'AWS::SQS::Queue') return `${ctx.endpoint}/${ACCOUNT_ID}/${name}`;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${name}`;
    return name;
  }
  const getAtt = v?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    const [id, attribute] = getAtt as [string, string];
    const type = ctx.template.Resources[id]?.Type;
    const name = ctx.physicalName(id);
    if (attribute === 'QueueName') return name;
    if (type === 'AWS::SQS::Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`;
    if (type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${name}`;
    return name;
  }
  const join = v?.['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((part) => resolveValue(part, ctx)).join(separator);
  }
  const sub = v?.['Fn::Sub'];
  if (typeof sub === 'string') {
    return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => resolveValue({ Ref: name }, ctx));
  }
  throw new Error(`the sandbox cannot resolve the output value ${JSON.stringify(value)}`);
}

/** The stack's declared Outputs, resolved, plus the HTTP API outputs serverless adds to every stack with one. */
export function stackOutputs(ctx: ResolveContext, apiUrl: string | undefined): StackOutput[] {
  const declared = Object.entries(ctx.template.Outputs ?? {}).map(([key, output]) => {
    const o = output as { Value: unknown; Description?: string };
    return {
      OutputKey: key,
      OutputValue: resolveValue(o.Value, ctx),
      ...(o.Description && { Description: o.Description }),
    };
  });
  const api: StackOutput[] = apiUrl
    ? [
        { OutputKey: 'HttpApiId', OutputValue: 'sandbox', Description: 'Id of the HTTP API' },
        { OutputKey: 'HttpApiUrl', OutputValue: apiUrl, Description: 'URL of the HTTP API' },
      ]
    : [];
  return [...api, ...declared];
}
