import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildDrainSpotInstance } from '../src/adapters/ecs';
import { ecs } from '../src/clients/ecs';
import { readConfig } from '../src/config';
import { buildSpotInstanceHandler } from '../src/handlers/spotInstance';
import { logger } from '../src/observability';
import { reactToTask } from '../src/wiring/reactions';
import * as z from '../src/zod';

const config = readConfig({ CLUSTERS: z._default(z.string(), '') });

export const handler = middy(
  buildSpotInstanceHandler({
    clusters: config.CLUSTERS.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    drainSpotInstance: buildDrainSpotInstance(ecs),
    react: reactToTask,
    logger,
  }),
).use(injectLambdaContext(logger));
