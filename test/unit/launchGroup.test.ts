import {
  assignTasks,
  batchStartedBy,
  formGroup,
  groupKeyOf,
  groupRequests,
} from '../../src/domain/launchGroup';
import { type LaunchRequest, launchRequestSchema } from '../../src/domain/launchRequest';
import { ECS_BUCKETS, shareOf, TokenBucket, throttleDelayMs } from '../../src/domain/pacing';

const restart = (id: string, overrides: Partial<LaunchRequest['runTask']> = {}): LaunchRequest =>
  launchRequestSchema.parse({
    requestId: `r-${id}`,
    reason: 'restart',
    runTask: {
      cluster: 'batch',
      taskDefinition: 'worker:7',
      launchType: 'FARGATE',
      startedBy: `ecs-autopilot/restart/${id}/1`,
      tags: [
        { key: 'team', value: 'data' },
        { key: 'ecs-autopilot:origin-task', value: `arn:aws:ecs:us-east-1:111122223333:task/batch/${id}` },
        { key: 'ecs-autopilot:attempt', value: '1' },
      ],
      ...overrides,
    },
  });

describe('which launches share a RunTask call', () => {
  it('groups requests that differ only in lineage, 10 a call, in arrival order', () => {
    const requests = Array.from({ length: 23 }, (_, i) => restart(`t${i}`));
    const groups = groupRequests(requests);
    expect(groups.map((g) => g.length)).toEqual([10, 10, 3]);
    expect(groups[0]?.[0]).toBe(requests[0]);
  });

  it('keeps apart requests whose input differs in anything else, and launches a leased or multi-task one alone', () => {
    const base = restart('a');
    expect(groupKeyOf(restart('b'))).toBe(groupKeyOf(base));
    expect(groupKeyOf(restart('b', { taskDefinition: 'worker:8' }))).not.toBe(groupKeyOf(base));
    expect(groupKeyOf(restart('b', { tags: [{ key: 'team', value: 'web' }] }))).not.toBe(groupKeyOf(base));
    expect(groupKeyOf({ ...base, launchLease: { schedule: 'nightly' } })).toBeUndefined();
    expect(groupKeyOf({ ...base, runTask: { ...base.runTask, count: 3 } })).toBeUndefined();
  });

  it('forms the same group (id, token) from the same members in any order; a group of one keeps its own token', () => {
    const [a, b] = [restart('a'), restart('b')];
    expect(formGroup([a, b])).toEqual(formGroup([b, a]));
    expect(formGroup([a, b]).clientToken).toMatch(/^g-[A-Za-z0-9_-]{43}$/);
    expect(formGroup([a, b]).groupId).not.toBe(formGroup([a, restart('c')]).groupId);
    expect(formGroup([a]).clientToken).toBe('r-a');
    expect(formGroup([a]).runTask).toEqual(a.runTask);
  });

  it('sends the batched call the common input: the kind of startedBy, no lineage tags, the count of all', () => {
    const group = formGroup([restart('a'), restart('b'), restart('c')]);
    expect(group.runTask).toMatchObject({ count: 3, startedBy: 'ecs-autopilot/restart' });
    expect(group.runTask.tags).toEqual([{ key: 'team', value: 'data' }]);
    expect(batchStartedBy('ecs-autopilot/schedule/nightly')).toBe('ecs-autopilot/schedule/nightly');
  });

  it('deals the tasks in member order whatever order ECS answers, and leaves the last members short', () => {
    const group = formGroup([restart('a'), restart('b'), restart('c')]);
    const arns = ['t/3', 't/1', 't/2'];
    expect(assignTasks(group, arns)).toEqual([['t/1'], ['t/2'], ['t/3']]);
    expect(assignTasks(group, ['t/9', 't/8'])).toEqual([['t/8'], ['t/9'], []]);
  });
});

describe("ECS's token buckets, as the launcher paces itself", () => {
  it('waits for tokens it has taken beyond the burst, queueing later callers behind', () => {
    const bucket = new TokenBucket(2, 10, 0);
    expect([bucket.reserve(1, 0), bucket.reserve(1, 0), bucket.reserve(1, 0), bucket.reserve(1, 0)]).toEqual([
      0, 0, 100, 200,
    ]);
    expect(bucket.reserve(1, 1000)).toBe(0);
  });

  it("splits the stage's share of a bucket over its launcher instances", () => {
    expect(shareOf(ECS_BUCKETS.runTask, 0.75, 5)).toEqual({ burst: 15, perSecond: 6 });
  });

  it("after a throttle, waits the refill of the call's tasks at 20 a second, doubling from the third in a row, up to 4x", () => {
    const mid = () => 0.5;
    expect(throttleDelayMs(10, 1, mid)).toBe(500);
    expect(throttleDelayMs(10, 2, mid)).toBe(500);
    expect(throttleDelayMs(10, 3, mid)).toBe(1000);
    expect(throttleDelayMs(10, 9, mid)).toBe(2000);
    expect(throttleDelayMs(1, 1, () => 0)).toBe(25);
  });
});
