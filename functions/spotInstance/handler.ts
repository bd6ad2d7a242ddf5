import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildReactions, type ReactionDeps } from '../../src/app/reactions';
import { buildReactToSpotWarning, type SpotWarningDeps } from '../../src/app/spotWarning';
import { sideEffects } from './sideEffects';

export type SpotInstanceSideEffects = Omit<SpotWarningDeps, 'react' | 'logger'> & {
  reactions: ReactionDeps;
  logger: Logger;
};

/** An EC2 Spot interruption warning or rebalance recommendation: drain the instance, move its standalone tasks. */
export function makeSpotInstanceHandler({ reactions, ...effects }: SpotInstanceSideEffects) {
  return middy(buildReactToSpotWarning({ ...effects, react: buildReactions(reactions) })).use(
    injectLambdaContext(effects.logger),
  );
}

export const handler = makeSpotInstanceHandler(sideEffects);
