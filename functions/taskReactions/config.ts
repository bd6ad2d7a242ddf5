import { queueUrl } from '../../src/config';
import { reactionConfigSchema } from '../shared/reactionConfig';

/** What taskReactions reads from its environment: serverless.yml's functions.taskReactions.environment. */
export const configSchema = {
  ...reactionConfigSchema,
  REACTION_RETRY_QUEUE_URL: queueUrl,
};
