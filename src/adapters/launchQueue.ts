import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LaunchRequest } from '../domain/launchRequest';

/** SQS caps DelaySeconds at 15 minutes; longer waits are re-enqueued by the launcher (notBefore). */
export const MAX_SQS_DELAY_SECONDS = 900;

export type SendLaunchRequest = (request: LaunchRequest, delaySeconds: number) => Promise<void>;

export function buildSendLaunchRequest(sqs: SQSClient, queueUrl: string): SendLaunchRequest {
  return async (request, delaySeconds) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(request),
        DelaySeconds: Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(delaySeconds))),
      }),
    );
  };
}
