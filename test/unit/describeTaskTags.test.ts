import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildBatchedDescribeTaskTags } from '../../src/adapters/ecs';

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const arn = (id: string, cluster = 'batch') => `arn:aws:ecs:us-east-1:111122223333:task/${cluster}/${id}`;

beforeEach(() => ecsMock.reset());

describe('tags of many tasks read together', () => {
  it('reads the tasks asked for within the window with one DescribeTasks per cluster', async () => {
    ecsMock.on(DescribeTasksCommand).callsFake((input) => ({
      tasks: (input.tasks as string[])
        .filter((t) => !t.endsWith('gone'))
        .map((taskArn) => ({ taskArn, tags: [{ key: 'team', value: taskArn.split('/').pop() }] })),
      failures: [],
    }));
    const read = buildBatchedDescribeTaskTags(ecs, 5);
    const results = await Promise.all([
      read('batch', arn('a')),
      read('batch', arn('b')),
      read('etl', arn('c', 'etl')),
      read('batch', arn('gone')),
    ]);
    expect(results).toEqual([{ team: 'a' }, { team: 'b' }, { team: 'c' }, {}]);
    const calls = ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { cluster: 'batch', tasks: [arn('a'), arn('b'), arn('gone')], include: ['TAGS'] },
      { cluster: 'etl', tasks: [arn('c', 'etl')], include: ['TAGS'] },
    ]);
  });

  it('fails every read of a call ECS throttled, so each caller can retry', async () => {
    ecsMock
      .on(DescribeTasksCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const read = buildBatchedDescribeTaskTags(ecs, 5);
    const results = await Promise.allSettled([read('batch', arn('a')), read('batch', arn('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it('sends a full call of 100 at once, without waiting for the window', async () => {
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
    const read = buildBatchedDescribeTaskTags(ecs, 60_000);
    await Promise.all(Array.from({ length: 100 }, (_, i) => read('batch', arn(`t${i}`))));
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]?.args[0].input.tasks).toHaveLength(100);
  });
});
