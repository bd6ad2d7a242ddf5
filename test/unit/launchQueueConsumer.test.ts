import { buildLaunchQueueConsumer, type LaunchQueueConsumerDeps } from '../../src/app/launchQueueConsumer';
import { LaunchLeaseBusyError } from '../../src/app/scheduledRun';

const trigger = (schedule: string, minute: number) => ({
  messageId: `${schedule}-${minute}`,
  body: JSON.stringify({
    trigger: 'schedule',
    schedule,
    scheduledTime: `2026-12-02T10:${String(minute).padStart(2, '0')}:00Z`,
  }),
});

/** A runScheduled whose runs finish only when the test says so; `log` is the order things happened in. */
function heldRuns() {
  const log: string[] = [];
  const release = new Map<string, (value?: unknown) => void>();
  const fail = new Set<string>();
  const runScheduled = (async (t: { schedule: string; scheduledTime: string }) => {
    const key = `${t.schedule}@${t.scheduledTime.slice(14, 16)}`;
    log.push(`start ${key}`);
    await new Promise((resolve) => release.set(key, resolve));
    log.push(`end ${key}`);
    if (fail.has(key)) throw new LaunchLeaseBusyError(t.schedule, 'Forbid');
    return { run: {}, launched: 'launched' };
  }) as unknown as LaunchQueueConsumerDeps['runScheduled'];
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { log, release: (key: string) => release.get(key)?.(), fail, runScheduled, settle };
}

const logger = () => ({ info: jest.fn(), error: jest.fn() });
/** A launch these tests never reach (the runs are held fakes), with the batch gathering it offers. */
const launchFn = () =>
  Object.assign(jest.fn(), { newBatch: jest.fn() }) as unknown as LaunchQueueConsumerDeps['launch'];
const unusedTagging: LaunchQueueConsumerDeps['tagLaunchedTasks'] = async () => {
  throw new Error('no tag jobs in these tests');
};

describe('the launch queue consumer', () => {
  it("runs one schedule's due times one after the other, and other schedules' beside them", async () => {
    const runs = heldRuns();
    const { consume } = buildLaunchQueueConsumer({
      launch: launchFn(),
      runScheduled: runs.runScheduled,
      tagLaunchedTasks: unusedTagging,
      logger: logger(),
    });
    const done = [
      consume(trigger('nightly', 0)),
      consume(trigger('nightly', 5)),
      consume(trigger('hourly', 0)),
    ];
    await runs.settle();
    // The second nightly run waits for the first; hourly does not wait for either.
    expect(runs.log).toEqual(['start nightly@00', 'start hourly@00']);
    runs.release('nightly@00');
    await runs.settle();
    expect(runs.log).toEqual(['start nightly@00', 'start hourly@00', 'end nightly@00', 'start nightly@05']);
    runs.release('nightly@05');
    runs.release('hourly@00');
    await expect(Promise.all(done)).resolves.toEqual(['launched', 'launched', 'launched']);
  });

  it('a busy schedule is left on the queue and logged as contention; the next due time still runs', async () => {
    const runs = heldRuns();
    const log = logger();
    runs.fail.add('nightly@00');
    const { consume } = buildLaunchQueueConsumer({
      launch: launchFn(),
      runScheduled: runs.runScheduled,
      tagLaunchedTasks: unusedTagging,
      logger: log,
    });
    const first = consume(trigger('nightly', 0));
    const second = consume(trigger('nightly', 5));
    await runs.settle();
    runs.release('nightly@00');
    await expect(first).rejects.toBeInstanceOf(LaunchLeaseBusyError);
    await runs.settle();
    runs.release('nightly@05');
    await expect(second).resolves.toBe('launched');
    expect(log.info).toHaveBeenCalledWith('schedule busy; trigger left on the queue', expect.anything());
    expect(log.error).not.toHaveBeenCalled();
  });

  it('a malformed message is an error, logged with its message id, and thrown so SQS keeps it', async () => {
    const log = logger();
    const launch = launchFn();
    const { consume } = buildLaunchQueueConsumer({
      launch,
      runScheduled: heldRuns().runScheduled,
      tagLaunchedTasks: unusedTagging,
      logger: log,
    });
    await expect(consume({ messageId: 'm-1', body: '{"trigger": "schedule"}' })).rejects.toThrow(
      /invalid schedule trigger/,
    );
    expect(log.error).toHaveBeenCalledWith('launch request failed; left on the queue', {
      messageId: 'm-1',
      error: expect.any(Error),
    });
    expect(launch).not.toHaveBeenCalled();
  });
});
