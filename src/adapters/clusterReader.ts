import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  StopTaskCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { familyOf } from '../domain/allowlist';
import type { LiveTask } from '../domain/clusterState';
import type { ClusterActions, ClusterReader, LiveService } from '../ports';

/**
 * A cluster as ECS has it, read within ECS's throttles: ListTasks and ListServices paginated (100 a page),
 * DescribeTasks 100 and DescribeServices 10 a call (their maximums), never a call per task. Both are in
 * buckets the restarts also use (cluster resource read, 20 a second; service read, 20 a second:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html), so each cluster's answer
 * is cached `cacheMs` and concurrent readers share one read.
 */

const LIST_PAGE = 100;
const DESCRIBE_TASKS = 100;
const DESCRIBE_SERVICES = 10;
/** Services one answer reads: 50 DescribeServices calls. */
const MAX_SERVICES = 500;

function liveTask(task: Task): LiveTask & { desiredStatus: string } {
  return {
    taskArn: task.taskArn ?? '',
    family: familyOf(task.taskDefinitionArn ?? ''),
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    ...(task.capacityProviderName && { capacityProviderName: task.capacityProviderName }),
    ...(task.launchType && { launchType: task.launchType }),
  };
}

function liveService(service: Service): LiveService {
  const providers = (service.capacityProviderStrategy ?? []).flatMap((item) =>
    item.capacityProvider ? [item.capacityProvider] : [],
  );
  return {
    service: service.serviceName ?? '',
    status: service.status ?? 'ACTIVE',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    capacity: providers.length > 0 ? providers : service.launchType ? [service.launchType] : [],
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

export function buildClusterReader(
  ecs: ECSClient,
  options: { cacheMs: number; now?: () => number },
): ClusterReader {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { until: number; value: Promise<unknown> }>();

  /** The cluster's answer of this kind, read once per cacheMs (a failed read is not kept). */
  function cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.value as Promise<T>;
    const value = read();
    cache.set(key, { until: now() + options.cacheMs, value });
    value.catch(() => cache.delete(key));
    return value;
  }

  async function describeTasks(cluster: string, arns: string[]): Promise<Task[]> {
    const described: Task[] = [];
    // One call after another: a cluster of thousands of tasks must not spend the account's bucket at once.
    for (const batch of chunks(arns, DESCRIBE_TASKS)) {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }));
      described.push(...(out.tasks ?? []));
    }
    return described;
  }

  async function readTasks(cluster: string, limit: number) {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster, desiredStatus: 'RUNNING', maxResults: LIST_PAGE, nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken && arns.length <= limit);
    const asOf = new Date(now()).toISOString();
    const tasks = (await describeTasks(cluster, arns.slice(0, limit))).map(liveTask);
    return { tasks, truncated: arns.length > limit, asOf };
  }

  async function describeServices(cluster: string, names: string[]): Promise<Service[]> {
    const described: Service[] = [];
    for (const batch of chunks(names, DESCRIBE_SERVICES)) {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: batch }));
      described.push(...(out.services ?? []));
    }
    return described;
  }

  async function readServices(cluster: string): Promise<LiveService[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster, maxResults: LIST_PAGE, nextToken }));
      arns.push(...(page.serviceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken && arns.length < MAX_SERVICES);
    return (await describeServices(cluster, arns.slice(0, MAX_SERVICES))).map(liveService);
  }

  return {
    tasks: (cluster, limit) => cached(`tasks#${cluster}#${limit}`, () => readTasks(cluster, limit)),
    services: (cluster) => cached(`services#${cluster}`, () => readServices(cluster)),
    async task(cluster, task) {
      const [found] = await describeTasks(cluster, [task]);
      return found?.taskArn ? liveTask(found) : undefined;
    },
    async service(cluster, service) {
      const [found] = await describeServices(cluster, [service]);
      return found?.serviceArn && found.status !== 'INACTIVE' ? liveService(found) : undefined;
    },
    forget(cluster) {
      for (const key of cache.keys()) if (key.split('#')[1] === cluster) cache.delete(key);
    },
  };
}

export function buildClusterActions(ecs: ECSClient): ClusterActions {
  return {
    async stopTask(cluster, task, reason) {
      await ecs.send(new StopTaskCommand({ cluster, task, reason }));
    },
    async scaleService(cluster, service, desiredCount) {
      await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount }));
    },
    async redeployService(cluster, service) {
      await ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
    },
  };
}
