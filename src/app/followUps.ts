import type { LaunchRequest } from '../domain/launchRequest';
import { relaunchable } from '../domain/secrets';
import type { OutgoingEvent, PublishEvents, SendLaunchRequest } from '../ports';

/**
 * "Record what is owed, do it, mark it done": a restart decision and a launch outcome are each written once
 * with the follow-ups they owe (a launch request to send, events to publish); the delivery that wrote it does
 * them and marks the record done, and a delivery that finds a record not done (its owner crashed) does them
 * again. Sending twice is safe (the launcher's clientToken and outcome marker start no second task).
 */
export interface Owed {
  send?: { request: LaunchRequest; delaySeconds: number };
  events: OutgoingEvent[];
}

export interface FollowUpSteps {
  /** Before the request goes on the queue (a schedule run keeps its lease for the wait). */
  beforeSend?(send: NonNullable<Owed['send']>): Promise<unknown>;
  /** After the events, before the record is marked done. */
  afterPublish?(): Promise<unknown>;
}

export function buildFollowUps(deps: { sendLaunchRequest: SendLaunchRequest; publishEvents: PublishEvents }) {
  return async function doOwed(owed: Owed, markDone: () => Promise<void>, steps: FollowUpSteps = {}) {
    if (owed.send) {
      await steps.beforeSend?.(owed.send);
      // A request read back from a stage that stores no environment values goes without them.
      const { request, delaySeconds } = owed.send;
      await deps.sendLaunchRequest(
        { ...request, runTask: relaunchable(request.runTask).runTask },
        delaySeconds,
      );
    }
    if (owed.events.length > 0) await deps.publishEvents(owed.events);
    await steps.afterPublish?.();
    await markDone();
  };
}
