import * as z from '../zod';

/**
 * Restart policy for failed standalone tasks, after Kubernetes Job (backoffLimit, 10 s doubling to a
 * 6-minute cap, disruptions not counted) and AWS Batch (evaluateOnExit by exit code and reason).
 */

/** An exit-code range like "1-5" or a single code like 137. */
const exitCodeMatcher = z.union([
  z.number().check(z.int()),
  z.string().check(
    z.regex(/^-?\d+-\d+$/, 'must be an exit code or a range like "1-5"'),
    z.refine((s) => {
      const [lo, hi] = parseRange(s);
      return lo <= hi;
    }, 'range must go from low to high'),
  ),
]);

function parseRange(s: string): [number, number] {
  const m = /^(-?\d+)-(\d+)$/.exec(s);
  return [Number(m?.[1]), Number(m?.[2])];
}

export const exitRuleSchema = z
  .strictObject({
    exitCodes: z.optional(z.array(exitCodeMatcher).check(z.minLength(1))),
    reasonPrefixes: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  })
  .check(z.refine((r) => r.exitCodes || r.reasonPrefixes, 'a rule needs exitCodes or reasonPrefixes'));
export type ExitRule = z.infer<typeof exitRuleSchema>;

export const restartPolicySchema = z.strictObject({
  /** Attempts after the first run; 0 never restarts. */
  maxAttempts: z.number().check(z.int(), z.gte(0), z.lte(10)),
  backoff: z.strictObject({
    baseSeconds: z.number().check(z.gte(0), z.lte(3600)),
    factor: z.number().check(z.gte(1), z.lte(10)),
    maxSeconds: z.number().check(z.gte(0), z.lte(86_400)),
    jitter: z.boolean(),
  }),
  /** When set, only failures matching a rule are retried. */
  retryOn: z.optional(z.array(exitRuleSchema)),
  /** Failures matching a rule are never retried (checked first). */
  giveUpOn: z.optional(z.array(exitRuleSchema)),
});
export type RestartPolicy = z.infer<typeof restartPolicySchema>;

/** A policy source (request, family rule, defaults) may set any subset, backoff fields included. */
export const partialRestartPolicySchema = z.partial(
  z.extend(restartPolicySchema, { backoff: z.partial(restartPolicySchema.shape.backoff) }),
);
export type PartialRestartPolicy = z.infer<typeof partialRestartPolicySchema>;

export const DEFAULT_POLICY: RestartPolicy = {
  maxAttempts: 3,
  backoff: { baseSeconds: 10, factor: 2, maxSeconds: 360, jitter: true },
};

/** Relaunches for infrastructure causes use no attempt, but are still bounded: never loop forever. */
export const MAX_INFRASTRUCTURE_RELAUNCHES = 5;

export const RESTART_TAG = 'ecs-autopilot:restart';
export const MAX_ATTEMPTS_TAG = 'ecs-autopilot:max-attempts';

/** Policy from task tags: `ecs-autopilot:restart=off` disables, `ecs-autopilot:max-attempts=N` sets attempts. */
export function policyFromTags(tags: Record<string, string>): PartialRestartPolicy {
  const policy: PartialRestartPolicy = {};
  const max = tags[MAX_ATTEMPTS_TAG]?.trim();
  if (max !== undefined && /^\d+$/.test(max)) policy.maxAttempts = Math.min(10, Number(max));
  // "off" wins over a number: switching restarts off must not need removing the other tag.
  const restart = tags[RESTART_TAG]?.trim().toLowerCase();
  if (restart === 'off' || restart === 'false' || restart === 'never') policy.maxAttempts = 0;
  return policy;
}

/** Most specific first: the launch request's own policy, task tags, per-family rules, defaults. */
export function resolvePolicy(...sources: (PartialRestartPolicy | undefined)[]): RestartPolicy {
  let policy: RestartPolicy = DEFAULT_POLICY;
  for (const source of [...sources].reverse()) {
    if (!source) continue;
    policy = {
      ...policy,
      ...source,
      backoff: { ...policy.backoff, ...(source.backoff ?? {}) },
    };
  }
  return policy;
}

/** Delay before attempt `attempt` (1-based): base * factor^(attempt-1), capped, with equal jitter. */
export function backoffSeconds(
  policy: RestartPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const { baseSeconds, factor, maxSeconds, jitter } = policy.backoff;
  const raw = Math.min(maxSeconds, baseSeconds * factor ** Math.max(0, attempt - 1));
  // Equal jitter keeps at least half the delay, so a wave of failures spreads without firing at once.
  return Math.round(jitter ? raw / 2 + random() * (raw / 2) : raw);
}

export interface FailureFacts {
  exitCode?: number;
  stoppedReason?: string;
  containerReason?: string;
}

function codeMatches(matcher: number | string, code: number): boolean {
  if (typeof matcher === 'number') return matcher === code;
  const [lo, hi] = parseRange(matcher);
  return code >= lo && code <= hi;
}

export function ruleMatches(rule: ExitRule, f: FailureFacts): boolean {
  const byCode = rule.exitCodes
    ? f.exitCode !== undefined && rule.exitCodes.some((m) => codeMatches(m, f.exitCode as number))
    : undefined;
  const reasons = [f.stoppedReason, f.containerReason].filter((r): r is string => !!r);
  const byReason = rule.reasonPrefixes
    ? reasons.some((r) => rule.reasonPrefixes?.some((p) => r.startsWith(p)))
    : undefined;
  // Both given: both must hold (like AWS Batch's evaluateOnExit); one given: that one decides.
  return (byCode ?? true) && (byReason ?? true);
}
