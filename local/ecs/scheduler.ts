/**
 * The service scheduler: keeps desiredCount tasks of the primary deployment running, replaces tasks that
 * stop, are interrupted or sit on DRAINING instances (stopping the old ones only once replacements RUN),
 * and publishes "ECS Service Action" / "ECS Deployment State Change" events
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Deployment, Service, Task } from './model';
import { type PlacementFailure, planPlacement } from './placement';
import type { EcsState } from './state';
import { type TaskEngine, taskSize } from './tasks';
import { formatTime } from './util';

/** How often a service whose tasks could not be placed tries again. */
const PLACEMENT_RETRY_MS = 15_000;
/** SERVICE_TASK_PLACEMENT_FAILURE is published at most this often per service. */
const PLACEMENT_EVENT_INTERVAL_MS = 30_000;
const MAX_SERVICE_EVENTS = 100;

export class ServiceScheduler {
  constructor(
    private readonly state: EcsState,
    private readonly engine: TaskEngine,
  ) {}

  /** Task lifecycle hook: the owning service takes another look. */
  taskChanged(task: Task): void {
    if (!task.serviceName) return;
    const service = this.state.services.get(`${task.clusterName}/${task.serviceName}`);
    if (service) this.schedule(service);
  }

  /** Reconciles soon (on the next clock tick), once, however many changes arrive meanwhile. */
  schedule(service: Service): void {
    if (service.reconcileTimer || service.status === 'INACTIVE') return;
    service.reconcileTimer = this.state.at(this.state.now(), () => {
      service.reconcileTimer = undefined;
      this.reconcile(service);
    });
  }

  scheduleAll(cluster?: Cluster): void {
    for (const service of this.state.services.values()) {
      if (!cluster || service.clusterName === cluster.name) this.schedule(service);
    }
  }

  startDeployment(service: Service, deployment: Deployment): void {
    for (const old of service.deployments) old.status = 'ACTIVE';
    service.deployments.unshift(deployment);
    service.steady = false;
    this.publishDeployment(service, deployment, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'in progress');
    this.schedule(service);
  }

  addEvent(service: Service, message: string): void {
    service.events.unshift({ id: randomUUID(), createdAt: this.state.now(), message });
    service.events.length = Math.min(service.events.length, MAX_SERVICE_EVENTS);
  }

  reconcile(service: Service): void {
    const cluster = this.state.clusters.get(service.clusterName);
    const primary = service.deployments[0];
    if (service.status === 'INACTIVE' || !cluster || !primary) return;
    const active = this.activeTasks(service);
    const retiring = active.filter((task) => task.startedBy !== primary.id || this.onDrainingInstance(task));
    let keep = active.filter((task) => !retiring.includes(task));

    if (keep.length > service.desiredCount) {
      const surplus = [...keep].sort(stopPreference).slice(0, keep.length - service.desiredCount);
      this.stop(service, primary, surplus);
      keep = keep.filter((task) => !surplus.includes(task));
    }
    const missing = service.desiredCount - keep.length;
    if (missing > 0) keep = keep.concat(this.launch(service, cluster, primary, keep, missing));

    // Rolling replacement (minimumHealthyPercent 100): old tasks go once the new ones are RUNNING.
    const running = keep.filter((task) => task.lastStatus === 'RUNNING').length;
    let retiringLeft = retiring.length;
    if (retiringLeft > 0 && running >= service.desiredCount) {
      this.stop(service, primary, retiring);
      retiringLeft = 0;
    }

    if (service.status === 'DRAINING' && this.activeTasks(service).length === 0) {
      service.status = 'INACTIVE';
      this.state.clock.clearTimeout(service.retryTimer);
      return;
    }
    const steady =
      retiringLeft === 0 && keep.length === service.desiredCount && running === service.desiredCount;
    if (steady && !service.steady) this.reachedSteadyState(service, cluster, primary);
    service.steady = steady;
  }

  private activeTasks(service: Service): Task[] {
    return [...this.state.tasks.values()].filter(
      (task) =>
        task.serviceName === service.name &&
        task.clusterName === service.clusterName &&
        task.desiredStatus === 'RUNNING',
    );
  }

  private onDrainingInstance(task: Task): boolean {
    const instance = task.containerInstanceId
      ? this.state.instances.get(task.containerInstanceId)
      : undefined;
    return instance?.status === 'DRAINING';
  }

  private launch(
    service: Service,
    cluster: Cluster,
    deployment: Deployment,
    keep: Task[],
    missing: number,
  ): Task[] {
    const existing = new Map<string, number>();
    for (const task of keep) {
      if (task.capacityProviderName) {
        existing.set(task.capacityProviderName, (existing.get(task.capacityProviderName) ?? 0) + 1);
      }
    }
    const td = deployment.taskDefinition;
    const plan = planPlacement(this.state, cluster, deployment.target, missing, {
      ...taskSize(td, {}),
      existing,
    });
    const tags =
      service.propagateTags === 'SERVICE'
        ? service.tags
        : service.propagateTags === 'TASK_DEFINITION'
          ? td.tags
          : {};
    const launched = plan.placed.map((placement) =>
      this.engine.launch({
        cluster,
        taskDefinition: td,
        placement,
        group: `service:${service.name}`,
        startedBy: deployment.id,
        serviceName: service.name,
        tags,
        overrides: {},
        networkConfiguration: deployment.networkConfiguration,
      }),
    );
    if (launched.length) {
      const ids = launched.map((task) => `(task ${task.id})`).join(' ');
      this.addEvent(service, `(service ${service.name}) has started ${launched.length} tasks: ${ids}.`);
    }
    if (plan.failures.length) this.placementFailed(service, cluster, plan.failures);
    return launched;
  }

  private stop(service: Service, deployment: Deployment, tasks: Task[]): void {
    if (tasks.length === 0) return;
    // UNCERTAIN wording (an example of a ServiceSchedulerInitiated stop reason).
    const reason = `Scaling activity initiated by (deployment ${deployment.id})`;
    for (const task of tasks) this.engine.requestStop(task, 'ServiceSchedulerInitiated', reason);
    const ids = tasks.map((task) => `(task ${task.id})`).join(' ');
    this.addEvent(service, `(service ${service.name}) has stopped ${tasks.length} running tasks: ${ids}.`);
  }

  /** Retries later; publishes SERVICE_TASK_PLACEMENT_FAILURE at most every 30 s per service. */
  private placementFailed(service: Service, cluster: Cluster, failures: PlacementFailure[]): void {
    const now = this.state.now();
    if (!service.retryTimer) {
      service.retryTimer = this.state.at(now + PLACEMENT_RETRY_MS, () => {
        service.retryTimer = undefined;
        this.reconcile(service);
      });
    }
    const last = service.lastPlacementFailureEventAt;
    if (last !== undefined && now - last < PLACEMENT_EVENT_INTERVAL_MS) return;
    service.lastPlacementFailureEventAt = now;
    const providers = [
      ...new Set(failures.flatMap((f) => (f.capacityProviderName ? [f.capacityProviderName] : []))),
    ]
      .map((name) => this.state.provider(name))
      .filter((provider) => provider !== undefined);
    const fargate = providers.some((provider) => provider.fargate);
    const instanceArns = [...new Set(failures.map((f) => f.arn))].filter((arn) =>
      arn.includes(':container-instance/'),
    );
    const first = failures[0];
    this.state.publish('ECS Service Action', [service.arn], {
      eventType: 'ERROR',
      eventName: 'SERVICE_TASK_PLACEMENT_FAILURE',
      clusterArn: cluster.arn,
      ...(providers.length ? { capacityProviderArns: providers.map((provider) => provider.arn) } : {}),
      ...(instanceArns.length ? { containerInstanceArns: instanceArns } : {}),
      reason: fargate ? 'RESOURCE:FARGATE' : (first?.reason ?? 'RESOURCE:CPU'),
      createdAt: formatTime(now, 'event'),
    });
    this.addEvent(
      service,
      fargate
        ? `(service ${service.name}) was unable to place a task. Reason: ${first?.reason}.`
        : `(service ${service.name}) was unable to place a task because no container instance met all of its requirements. Reason: ${first?.reason}.`,
    );
  }

  private reachedSteadyState(service: Service, cluster: Cluster, primary: Deployment): void {
    const now = this.state.now();
    this.state.publish('ECS Service Action', [service.arn], {
      eventType: 'INFO',
      eventName: 'SERVICE_STEADY_STATE',
      clusterArn: cluster.arn,
      createdAt: formatTime(now, 'event'),
    });
    this.addEvent(service, `(service ${service.name}) has reached a steady state.`);
    if (primary.rolloutState !== 'COMPLETED') {
      primary.rolloutState = 'COMPLETED';
      primary.updatedAt = now;
      this.publishDeployment(service, primary, 'SERVICE_DEPLOYMENT_COMPLETED', 'completed');
    }
    service.deployments = [primary];
  }

  private publishDeployment(
    service: Service,
    deployment: Deployment,
    eventName: string,
    state: string,
  ): void {
    this.state.publish('ECS Deployment State Change', [service.arn], {
      eventType: 'INFO',
      eventName,
      deploymentId: deployment.id,
      updatedAt: formatTime(this.state.now(), 'event'),
      reason: `ECS deployment ${deployment.id} ${state}.`,
    });
  }
}

/** Scale-in victims: tasks not yet RUNNING first, then the newest. */
function stopPreference(a: Task, b: Task): number {
  const aRunning = a.lastStatus === 'RUNNING' ? 1 : 0;
  const bRunning = b.lastStatus === 'RUNNING' ? 1 : 0;
  return aRunning - bRunning || b.createdAt - a.createdAt;
}
