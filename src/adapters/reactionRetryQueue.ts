import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReactionRetry, SendReactionRetry } from '../ports';
import * as z from '../zod';
import { MAX_SQS_DELAY_SECONDS } from './launchQueue';

export function buildSendReactionRetry(sqs: SQSClient, queueUrl: string): SendReactionRetry {
  return async (retry, delaySeconds) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(retry),
        DelaySeconds: Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(delaySeconds))),
      }),
    );
  };
}

const reactionRetrySchema = z.object({
  attempt: z.number().check(z.int(), z.gte(1)),
  event: z.unknown(),
});

/** A retry-queue message body; anything else throws (the message is retried, then dead-lettered). */
export function parseReactionRetry(body: string): ReactionRetry {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('reaction retry is not JSON');
  }
  const parsed = reactionRetrySchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid reaction retry: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
