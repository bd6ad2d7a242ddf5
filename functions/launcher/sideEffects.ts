import { readConfig } from '../../src/config';
import { logger } from '../../src/observability';
import { launcherSideEffects } from '../shared/launcherSideEffects';
import { configSchema } from './config';
import type { LauncherSideEffects } from './handler';

const config = readConfig(configSchema);
const { launcher, scheduledRuns, lineageTags } = launcherSideEffects(config);

/** launcher's composition root: its config, clients and adapters, built once per cold start. */
export const sideEffects: LauncherSideEffects = { launcher, scheduledRuns, lineageTags, logger };
