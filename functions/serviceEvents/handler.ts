import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildEcsServices } from '../../src/adapters/ecsServices';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildServiceStateStore } from '../../src/adapters/serviceState';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { eventBusName, readConfig, spotSettings, tableName } from '../../src/config';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import {
  buildServiceEventsHandler,
  handleServiceTaskInterruption,
  serviceFallbackSettings,
  serviceOfGroup,
} from '../../src/app/serviceFallback';
import { logger } from '../../src/observability';

const config = readConfig({
  TABLE_NAME: tableName,
  EVENT_BUS_NAME: eventBusName,
  SPOT_TO_ON_DEMAND: spotSettings.SPOT_TO_ON_DEMAND,
  ...serviceFallbackSettings,
});

const deps = {
  ecs: buildEcsServices(ecs),
  store: buildServiceStateStore(dynamoDb, config.TABLE_NAME),
  publishEvents: buildPublishEvents(eventBridge, config.EVENT_BUS_NAME),
  config: {
    mapping: config.SPOT_TO_ON_DEMAND,
    cooldownSeconds: config.SPOT_FALLBACK_COOLDOWN_SECONDS,
    optInServices: new Set(config.SPOT_FALLBACK_SERVICES),
  },
  logger,
};
const serviceEvents = buildServiceEventsHandler(deps);
const taskInterrupted = handleServiceTaskInterruption(deps);

/** Service actions and the periodic check; plus Spot interruptions of service tasks (task events). */
export const handler = middy(async (event: { 'detail-type'?: string }) => {
  if (event['detail-type'] !== 'ECS Task State Change') return serviceEvents(event);
  const t = toTransition(parseTaskStateChange(event));
  const service = serviceOfGroup(t.group);
  if (!service) return [];
  return [await taskInterrupted(t.cluster, service, t.taskArn, t.eventTime, t.eventId)];
}).use(injectLambdaContext(logger));
