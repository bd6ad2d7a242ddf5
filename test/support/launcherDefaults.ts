import type { LaunchPacing } from '../../src/app/launcher';
import type { SendTagJob, SpotShortage, SpotShortages, TagTasksJob } from '../../src/ports';
import { ignoredRunEnds } from './unusedDeps';

/** Pacing that never holds a test back: the whole RunTask bucket, one instance, no in-process waits. */
export const TEST_PACING: LaunchPacing = {
  runTaskShare: 1,
  instances: 1,
  spotShortageSeconds: 180,
  maxInlineWaitMs: 0,
};

/** The shared memory of Spot shortages, in memory (the DynamoDB one: src/adapters/spotShortages.ts). */
export function memorySpotShortages(now: () => number = Date.now): SpotShortages & {
  remembered: SpotShortage[];
} {
  const items = new Map<string, SpotShortage>();
  const key = (cluster: string, provider: string) => `${cluster}\n${provider}`;
  const remembered: SpotShortage[] = [];
  return {
    remembered,
    async current(cluster, provider) {
      const found = items.get(key(cluster, provider));
      return found && found.until > now() ? { ...found } : undefined;
    },
    async remember(shortage) {
      const found = items.get(key(shortage.cluster, shortage.provider));
      if (found && found.until > now()) return { started: false };
      const stored = { ...shortage, since: new Date(now()).toISOString() };
      items.set(key(shortage.cluster, shortage.provider), stored);
      remembered.push(stored);
      return { started: true };
    },
    async takeProbe(shortage, nextProbeAfter) {
      const found = items.get(key(shortage.cluster, shortage.provider));
      if (!found || found.probeAfter !== shortage.probeAfter) return false;
      found.probeAfter = nextProbeAfter;
      return true;
    },
    async forget(cluster, provider) {
      items.delete(key(cluster, provider));
    },
  };
}

/** Tag jobs sent, kept for a test to look at. */
export function recordedTagJobs(): SendTagJob & { jobs: { job: TagTasksJob; delaySeconds: number }[] } {
  const jobs: { job: TagTasksJob; delaySeconds: number }[] = [];
  const send: SendTagJob = async (job, delaySeconds) => {
    jobs.push({ job: structuredClone(job), delaySeconds });
  };
  return Object.assign(send, { jobs });
}

/** The launcher's dependencies a test that is not about batching, pacing or shortages needs. */
export function launcherTestDefaults() {
  return {
    sendTagJob: recordedTagJobs(),
    spotShortages: memorySpotShortages(),
    pacing: TEST_PACING,
    runs: ignoredRunEnds,
  };
}
