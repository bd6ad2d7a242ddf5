import { classify } from '../../src/domain/classify';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { FIXTURE_NAMES, fixture } from '../support/fixtures';

describe('classifying task state changes', () => {
  it.each([
    ['provisioning', 'running'],
    ['pending', 'running'],
    ['running', 'running'],
    ['ec2-running', 'running'],
    ['stopped-exit-0', 'succeeded'],
    ['stopped-exit-1', 'failed'],
    ['stopped-oom', 'failed'],
    ['failed-to-start-image', 'failed-to-start'],
    ['failed-to-start-memory', 'failed-to-start'],
    ['stopped-by-user', 'stopped-by-user'],
    ['service-scheduler-stop', 'stopped-by-service'],
    ['spot-warning-spotinterruption', 'spot-interrupted'],
    ['spot-warning-terminationnotice', 'spot-interrupted'],
  ])('classifies %s as %s', (name, expected) => {
    expect(classify(parseTaskStateChange(fixture(name)).detail).classification).toBe(expected);
  });

  it('names the container and exit code of a failure', () => {
    expect(classify(fixture('stopped-exit-1').detail).failure).toEqual({
      kind: 'exit-code',
      container: 'worker',
      exitCode: 1,
      reason: undefined,
    });
  });

  it('tells an out-of-memory kill from a plain non-zero exit', () => {
    expect(classify(fixture('stopped-oom').detail).failure).toMatchObject({ kind: 'oom', exitCode: 137 });
  });

  it('counts a start failure as such, with its reason', () => {
    expect(classify(fixture('failed-to-start-memory').detail).failure).toEqual({
      kind: 'start-failure',
      reason: 'TaskFailedToStart: RESOURCE:MEMORY',
    });
  });

  it('does not call a task failed when a sidecar was killed after the essential container exited 0', () => {
    const { detail } = fixture('stopped-exit-0');
    detail.containers.push({ name: 'log-router', lastStatus: 'STOPPED', exitCode: 143 });
    expect(classify(detail).classification).toBe('succeeded');
  });

  it('uses the essential container names when the caller knows them', () => {
    const { detail } = fixture('stopped-exit-0');
    detail.containers.push({ name: 'migrations', lastStatus: 'STOPPED', exitCode: 2 });
    expect(classify(detail).classification).toBe('failed');
    expect(classify(detail, new Set(['worker'])).classification).toBe('succeeded');
  });

  it('recognises a Spot interruption by its reason even under a stop code it does not know', () => {
    const { detail } = fixture('spot-warning-spotinterruption');
    detail.stopCode = 'SomethingNew';
    expect(classify(detail).classification).toBe('spot-interrupted');
  });

  it('calls a stopped task with no exit codes and an unknown stop code a failure of unknown cause', () => {
    const { detail } = fixture('stopped-exit-1');
    detail.stopCode = 'InfrastructureHealth';
    expect(classify(detail)).toMatchObject({ classification: 'failed', failure: { kind: 'infrastructure' } });
    detail.stopCode = 'BrandNewCode';
    detail.containers = [{ name: 'worker', lastStatus: 'STOPPED' }];
    expect(classify(detail)).toMatchObject({ classification: 'failed', failure: { kind: 'unknown' } });
  });
});

describe('lifecycle transitions', () => {
  it('derives the provisioning, image pull, run and stop durations', () => {
    const t = toTransition(parseTaskStateChange(fixture('stopped-exit-1')));
    expect(t.durations).toEqual({
      provisioningMs: 13_603, // createdAt 09:09:58.402 to pullStartedAt 09:10:12.005
      pullMs: 7_656, // to pullStoppedAt 09:10:19.661
      createdToRunningMs: 26_328,
      runningToStoppedMs: 142_183,
      createdToStoppedMs: 168_511,
      stoppingMs: 14_923, // stoppingAt 09:12:31.990 to stoppedAt 09:12:46.913
    });
  });

  it('leaves durations out while the task has not started', () => {
    const t = toTransition(parseTaskStateChange(fixture('pending')));
    expect(Object.values(t.durations).filter((ms) => ms !== undefined)).toEqual([]);
  });

  it('leaves the pull duration out for a task that never pulled its image', () => {
    const t = toTransition(parseTaskStateChange(fixture('failed-to-start-image')));
    expect(t.durations.provisioningMs).toBeUndefined();
    expect(t.durations.pullMs).toBeUndefined();
    expect(t.durations.createdToStoppedMs).toBe(168_511);
  });

  it('flattens the fields an operator filters on', () => {
    const t = toTransition(parseTaskStateChange(fixture('ec2-running')));
    expect(t).toMatchObject({
      cluster: 'batch-cluster',
      taskId: '9a8b7c6d5e4f40312a1b2c3d4e5f6a7b',
      taskDefinition: 'nightly-report:3',
      group: 'family:nightly-report',
      startedBy: 'events-rule/nightly-report',
      launchType: 'EC2',
      capacityProviderName: 'batch-ec2',
      containerInstanceArn:
        'arn:aws:ecs:us-east-1:111122223333:container-instance/batch-cluster/4d6e8f0a2b4c4e6f8a0b2c4d6e8f0a2b',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      classification: 'running',
    });
    expect(t).not.toHaveProperty('capacityProvider');
  });

  // Every field of the event's task, under ECS's name; overrides are kept without environment values
  // (next test), and a container's containerArn and taskArn say nothing the task's ARN does not.
  it.each(FIXTURE_NAMES)('keeps every field the %s event gives of its task', (name) => {
    const { detail } = fixture(name) as unknown as { detail: Record<string, unknown> };
    const t = toTransition(parseTaskStateChange(fixture(name))) as unknown as Record<string, unknown>;
    const { overrides: _overrides, containers, ...task } = detail;
    for (const [field, value] of Object.entries(task)) expect([field, t[field]]).toEqual([field, value]);
    expect(t.containers).toEqual(
      (containers as Record<string, unknown>[]).map(({ containerArn: _arn, taskArn: _task, ...c }) => c),
    );
  });

  it('keeps the ENI an operator looks for: subnet and private IP', () => {
    const t = toTransition(parseTaskStateChange(fixture('stopped-exit-1')));
    const details = Object.fromEntries(t.attachments?.[0]?.details?.map((d) => [d.name, d.value]) ?? []);
    expect(details).toMatchObject({ subnetId: 'subnet-0a1b2c3d4e5f60718', privateIPv4Address: '10.0.12.34' });
  });

  it('keeps the names of override environment variables but never their values', () => {
    const event = fixture('stopped-exit-1');
    event.detail.overrides = {
      containerOverrides: [
        {
          name: 'worker',
          command: ['python', 'job.py', '--day', '2024-05-13'],
          environment: [
            { name: 'JOB_ID', value: 'run-20240513' },
            { name: 'DB_PASSWORD', value: 'hunter2-secret' },
          ],
          memory: 2048,
          // A field the history does not know (AWS may add one): left out, since it could hold a secret too.
          secretsFromTheFuture: [{ name: 'TOKEN', value: 'future-secret' }],
        },
      ],
      taskRoleArn: 'arn:aws:iam::111122223333:role/worker',
    } as never;
    const t = toTransition(parseTaskStateChange(event));
    expect(JSON.parse(JSON.stringify(t.overrides))).toEqual({
      containerOverrides: [
        {
          name: 'worker',
          command: ['python', 'job.py', '--day', '2024-05-13'],
          environment: [{ name: 'JOB_ID' }, { name: 'DB_PASSWORD' }],
          memory: 2048,
        },
      ],
      taskRoleArn: 'arn:aws:iam::111122223333:role/worker',
    });
    expect(JSON.stringify(t)).not.toMatch(/run-20240513|hunter2-secret|future-secret/);
  });
});
