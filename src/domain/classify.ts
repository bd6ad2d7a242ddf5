import type { TaskContainer, TaskDetail } from './taskEvent';

export const CLASSIFICATIONS = [
  'running',
  'succeeded',
  'failed',
  'failed-to-start',
  'stopped-by-user',
  'stopped-by-service',
  'spot-interrupted',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Why a stopped task counts as failed; later decisions (restart policy) key on this. */
export const FAILURE_KINDS = ['exit-code', 'oom', 'start-failure', 'infrastructure', 'unknown'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Verdict {
  classification: Classification;
  failure?: { kind: FailureKind; container?: string; exitCode?: number; reason?: string };
}

export const SPOT_INTERRUPTED_REASON = 'Your Spot Task was interrupted.';
const SPOT_STOP_CODES = new Set(['SpotInterruption', 'TerminationNotice']);
const OOM_EXIT_CODE = 137;

/**
 * A Fargate Spot warning is a task state change event sent while the task still runs (desiredStatus STOPPED),
 * two minutes before it stops ("How do I handle Spot termination notices in AWS Fargate Spot tasks?",
 * https://repost.aws/knowledge-center/fargate-spot-termination-notice).
 */
export function isSpotInterruption(detail: Pick<TaskDetail, 'stopCode' | 'stoppedReason'>): boolean {
  return (
    (detail.stopCode !== undefined && SPOT_STOP_CODES.has(detail.stopCode)) ||
    detail.stoppedReason === SPOT_INTERRUPTED_REASON
  );
}

function isOom(container: TaskContainer): boolean {
  return container.reason?.startsWith('OutOfMemoryError') === true;
}

const STOP_SIGNAL_EXIT_CODES = new Set([137, 143]);

/**
 * The containers that decide the task's fate. ECS events do not say which containers are essential;
 * callers that know (from the task definition) pass their names. Otherwise a container that ended by
 * ECS's SIGTERM/SIGKILL (143/137, no reason) while another container exited on its own is taken for a
 * sidecar stopped because the essential one exited.
 */
function decidingContainers(containers: readonly TaskContainer[], essential?: ReadonlySet<string>) {
  if (essential) return containers.filter((c) => essential.has(c.name));
  const killedByStop = (c: TaskContainer) =>
    c.exitCode !== undefined && STOP_SIGNAL_EXIT_CODES.has(c.exitCode) && c.reason === undefined;
  const exitedOnTheirOwn = containers.filter((c) => c.exitCode !== undefined && !killedByStop(c));
  return exitedOnTheirOwn.length > 0 ? exitedOnTheirOwn : containers;
}

function containerFailure(deciding: readonly TaskContainer[]): Verdict['failure'] | undefined {
  for (const c of deciding) {
    if (isOom(c) || (c.exitCode === OOM_EXIT_CODE && c.reason !== undefined)) {
      return { kind: 'oom', container: c.name, exitCode: c.exitCode, reason: c.reason };
    }
  }
  for (const c of deciding) {
    if (c.exitCode !== undefined && c.exitCode !== 0) {
      return { kind: 'exit-code', container: c.name, exitCode: c.exitCode, reason: c.reason };
    }
  }
  return undefined;
}

export function classify(
  detail: Pick<TaskDetail, 'lastStatus' | 'desiredStatus' | 'stopCode' | 'stoppedReason' | 'containers'>,
  essentialContainers?: ReadonlySet<string>,
): Verdict {
  // A Spot warning is final for classification even while the task is still RUNNING.
  if (isSpotInterruption(detail)) {
    return {
      classification: 'spot-interrupted',
      failure: { kind: 'infrastructure', reason: detail.stoppedReason },
    };
  }
  if (detail.lastStatus !== 'STOPPED') return { classification: 'running' };

  switch (detail.stopCode) {
    case 'UserInitiated':
      return { classification: 'stopped-by-user' };
    case 'ServiceSchedulerInitiated':
      return { classification: 'stopped-by-service' };
    case 'TaskFailedToStart':
      return {
        classification: 'failed-to-start',
        failure: { kind: 'start-failure', reason: detail.stoppedReason },
      };
    case 'InfrastructureHealth':
      return { classification: 'failed', failure: { kind: 'infrastructure', reason: detail.stoppedReason } };
  }

  // EssentialContainerExited, or a stop code this code does not know yet: decide by the containers.
  const deciding = decidingContainers(detail.containers, essentialContainers);
  const failure = containerFailure(deciding);
  if (failure) return { classification: 'failed', failure };
  const allExitedZero = deciding.length > 0 && deciding.every((c) => c.exitCode === 0);
  if (allExitedZero) return { classification: 'succeeded' };
  // Stopped with no exit code to go by (agent lost, unknown code): a failure of unknown cause.
  return { classification: 'failed', failure: { kind: 'unknown', reason: detail.stoppedReason } };
}
