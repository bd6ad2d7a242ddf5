import { buildDrainSpotInstance } from '../../src/adapters/ecs';
import { ecs } from '../../src/clients/ecs';
import { readConfig } from '../../src/config';
import { logger } from '../../src/observability';
import { reactionSideEffects } from '../shared/reactionSideEffects';
import { configSchema } from './config';
import type { SpotInstanceSideEffects } from './handler';

const config = readConfig(configSchema);

/** spotInstance's composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: SpotInstanceSideEffects = {
  reactions: reactionSideEffects(config),
  clusters: config.CLUSTERS,
  drainSpotInstance: buildDrainSpotInstance(ecs),
  logger,
};
