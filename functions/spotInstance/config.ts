import { commaList } from '../../src/config';
import { reactionConfigSchema } from '../shared/reactionConfig';

/** What spotInstance reads from its environment: serverless.yml's functions.spotInstance.environment. */
export const configSchema = {
  ...reactionConfigSchema,
  CLUSTERS: commaList,
};
