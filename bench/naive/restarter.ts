/**
 * The naive baseline of the mass-restart benchmark: what a team writes by hand. One Lambda on the ECS task
 * events; for each event of a failed standalone task (STOPPED, an essential container exited non-zero) or a
 * Fargate Spot warning, one RunTask of the same task definition on FARGATE, with the SDK's default retries
 * (3 attempts) and no clientToken, queue or record. A throttled call that runs out of retries fails the
 * invocation; Lambda retries it twice, then the failure is gone.
 */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';

const ecs = new ECSClient({});
const SUBNETS = (process.env.NAIVE_SUBNETS ?? 'subnet-0123456789abcdef0').split(',');

interface Detail {
  clusterArn: string;
  taskArn: string;
  taskDefinitionArn: string;
  group?: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  containers?: { exitCode?: number }[];
}

export async function handler(event: { detail: Detail }): Promise<string> {
  const d = event.detail;
  if (d.group?.startsWith('service:')) return 'service task';
  const failed = d.lastStatus === 'STOPPED' && (d.containers ?? []).some((c) => (c.exitCode ?? 0) !== 0);
  const spotWarning =
    d.lastStatus === 'RUNNING' && d.desiredStatus === 'STOPPED' && d.stopCode === 'SpotInterruption';
  if (!failed && !spotWarning) return 'nothing to do';
  await ecs.send(
    new RunTaskCommand({
      cluster: d.clusterArn,
      taskDefinition: d.taskDefinitionArn,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      // Named like ours, so the benchmark watches its replacements the same way.
      startedBy: 'ecs-autopilot/naive',
      tags: [{ key: 'ecs-autopilot:origin-task', value: d.taskArn }],
    }),
  );
  return 'launched';
}
