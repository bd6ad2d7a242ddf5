/**
 * ECS throttles with token buckets per account and Region ("Request throttling for the Amazon ECS API",
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html; "AWS Fargate throttling
 * quotas", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html): RunTask shares
 * 100 burst / 40 a second with StopTask and the account's other launches, Fargate starts 100 burst then
 * 20 tasks a second per capacity type, TagResource refills 10 a second. Pure arithmetic on those numbers.
 */
export const ECS_BUCKETS = {
  /** RunTask, StopTask, StartTask: one bucket, shared with the account's deployments. */
  runTask: { burst: 100, perSecond: 40 },
  /** Fargate task launches (on-demand and Spot each). */
  fargateLaunches: { burst: 100, perSecond: 20 },
  tagResource: { burst: 20, perSecond: 10 },
} as const;

/** A token bucket on a clock this code is given: how long until `n` tokens are there. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = Math.max(this.at, now);
  }

  /**
   * Takes `n` tokens, waiting for them if need be: the ms to wait before the call (0: go now). The tokens are
   * taken at once, so callers that come later wait behind this one (a queue, not a race).
   */
  reserve(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }

  /** Takes up to `n` tokens that are there now (none are waited for): how many it took. */
  takeAvailable(n: number, now: number): number {
    this.refill(now);
    const taken = Math.max(0, Math.min(n, Math.floor(this.tokens)));
    this.tokens -= taken;
    return taken;
  }

  /** The ms until `n` tokens are there (taking none). */
  msUntil(n: number, now: number): number {
    this.refill(now);
    return this.tokens >= n ? 0 : Math.ceil(((n - this.tokens) / this.perSecond) * 1000);
  }

  /** ECS said the bucket is empty (ThrottlingException): no tokens until it refills. */
  drain(now: number) {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }
}

/**
 * A stage's share of one bucket, split over its launcher instances (each keeps its own bucket): `share` of the
 * account's bucket for all of them together, so the account's own deployments keep the rest during a wave.
 */
export function shareOf(
  bucket: { burst: number; perSecond: number },
  share: number,
  instances: number,
): { burst: number; perSecond: number } {
  const part = share / Math.max(1, instances);
  return { burst: Math.max(1, Math.floor(bucket.burst * part)), perSecond: bucket.perSecond * part };
}

/**
 * After ECS throttled a launch of `tasks` tasks: the time the launch-rate bucket needs to hold them again (at
 * its refill rate), spread from half to one and a half times that so throttled callers do not come back
 * together. Other callers take the refilled tokens too: from the third throttle in a row the wait doubles, up
 * to four times the refill (a longer wait would leave ECS's bucket full and unused, which is what paces a wave).
 */
export function throttleDelayMs(tasks: number, throttlesInARow: number, random: () => number): number {
  const refillMs = (Math.max(1, tasks) / ECS_BUCKETS.fargateLaunches.perSecond) * 1000;
  const backoff = refillMs * Math.min(4, 2 ** Math.max(0, throttlesInARow - 2));
  return Math.round(backoff * (0.5 + random()));
}
