import type { Attempt, LaunchRequest, Lineage, RunTaskInput } from './launchRequest';
import { isServiceTask, type TaskTransition } from './lifecycle';
import {
  backoffSeconds,
  MAX_INFRASTRUCTURE_RELAUNCHES,
  type PartialRestartPolicy,
  type RestartPolicy,
  resolvePolicy,
  ruleMatches,
} from './restartPolicy';
import { OWN_STARTED_BY, SCHEDULE_STARTED_BY } from './scheduleLaunch';
import { relaunchable } from './secrets';
import type { TaskDetail } from './taskEvent';
import { lastArnSegment } from './taskEvent';

export const ATTEMPT_TAG = 'ecs-autopilot:attempt';
export const ORIGIN_TAG = 'ecs-autopilot:origin-task';
export const REASON_TAG = 'ecs-autopilot:reason';
const OWN_TAGS = new Set([ATTEMPT_TAG, ORIGIN_TAG, REASON_TAG]);

export type NetworkDefaults = Record<string, NonNullable<RunTaskInput['networkConfiguration']>>;

/** What ecs-autopilot recorded when it launched a task (absent for tasks launched elsewhere). */
export interface LaunchRecordView {
  runTask: RunTaskInput;
  lineage?: Lineage;
  policy?: PartialRestartPolicy;
  launchLease?: LaunchRequest['launchLease'];
  /** A schedule's run: its name and due time, which its relaunches keep (the run they belong to). */
  context?: LaunchRequest['context'];
}

export type GiveUpReason =
  | 'exhausted'
  | 'restart disabled'
  | 'matched giveUpOn'
  | 'not matched by retryOn'
  | 'infrastructure relaunch limit';

export type RestartDecision =
  | { action: 'none'; reason: string }
  | { action: 'not-restartable'; reason: 'network configuration unknown'; policy: RestartPolicy }
  | {
      action: 'give-up';
      reason: GiveUpReason;
      policy: RestartPolicy;
      chain: Attempt[];
      originTaskArn: string;
    }
  | {
      action: 'restart';
      infrastructure: boolean;
      delaySeconds: number;
      policy: RestartPolicy;
      request: LaunchRequest;
      /** Environment variables relaunched without their value: the stage does not store them. */
      withoutValuesOf?: string[];
    };

const CAPACITY_REASON = /RESOURCE:|Capacity is unavailable/;

/** Cheap first check, before any AWS call: is this the final state of a failed standalone task? */
export function mayNeedRestart(t: Pick<TaskTransition, 'lastStatus' | 'group' | 'classification'>): boolean {
  return (
    t.lastStatus === 'STOPPED' &&
    !isServiceTask(t) &&
    (t.classification === 'failed' || t.classification === 'failed-to-start')
  );
}

/** Infrastructure causes (capacity, agent/host health) use no attempt (like Kubernetes' disruptions). */
export function isInfrastructureFailure(t: Pick<TaskTransition, 'failure' | 'stoppedReason'>): boolean {
  if (t.failure?.kind === 'infrastructure') return true;
  return t.failure?.kind === 'start-failure' && CAPACITY_REASON.test(t.stoppedReason ?? '');
}

function hasEni(detail: Pick<TaskDetail, 'attachments'>): boolean {
  return (detail.attachments ?? []).some((a) => a.type === 'eni' || a.type === 'ElasticNetworkInterface');
}

/**
 * A RunTask input for a task ecs-autopilot did not launch, from what the event carries. Network
 * configuration is never in events, so an awsvpc task needs the cluster's configured default.
 */
export function rebuildRunTask(
  t: Pick<TaskTransition, 'cluster' | 'clusterArn'>,
  detail: TaskDetail,
  tags: Record<string, string>,
  networkDefaults: NetworkDefaults,
): RunTaskInput | undefined {
  const awsvpc = hasEni(detail) || detail.launchType === 'FARGATE';
  const network = networkDefaults[t.cluster] ?? networkDefaults[t.clusterArn];
  if (awsvpc && !network) return undefined;
  const overrides = detail.overrides;
  return {
    cluster: t.clusterArn,
    taskDefinition: detail.taskDefinitionArn,
    count: 1,
    // A plain FARGATE launch needs no provider association on the cluster; any other provider does.
    ...(detail.capacityProviderName && detail.capacityProviderName !== 'FARGATE'
      ? { capacityProviderStrategy: [{ capacityProvider: detail.capacityProviderName, weight: 1 }] }
      : detail.launchType
        ? { launchType: detail.launchType }
        : {}),
    ...(detail.platformVersion && detail.launchType === 'FARGATE'
      ? { platformVersion: detail.platformVersion }
      : {}),
    ...(awsvpc ? { networkConfiguration: network } : {}),
    ...(overrides
      ? {
          overrides: {
            containerOverrides: overrides.containerOverrides?.map((c) => ({
              name: c.name ?? '',
              command: c.command,
              environment: c.environment?.map((e) => ({ name: e.name, value: e.value ?? '' })),
              cpu: c.cpu,
              memory: c.memory,
              memoryReservation: c.memoryReservation,
            })),
            cpu: overrides.cpu,
            memory: overrides.memory,
            taskRoleArn: overrides.taskRoleArn,
            executionRoleArn: overrides.executionRoleArn,
          },
        }
      : {}),
    group: detail.group,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  };
}

/** Tags for a replacement: the original ones (AWS-reserved and our own lineage tags dropped) plus lineage. */
export function replacementTags(
  original: RunTaskInput['tags'],
  extra: Record<string, string>,
): NonNullable<RunTaskInput['tags']> {
  const lineage = Object.entries(extra).map(([key, value]) => ({ key, value }));
  // ECS allows 50 tags; the lineage tags are the ones that must survive.
  const kept = (original ?? []).filter((t) => !t.key.startsWith('aws:') && !OWN_TAGS.has(t.key));
  return [...kept.slice(0, 50 - lineage.length), ...lineage];
}

/** One replacement per failed task: the request id names the task it replaces, so duplicates collapse. */
export function replacementRequestId(kind: 'restart' | 'spot', failedTaskId: string): string {
  return `${kind === 'restart' ? 'r' : 's'}-${failedTaskId}`;
}

/**
 * The replacement's startedBy. A schedule's run keeps the schedule's: its Forbid and Replace find the
 * schedule's running tasks by it (ListTasks), and a restarted run is still that run. Others name their
 * lineage (the tags and the launch record carry it in both cases).
 */
export function replacementStartedBy(
  base: Pick<RunTaskInput, 'startedBy'>,
  kind: 'restart' | 'spot',
  originTaskId: string,
  launchNumber: number,
): string {
  if (base.startedBy?.startsWith(SCHEDULE_STARTED_BY)) return base.startedBy;
  return lineageStartedBy(kind, originTaskId, launchNumber);
}

/** startedBy allows letters, digits, -, / and _ (≤128): the replacement's names its lineage. */
function lineageStartedBy(kind: 'restart' | 'spot', originTaskId: string, launchNumber: number): string {
  return `${OWN_STARTED_BY}${kind}/${originTaskId.replace(/[^A-Za-z0-9_-]/g, '')}/${launchNumber}`.slice(
    0,
    128,
  );
}

export interface RestartInputs {
  transition: TaskTransition;
  detail: TaskDetail;
  launch?: LaunchRecordView;
  tags: Record<string, string>;
  tagPolicy: PartialRestartPolicy;
  familyPolicy?: PartialRestartPolicy;
  defaultPolicy?: PartialRestartPolicy;
  networkDefaults: NetworkDefaults;
  random?: () => number;
}

export function decideRestart(i: RestartInputs): RestartDecision {
  const t = i.transition;
  if (!mayNeedRestart(t))
    return { action: 'none', reason: `not a failed standalone task (${t.classification})` };

  const policy = resolvePolicy(i.launch?.policy, i.tagPolicy, i.familyPolicy, i.defaultPolicy);
  const lineage = i.launch?.lineage;
  const originTaskArn = lineage?.originTaskArn ?? t.taskArn;
  const attemptsUsed = lineage?.attempt ?? 0;
  const launches = lineage?.launches ?? 0;
  const infrastructure = isInfrastructureFailure(t);
  const facts = {
    exitCode: t.failure?.exitCode,
    stoppedReason: t.stoppedReason,
    containerReason: t.failure?.reason,
  };

  const thisAttempt = (decision: string, delaySeconds?: number): Attempt => ({
    taskArn: t.taskArn,
    attempt: attemptsUsed,
    exitCode: t.failure?.exitCode,
    stopCode: t.stopCode,
    stoppedReason: t.stoppedReason,
    failureKind: t.failure?.kind,
    decision,
    delaySeconds,
  });
  const giveUp = (reason: GiveUpReason): RestartDecision => ({
    action: 'give-up',
    reason,
    policy,
    originTaskArn,
    chain: [...(lineage?.chain ?? []), thisAttempt(`give up: ${reason}`)],
  });

  if (policy.maxAttempts === 0) return giveUp('restart disabled');
  if (infrastructure) {
    // Relaunches that used no attempt are the infrastructure ones.
    if (launches - attemptsUsed >= MAX_INFRASTRUCTURE_RELAUNCHES)
      return giveUp('infrastructure relaunch limit');
  } else {
    if (policy.giveUpOn?.some((rule) => ruleMatches(rule, facts))) return giveUp('matched giveUpOn');
    if (policy.retryOn && !policy.retryOn.some((rule) => ruleMatches(rule, facts))) {
      return giveUp('not matched by retryOn');
    }
    if (attemptsUsed >= policy.maxAttempts) return giveUp('exhausted');
  }

  const recorded = i.launch ? relaunchable(i.launch.runTask) : undefined;
  const base = recorded?.runTask ?? rebuildRunTask(t, i.detail, i.tags, i.networkDefaults);
  if (!base) return { action: 'not-restartable', reason: 'network configuration unknown', policy };

  const nextAttempt = infrastructure ? attemptsUsed : attemptsUsed + 1;
  const launchNumber = launches + 1;
  const delaySeconds = backoffSeconds(policy, Math.max(1, nextAttempt), i.random);
  const originTaskId = lastArnSegment(originTaskArn);
  const request: LaunchRequest = {
    requestId: replacementRequestId('restart', t.taskId),
    reason: 'restart',
    runTask: {
      ...base,
      count: 1,
      startedBy: replacementStartedBy(base, 'restart', originTaskId, launchNumber),
      tags: replacementTags(base.tags, {
        [ATTEMPT_TAG]: String(nextAttempt),
        [ORIGIN_TAG]: originTaskArn,
        [REASON_TAG]: infrastructure ? 'infrastructure' : 'restart',
      }),
    },
    lineage: {
      originTaskArn,
      attempt: nextAttempt,
      launches: launchNumber,
      previousTaskArn: t.taskArn,
      chain: [
        ...(lineage?.chain ?? []),
        thisAttempt(infrastructure ? 'relaunch (infrastructure)' : 'restart', delaySeconds),
      ],
    },
    policy: i.launch?.policy,
    deferSeconds: 0,
    capacityRetries: 0,
    requestedBy: 'ecs-autopilot',
    // A schedule's run is still that run when restarted: it holds the schedule's lease (Forbid, Replace).
    ...(i.launch?.launchLease && { launchLease: i.launch.launchLease }),
    ...(i.launch?.context && { context: i.launch.context }),
  };
  return {
    action: 'restart',
    infrastructure,
    delaySeconds,
    policy,
    request,
    ...(recorded?.dropped.length && { withoutValuesOf: recorded.dropped }),
  };
}
