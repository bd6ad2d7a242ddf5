import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildDrainSpotInstance } from '../../src/adapters/ecs';
import { ecs } from '../../src/clients/ecs';
import { commaList, readConfig } from '../../src/config';
import { buildSpotInstanceHandler } from '../../src/app/spotInstance';
import { logger } from '../../src/observability';
import { reactToTask } from '../shared/reactions';

const config = readConfig({ CLUSTERS: commaList });

export const handler = middy(
  buildSpotInstanceHandler({
    clusters: config.CLUSTERS,
    drainSpotInstance: buildDrainSpotInstance(ecs),
    react: reactToTask,
    logger,
  }),
).use(injectLambdaContext(logger));
