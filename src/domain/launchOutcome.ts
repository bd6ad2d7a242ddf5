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
