import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { Schedule } from '../domain/schedule';
import type { SchedulerPort, ScheduleTrigger } from '../ports';

export interface SchedulerTarget {
  group: string;
  queueArn: string;
  roleArn: string;
}

/** The Scheduler schedule mirrors the definition stored in DynamoDB (the source of truth). */
export function buildSchedulerPort(client: SchedulerClient, target: SchedulerTarget): SchedulerPort {
  const input = (s: Schedule) => ({
    Name: s.name,
    GroupName: target.group,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    StartDate: s.startDate ? new Date(s.startDate) : undefined,
    EndDate: s.endDate ? new Date(s.endDate) : undefined,
    State: s.state === 'PAUSED' ? ('DISABLED' as const) : ('ENABLED' as const),
    Description: s.description,
    FlexibleTimeWindow: s.flexibleWindowMinutes
      ? { Mode: 'FLEXIBLE' as const, MaximumWindowInMinutes: s.flexibleWindowMinutes }
      : { Mode: 'OFF' as const },
    Target: {
      Arn: target.queueArn,
      RoleArn: target.roleArn,
      Input: JSON.stringify({
        trigger: 'schedule',
        schedule: s.name,
        scheduledTime: '<aws.scheduler.scheduled-time>',
      } satisfies ScheduleTrigger),
      // Scheduler's own retries for delivering to the queue; the launcher handles everything after.
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
    },
  });
  return {
    async put(schedule, mode) {
      await client.send(
        mode === 'create'
          ? new CreateScheduleCommand(input(schedule))
          : new UpdateScheduleCommand(input(schedule)),
      );
    },
    async remove(name) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: name, GroupName: target.group }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    },
  };
}
