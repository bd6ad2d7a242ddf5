import { buildRecordTaskLifecycle } from '../../src/app/taskLifecycle';
import type { TaskTransition } from '../../src/domain/lifecycle';
import type { RecordOutcome } from '../../src/ports';
import { fixture } from '../support/fixtures';

function setup(outcome: RecordOutcome) {
  const recorded: TaskTransition[] = [];
  const lines: unknown[] = [];
  const metricCalls: unknown[][] = [];
  const handler = buildRecordTaskLifecycle({
    recordTransition: async (t) => {
      recorded.push(t);
      return outcome;
    },
    logger: { info: (line: unknown) => lines.push(line), debug: () => undefined } as never,
    metrics: {
      addDimensions: (...args: unknown[]) => metricCalls.push(['dimensions', ...args]),
      addMetric: (...args: unknown[]) => metricCalls.push(['metric', ...args]),
      publishStoredMetrics: () => metricCalls.push(['publish']),
    } as never,
  });
  return { handler, recorded, lines, metricCalls };
}

describe('taskEvents handler', () => {
  it('prints one lifecycle line with the fields an operator needs', async () => {
    const { handler, lines } = setup({ isNew: true, isNewest: true, firstStop: true });
    await handler(fixture('stopped-oom'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: 'task state change',
      cluster: 'batch-cluster',
      taskId: '0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c',
      taskDefinition: 'worker:7',
      group: 'family:worker',
      startedBy: 'job-42',
      launchType: 'FARGATE',
      capacityProviderName: 'FARGATE',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        {
          name: 'worker',
          lastStatus: 'STOPPED',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
        },
      ],
      durations: {
        provisioningMs: 13_603,
        pullMs: 7_656,
        createdToRunningMs: 26_328,
        runningToStoppedMs: 142_183,
        stoppingMs: 14_923,
      },
      classification: 'failed',
      late: false,
    });
  });

  it('names the container instance of an EC2 task in the line', async () => {
    const { handler, lines } = setup({ isNew: true, isNewest: true, firstStop: false });
    await handler(fixture('ec2-running'));
    expect(lines[0]).toMatchObject({
      capacityProviderName: 'batch-ec2',
      containerInstanceArn:
        'arn:aws:ecs:us-east-1:111122223333:container-instance/batch-cluster/4d6e8f0a2b4c4e6f8a0b2c4d6e8f0a2b',
    });
  });

  it('stores the whole task but keeps the line short: no ENI, attributes or overrides in it', async () => {
    const { handler, lines, recorded } = setup({ isNew: true, isNewest: true, firstStop: true });
    await handler(fixture('stopped-exit-1'));
    expect(recorded[0]).toHaveProperty('attachments');
    expect(recorded[0]).toHaveProperty('overrides');
    for (const field of ['attachments', 'attributes', 'overrides', 'capacityProvider']) {
      expect(lines[0]).not.toHaveProperty(field);
    }
    expect(Object.keys((lines[0] as { containers: object[] }).containers[0] ?? {})).toEqual([
      'name',
      'lastStatus',
      'exitCode',
      'reason',
    ]);
  });

  it('counts a stopped task once, by classification and family', async () => {
    const { handler, metricCalls } = setup({ isNew: true, isNewest: true, firstStop: true });
    await handler(fixture('stopped-exit-0'));
    expect(metricCalls).toEqual([
      ['dimensions', { classification: 'succeeded', family: 'worker' }],
      ['metric', 'StoppedTasks', 'Count', 1],
      ['publish'],
    ]);
  });

  it('does not count a task that is still running', async () => {
    const { handler, metricCalls } = setup({ isNew: true, isNewest: true, firstStop: false });
    await handler(fixture('running'));
    expect(metricCalls).toEqual([]);
  });

  it('prints nothing and counts nothing for a duplicate delivery', async () => {
    const { handler, lines, metricCalls } = setup({ isNew: false, isNewest: false, firstStop: false });
    await handler(fixture('stopped-exit-1'));
    expect(lines).toEqual([]);
    expect(metricCalls).toEqual([]);
  });

  it('marks a state change that arrived after a newer one as late', async () => {
    const { handler, lines } = setup({ isNew: true, isNewest: false, firstStop: false });
    await handler(fixture('pending'));
    expect(lines[0]).toMatchObject({ lastStatus: 'PENDING', late: true });
  });

  it('throws on an event that is not an ECS task event, so Lambda retries and dead-letters it', async () => {
    const { handler, recorded } = setup({ isNew: true, isNewest: true, firstStop: false });
    await expect(handler({ 'detail-type': 'ECS Service Action' })).rejects.toThrow(
      /not an ECS Task State Change/,
    );
    expect(recorded).toEqual([]);
  });
});
