import { classify } from '../../src/domain/classify';
import { toTransition } from '../../src/domain/lifecycle';
import { parseTaskStateChange } from '../../src/domain/taskEvent';
import { fixture } from '../support/fixtures';

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
  it('derives durations from created to running and running to stopped', () => {
    const t = toTransition(parseTaskStateChange(fixture('stopped-exit-1')));
    expect(t.durations).toEqual({
      createdToRunningMs: 26_328,
      runningToStoppedMs: 142_183,
      createdToStoppedMs: 168_511,
    });
  });

  it('leaves durations out while the task has not started', () => {
    const t = toTransition(parseTaskStateChange(fixture('pending')));
    expect(t.durations).toEqual({
      createdToRunningMs: undefined,
      runningToStoppedMs: undefined,
      createdToStoppedMs: undefined,
    });
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
      capacityProvider: 'batch-ec2',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      classification: 'running',
    });
  });
});
