import { jsonVariable, positiveInt } from '../../src/config';
import { priceTableSchema } from '../../src/domain/clusterState';
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
  /** The bounds PATCH /services/{cluster}/{service} keeps a desiredCount in (min/maxServiceDesiredCount). */
  MIN_SERVICE_DESIRED_COUNT: z.coerce.number().check(z.int(), z.gte(0)),
  MAX_SERVICE_DESIRED_COUNT: z.coerce.number().check(z.int(), z.gte(0)),
  /** Tasks GET /clusters/{cluster} reads from ECS (maxClusterTasks): 20 DescribeTasks calls at 2,000. */
  MAX_CLUSTER_TASKS: z.coerce.number().check(z.int(), z.gte(1), z.lte(10_000)),
  /** Per Region: on-demand and Spot prices per vCPU-hour and GB-hour (capacityPrices), for the savings. */
  CAPACITY_PRICES: jsonVariable(z.record(z.string(), priceTableSchema)),
};
