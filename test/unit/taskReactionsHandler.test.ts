import type { TaskTransition } from '../../src/domain/lifecycle';
import type { TaskDetail } from '../../src/domain/taskEvent';
import { buildTaskReactionsHandler } from '../../src/handlers/taskReactions';
import { fixture } from '../support/fixtures';

function setup() {
  const reacted: { t: TaskTransition; detail: TaskDetail }[] = [];
  const handler = buildTaskReactionsHandler({
    react: async (t, detail) => {
      reacted.push({ t, detail });
      return { action: 'restart' };
    },
  });
  return { handler, reacted };
}

describe('taskReactions handler', () => {
  it.each(['stopped-exit-1', 'stopped-exit-0', 'stopped-by-user', 'spot-warning-spotinterruption'])(
    'hands %s to the restart and Spot decision',
    async (name) => {
      const { handler, reacted } = setup();
      await expect(handler(fixture(name))).resolves.toEqual({ action: 'restart' });
      expect(reacted).toHaveLength(1);
      expect(reacted[0]?.t.taskArn).toBe((fixture(name) as { detail: { taskArn: string } }).detail.taskArn);
    },
  );

  it.each(['provisioning', 'pending', 'running'])(
    'ignores %s: no reaction is decided before STOPPED',
    async (name) => {
      const { handler, reacted } = setup();
      await expect(handler(fixture(name))).resolves.toBeUndefined();
      expect(reacted).toEqual([]);
    },
  );

  it('throws on an event that is not an ECS task event, so Lambda retries and dead-letters it', async () => {
    const { handler, reacted } = setup();
    await expect(handler({ 'detail-type': 'ECS Service Action' })).rejects.toThrow(
      /not an ECS Task State Change/,
    );
    expect(reacted).toEqual([]);
  });
});
