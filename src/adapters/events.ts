import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AutopilotError, type AutopilotErrorOptions } from '../errors';
import type { PublishEvents } from '../ports';

export const EVENT_SOURCE = 'ecs-autopilot';

export class PublishEventsError extends AutopilotError {
  constructor(message: string, options?: AutopilotErrorOptions) {
    super(message, options);
    this.name = 'PublishEventsError';
  }
}

/**
 * PutEvents reports failed entries in a successful (HTTP 200) response: FailedEntryCount, and ErrorCode on
 * each ("Sending events with PutEvents",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html).
 * A failed entry is an error here, never a silent loss.
 */
export function buildPublishEvents(client: EventBridgeClient, eventBusName: string): PublishEvents {
  return async (events) => {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            Source: EVENT_SOURCE,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Resources: e.resources,
            EventBusName: eventBusName,
          })),
        }),
      );
      if (out.FailedEntryCount) {
        const failed = (out.Entries ?? [])
          .filter((e) => e.ErrorCode)
          .map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new PublishEventsError(
          `PutEvents failed for ${out.FailedEntryCount} entries: ${failed.join('; ')}`,
          { context: { eventBusName, failedEntryCount: out.FailedEntryCount } },
        );
      }
    }
  };
}
