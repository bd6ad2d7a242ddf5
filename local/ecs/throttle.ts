/**
 * ECS request throttling as token buckets on the (virtual) clock: one bucket per API category
 * ("Request throttling for the Amazon ECS API",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html),
 * plus the separate Fargate RunTask-call and Fargate task-launch buckets ("AWS Fargate throttling quotas",
 * https://docs.aws.amazon.com/AmazonECS/latest/userguide/throttling.html).
 */
import { AwsError } from '../core';

interface Limit {
  burst: number;
  perSecond: number;
}

/** The ECS API categories (only the operations the emulator serves) and the Fargate limits. */
const LIMITS: Record<string, Limit> = {
  clusterResourceModify: { burst: 100, perSecond: 40 },
  clusterResourceRead: { burst: 100, perSecond: 20 },
  serviceModify: { burst: 50, perSecond: 5 },
  serviceRead: { burst: 100, perSecond: 20 },
  clusterRead: { burst: 50, perSecond: 20 },
  clusterModify: { burst: 20, perSecond: 1 },
  taskDefinitionRead: { burst: 50, perSecond: 20 },
  taskDefinitionModify: { burst: 20, perSecond: 1 },
  capacityProviderRead: { burst: 50, perSecond: 20 },
  tagModify: { burst: 20, perSecond: 10 },
  tagRead: { burst: 50, perSecond: 20 },
  fargateRunTaskCalls: { burst: 20, perSecond: 20 },
  fargateOnDemandLaunches: { burst: 100, perSecond: 20 },
  fargateSpotLaunches: { burst: 100, perSecond: 20 },
};

const CATEGORY: Record<string, string> = {
  RunTask: 'clusterResourceModify',
  StartTask: 'clusterResourceModify',
  StopTask: 'clusterResourceModify',
  UpdateContainerInstancesState: 'clusterResourceModify',
  DescribeTasks: 'clusterResourceRead',
  ListTasks: 'clusterResourceRead',
  DescribeContainerInstances: 'clusterResourceRead',
  ListContainerInstances: 'clusterResourceRead',
  CreateService: 'serviceModify',
  UpdateService: 'serviceModify',
  DeleteService: 'serviceModify',
  DescribeServices: 'serviceRead',
  ListServices: 'serviceRead',
  DescribeClusters: 'clusterRead',
  ListClusters: 'clusterRead',
  CreateCluster: 'clusterModify',
  PutClusterCapacityProviders: 'clusterModify',
  DescribeTaskDefinition: 'taskDefinitionRead',
  ListTaskDefinitions: 'taskDefinitionRead',
  ListTaskDefinitionFamilies: 'taskDefinitionRead',
  RegisterTaskDefinition: 'taskDefinitionModify',
  DeregisterTaskDefinition: 'taskDefinitionModify',
  DescribeCapacityProviders: 'capacityProviderRead',
  TagResource: 'tagModify',
  UntagResource: 'tagModify',
  ListTagsForResource: 'tagRead',
};

class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: Limit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = now;
  }

  available(now: number): number {
    const elapsedSeconds = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsedSeconds * this.limit.perSecond);
    this.refilledAt = now;
    return this.tokens;
  }

  take(count: number): void {
    this.tokens -= count;
  }
}

export type Demand = [bucket: string, tokens: number];

export const throttled = () => new AwsError('ThrottlingException', 'Rate exceeded', 400);

export class Throttler {
  enabled = true;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly clock: { now(): number }) {}

  /** One token from the operation's category bucket; operations without a category are not limited. */
  admitOperation(operation: string): void {
    const category = CATEGORY[operation];
    if (category) this.admit([[category, 1]]);
  }

  /** Takes every demand, or nothing at all and throws, so a partly affordable request is throttled whole. */
  admit(demands: Demand[]): void {
    if (!this.enabled) return;
    const now = this.clock.now();
    const wanted = demands.filter(([, tokens]) => tokens > 0);
    if (wanted.some(([name, tokens]) => this.bucket(name, now).available(now) < tokens)) throw throttled();
    for (const [name, tokens] of wanted) this.bucket(name, now).take(tokens);
  }

  private bucket(name: string, now: number): TokenBucket {
    let bucket = this.buckets.get(name);
    if (!bucket) {
      const limit = LIMITS[name];
      if (!limit) throw new Error(`unknown throttle bucket ${name}`);
      bucket = new TokenBucket(limit, now);
      this.buckets.set(name, bucket);
    }
    return bucket;
  }
}
