/**
 * A restart decision that has to wait (here: the failed task's tags, which ECS keeps throttling) comes back
 * through taskReactions' retry queue for as long as it takes, instead of dying after Lambda's two async
 * retries. The setup where it matters: restartMaxAttempts=0, so only tasks that opt in by tag restart, and
 * every decision on a task launched elsewhere needs its tags.
 */

import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  advanceUntil,
  hasStopped,
  replacementsIn,
  type startTestSandbox as Start,
  SUBNETS,
  sleep,
  startTestSandbox,
} from '../support/sandbox';
import { sandboxFetch } from '../support/signedFetch';

let env: Awaited<ReturnType<typeof Start>>;

beforeAll(async () => {
  process.env.SANDBOX_RESTART_MAX_ATTEMPTS = '0';
  try {
    env = await startTestSandbox();
  } finally {
    delete process.env.SANDBOX_RESTART_MAX_ATTEMPTS;
  }
}, 60_000);
afterAll(() => env?.stop());

async function runFailingTask(tags: { key: string; value: string }[]) {
  const out = await env.clients.ecs.send(
    new RunTaskCommand({
      cluster: 'sandbox',
      taskDefinition: 'sandbox-worker',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS } },
      overrides: {
        containerOverrides: [{ name: 'worker', environment: [{ name: 'SANDBOX_EXIT_CODE', value: '1' }] }],
      },
      tags,
    }),
  );
  const arn = out.tasks?.[0]?.taskArn as string;
  return { arn, id: arn.split('/').pop() as string };
}

const replacementsOf = (originArn: string) => replacementsIn(env.sandbox, originArn);
const stopped = (taskId: string) => hasStopped(env.sandbox, taskId);

/** What is in the DLQ, which every event-driven function shares: nothing, when nothing was lost. */
async function deadLetters(): Promise<string[]> {
  const queueUrl = `${env.sandbox.endpoint}/000000000000/${env.sandbox.stack.physicalName('TaskEventsDlq')}`;
  const { Messages = [] } = await env.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return Messages.map((m) => m.Body ?? '');
}

async function decisionOf(taskId: string): Promise<string | undefined> {
  const response = await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${taskId}`);
  if (response.status !== 200) return undefined;
  const body = (await response.json()) as { attempts?: { decision?: string }[] };
  return body.attempts?.[0]?.decision;
}

/** The decision taken on this very task (`decision.action`), where `decisionOf` reads the chain's first. */
async function ownDecisionOf(taskId: string): Promise<string | undefined> {
  const response = await sandboxFetch(`${env.sandbox.apiUrl}/tasks/${taskId}`);
  if (response.status !== 200) return undefined;
  const body = (await response.json()) as { decision?: { action?: string } };
  return body.decision?.action;
}

describe('a restart decision that waits on throttled tags (restartMaxAttempts=0, opt-in by tag)', () => {
  it('restarts the opted-in task once the tags can be read, minutes later; nothing goes to the DLQ', async () => {
    await env.sandbox.control('faults', { throttle: 1, api: ['DescribeTasks'] });
    let optedIn: { arn: string; id: string };
    let plain: { arn: string; id: string };
    try {
      // One attempt: the replacement inherits the failing override and fails too, so with more attempts a
      // second, legitimate replacement would race the final count below.
      optedIn = await runFailingTask([{ key: 'ecs-autopilot:max-attempts', value: '1' }]);
      plain = await runFailingTask([{ key: 'team', value: 'data' }]);
      await advanceUntil(env.sandbox, 'both tasks stopped', () => stopped(optedIn.id) && stopped(plain.id), {
        stepMs: 500,
      });
      // Five virtual minutes of throttled tag reads: Lambda's async retries alone would have given up.
      for (let i = 0; i < 30; i++) {
        env.sandbox.clock.advance(10_000);
        await sleep(100);
      }
      expect(await replacementsOf(optedIn.arn)).toEqual([]);
      expect(await decisionOf(optedIn.id)).toBeUndefined();
    } finally {
      await env.sandbox.control('faults', { throttle: 0, error: 0 });
    }

    const replacement = await advanceUntil(
      env.sandbox,
      'a replacement of the opted-in task',
      async () => (await replacementsOf(optedIn.arn))[0],
      { stepMs: 10_000, timeoutMs: 30_000 },
    );
    expect(replacement.tags['ecs-autopilot:attempt']).toBe('1');
    await advanceUntil(env.sandbox, 'a decision on the other task', async () => decisionOf(plain.id), {
      stepMs: 10_000,
    });
    expect(await decisionOf(plain.id)).toBe('give-up: restart disabled');
    // The replacement fails as well; its attempts are used up, so it is given up, not restarted again.
    await advanceUntil(env.sandbox, 'the replacement stopped', () => stopped(replacement.taskId), {
      stepMs: 1_000,
    });
    env.sandbox.clock.advance(600_000);
    await sleep(1000);
    expect(await replacementsOf(optedIn.arn)).toHaveLength(1);
    expect(await ownDecisionOf(replacement.taskId)).toMatch(/^give-up/);
    expect(await replacementsOf(plain.arn)).toEqual([]);
    expect(await deadLetters()).toEqual([]);
  }, 90_000);
});
