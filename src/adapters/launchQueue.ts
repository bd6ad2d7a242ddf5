import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SendLaunchRequest } from '../ports';

/** SQS caps DelaySeconds at 15 minutes; the rest travels in the request (deferSeconds) for the next hop. */
export const MAX_SQS_DELAY_SECONDS = 900;

export function buildSendLaunchRequest(sqs: SQSClient, queueUrl: string): SendLaunchRequest {
  return async (request, delaySeconds) => {
    const total = Math.max(0, Math.ceil(delaySeconds));
    const now = Math.min(MAX_SQS_DELAY_SECONDS, total);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ ...request, deferSeconds: total - now }),
        DelaySeconds: now,
      }),
    );
  };
}
