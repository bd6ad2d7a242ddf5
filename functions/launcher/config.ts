import { launcherConfigSchema } from '../shared/launcherConfig';

/** What launcher reads from its environment: serverless.yml's functions.launcher.environment. */
export const configSchema = launcherConfigSchema;
