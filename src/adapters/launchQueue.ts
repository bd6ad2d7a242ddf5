import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SendLaunchRequest, SendTagJob } from '../ports';

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

/** A tag job travels on the launch queue as { tagTasks: job } (parseQueueMessage tells it from a request). */
export function buildSendTagJob(sqs: SQSClient, queueUrl: string): SendTagJob {
  return async (job, delaySeconds) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ tagTasks: job }),
        DelaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  };
}
