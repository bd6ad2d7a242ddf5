import { InvalidEventError, parseTaskStateChange, taskIdentity } from '../../src/domain/taskEvent';
import { FIXTURE_NAMES, fixture } from '../support/fixtures';

describe('parsing ECS Task State Change events', () => {
  it.each(FIXTURE_NAMES)('accepts the %s fixture', (name) => {
    const event = parseTaskStateChange(fixture(name));
    expect(event.detail.taskArn).toBe(fixture(name).detail.taskArn);
  });

  it('reads cluster, task id and family:revision from a new-format task ARN', () => {
    const { detail } = parseTaskStateChange(fixture('stopped-exit-1'));
    expect(taskIdentity(detail)).toEqual({
      taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/batch-cluster/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c',
      taskId: '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c',
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch-cluster',
      cluster: 'batch-cluster',
      family: 'worker',
      revision: 7,
    });
  });

  it('reads the task id from an old-format task ARN and the cluster from clusterArn', () => {
    const { detail } = parseTaskStateChange(fixture('spot-warning-terminationnotice'));
    const id = taskIdentity(detail);
    expect(id.taskId).toBe('b8b7d3a1-5a3e-4d71-9ff9-7b7a7b0d2b11');
    expect(id.cluster).toBe('batch-cluster');
  });

  it('keeps stop codes, statuses and launch types it does not know', () => {
    const event = fixture('stopped-exit-1');
    Object.assign(event.detail, {
      stopCode: 'SomeFutureCode',
      lastStatus: 'HIBERNATED',
      launchType: 'MANAGED_INSTANCES',
    });
    const parsed = parseTaskStateChange(event);
    expect(parsed.detail).toMatchObject({
      stopCode: 'SomeFutureCode',
      lastStatus: 'HIBERNATED',
      launchType: 'MANAGED_INSTANCES',
    });
  });

  it('keeps fields AWS adds later', () => {
    const event = fixture('running') as unknown as { detail: Record<string, unknown> };
    event.detail.enableExecuteCommand = true;
    expect((parseTaskStateChange(event).detail as Record<string, unknown>).enableExecuteCommand).toBe(true);
  });

  it('rejects an ECS Service Action event, naming what is wrong', () => {
    const serviceAction = {
      version: '0',
      id: 'ddca6449-b258-46c0-8653-e0e3a6d0468b',
      'detail-type': 'ECS Service Action',
      source: 'aws.ecs',
      account: '111122223333',
      time: '2019-11-19T19:55:38Z',
      region: 'us-west-2',
      resources: ['arn:aws:ecs:us-west-2:111122223333:service/default/servicetest'],
      detail: { eventType: 'ERROR', eventName: 'SERVICE_TASK_PLACEMENT_FAILURE' },
    };
    expect(() => parseTaskStateChange(serviceAction)).toThrow(InvalidEventError);
    expect(() => parseTaskStateChange(serviceAction)).toThrow(/detail-type/);
  });

  it('rejects a task event whose taskArn is not a task ARN', () => {
    const event = fixture('running');
    event.detail.taskArn = 'arn:aws:ecs:us-east-1:111122223333:service/batch-cluster/web';
    expect(() => parseTaskStateChange(event)).toThrow(/detail\.taskArn/);
  });

  it('rejects a task event without detail.version', () => {
    const event = fixture('running') as unknown as { detail: Record<string, unknown> };
    delete event.detail.version;
    expect(() => parseTaskStateChange(event)).toThrow(/detail\.version/);
  });

  it('rejects things that are not events at all', () => {
    expect(() => parseTaskStateChange(undefined)).toThrow(InvalidEventError);
    expect(() => parseTaskStateChange('{"detail-type":"ECS Task State Change"}')).toThrow(InvalidEventError);
  });
});
