import {
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildDrainSpotInstance, buildListRunningTasks } from '../../src/adapters/ecs';

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const taskArn = (id: string) => `arn:aws:ecs:us-east-1:111122223333:task/batch/${id}`;
const instanceArn = 'arn:aws:ecs:us-east-1:111122223333:container-instance/batch/0123456789abcdef';

beforeEach(() => ecsMock.reset());

// ECS refuses ListTasks with startedBy and any other filter (InvalidParameterException "cannot specify
// startedBy with other arguments"), so these pin what each adapter sends.
describe('listing tasks within what ECS accepts', () => {
  it("lists a schedule's running tasks by startedBy alone, every page", async () => {
    ecsMock
      .on(ListTasksCommand, { nextToken: undefined })
      .resolves({ taskArns: [taskArn('a')], nextToken: 'page-2' })
      .on(ListTasksCommand, { nextToken: 'page-2' })
      .resolves({ taskArns: [taskArn('b')] });
    const arns = await buildListRunningTasks(ecs)('batch', 'chronos-schedule/nightly');
    expect(arns).toEqual([taskArn('a'), taskArn('b')]);
    const inputs = ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input);
    expect(inputs).toStrictEqual([
      { cluster: 'batch', startedBy: 'chronos-schedule/nightly', nextToken: undefined },
      { cluster: 'batch', startedBy: 'chronos-schedule/nightly', nextToken: 'page-2' },
    ]);
  });

  it('drains a Spot instance and lists its running tasks by container instance, without startedBy', async () => {
    ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [instanceArn] });
    ecsMock.on(UpdateContainerInstancesStateCommand).resolves({ containerInstances: [], failures: [] });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArn('a')] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: taskArn('a') }], failures: [] });
    const found = await buildDrainSpotInstance(ecs)(['batch'], 'i-0aaaaaaaaaaaaaa01');
    expect(found).toEqual({
      cluster: 'batch',
      containerInstanceArn: instanceArn,
      tasks: [{ taskArn: taskArn('a') }],
    });
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)[0]?.args[0].input).toStrictEqual({
      cluster: 'batch',
      filter: 'ec2InstanceId == i-0aaaaaaaaaaaaaa01',
    });
    expect(ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toStrictEqual([
      { cluster: 'batch', containerInstance: instanceArn, desiredStatus: 'RUNNING', nextToken: undefined },
    ]);
  });
});
