/**
 * SNS topics and subscriptions, no delivery: the stack's topics (AWS::SNS::Topic, with the Subscription
 * list the template gives them), and Subscribe / Unsubscribe / ListSubscriptionsByTopic / ListTopics /
 * CreateTopic over awsQuery (https://docs.aws.amazon.com/sns/latest/api/API_Operations.html). The sandbox
 * sends no mail, so a subscription is confirmed at once (AWS keeps an email one "PendingConfirmation"
 * until its address confirms it).
 */
import { randomUUID } from 'node:crypto';
import type { QueryService } from './awsQuery';
import { ACCOUNT_ID, AwsError, REGION } from './core';
import type { CfnTemplate } from './template';

interface Subscription {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

export class SnsEmulator implements QueryService {
  readonly namespace = 'http://sns.amazonaws.com/doc/2010-03-31/';
  private readonly topics = new Map<string, Subscription[]>();

  static topicArn(name: string): string {
    return `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${name}`;
  }

  loadTemplate(template: CfnTemplate, physicalName: (logicalId: string) => string): void {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::SNS::Topic') continue;
      const arn = this.createTopic(physicalName(id));
      const subscriptions = resource.Properties?.Subscription;
      for (const s of Array.isArray(subscriptions) ? subscriptions : []) {
        this.subscribe(arn, String(s.Protocol), String(s.Endpoint));
      }
    }
  }

  handle(action: string, input: Record<string, string>): unknown {
    switch (action) {
      case 'CreateTopic':
        return { TopicArn: this.createTopic(required(input, 'Name')) };
      case 'ListTopics':
        return { Topics: [...this.topics.keys()].map((TopicArn) => ({ TopicArn })) };
      case 'Subscribe':
        return {
          SubscriptionArn: this.subscribe(
            required(input, 'TopicArn'),
            required(input, 'Protocol'),
            required(input, 'Endpoint'),
          ),
        };
      case 'Unsubscribe':
        return this.unsubscribe(required(input, 'SubscriptionArn'));
      case 'ListSubscriptionsByTopic':
        return { Subscriptions: this.subscriptionsOf(required(input, 'TopicArn')) };
      default:
        throw new AwsError('InvalidAction', `The sandbox SNS does not support ${action}.`);
    }
  }

  private createTopic(name: string): string {
    const arn = SnsEmulator.topicArn(name);
    if (!this.topics.has(arn)) this.topics.set(arn, []);
    return arn;
  }

  private subscriptionsOf(topicArn: string): Subscription[] {
    const subscriptions = this.topics.get(topicArn);
    if (!subscriptions) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return subscriptions;
  }

  private subscribe(topicArn: string, protocol: string, endpoint: string): string {
    const subscriptions = this.subscriptionsOf(topicArn);
    const existing = subscriptions.find((s) => s.Protocol === protocol && s.Endpoint === endpoint);
    if (existing) return existing.SubscriptionArn;
    const SubscriptionArn = `${topicArn}:${randomUUID()}`;
    subscriptions.push({
      SubscriptionArn,
      Owner: ACCOUNT_ID,
      Protocol: protocol,
      Endpoint: endpoint,
      TopicArn: topicArn,
    });
    return SubscriptionArn;
  }

  private unsubscribe(subscriptionArn: string): undefined {
    for (const subscriptions of this.topics.values()) {
      const index = subscriptions.findIndex((s) => s.SubscriptionArn === subscriptionArn);
      if (index >= 0) subscriptions.splice(index, 1);
    }
    return undefined;
  }
}

function required(input: Record<string, string>, name: string): string {
  const value = input[name];
  if (!value) throw new AwsError('InvalidParameter', `Invalid parameter: ${name}`);
  return value;
}
