import { applyLateTags, unreadTagsVerdict } from '../../src/domain/lateTags';
import { type LaunchRequest, launchRequestSchema } from '../../src/domain/launchRequest';

const FAILED_ARN = 'arn:aws:ecs:us-east-1:111122223333:task/batch/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
const requestFor = (reason: LaunchRequest['reason'], attempt: number): LaunchRequest =>
  launchRequestSchema.parse({
    requestId: 's-0f3c',
    reason,
    runTask: {
      cluster: 'batch',
      taskDefinition: 'worker:7',
      tags: [
        { key: 'ecs-autopilot:origin-task', value: FAILED_ARN },
        { key: 'ecs-autopilot:reason', value: reason },
      ],
    },
    lineage: { originTaskArn: FAILED_ARN, attempt, launches: 1, chain: [] },
    tagsOf: FAILED_ARN,
  });

describe('tags read at launch', () => {
  it('refuses a Spot fallback the task opted out of', () => {
    expect(
      applyLateTags(requestFor('spot-interruption', 0), { 'ecs-autopilot:spot-fallback': 'OFF' }),
    ).toEqual({
      refuse: 'tag ecs-autopilot:spot-fallback=off',
    });
  });

  it('refuses a restart beyond the max-attempts tag, and allows one within it', () => {
    const tags = { 'ecs-autopilot:max-attempts': '2' };
    expect(applyLateTags(requestFor('restart', 3), tags)).toEqual({
      refuse: 'attempts exhausted (tag ecs-autopilot:max-attempts=2)',
    });
    expect(applyLateTags(requestFor('restart', 2), tags)).toHaveProperty('request');
  });

  it('keeps the lineage tags and fills the rest of the 50 with user tags, and drops tagsOf', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, `v${i}`]));
    const result = applyLateTags(requestFor('restart', 1), many);
    if (!('request' in result)) throw new Error('refused');
    const tags = result.request.runTask.tags ?? [];
    expect(tags).toHaveLength(50);
    expect(tags.slice(-2).map((t) => t.key)).toEqual(['ecs-autopilot:origin-task', 'ecs-autopilot:reason']);
    expect(result.request.tagsOf).toBeUndefined();
  });
});

describe('a decision taken without the tags', () => {
  /** The fields the verdict reads; the rest of a decision does not change it. */
  const decided = (d: { action: string; reason?: string; request?: LaunchRequest }) =>
    d as Parameters<typeof unreadTagsVerdict>[0];

  it('launches and lets the launcher read the tags: a restart, a Spot move', () => {
    expect(unreadTagsVerdict(decided({ action: 'restart', request: requestFor('restart', 1) }))).toBe(
      'read-at-launch',
    );
    expect(
      unreadTagsVerdict(decided({ action: 'spot-fallback', request: requestFor('spot-interruption', 0) })),
    ).toBe('read-at-launch');
  });

  it('waits for the tags before giving up on attempts or on restarts being off: the tags may opt in', () => {
    expect(unreadTagsVerdict(decided({ action: 'give-up', reason: 'exhausted' }))).toBe('decide-later');
    expect(unreadTagsVerdict(decided({ action: 'give-up', reason: 'restart disabled' }))).toBe(
      'decide-later',
    );
  });

  it('lets any other verdict stand: no tag turns them around', () => {
    expect(unreadTagsVerdict(decided({ action: 'give-up', reason: 'matched giveUpOn' }))).toBe('stands');
    expect(unreadTagsVerdict(decided({ action: 'none', reason: 'exit 0' }))).toBe('stands');
    expect(
      unreadTagsVerdict(decided({ action: 'not-restartable', reason: 'network configuration unknown' })),
    ).toBe('stands');
  });
});
