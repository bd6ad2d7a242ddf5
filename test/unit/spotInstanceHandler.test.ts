import type { Task } from '@aws-sdk/client-ecs';
import { LaunchNotRecordedError } from '../../src/app/reactions';
import { buildReactToSpotWarning } from '../../src/app/spotWarning';
import type { TaskTransition } from '../../src/domain/lifecycle';
import { fixture } from '../support/fixtures';

const INSTANCE = 'i-0abc123def4567890';
const warning = {
  version: '0',
  id: '7e0c5c2b-1b2a-4c3d-9e8f-0a1b2c3d4e5f',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2024-05-14T10:00:00Z',
  region: 'us-east-1',
  resources: [`arn:aws:ec2:us-east-1:111122223333:instance/${INSTANCE}`],
  detail: { 'instance-id': INSTANCE, 'instance-action': 'terminate' },
};

/** A running task of the fixtures, as ListTasks + DescribeTasks return it, with its own id and group. */
function task(id: string, group = 'family:batch-job'): Task {
  const detail = (fixture('running') as { detail: Record<string, unknown> }).detail;
  const taskArn = `arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/${id}`;
  return { ...detail, taskArn, group } as unknown as Task;
}

function setup(react: (t: TaskTransition) => Promise<unknown>) {
  const decided: string[] = [];
  const handler = buildReactToSpotWarning({
    clusters: ['batch-cluster'],
    drainSpotInstance: async () => ({
      cluster: 'batch-cluster',
      containerInstanceArn:
        'arn:aws:ecs:us-east-1:111122223333:container-instance/batch-cluster/0123456789abcdef',
      tasks: [
        task('a'.repeat(32)),
        task('b'.repeat(32)),
        task('c'.repeat(32), 'service:web'),
        task('d'.repeat(32)),
      ],
    }),
    react: async (t) => {
      await react(t);
      decided.push(t.taskId);
    },
    logger: { info: () => undefined, warn: () => undefined },
  });
  return { handler, decided };
}

describe('spotInstance handler', () => {
  it("moves every standalone task of the instance, and leaves the service's tasks to ECS", async () => {
    const { handler, decided } = setup(async () => undefined);
    await expect(handler(warning)).resolves.toMatchObject({ tasks: 3 });
    expect(decided).toEqual(['a'.repeat(32), 'b'.repeat(32), 'd'.repeat(32)]);
  });

  it('decides the other tasks when one cannot be decided yet, then fails so the warning is retried', async () => {
    const { handler, decided } = setup(async (t) => {
      if (t.taskId === 'b'.repeat(32)) throw new LaunchNotRecordedError(t.taskArn);
    });
    await expect(handler(warning)).rejects.toThrow(`1 standalone task(s) on ${INSTANCE} not decided yet`);
    expect(decided).toEqual(['a'.repeat(32), 'd'.repeat(32)]);
  });
});
