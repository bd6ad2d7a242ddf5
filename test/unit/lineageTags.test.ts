import { buildTagLaunchedTasks } from '../../src/app/lineageTags';
import type { TagTasksJob } from '../../src/ports';
import { recordedTagJobs } from '../support/launcherDefaults';

const job = (n: number): TagTasksJob => ({
  cluster: 'batch',
  tasks: Array.from({ length: n }, (_, i) => ({
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/batch/${i}`,
    tags: [{ key: 'ecs-autopilot:origin-task', value: `origin-${i}` }],
  })),
});
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

function tagger(tagTask: (taskArn: string) => Promise<void>, now = () => 0) {
  const sent = recordedTagJobs();
  const tagged: string[] = [];
  const tag = buildTagLaunchedTasks({
    tagTask: async (taskArn) => {
      await tagTask(taskArn);
      tagged.push(taskArn);
    },
    sendTagJob: sent,
    logger: { info: () => undefined, warn: () => undefined },
    countMetric: () => undefined,
    // 20 burst, 10 a second for one instance.
    pacing: { runTaskShare: 1, instances: 1 },
    random: () => 0.5,
    now,
  });
  return { tag, sent, tagged };
}

describe("a batched launch's lineage tags", () => {
  it('tags what the bucket allows now and puts the rest back on the queue for when it refills, never waiting', async () => {
    const { tag, sent, tagged } = tagger(async () => undefined);
    await expect(tag(job(10))).resolves.toBe('tagged');
    await expect(tag(job(10))).resolves.toBe('tagged');
    await expect(tag(job(10))).resolves.toBe('requeued');
    expect(tagged).toHaveLength(20);
    // 10 tasks at 10 a second: 1 s (jittered by 0.5 + random).
    expect(sent.jobs).toEqual([{ job: job(10), delaySeconds: 1 }]);
  });

  it('requeues from the throttled task on, and skips a task ECS no longer tags (it stopped)', async () => {
    const { tag, sent, tagged } = tagger(async (taskArn) => {
      if (taskArn.endsWith('/1'))
        throw Object.assign(new Error('The specified task is stopped.'), {
          name: 'InvalidParameterException',
        });
      if (taskArn.endsWith('/3')) throw throttled;
    });
    await expect(tag(job(5))).resolves.toBe('requeued');
    expect(tagged).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:task/batch/0',
      'arn:aws:ecs:us-east-1:111122223333:task/batch/2',
    ]);
    expect(sent.jobs[0]?.job.tasks.map((t) => t.taskArn)).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:task/batch/3',
      'arn:aws:ecs:us-east-1:111122223333:task/batch/4',
    ]);
  });
});
