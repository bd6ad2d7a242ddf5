/** The emulator's shared state: resource maps, lookups that throw ECS errors, time and event publishing. */
import { AwsError, envelope, type PublishEvent, type TimerHandle, type VirtualClock } from '../core';
import type {
  CapacityProvider,
  Cluster,
  ContainerInstance,
  EcsTimings,
  Service,
  Task,
  TaskDefinition,
} from './model';
import { arnResource, arns, clientError, invalid, lastSegment } from './util';

export class EcsState {
  readonly clusters = new Map<string, Cluster>();
  readonly providers = new Map<string, CapacityProvider>();
  /** family -> revisions, index = revision - 1 */
  readonly families = new Map<string, TaskDefinition[]>();
  /** by task id */
  readonly tasks = new Map<string, Task>();
  /** by '<cluster>/<service name>' */
  readonly services = new Map<string, Service>();
  /** by container instance id */
  readonly instances = new Map<string, ContainerInstance>();
  spotCapacity = true;
  /** Set while a lifecycle timer runs, so its effects carry the time it was due rather than when it fired. */
  private dueTime: number | undefined;

  constructor(
    readonly clock: VirtualClock,
    private readonly publishFn: PublishEvent,
    readonly timings: EcsTimings,
  ) {
    for (const name of ['FARGATE', 'FARGATE_SPOT']) {
      this.providers.set(name, {
        name,
        arn: arns.capacityProvider(name),
        fargate: true,
        spot: name === 'FARGATE_SPOT',
        tags: {},
      });
    }
  }

  now(): number {
    return this.dueTime ?? this.clock.now();
  }

  /**
   * Runs fn at virtual time `when`. Chained timers are scheduled from their due time, not from when the clock
   * fired them, so one long clock.advance() plays a whole lifecycle with faithful timestamps.
   */
  at(when: number, fn: (due: number) => void): TimerHandle {
    return this.clock.setTimeout(() => {
      const outer = this.dueTime;
      this.dueTime = when;
      try {
        fn(when);
      } finally {
        this.dueTime = outer;
      }
    }, when - this.clock.now());
  }

  publish(
    detailType: string,
    resources: string[],
    detail: Record<string, unknown>,
    source = 'aws.ecs',
  ): void {
    const time = this.now();
    try {
      this.publishFn(envelope({ now: () => time }, source, detailType, resources, detail));
    } catch (error) {
      // A failing subscriber must not leave a task half-way through a transition.
      console.error('[sandbox ecs] publish failed', error);
    }
  }

  cluster(ref: string | undefined): Cluster {
    const name = lastSegment(ref ?? 'default');
    const cluster = this.clusters.get(name);
    if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  provider(name: string): CapacityProvider | undefined {
    return this.providers.get(lastSegment(name));
  }

  /** 'family', 'family:revision' or a task definition ARN; a bare family means its latest ACTIVE revision. */
  findTaskDefinition(ref: string): TaskDefinition | undefined {
    const resource = ref.startsWith('arn:')
      ? (arnResource(ref) ?? '').replace(/^task-definition\//, '')
      : ref;
    const [family = '', revisionText] = resource.split(':');
    const revisions = this.families.get(family) ?? [];
    if (revisionText === undefined) return revisions.filter((td) => td.status === 'ACTIVE').pop();
    return revisions[Number(revisionText) - 1];
  }

  /** For RunTask/StartTask/CreateService/UpdateService: observed "ClientException: TaskDefinition not found." */
  taskDefinitionToLaunch(ref: string): TaskDefinition {
    const td = this.findTaskDefinition(ref);
    if (!td) throw clientError('TaskDefinition not found.');
    return td;
  }

  findTask(cluster: Cluster, ref: string): Task | undefined {
    const task = this.tasks.get(lastSegment(ref));
    return task?.clusterName === cluster.name ? task : undefined;
  }

  /** Looks a task up by id or ARN in any cluster (fault injection is cluster-agnostic). */
  anyTask(ref: string): Task {
    const task = this.tasks.get(lastSegment(ref));
    if (!task) throw new AwsError('ResourceNotFoundException', `Task ${ref} not found.`);
    return task;
  }

  findService(cluster: Cluster, ref: string): Service | undefined {
    return this.services.get(`${cluster.name}/${lastSegment(ref)}`);
  }

  service(cluster: Cluster, ref: string): Service {
    const service = this.findService(cluster, ref);
    if (!service) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  activeService(cluster: Cluster, ref: string): Service {
    const service = this.service(cluster, ref);
    if (service.status !== 'ACTIVE')
      throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    return service;
  }

  findInstance(cluster: Cluster, ref: string): ContainerInstance | undefined {
    const instance = this.instances.get(lastSegment(ref));
    return instance?.clusterName === cluster.name ? instance : undefined;
  }

  instancesOf(cluster: Cluster): ContainerInstance[] {
    return [...this.instances.values()].filter((instance) => instance.clusterName === cluster.name);
  }

  tasksOf(cluster: Cluster): Task[] {
    return [...this.tasks.values()].filter((task) => task.clusterName === cluster.name);
  }

  servicesOf(cluster: Cluster): Service[] {
    return [...this.services.values()].filter((service) => service.clusterName === cluster.name);
  }

  tasksOn(instance: ContainerInstance): Task[] {
    return [...this.tasks.values()].filter((task) => task.containerInstanceId === instance.id);
  }

  /** CPU/memory not reserved by tasks on the instance; a task holds its reservation until STOPPED. */
  remaining(instance: ContainerInstance): { cpu: number; memory: number } {
    let cpu = instance.cpu;
    let memory = instance.memory;
    for (const task of this.tasksOn(instance)) {
      if (task.lastStatus === 'STOPPED') continue;
      cpu -= task.cpu;
      memory -= task.memory;
    }
    return { cpu, memory };
  }

  requireProvider(name: string): CapacityProvider {
    const provider = this.provider(name);
    if (!provider) throw invalid(`The specified capacity provider '${name}' does not exist.`);
    return provider;
  }
}
