import type { LaunchGuard } from '../../src/app/launchGuard';

/**
 * A guard that lets every request through, for tests of the launcher's other duties (its own checks are
 * tested in launchGuard.test.ts and end to end).
 */
export const openLaunchGuard: Pick<LaunchGuard, 'verify' | 'admit'> = {
  verify: async () => ({ action: 'go' }),
  admit: async () => ({ action: 'go' }),
};
