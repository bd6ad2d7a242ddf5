import {
  backoffSeconds,
  DEFAULT_POLICY,
  type PartialRestartPolicy,
  policyFromTags,
  type RestartPolicy,
  resolvePolicy,
  restartPolicySchema,
  ruleMatches,
} from '../../src/domain/restartPolicy';

const noJitter = (backoff: Partial<RestartPolicy['backoff']> = {}): RestartPolicy => ({
  maxAttempts: 3,
  backoff: { baseSeconds: 10, factor: 2, maxSeconds: 360, jitter: false, ...backoff },
});

describe('resolving the restart policy', () => {
  it('uses 3 attempts and a 10 s doubling backoff capped at 6 minutes when nothing is configured', () => {
    expect(resolvePolicy()).toEqual({
      maxAttempts: 3,
      backoff: { baseSeconds: 10, factor: 2, maxSeconds: 360, jitter: true },
    });
    expect(resolvePolicy(undefined, {}, undefined, {})).toEqual(DEFAULT_POLICY);
  });

  it("prefers the launch request's policy, then tags, then the family's, then the configured defaults", () => {
    const request = { maxAttempts: 1 };
    const tags = { maxAttempts: 2 };
    const family = { maxAttempts: 4 };
    const defaults = { maxAttempts: 5 };
    expect(resolvePolicy(request, tags, family, defaults).maxAttempts).toBe(1);
    expect(resolvePolicy(undefined, tags, family, defaults).maxAttempts).toBe(2);
    expect(resolvePolicy(undefined, {}, family, defaults).maxAttempts).toBe(4);
    expect(resolvePolicy(undefined, {}, undefined, defaults).maxAttempts).toBe(5);
  });

  it('merges backoff field by field, the more specific source winning each field it names', () => {
    const request = { backoff: { maxSeconds: 60 } } as PartialRestartPolicy;
    const family = { backoff: { baseSeconds: 30, factor: 3, maxSeconds: 600 } } as PartialRestartPolicy;
    expect(resolvePolicy(request, {}, family).backoff).toEqual({
      baseSeconds: 30,
      factor: 3,
      maxSeconds: 60,
      jitter: true,
    });
  });

  it('keeps rules from a less specific source when a more specific one sets only attempts', () => {
    const family: PartialRestartPolicy = {
      retryOn: [{ exitCodes: [1] }],
      giveUpOn: [{ reasonPrefixes: ['CannotPullContainerError'] }],
    };
    expect(resolvePolicy(undefined, { maxAttempts: 7 }, family)).toEqual({
      maxAttempts: 7,
      backoff: DEFAULT_POLICY.backoff,
      retryOn: [{ exitCodes: [1] }],
      giveUpOn: [{ reasonPrefixes: ['CannotPullContainerError'] }],
    });
  });

  it('leaves the defaults untouched for the next task', () => {
    resolvePolicy({ maxAttempts: 0, backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1, jitter: false } });
    expect(DEFAULT_POLICY).toEqual({
      maxAttempts: 3,
      backoff: { baseSeconds: 10, factor: 2, maxSeconds: 360, jitter: true },
    });
  });
});

describe('restart policy from task tags', () => {
  it('reads nothing from a task without ecs-autopilot tags', () => {
    expect(policyFromTags({ team: 'data', 'aws:ecs:clusterName': 'batch-cluster' })).toEqual({});
  });

  it.each(['off', 'OFF', ' Off ', 'false', 'never'])(
    'disables restarts for ecs-autopilot:restart=%j',
    (value) => {
      expect(policyFromTags({ 'ecs-autopilot:restart': value })).toEqual({ maxAttempts: 0 });
    },
  );

  it('does not change attempts for ecs-autopilot:restart=on', () => {
    expect(policyFromTags({ 'ecs-autopilot:restart': 'on' })).toEqual({});
  });

  it('disables restarts when ecs-autopilot:restart=off is set next to ecs-autopilot:max-attempts=5', () => {
    expect(policyFromTags({ 'ecs-autopilot:restart': 'off', 'ecs-autopilot:max-attempts': '5' })).toEqual({
      maxAttempts: 0,
    });
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': '5', 'ecs-autopilot:restart': 'off' })).toEqual({
      maxAttempts: 0,
    });
  });

  it('sets attempts from ecs-autopilot:max-attempts', () => {
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': '5' })).toEqual({ maxAttempts: 5 });
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': ' 0 ' })).toEqual({ maxAttempts: 0 });
  });

  it.each(['five', '-1', '2.5', '', '3 attempts', '0x3'])(
    'ignores ecs-autopilot:max-attempts=%j',
    (value) => {
      expect(policyFromTags({ 'ecs-autopilot:max-attempts': value })).toEqual({});
    },
  );

  it('caps ecs-autopilot:max-attempts at 10', () => {
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': '11' })).toEqual({ maxAttempts: 10 });
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': '999999' })).toEqual({ maxAttempts: 10 });
    expect(policyFromTags({ 'ecs-autopilot:max-attempts': '10' })).toEqual({ maxAttempts: 10 });
  });
});

describe('backoff between attempts', () => {
  it('waits 10 s, then doubles up to a 6-minute cap without jitter', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffSeconds(noJitter(), attempt));
    expect(delays).toEqual([10, 20, 40, 80, 160, 320, 360, 360]);
  });

  it('follows the configured base, factor and cap', () => {
    const policy = noJitter({ baseSeconds: 5, factor: 3, maxSeconds: 100 });
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(policy, attempt))).toEqual([5, 15, 45, 100]);
  });

  it('does not call the random source without jitter', () => {
    const random = jest.fn(() => 0.5);
    expect(backoffSeconds(noJitter(), 2, random)).toBe(20);
    expect(random).not.toHaveBeenCalled();
  });

  it('keeps at least half the delay with jitter, and at most all of it', () => {
    const policy = noJitter({ jitter: true });
    expect(backoffSeconds(policy, 1, () => 0)).toBe(5);
    expect(backoffSeconds(policy, 1, () => 0.5)).toBe(8);
    expect(backoffSeconds(policy, 1, () => 0.999_999)).toBe(10);
    expect(backoffSeconds(policy, 3, () => 0)).toBe(20);
    expect(backoffSeconds(policy, 3, () => 0.25)).toBe(25);
    expect(backoffSeconds(policy, 7, () => 0)).toBe(180);
    expect(backoffSeconds(policy, 7, () => 0.999_999)).toBe(360);
  });

  it('stays between half and the full delay with the default random source', () => {
    const policy = noJitter({ jitter: true });
    for (let i = 0; i < 100; i++) {
      const delay = backoffSeconds(policy, 4);
      expect(delay).toBeGreaterThanOrEqual(40);
      expect(delay).toBeLessThanOrEqual(80);
    }
  });
});

describe('matching a failure against an exit rule', () => {
  it('matches listed exit codes only', () => {
    const rule = { exitCodes: [1, 137] };
    expect(ruleMatches(rule, { exitCode: 1 })).toBe(true);
    expect(ruleMatches(rule, { exitCode: 137 })).toBe(true);
    expect(ruleMatches(rule, { exitCode: 2 })).toBe(false);
    expect(ruleMatches(rule, { exitCode: 0 })).toBe(false);
  });

  it('matches an exit code range including both ends', () => {
    const rule = { exitCodes: ['1-5'] };
    expect([0, 1, 3, 5, 6].map((exitCode) => ruleMatches(rule, { exitCode }))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('matches a range starting below zero', () => {
    const rule = { exitCodes: ['-2-0'] };
    expect([-3, -2, -1, 0, 1].map((exitCode) => ruleMatches(rule, { exitCode }))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('does not match exit codes for a failure without one (a start failure)', () => {
    expect(ruleMatches({ exitCodes: ['0-255'] }, { stoppedReason: 'CannotPullContainerError: x' })).toBe(
      false,
    );
  });

  it('matches a reason prefix against the stopped reason or the container reason', () => {
    const rule = { reasonPrefixes: ['CannotPullContainerError', 'OutOfMemoryError'] };
    expect(ruleMatches(rule, { stoppedReason: 'CannotPullContainerError: pull image manifest' })).toBe(true);
    expect(
      ruleMatches(rule, {
        exitCode: 137,
        stoppedReason: 'Essential container in task exited',
        containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      }),
    ).toBe(true);
    expect(ruleMatches(rule, { stoppedReason: 'Essential container in task exited', exitCode: 1 })).toBe(
      false,
    );
  });

  it('matches reasons by prefix, not anywhere in the text', () => {
    const rule = { reasonPrefixes: ['CannotPullContainerError'] };
    expect(ruleMatches(rule, { stoppedReason: 'TaskFailedToStart: CannotPullContainerError' })).toBe(false);
  });

  it('requires both the exit code and the reason when a rule gives both', () => {
    const rule = { exitCodes: [137], reasonPrefixes: ['OutOfMemoryError'] };
    expect(ruleMatches(rule, { exitCode: 137, containerReason: 'OutOfMemoryError: killed' })).toBe(true);
    expect(ruleMatches(rule, { exitCode: 137, stoppedReason: 'Essential container in task exited' })).toBe(
      false,
    );
    expect(ruleMatches(rule, { exitCode: 1, containerReason: 'OutOfMemoryError: killed' })).toBe(false);
  });
});

describe('validating a restart policy', () => {
  const valid: RestartPolicy = {
    maxAttempts: 5,
    backoff: { baseSeconds: 30, factor: 2, maxSeconds: 600, jitter: false },
    retryOn: [{ exitCodes: [1, '3-5'] }, { reasonPrefixes: ['OutOfMemoryError'] }],
    giveUpOn: [{ exitCodes: [2], reasonPrefixes: ['CannotPullContainerError'] }],
  };
  const issues = (input: unknown) => {
    const result = restartPolicySchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: i.message }));
  };

  it('accepts the defaults and a policy with rules', () => {
    expect(restartPolicySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
    expect(restartPolicySchema.parse(valid)).toEqual(valid);
  });

  it('rejects an unknown field at the top, in backoff and in a rule', () => {
    expect(issues({ ...valid, retries: 2 })).toEqual([{ path: [], message: 'Unrecognized key: "retries"' }]);
    expect(issues({ ...valid, backoff: { ...valid.backoff, cap: 60 } })).toEqual([
      { path: ['backoff'], message: 'Unrecognized key: "cap"' },
    ]);
    expect(issues({ ...valid, retryOn: [{ exitCode: [1] }] })).toContainEqual({
      path: ['retryOn', 0],
      message: 'Unrecognized key: "exitCode"',
    });
  });

  it('rejects a range going from high to low', () => {
    expect(issues({ ...valid, retryOn: [{ exitCodes: ['5-1'] }] })).toEqual([
      { path: ['retryOn', 0, 'exitCodes', 0], message: 'range must go from low to high' },
    ]);
  });

  it.each(['1..5', 'abc', '1-', '1-5-7'])('rejects the exit code matcher %j', (matcher) => {
    expect(issues({ ...valid, giveUpOn: [{ exitCodes: [matcher] }] })).toContainEqual({
      path: ['giveUpOn', 0, 'exitCodes', 0],
      message: 'must be an exit code or a range like "1-5"',
    });
  });

  it('rejects a rule that names neither exit codes nor reasons', () => {
    expect(issues({ ...valid, retryOn: [{}] })).toEqual([
      { path: ['retryOn', 0], message: 'a rule needs exitCodes or reasonPrefixes' },
    ]);
  });

  it('rejects more than 10 attempts and negative attempts', () => {
    expect(issues({ ...valid, maxAttempts: 11 })).toHaveLength(1);
    expect(issues({ ...valid, maxAttempts: -1 })).toHaveLength(1);
    expect(issues({ ...valid, maxAttempts: 10 })).toEqual([]);
    expect(issues({ ...valid, maxAttempts: 0 })).toEqual([]);
  });
});
