/**
 * Jest setup (fast project): the environment a deployed function gets, so a test can import a function's
 * handler.ts, whose composition root reads its settings at load, and call its make<Name>Handler with fakes.
 * Only the settings without defaults; a test that needs other values passes its own env to readConfig.
 */
const FUNCTION_ENV: Record<string, string> = {
  TABLE_NAME: 'ecs-autopilot-test-Table',
  HISTORY_RETENTION_DAYS: '30',
  LAUNCH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/launch',
  LAUNCH_QUEUE_ARN: 'arn:aws:sqs:us-east-1:111122223333:launch',
  REACTION_RETRY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/reaction-retry',
  SCHEDULE_GROUP: 'ecs-autopilot-test',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/scheduler',
  STACK_ACCOUNT_ID: '111122223333',
  STACK_PARTITION: 'aws',
  AWS_REGION: 'us-east-1',
  MAX_TASK_CPU: '4096',
  MAX_TASK_MEMORY: '30720',
  RUN_TASK_SHARE: '0.75',
  LAUNCHER_CONCURRENCY: '5',
  SPOT_SHORTAGE_COOLDOWN_SECONDS: '180',
  MIN_SCHEDULE_INTERVAL_MINUTES: '5',
  MAX_SCHEDULED_TASKS_PER_HOUR: '100',
  MAX_SCHEDULES: '100',
  MAX_BACKFILL_RUNS: '24',
};
for (const [key, value] of Object.entries(FUNCTION_ENV)) process.env[key] ??= value;
