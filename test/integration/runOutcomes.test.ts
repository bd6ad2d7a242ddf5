/**
 * How a schedule's run ends, against DynamoDB (dynalite): the outcome is written once and counted once in the
 * schedule's statistics, however many times and in whatever order the task's STOPPED events are delivered.
 */
import { buildLaunchStore } from '../../src/adapters/launchStore';
import { buildRunOutcomeStore } from '../../src/adapters/runOutcomes';
import { buildScheduleStore } from '../../src/adapters/scheduleStore';
import { buildRunOutcomes } from '../../src/app/runOutcomes';
import type { TaskTransition } from '../../src/domain/lifecycle';
import type { OutgoingEvent } from '../../src/ports';
import { useTablePerTest } from '../support/dynamo';
import { storedSchedule } from '../support/storeFixtures';

const dynamo = useTablePerTest('run-outcomes');
const REF = { schedule: 'etl', scheduledTime: '2026-05-01T10:00:00.000Z', requestId: 's-etl-1' };
const arn = (id: string) => `arn:aws:ecs:us-east-1:111122223333:task/batch/${id}`;

async function setUp(count = 1) {
  const schedules = buildScheduleStore(dynamo.db, dynamo.table, 30);
  const launches = buildLaunchStore(dynamo.db, dynamo.table, 30);
  const runs = buildRunOutcomeStore(dynamo.db, dynamo.table, 30);
  await schedules.create({ ...storedSchedule('etl'), count }, 10);
  await schedules.recordRun('etl', { ...REF, trigger: 'schedule', status: 'PENDING', count });
  const published: OutgoingEvent[] = [];
  const outcomes = buildRunOutcomes({
    runs,
    schedules,
    launches,
    publishEvents: async (events) => {
      published.push(...events);
    },
    sendTrigger: async () => undefined,
    logger: { info: () => undefined, warn: () => undefined },
  });
  /** A task of the run, launched by ecs-autopilot (its launch record names the run). */
  const launched = async (taskId: string) => {
    await launches.recordOutcome(
      {
        requestId: `${REF.requestId}-${taskId}`,
        reason: 'schedule',
        runTask: {
          cluster: 'batch',
          taskDefinition: 'worker:1',
          count: 1,
          startedBy: 'ecs-autopilot/schedule/etl',
          tags: [
            { key: 'ecs-autopilot:schedule', value: 'etl' },
            { key: 'ecs-autopilot:run', value: REF.requestId },
          ],
        },
        context: { schedule: 'etl', scheduledTime: REF.scheduledTime },
        capacityRetries: 0,
        deferSeconds: 0,
      },
      { status: 'launched', taskArns: [arn(taskId)], events: [] },
    );
  };
  const stopped = (taskId: string, exitCode: number, version = 5): TaskTransition =>
    ({
      taskArn: arn(taskId),
      taskId,
      startedBy: 'ecs-autopilot/schedule/etl',
      lastStatus: 'STOPPED',
      version,
      eventTime: '2026-05-01T10:05:00.000Z',
      stoppedAt: '2026-05-01T10:05:00.000Z',
      classification: exitCode === 0 ? 'succeeded' : 'failed',
      ...(exitCode !== 0 && { failure: { kind: 'exit-code', exitCode } }),
      containers: [{ name: 'app', exitCode }],
    }) as unknown as TaskTransition;
  return { outcomes, runs, launches, published, launched, stopped };
}

describe('a run that ends', () => {
  it('is SUCCEEDED once, counted once, whatever the duplicated deliveries of its STOPPED event', async () => {
    const t = await setUp();
    await t.launched('aaaa');
    await Promise.all([1, 2, 3].map(() => t.outcomes.taskStopped(t.stopped('aaaa', 0))));
    await t.outcomes.taskStopped(t.stopped('aaaa', 0, 6));
    expect((await t.runs.getRun(REF))?.outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(await t.runs.getStats('etl')).toMatchObject({ seq: 1, streak: { status: 'SUCCEEDED', count: 1 } });
    expect(t.published.filter((e) => e.detailType === 'Scheduled Run Succeeded')).toHaveLength(1);
  });

  it('waits for every task of a two-task run, and a failure of either one fails it once', async () => {
    const t = await setUp(2);
    await t.launched('aaaa');
    await t.launched('bbbb');
    await t.outcomes.taskStopped(t.stopped('aaaa', 0));
    await t.outcomes.taskStopped(t.stopped('aaaa', 0));
    expect((await t.runs.getRun(REF))?.outcome).toBeUndefined();
    // bbbb failed and no restart was decided (none recorded): the run fails, once.
    await t.outcomes.taskStopped(t.stopped('bbbb', 2));
    await t.outcomes.taskStopped(t.stopped('bbbb', 2));
    expect((await t.runs.getRun(REF))?.outcome).toMatchObject({ status: 'FAILED', exitCodes: [2] });
    expect(await t.runs.getStats('etl')).toMatchObject({ seq: 1, streak: { status: 'FAILED', count: 1 } });
    expect(t.published.map((e) => e.detailType)).toEqual(['Scheduled Run Failed']);
  });

  it('is not FAILED while the failed task has a restart decided', async () => {
    const t = await setUp();
    await t.launched('aaaa');
    await t.launches.putDecision('aaaa', {
      taskArn: arn('aaaa'),
      action: 'restart',
      decidedAt: '2026-05-01T10:05:01.000Z',
      events: [],
      done: true,
    });
    await t.outcomes.taskStopped(t.stopped('aaaa', 1));
    expect((await t.runs.getRun(REF))?.outcome).toBeUndefined();
    expect(t.published).toEqual([]);
  });
});
