import type { Logger } from '@aws-lambda-powertools/logger';
import type { DescribeTaskTags } from '../adapters/ecs';
import type { PublishEvents } from '../adapters/events';
import type { SendLaunchRequest } from '../adapters/launchQueue';
import type { DecisionRecord, LaunchStore } from '../adapters/launchStore';
import type { TaskTransition } from '../domain/lifecycle';
import {
  decideRestart,
  mayNeedRestart,
  type NetworkDefaults,
  type RestartDecision,
} from '../domain/restartDecision';
import { type PartialRestartPolicy, policyFromTags } from '../domain/restartPolicy';
import type { TaskDetail } from '../domain/taskEvent';

export interface RestartConfig {
  defaultPolicy?: PartialRestartPolicy;
  familyPolicies: Record<string, PartialRestartPolicy>;
  networkDefaults: NetworkDefaults;
}

export interface RestartDeps {
  store: Pick<LaunchStore, 'getLaunch' | 'putDecision'>;
  describeTaskTags: DescribeTaskTags;
  sendLaunchRequest: SendLaunchRequest;
  publishEvents: PublishEvents;
  config: RestartConfig;
  logger: Pick<Logger, 'info' | 'warn'>;
  countDecision: (action: string, family: string) => void;
  now?: () => number;
  random?: () => number;
}

/** A decision younger than this may not have reached the queue (crash between write and send): resend it. */
const RESEND_WINDOW_MS = 15 * 60_000;

/**
 * The restart path for one STOPPED task: decide once (conditional write), then enqueue the launch.
 * Duplicate and concurrent deliveries find the decision and do nothing new; the launcher's clientToken and
 * request marker make a resend after a crash start no second task.
 */
export function buildHandleStoppedTask(deps: RestartDeps) {
  const now = deps.now ?? Date.now;
  return async (t: TaskTransition, detail: TaskDetail): Promise<RestartDecision | undefined> => {
    if (!mayNeedRestart(t)) return undefined;

    const launch = await deps.store.getLaunch(t.taskId);
    // Tags are read from ECS only for failed tasks launched elsewhere; our own launches recorded them.
    const tags = launch
      ? Object.fromEntries((launch.runTask.tags ?? []).map((tag) => [tag.key, tag.value]))
      : await deps.describeTaskTags(t.clusterArn, t.taskArn).catch((error) => {
          deps.logger.warn('could not read task tags; deciding without them', { taskArn: t.taskArn, error });
          return {} as Record<string, string>;
        });
    const decision = decideRestart({
      transition: t,
      detail,
      launch,
      tags,
      tagPolicy: policyFromTags(tags),
      familyPolicy: deps.config.familyPolicies[t.family],
      defaultPolicy: deps.config.defaultPolicy,
      networkDefaults: deps.config.networkDefaults,
      random: deps.random,
    });
    if (decision.action === 'none') return decision;

    const record: DecisionRecord = {
      taskArn: t.taskArn,
      action: decision.action,
      reason: 'reason' in decision ? decision.reason : undefined,
      decidedAt: new Date(now()).toISOString(),
      ...(decision.action === 'restart' && {
        delaySeconds: decision.delaySeconds,
        attempt: decision.request.lineage?.attempt,
        infrastructure: decision.infrastructure,
        request: decision.request,
      }),
      ...(decision.action === 'give-up' && { chain: decision.chain, originTaskArn: decision.originTaskArn }),
      maxAttempts: decision.policy.maxAttempts,
    };
    const put = await deps.store.putDecision(t.taskId, record);
    if (!put.created) {
      await resendIfRecent(put.existing);
      return decision;
    }

    deps.countDecision(decision.action, t.family);
    const base = {
      taskArn: t.taskArn,
      cluster: t.cluster,
      family: t.family,
      taskDefinition: t.taskDefinition,
    };
    switch (decision.action) {
      case 'restart': {
        await deps.sendLaunchRequest(decision.request, decision.delaySeconds);
        deps.logger.info('restart scheduled', {
          ...base,
          attempt: decision.request.lineage?.attempt,
          delaySeconds: decision.delaySeconds,
        });
        await deps.publishEvents([
          {
            detailType: 'Task Restart Scheduled',
            resources: [t.taskArn],
            detail: {
              ...base,
              attempt: decision.request.lineage?.attempt,
              maxAttempts: decision.policy.maxAttempts,
              delaySeconds: decision.delaySeconds,
              infrastructure: decision.infrastructure,
              originTaskArn: decision.request.lineage?.originTaskArn,
              exitCode: t.failure?.exitCode,
              stopCode: t.stopCode,
              stoppedReason: t.stoppedReason,
            },
          },
        ]);
        return decision;
      }
      case 'give-up':
        deps.logger.info('restart given up', { ...base, reason: decision.reason });
        if (decision.reason !== 'restart disabled') {
          await deps.publishEvents([
            {
              detailType: 'Task Restart Exhausted',
              resources: [t.taskArn],
              detail: {
                ...base,
                reason: decision.reason,
                originTaskArn: decision.originTaskArn,
                attempts: decision.chain,
              },
            },
          ]);
        }
        return decision;
      case 'not-restartable':
        deps.logger.warn('not restartable: network configuration unknown', {
          ...base,
          hint: 'set the networkDefaults stage parameter for this cluster',
        });
        return decision;
    }
  };

  async function resendIfRecent(existing: DecisionRecord) {
    if (existing.action !== 'restart' || !existing.request || existing.replacementTaskArns) return;
    const age = now() - Date.parse(existing.decidedAt);
    if (!(age >= 0 && age < RESEND_WINDOW_MS)) return;
    const remaining = Math.max(0, (existing.delaySeconds ?? 0) - age / 1000);
    await deps.sendLaunchRequest(existing.request, remaining);
  }
}
