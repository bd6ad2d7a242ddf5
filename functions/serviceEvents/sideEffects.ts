import { buildEcsServices } from '../../src/adapters/ecsServices';
import { buildPublishEvents } from '../../src/adapters/events';
import { buildServiceStateStore } from '../../src/adapters/serviceState';
import { dynamoDb } from '../../src/clients/dynamodb';
import { ecs } from '../../src/clients/ecs';
import { eventBridge } from '../../src/clients/eventbridge';
import { readConfig } from '../../src/config';
import { logger } from '../../src/observability';
import { configSchema } from './config';
import type { ServiceEventsSideEffects } from './handler';

const config = readConfig(configSchema);

/** serviceEvents' composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: ServiceEventsSideEffects = {
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
