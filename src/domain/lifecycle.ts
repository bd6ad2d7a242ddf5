import { type Classification, classify, type Verdict } from './classify';
import { type TaskDetail, type TaskStateChangeEvent, taskIdentity } from './taskEvent';

/** One task state change, flattened: what the lifecycle log prints and the history stores. */
export interface TaskTransition {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  cluster: string;
  family: string;
  revision: number;
  taskDefinition: string; // family:revision
  version: number;
  eventId: string;
  eventTime: string;
  group?: string;
  startedBy?: string;
  launchType?: string;
  capacityProvider?: string;
  availabilityZone?: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: { name: string; lastStatus?: string; exitCode?: number; reason?: string }[];
  createdAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  durations: { createdToRunningMs?: number; runningToStoppedMs?: number; createdToStoppedMs?: number };
  classification: Classification;
  failure?: Verdict['failure'];
}

function millisBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function durationsOf(detail: Pick<TaskDetail, 'createdAt' | 'startedAt' | 'stoppedAt'>) {
  return {
    createdToRunningMs: millisBetween(detail.createdAt, detail.startedAt),
    runningToStoppedMs: millisBetween(detail.startedAt, detail.stoppedAt),
    createdToStoppedMs: millisBetween(detail.createdAt, detail.stoppedAt),
  };
}

export function toTransition(
  event: TaskStateChangeEvent,
  essentialContainers?: ReadonlySet<string>,
): TaskTransition {
  const d = event.detail;
  const id = taskIdentity(d);
  const verdict = classify(d, essentialContainers);
  // Fields written out rather than spread from `id`: on Node 20 the spread into this many properties costs
  // ~100 µs per event (bench/README.md, per-event), 30x the rest of this function.
  return {
    taskArn: id.taskArn,
    taskId: id.taskId,
    clusterArn: id.clusterArn,
    cluster: id.cluster,
    family: id.family,
    revision: id.revision,
    taskDefinition: `${id.family}:${id.revision}`,
    version: d.version,
    eventId: event.id,
    eventTime: event.time,
    group: d.group,
    startedBy: d.startedBy,
    launchType: d.launchType,
    capacityProvider: d.capacityProviderName,
    availabilityZone: d.availabilityZone,
    lastStatus: d.lastStatus,
    desiredStatus: d.desiredStatus,
    stopCode: d.stopCode,
    stoppedReason: d.stoppedReason,
    containers: d.containers.map((c) => ({
      name: c.name,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
    })),
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    stoppingAt: d.stoppingAt,
    stoppedAt: d.stoppedAt,
    durations: durationsOf(d),
    classification: verdict.classification,
    failure: verdict.failure,
  };
}

/** Stopped tasks (and Spot warnings) are what operators count; running states are not. */
export function isFinalForMetrics(t: Pick<TaskTransition, 'lastStatus'>): boolean {
  return t.lastStatus === 'STOPPED';
}
