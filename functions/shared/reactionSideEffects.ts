import {
  buildBatchedDescribeTaskTags,
  buildDescribeTaskTags,
  buildListRunningTasks,
} from '../../src/adapters/ecs';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildSendLaunchRequest } from '../../src/adapters/launchQueue';
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import type { ReactionDeps } from '../../src/app/reactions';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs, ecsTagReads } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { sqs } from '../../src/clients/sqs';
import { logger, metrics, publishCount } from '../../src/observability';
import type { ReactionConfig } from './reactionConfig';

/** The adapters the automatic reactions use, from their settings: taskReactions' and spotInstance's alike. */
export function reactionSideEffects(config: ReactionConfig): ReactionDeps {
  return {
    store: buildLaunchStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS, Date.now, {
      storeOverrideValues: config.STORE_OVERRIDE_VALUES,
    }),
    describeTaskTags: buildDescribeTaskTags(ecsTagReads),
    sendLaunchRequest: buildSendLaunchRequest(sqs, config.LAUNCH_QUEUE_URL),
    publishEvents: buildPublishEvents(eventBridge, config.EVENT_BUS_NAME),
    config: {
      defaultPolicy: { maxAttempts: config.RESTART_MAX_ATTEMPTS },
      familyPolicies: config.RESTART_FAMILY_POLICIES,
      networkDefaults: config.NETWORK_DEFAULTS,
      spotMapping: config.SPOT_TO_ON_DEMAND,
      spotOptOutFamilies: new Set(config.SPOT_FALLBACK_OPT_OUT_FAMILIES),
    },
    logger,
    countDecision: (action, family) => {
      publishCount(metrics, 'TaskDecisions', { decision: action, family });
    },
    scheduleRuns: {
      leases: buildScheduleStore(dynamoDb, config.TABLE_NAME, config.HISTORY_RETENTION_DAYS),
      listRunningTasks: buildListRunningTasks(ecs),
      describeTaskTags: buildBatchedDescribeTaskTags(ecs),
    },
  };
}
