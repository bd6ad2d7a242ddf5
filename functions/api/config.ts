import { positiveInt } from '../../src/config';
import * as z from '../../src/zod';
import { launcherConfigSchema } from '../shared/launcherConfig';

/** What api reads from its environment: serverless.yml's functions.api.environment. */
export const configSchema = {
  // Run-now launches run the launcher's code here: the same settings, the same guard.
  ...launcherConfigSchema,
  LAUNCH_QUEUE_ARN: z.string().check(z.startsWith('arn:')),
  SCHEDULE_GROUP: z.string().check(z.minLength(1)),
  SCHEDULER_ROLE_ARN: z.string().check(z.startsWith('arn:')),
  MIN_SCHEDULE_INTERVAL_MINUTES: positiveInt,
  MAX_SCHEDULED_TASKS_PER_HOUR: positiveInt,
  MAX_SCHEDULES: positiveInt,
  /** The most due times one POST /schedules/{name}/backfill runs (maxBackfillRuns). */
  MAX_BACKFILL_RUNS: z.coerce.number().check(z.int(), z.gte(1), z.lte(100)),
};
