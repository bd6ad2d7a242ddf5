import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SendScheduleTrigger } from '../ports';
import { MAX_SQS_DELAY_SECONDS } from './launchQueue';

/**
 * Sends a schedule's due time to the launch queue, as EventBridge Scheduler does (the launcher's
 * parseQueueMessage reads it): a BufferOne run let go, a backfilled due time. At most SQS's 15 minutes late.
 */
export function buildSendScheduleTrigger(sqs: SQSClient, queueUrl: string): SendScheduleTrigger {
  return async (trigger, delaySeconds) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(trigger),
        DelaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  };
}
