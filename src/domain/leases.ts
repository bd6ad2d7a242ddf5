/**
 * A schedule's launch lease (Forbid, Replace): who is launching a run of it now, and for how long. The lease
 * itself lives in the schedule store (src/adapters/scheduleStore.ts); these are its rules.
 */

/** Longer than any launch (launcher and API time out within 30 s); a crashed holder blocks no longer. */
export const LAUNCH_LEASE_MS = 2 * 60_000;

/** How long a lease is held, and whether its run waits on the queue (then a Replace may take it over). */
export interface LeaseHold {
  holdMs: number;
  parked: boolean;
}

/**
 * How long a run holds its schedule's lease: LAUNCH_LEASE_MS, plus `waitSeconds` when it waits before its
 * launch (on the queue, or through a restart's backoff), and then `parked` so a Replace may take it over.
 */
export function leaseHold(waitSeconds?: number): LeaseHold {
  return { holdMs: (waitSeconds ?? 0) * 1000 + LAUNCH_LEASE_MS, parked: waitSeconds !== undefined };
}
