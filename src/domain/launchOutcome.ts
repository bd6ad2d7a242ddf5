import { backoffSeconds, DEFAULT_POLICY, type RestartPolicy } from './restartPolicy';

/** What a RunTask call came to, and what the launcher does next. Pure: the SDK shapes are mapped in the adapter. */
export interface RunTaskFailure {
  arn?: string;
  reason?: string;
  detail?: string;
}

export type LaunchOutcome =
  | { kind: 'launched'; taskArns: string[]; failures: RunTaskFailure[] }
  | { kind: 'capacity'; taskArns: string[]; failures: RunTaskFailure[] }
  | { kind: 'rejected'; taskArns: string[]; failures: RunTaskFailure[] };

/** RESOURCE:* and Fargate's capacity message are worth retrying later; other reasons are configuration errors. */
export function isCapacityReason(reason: string | undefined): boolean {
  return (
    !!reason &&
    (/^RESOURCE:/.test(reason) || reason.startsWith('Capacity is unavailable') || reason === 'AGENT')
  );
}

export function classifyRunTask(taskArns: string[], failures: RunTaskFailure[]): LaunchOutcome {
  if (failures.length === 0) return { kind: 'launched', taskArns, failures };
  if (failures.every((f) => isCapacityReason(f.reason))) return { kind: 'capacity', taskArns, failures };
  return { kind: 'rejected', taskArns, failures };
}

/** Capacity retries: bounded, with the restart backoff (a capacity shortage usually lasts minutes). */
export const MAX_CAPACITY_RETRIES = 8;

export function capacityRetryDelaySeconds(
  retry: number,
  policy: RestartPolicy = DEFAULT_POLICY,
  random: () => number = Math.random,
): number {
  return backoffSeconds(policy, retry, random);
}

/** ECS API errors that mean "try again later", never "give up". */
const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'ServerException',
  'ServiceUnavailableException',
  'InternalFailure',
  'RequestTimeout',
  'TimeoutError',
]);

export function isTransientError(error: unknown): boolean {
  const e = error as {
    name?: string;
    $fault?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (!e) return false;
  if (e.name && TRANSIENT_ERRORS.has(e.name)) return true;
  if (e.$fault === 'server') return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code ?? '');
}

/** One RunTask attempt of a launch request, as recorded (its outcome marker). */
export interface RecordedAttempt {
  status: 'launched' | 'failed' | 'requeued';
  taskArns: string[];
  failures?: RunTaskFailure[];
  /** The attempt left tasks to start to a later attempt (capacity, or on-demand after Spot). */
  requeued: boolean;
  at: string;
}

export interface LaunchStatus {
  /** PENDING: tasks are still to start (queued: throttled, or waiting for capacity); FAILED: given up. */
  status: 'PENDING' | 'LAUNCHED' | 'FAILED';
  /** Every task the launch started, over all its attempts. */
  taskArns: string[];
  /** RunTask's failures of the last attempt that had some. */
  failures?: RunTaskFailure[];
  attempts: number;
  updatedAt?: string;
}

/**
 * What a launch request came to, from its attempts in order (capacity retry 0, 1, ...): an attempt that
 * requeued leaves the rest to the next one, so the last recorded attempt decides; none recorded yet, or the
 * last one requeued, is PENDING.
 */
export function launchStatus(attempts: readonly RecordedAttempt[]): LaunchStatus {
  const last = attempts.at(-1);
  const failures = attempts.findLast((a) => (a.failures?.length ?? 0) > 0)?.failures;
  const status = !last || last.requeued ? 'PENDING' : last.status === 'failed' ? 'FAILED' : 'LAUNCHED';
  return {
    status,
    taskArns: attempts.flatMap((a) => a.taskArns),
    ...(failures && { failures }),
    attempts: attempts.length,
    ...(last && { updatedAt: last.at }),
  };
}
