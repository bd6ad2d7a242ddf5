import { matchesPattern, validatePattern } from '../../local/patterns';

/** An "ECS Task State Change" event: a STOPPED Fargate Spot task of a service, container exited 1. */
function taskEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6f1c2a0e-5b7d-4c1e-9a3f-2d8e7b6a5c41',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '111122223333',
    time: '2024-05-14T09:12:47Z',
    region: 'us-east-1',
    resources: ['arn:aws:ecs:us-east-1:111122223333:task/prod/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c'],
    detail: {
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/prod',
      taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/prod/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      group: 'service:web',
      startedBy: 'ecs-svc/9223370545345641169',
      launchType: 'FARGATE',
      capacityProviderName: 'FARGATE_SPOT',
      stopCode: 'EssentialContainerExited',
      cpu: '256',
      version: 5,
      containers: [
        { name: 'app', exitCode: 1, lastStatus: 'STOPPED' },
        { name: 'sidecar', exitCode: 0, lastStatus: 'STOPPED' },
      ],
      attachments: [{ type: 'eni', details: [{ name: 'privateIPv4Address', value: '10.0.1.25' }] }],
      overrides: { containerOverrides: [] },
      ...detail,
    },
  };
}

const base = { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] };
const withDetail = (detail: Record<string, unknown>) => ({ ...base, detail });

describe('event patterns: exact values and structure', () => {
  it('matches source, detail-type and a nested detail field', () => {
    expect(matchesPattern(withDetail({ lastStatus: ['STOPPED'] }), taskEvent())).toBe(true);
  });

  it('does not match another source, detail-type or detail value', () => {
    expect(matchesPattern({ ...base, source: ['aws.ec2'] }, taskEvent())).toBe(false);
    expect(matchesPattern({ ...base, 'detail-type': ['ECS Service Action'] }, taskEvent())).toBe(false);
    expect(
      matchesPattern(withDetail({ lastStatus: ['STOPPED'] }), taskEvent({ lastStatus: 'RUNNING' })),
    ).toBe(false);
  });

  it('ORs the values of one field and ANDs the fields', () => {
    const pattern = withDetail({ lastStatus: ['RUNNING', 'STOPPED'], launchType: ['FARGATE'] });
    expect(matchesPattern(pattern, taskEvent({ lastStatus: 'RUNNING' }))).toBe(true);
    expect(matchesPattern(pattern, taskEvent({ launchType: 'EC2' }))).toBe(false);
  });

  it('fails when a field named in the pattern is missing from the event', () => {
    expect(
      matchesPattern(withDetail({ stoppedReason: ['Essential container in task exited'] }), taskEvent()),
    ).toBe(false);
    expect(matchesPattern({ detail: { nothing: { deeper: ['x'] } } }, taskEvent())).toBe(false);
  });

  it('matches numbers by value and never a string by its digits', () => {
    expect(matchesPattern(withDetail({ version: [5] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ version: [5.0] }), taskEvent({ version: 5 }))).toBe(true);
    expect(matchesPattern(withDetail({ version: ['5'] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ cpu: [256] }), taskEvent())).toBe(false);
  });

  it('matches booleans and null exactly', () => {
    expect(matchesPattern({ detail: { flag: [true] } }, taskEvent({ flag: true }))).toBe(true);
    expect(matchesPattern({ detail: { flag: [true] } }, taskEvent({ flag: false }))).toBe(false);
    expect(matchesPattern({ detail: { reason: [null] } }, taskEvent({ reason: null }))).toBe(true);
    expect(matchesPattern({ detail: { reason: [null] } }, taskEvent())).toBe(false);
  });

  it('matches an event array when any element matches (resources)', () => {
    const arn = 'arn:aws:ecs:us-east-1:111122223333:task/prod/0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c';
    expect(matchesPattern({ resources: [arn] }, taskEvent())).toBe(true);
    expect(
      matchesPattern({ resources: ['arn:aws:ecs:us-east-1:111122223333:task/prod/other'] }, taskEvent()),
    ).toBe(false);
  });

  it('matches fields inside an array of objects within the same element', () => {
    expect(matchesPattern(withDetail({ containers: { exitCode: [1] } }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ containers: { name: ['app'], exitCode: [1] } }), taskEvent())).toBe(
      true,
    );
    expect(
      matchesPattern(withDetail({ containers: { name: ['sidecar'], exitCode: [1] } }), taskEvent()),
    ).toBe(false);
    expect(matchesPattern(withDetail({ containers: { exitCode: [137] } }), taskEvent())).toBe(false);
  });
});

describe('event patterns: string operators', () => {
  it('prefix matches the start of a string only', () => {
    expect(matchesPattern(withDetail({ startedBy: [{ prefix: 'ecs-svc/' }] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ startedBy: [{ prefix: 'events-rule/' }] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ version: [{ prefix: '5' }] }), taskEvent())).toBe(false);
  });

  it('prefix with equals-ignore-case ignores case', () => {
    const pattern = withDetail({ group: [{ prefix: { 'equals-ignore-case': 'SERVICE:' } }] });
    expect(matchesPattern(pattern, taskEvent())).toBe(true);
    expect(matchesPattern(pattern, taskEvent({ group: 'family:worker' }))).toBe(false);
  });

  it('suffix matches the cluster ARN (the project pattern)', () => {
    const pattern = withDetail({ clusterArn: [{ suffix: ':cluster/prod' }, { suffix: ':cluster/batch' }] });
    expect(matchesPattern(pattern, taskEvent())).toBe(true);
    expect(
      matchesPattern(pattern, taskEvent({ clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch' })),
    ).toBe(true);
    expect(
      matchesPattern(
        pattern,
        taskEvent({ clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/staging' }),
      ),
    ).toBe(false);
  });

  it('suffix with equals-ignore-case ignores case', () => {
    const pattern = withDetail({ clusterArn: [{ suffix: { 'equals-ignore-case': ':CLUSTER/PROD' } }] });
    expect(matchesPattern(pattern, taskEvent())).toBe(true);
    expect(matchesPattern(pattern, taskEvent({ clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/dev' }))).toBe(
      false,
    );
  });

  it('equals-ignore-case compares whole strings regardless of case', () => {
    expect(
      matchesPattern(withDetail({ lastStatus: [{ 'equals-ignore-case': 'stopped' }] }), taskEvent()),
    ).toBe(true);
    expect(matchesPattern(withDetail({ lastStatus: [{ 'equals-ignore-case': 'stop' }] }), taskEvent())).toBe(
      false,
    );
  });

  it('wildcard matches any run of characters at each star', () => {
    expect(
      matchesPattern(withDetail({ taskArn: [{ wildcard: 'arn:aws:ecs:*:task/prod/*' }] }), taskEvent()),
    ).toBe(true);
    expect(
      matchesPattern(withDetail({ taskArn: [{ wildcard: 'arn:aws:ecs:*:task/batch/*' }] }), taskEvent()),
    ).toBe(false);
    expect(matchesPattern({ detail: { name: [{ wildcard: 'a\\*b' }] } }, taskEvent({ name: 'a*b' }))).toBe(
      true,
    );
    expect(matchesPattern({ detail: { name: [{ wildcard: 'a\\*b' }] } }, taskEvent({ name: 'axxb' }))).toBe(
      false,
    );
    expect(matchesPattern({ detail: { name: [{ wildcard: 'a.c' }] } }, taskEvent({ name: 'abc' }))).toBe(
      false,
    );
  });
});

describe('event patterns: anything-but', () => {
  it('on a single value and on a list', () => {
    expect(matchesPattern(withDetail({ lastStatus: [{ 'anything-but': 'RUNNING' }] }), taskEvent())).toBe(
      true,
    );
    expect(matchesPattern(withDetail({ lastStatus: [{ 'anything-but': 'STOPPED' }] }), taskEvent())).toBe(
      false,
    );
    const list = withDetail({
      stopCode: [{ 'anything-but': ['UserInitiated', 'ServiceSchedulerInitiated'] }],
    });
    expect(matchesPattern(list, taskEvent())).toBe(true);
    expect(matchesPattern(list, taskEvent({ stopCode: 'UserInitiated' }))).toBe(false);
  });

  it('on numbers', () => {
    expect(matchesPattern(withDetail({ version: [{ 'anything-but': [1, 2] }] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ version: [{ 'anything-but': 5 }] }), taskEvent())).toBe(false);
  });

  it('with a prefix: standalone tasks only (group not service:)', () => {
    const pattern = withDetail({ group: [{ 'anything-but': { prefix: 'service:' } }] });
    expect(matchesPattern(pattern, taskEvent())).toBe(false);
    expect(matchesPattern(pattern, taskEvent({ group: 'family:worker' }))).toBe(true);
  });

  it('with a suffix and with equals-ignore-case', () => {
    const suffix = withDetail({ clusterArn: [{ 'anything-but': { suffix: '/prod' } }] });
    expect(matchesPattern(suffix, taskEvent())).toBe(false);
    expect(matchesPattern(suffix, taskEvent({ clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/batch' }))).toBe(
      true,
    );
    const ignoreCase = withDetail({
      lastStatus: [{ 'anything-but': { 'equals-ignore-case': ['stopped'] } }],
    });
    expect(matchesPattern(ignoreCase, taskEvent())).toBe(false);
    expect(matchesPattern(ignoreCase, taskEvent({ lastStatus: 'RUNNING' }))).toBe(true);
  });

  it('does not match a missing field', () => {
    expect(matchesPattern(withDetail({ stoppedReason: [{ 'anything-but': 'x' }] }), taskEvent())).toBe(false);
  });
});

describe('event patterns: exists, numeric, cidr', () => {
  it('exists: true needs the field, exists: false needs it absent', () => {
    expect(matchesPattern(withDetail({ stopCode: [{ exists: true }] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ stoppedReason: [{ exists: true }] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ stoppedReason: [{ exists: false }] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ stopCode: [{ exists: false }] }), taskEvent())).toBe(false);
  });

  it('exists only sees leaf values (an object field is not a leaf)', () => {
    expect(matchesPattern(withDetail({ overrides: [{ exists: true }] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ overrides: [{ exists: false }] }), taskEvent())).toBe(true);
  });

  it('numeric ranges with two bounds, one bound and equality', () => {
    expect(matchesPattern(withDetail({ version: [{ numeric: ['>', 0, '<=', 5] }] }), taskEvent())).toBe(true);
    expect(matchesPattern(withDetail({ version: [{ numeric: ['>', 0, '<', 5] }] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ version: [{ numeric: ['>=', 6] }] }), taskEvent())).toBe(false);
    expect(matchesPattern(withDetail({ version: [{ numeric: ['=', 5] }] }), taskEvent())).toBe(true);
    expect(
      matchesPattern(withDetail({ containers: { exitCode: [{ numeric: ['>', 0] }] } }), taskEvent()),
    ).toBe(true);
  });

  it('numeric only matches JSON numbers', () => {
    expect(matchesPattern(withDetail({ cpu: [{ numeric: ['>', 0] }] }), taskEvent())).toBe(false);
  });

  it('cidr matches IP addresses in the block', () => {
    const pattern = (cidr: string) => withDetail({ attachments: { details: { value: [{ cidr }] } } });
    expect(matchesPattern(pattern('10.0.0.0/16'), taskEvent())).toBe(true);
    expect(matchesPattern(pattern('10.1.0.0/16'), taskEvent())).toBe(false);
  });
});

describe('event patterns: $or', () => {
  const pattern = {
    ...base,
    detail: {
      $or: [
        { stopCode: ['SpotInterruption', 'TerminationNotice'] },
        { containers: { exitCode: [{ numeric: ['>', 0] }] } },
      ],
    },
  };

  it('matches when any alternative matches', () => {
    expect(matchesPattern(pattern, taskEvent())).toBe(true);
    expect(matchesPattern(pattern, taskEvent({ stopCode: 'SpotInterruption', containers: [] }))).toBe(true);
  });

  it('does not match when no alternative matches, and still ANDs the other fields', () => {
    expect(matchesPattern(pattern, taskEvent({ containers: [{ name: 'app', exitCode: 0 }] }))).toBe(false);
    expect(matchesPattern({ ...pattern, source: ['aws.ec2'] }, taskEvent())).toBe(false);
  });
});

describe('validatePattern', () => {
  it('accepts pattern text as well as a parsed pattern', () => {
    expect(validatePattern('{"source":["aws.ecs"]}')).toBeUndefined();
    expect(matchesPattern('{"detail":{"lastStatus":["STOPPED"]}}', JSON.stringify(taskEvent()))).toBe(true);
    expect(matchesPattern('{"detail":{"lastStatus":["RUNNING"]}}', JSON.stringify(taskEvent()))).toBe(false);
  });

  it('accepts every operator', () => {
    expect(
      validatePattern({
        source: ['aws.ecs'],
        detail: {
          a: ['x', 1, true, null],
          b: [{ prefix: 'x' }, { prefix: { 'equals-ignore-case': 'x' } }, { suffix: 'y' }],
          c: [{ 'equals-ignore-case': 'x' }, { wildcard: 'a*b\\*' }],
          d: [{ 'anything-but': ['a', 'b'] }, { 'anything-but': { prefix: 'p' } }, { 'anything-but': 3 }],
          e: [{ exists: false }, { numeric: ['>', 0, '<=', 5] }, { cidr: '10.0.0.0/24' }],
          $or: [{ f: ['1'] }, { g: ['2'] }],
        },
      }),
    ).toBeUndefined();
  });

  it.each([
    ['a non-object pattern', ['aws.ecs']],
    ['pattern text that is not JSON', '{source:'],
    ['pattern text holding an invalid pattern', '{"source":"aws.ecs"}'],
    ['an empty pattern', {}],
    ['a scalar leaf', { source: 'aws.ecs' }],
    ['an empty array', { source: [] }],
    ['a nested array', { source: [['aws.ecs']] }],
    ['an unknown operator', { source: [{ contains: 'ecs' }] }],
    ['two keys in one matcher', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a non-string prefix', { source: [{ prefix: 1 }] }],
    ['a bad numeric operator', { detail: { v: [{ numeric: ['>>', 1] }] } }],
    ['an inverted numeric range', { detail: { v: [{ numeric: ['>', 5, '<', 1] }] } }],
    ['a non-numeric bound', { detail: { v: [{ numeric: ['>', '1'] }] } }],
    ['exists that is not a boolean', { detail: { v: [{ exists: 'yes' }] } }],
    ['consecutive wildcards', { detail: { v: [{ wildcard: 'a**b' }] } }],
    ['mixed anything-but list', { detail: { v: [{ 'anything-but': ['a', 1] }] } }],
    [
      'anything-but with an unsupported operator',
      { detail: { v: [{ 'anything-but': { numeric: ['>', 1] } }] } },
    ],
    ['$or with a single alternative', { $or: [{ source: ['aws.ecs'] }] }],
    ['$or that is not an array', { $or: { source: ['aws.ecs'] } }],
    ['a malformed cidr', { detail: { ip: [{ cidr: '10.0.0.0/99' }] } }],
  ])('rejects %s', (_label, pattern) => {
    expect(validatePattern(pattern)).toMatch(/^Event pattern is not valid\. Reason: /);
  });
});
