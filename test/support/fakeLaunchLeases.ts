import { LAUNCH_LEASE_MS } from '../../src/domain/leases';
import type { ScheduleStore } from '../../src/ports';

export interface FakeLease {
  holder: string;
  until: number;
  parked?: boolean;
}

/**
 * The schedule store's launch leases in memory, with the same conditions as the DynamoDB adapter (checked
 * against it in test/integration/scheduleStore.test.ts): `leases` is the table, `now` the clock.
 */
export function fakeLaunchLeases(
  now: () => number,
  leases = new Map<string, FakeLease>(),
): Pick<ScheduleStore, 'acquireLaunchLease' | 'holdLaunchLease' | 'releaseLaunchLease'> & {
  leases: Map<string, FakeLease>;
} {
  return {
    leases,
    async acquireLaunchLease(name, holder, options = {}) {
      const lease = leases.get(name);
      const free =
        !lease ||
        lease.until < now() ||
        lease.holder === holder ||
        (options.takeOverParked === true && lease.parked === true);
      if (!free) return false;
      const hold = options.hold;
      leases.set(name, {
        holder,
        until: now() + (hold?.holdMs ?? LAUNCH_LEASE_MS),
        ...(hold?.parked && { parked: true }),
      });
      return true;
    },
    async holdLaunchLease(name, holder, options) {
      const lease = leases.get(name);
      if (lease?.holder !== holder) return false;
      leases.set(name, { holder, until: now() + options.holdMs, parked: options.parked });
      return true;
    },
    async releaseLaunchLease(name, holder) {
      if (leases.get(name)?.holder === holder) leases.delete(name);
    },
  };
}
