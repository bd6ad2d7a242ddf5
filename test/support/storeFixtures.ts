import type { LaunchRequest } from '../../src/domain/launchRequest';
import type { AcceptedLaunch, DecisionRecord, StoredSchedule } from '../../src/ports';

/** Records the store tests write and read: one failed task, its restart decision and request, a replacement. */
export const TASK_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const FAILED = `arn:aws:ecs:us-east-1:111122223333:task/batch/${TASK_ID}`;
export const NEW = 'arn:aws:ecs:us-east-1:111122223333:task/batch/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

export const restartRequest: LaunchRequest = {
  requestId: 'r-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  reason: 'restart',
  runTask: { cluster: 'batch', taskDefinition: 'worker:7', count: 1 },
  lineage: { originTaskArn: FAILED, attempt: 1, launches: 1, previousTaskArn: FAILED, chain: [] },
  capacityRetries: 0,
  deferSeconds: 0,
};

export const restartDecision: DecisionRecord = {
  taskArn: FAILED,
  action: 'restart',
  decidedAt: '2024-05-14T09:13:00Z',
  events: [],
  done: false,
};

export const acceptedRunNow: AcceptedLaunch = {
  requestId: 't-job-1',
  reason: 'run-now',
  acceptedAt: '2025-03-01T10:00:00.000Z',
  cluster: 'batch',
  taskDefinition: 'worker',
  count: 1,
};

/** A stored schedule named `name`, as the API writes it. */
export const storedSchedule = (name: string): StoredSchedule => ({
  name,
  expression: 'cron(0 2 * * ? *)',
  timezone: 'UTC',
  state: 'ENABLED',
  cluster: 'batch',
  taskDefinition: 'worker',
  count: 1,
  concurrencyPolicy: 'Allow',
  version: 1,
  createdAt: '2026-11-28T12:00:00.000Z',
  updatedAt: '2026-11-28T12:00:00.000Z',
});
