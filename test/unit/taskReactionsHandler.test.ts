import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { makeTaskReactionsHandler } from '../../functions/taskReactions/handler';
import { LaunchNotRecordedError, type ReactionDeps, TagsUnreadError } from '../../src/app/reactions';
import { buildRunOutcomes } from '../../src/app/runOutcomes';
import {
  buildReactToTaskEvent,
  REACTION_MAX_ATTEMPTS,
  reactionRetryDelaySeconds,
} from '../../src/app/taskReactions';
import type { TaskTransition } from '../../src/domain/lifecycle';
import type { TaskDetail } from '../../src/domain/taskEvent';
import type { ReactionRetry } from '../../src/ports';
import { fixture } from '../support/fixtures';
import { unusedRunOutcomes, unusedScheduleRuns } from '../support/unusedDeps';

function setup(react: (t: TaskTransition) => Promise<unknown> = async () => ({ action: 'restart' })) {
  const reacted: { t: TaskTransition; detail: TaskDetail }[] = [];
  const retries: { retry: ReactionRetry; delaySeconds: number }[] = [];
  const handler = buildReactToTaskEvent({
    runEnded: buildRunOutcomes(unusedRunOutcomes).taskStopped,
    react: async (t, detail) => {
      reacted.push({ t, detail });
      return react(t);
    },
    retryLater: async (retry, delaySeconds) => {
      retries.push({ retry, delaySeconds });
    },
    logger: { info: () => undefined },
    random: () => 0.5,
  });
  return { handler, reacted, retries };
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

  it.each([
    ['tags ECS would not tell', (t: TaskTransition) => new TagsUnreadError(t.taskArn)],
    ['a launch not recorded yet', (t: TaskTransition) => new LaunchNotRecordedError(t.taskArn)],
  ])('puts a decision that waits on %s on the retry queue, seconds later, and succeeds', async (_, error) => {
    const { handler, retries } = setup(async (t) => {
      throw error(t);
    });
    const event = fixture('stopped-exit-1');
    await expect(handler(event)).resolves.toMatchObject({ retry: { attempt: 1, delaySeconds: 2 } });
    expect(retries).toEqual([{ retry: { attempt: 1, event }, delaySeconds: 2 }]);
  });

  it('decides a retried event when what it waited for is there', async () => {
    let tries = 0;
    const { handler, retries } = setup(async (t) => {
      tries++;
      if (tries === 1) throw new TagsUnreadError(t.taskArn);
      return { action: 'restart' };
    });
    await handler(fixture('stopped-exit-1'));
    const [first] = retries;
    await expect(handler(first?.retry.event, first?.retry.attempt)).resolves.toEqual({ action: 'restart' });
    expect(retries).toHaveLength(1);
  });

  it('gives a decision that keeps waiting up after the last try: the error is left to SQS and the DLQ', async () => {
    const { handler, retries } = setup(async (t) => {
      throw new TagsUnreadError(t.taskArn);
    });
    await expect(handler(fixture('stopped-exit-1'), REACTION_MAX_ATTEMPTS)).rejects.toBeInstanceOf(
      TagsUnreadError,
    );
    expect(retries).toEqual([]);
  });

  it('does not hold back any other failure: it throws for the Lambda or SQS retries', async () => {
    const { handler, retries } = setup(async () => {
      throw new Error('DynamoDB is down');
    });
    await expect(handler(fixture('stopped-exit-1'))).rejects.toThrow('DynamoDB is down');
    expect(retries).toEqual([]);
  });

  it('throws when the retry queue refuses the event, so it is not lost (Lambda retries it)', async () => {
    const handler = buildReactToTaskEvent({
      runEnded: buildRunOutcomes(unusedRunOutcomes).taskStopped,
      react: async (t) => {
        throw new TagsUnreadError(t.taskArn);
      },
      retryLater: async () => {
        throw new Error('SQS is down');
      },
      logger: { info: () => undefined },
    });
    await expect(handler(fixture('stopped-exit-1'))).rejects.toThrow('SQS is down');
  });

  it('waits 1-2 s first, doubling to a cap of 30-60 s, and keeps trying for 8 to 16 minutes in all', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => reactionRetryDelaySeconds(n, () => 1))).toEqual([
      2, 4, 8, 16, 32, 60, 60,
    ]);
    expect([1, 2, 6].map((n) => reactionRetryDelaySeconds(n, () => 0))).toEqual([1, 2, 30]);
    const total = (random: () => number) =>
      Array.from({ length: REACTION_MAX_ATTEMPTS }, (_, i) =>
        reactionRetryDelaySeconds(i + 1, random),
      ).reduce((a, b) => a + b, 0);
    // Longer than Lambda's own retries (3 minutes), well inside the events' maximum age (an hour).
    expect(total(() => 0)).toBeGreaterThanOrEqual(8 * 60);
    expect(total(() => 1)).toBeLessThanOrEqual(16 * 60 + 2);
  });
});

describe('the taskReactions function (functions/taskReactions/handler.ts)', () => {
  const unreachable = async (): Promise<never> => {
    throw new Error('the store is down');
  };
  /** Reactions whose every read fails: what reaches them is reported, what does not need them succeeds. */
  const reactions: ReactionDeps = {
    store: {
      getLaunch: unreachable,
      getDecision: unreachable,
      putDecision: unreachable,
      markDecisionDone: unreachable,
    },
    describeTaskTags: unreachable,
    sendLaunchRequest: unreachable,
    publishEvents: unreachable,
    config: { familyPolicies: {}, networkDefaults: {} },
    logger: { info: () => undefined, warn: () => undefined },
    countDecision: () => undefined,
    scheduleRuns: unusedScheduleRuns,
  };
  const retried = (messageId: string, body: string) =>
    ({
      messageId,
      body,
      receiptHandle: messageId,
      attributes: {},
      messageAttributes: {},
    }) as unknown as SQSRecord;

  it("answers the retry queue's batch item by item: a malformed retry and a failed decision are reported, the rest succeed", async () => {
    const handler = makeTaskReactionsHandler({
      reactions,
      runOutcomes: unusedRunOutcomes,
      retryLater: unreachable,
      logger: new Logger({ serviceName: 'ecs-autopilot', logLevel: 'SILENT' }),
    });
    const event: SQSEvent = {
      Records: [
        retried('running', JSON.stringify({ attempt: 3, event: fixture('running') })),
        retried('not-json', 'retry me'),
        retried('failed-decision', JSON.stringify({ attempt: 3, event: fixture('stopped-exit-1') })),
      ],
    };
    await expect(handler(event, {} as Context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'not-json' }, { itemIdentifier: 'failed-decision' }],
    });
  });

  it('takes an EventBridge event as it comes (not a batch): a failed decision throws, for Lambda to retry', async () => {
    const handler = makeTaskReactionsHandler({
      reactions,
      runOutcomes: unusedRunOutcomes,
      retryLater: unreachable,
      logger: new Logger({ serviceName: 'ecs-autopilot', logLevel: 'SILENT' }),
    });
    await expect(handler(fixture('running'), {} as Context)).resolves.toBeUndefined();
    await expect(handler(fixture('stopped-exit-1'), {} as Context)).rejects.toThrow('the store is down');
  });
});
