import fc from 'fast-check';
import type { z } from 'zod/mini';
import {
  applySchedulePatch,
  runTaskBodySchema,
  type ScheduleInput,
  schedulePatchSchema,
  scheduleSchema,
  toRunTaskInput,
} from '../../src/domain/schedule';
import { validateScheduleExpression } from '../../src/domain/scheduleExpression';
import { describeIssues } from '../../src/http';

const base: ScheduleInput = {
  name: 'nightly-etl',
  expression: 'cron(0 2 * * ? *)',
  cluster: 'batch',
  taskDefinition: 'etl',
};

const network = {
  awsvpcConfiguration: {
    subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-12345678'],
    securityGroups: ['sg-0123456789abcdef0'],
    assignPublicIp: 'DISABLED' as const,
  },
};

/** The error message for a body, or undefined when it is accepted. */
function problems(schema: z.ZodMiniType, body: unknown): string | undefined {
  const result = schema.safeParse(body);
  return result.success ? undefined : describeIssues(result.error);
}

describe('scheduleSchema accepts', () => {
  it('a minimal body, filling the defaults', () => {
    expect(scheduleSchema.parse(base)).toEqual({
      ...base,
      timezone: 'UTC',
      state: 'ENABLED',
      count: 1,
      concurrencyPolicy: 'Allow',
    });
  });

  it.each([
    ['rate', { expression: 'rate(15 minutes)' }],
    ['rate of one', { expression: 'rate(1 hour)' }],
    ['cron with weekdays', { expression: 'cron(0 18 ? * MON-FRI *)' }],
    ['at() once', { expression: 'at(2030-01-01T09:00:00)', timezone: 'Europe/Paris' }],
    ['a time zone', { expression: 'cron(0 9 * * ? *)', timezone: 'Europe/Paris' }],
    [
      'a capacity provider strategy',
      {
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1, base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 4 },
        ],
        networkConfiguration: network,
      },
    ],
    ['a launch type with a network configuration', { launchType: 'FARGATE', networkConfiguration: network }],
    [
      'a cluster ARN and a task definition ARN',
      {
        cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch',
        taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/etl:7',
      },
    ],
    ['family:revision', { taskDefinition: 'etl:12' }],
    [
      'dates, state, policies and a description',
      {
        startDate: '2025-01-01T00:00:00Z',
        endDate: '2025-12-31T23:59:59+01:00',
        state: 'PAUSED',
        count: 10,
        concurrencyPolicy: 'Forbid',
        flexibleWindowMinutes: 15,
        description: 'nightly ETL',
        restartPolicy: { maxAttempts: 2, giveUpOn: [{ reasonPrefixes: ['CannotPullContainerError'] }] },
      },
    ],
    [
      'every Fargate task size, at its ends',
      { launchType: 'FARGATE', overrides: { cpu: '0.25 vCPU', memory: '0.5 GB' } },
    ],
    ['Fargate 16 vCPU with 120 GB', { launchType: 'FARGATE', overrides: { cpu: '16384', memory: '122880' } }],
    [
      'Fargate 4 vCPU with 30 GB on a Fargate strategy',
      {
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
        overrides: { cpu: '4096', memory: '30 GB' },
      },
    ],
    [
      'an EC2 task size Fargate does not offer',
      { launchType: 'EC2', overrides: { cpu: '300', memory: '700' } },
    ],
    [
      'the most restarts the API allows, a second apart',
      { restartPolicy: { maxAttempts: 10, backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1 } } },
    ],
    [
      'overrides and tags',
      {
        overrides: {
          containerOverrides: [
            {
              name: 'worker',
              command: ['run', '--all'],
              environment: [{ name: 'MODE', value: 'full' }],
              memory: 512,
            },
          ],
          cpu: '1024',
          memory: '2 GB',
          taskRoleArn: 'arn:aws:iam::111122223333:role/etl-task',
        },
        tags: [
          { key: 'team', value: 'data' },
          { key: 'cost center', value: 'R&D 42'.replace('&', '-') },
        ],
      },
    ],
  ])('%s', (_what, fields) => {
    expect(problems(scheduleSchema, { ...base, ...fields })).toBeUndefined();
  });
});

describe('scheduleSchema rejects, naming the field and the rule', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a cron with 5 fields',
      { expression: 'cron(0 12 * * *)' },
      'expression: cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5',
    ],
    [
      'both day-of-month and day-of-week',
      { expression: 'cron(0 12 1 * MON *)' },
      'expression: cron: either day-of-month or day-of-week must be ?',
    ],
    [
      'rate(5 hour)',
      { expression: 'rate(5 hour)' },
      'expression: rate: the unit must be plural when the value is not 1, e.g. rate(5 hours)',
    ],
    [
      'rate(1 hours)',
      { expression: 'rate(1 hours)' },
      'expression: rate: the unit must be singular when the value is 1, e.g. rate(1 hour)',
    ],
    [
      'an expression over 256 characters',
      { expression: `cron(0 0 1 1 ? ${'1970,'.repeat(60)}1971)` },
      'expression: must be at most 256 characters',
    ],
    [
      'an unknown time zone',
      { timezone: 'Mars/Olympus' },
      'timezone: must be an IANA time zone name such as UTC or Europe/Paris',
    ],
    ['an offset for a time zone', { timezone: '+01:00' }, 'timezone: must be an IANA time zone name'],
    [
      'a name with a space',
      { name: 'nightly etl' },
      'name: must be 1 to 64 characters, each a letter, digit, -, _ or .',
    ],
    ['a name of 65 characters', { name: 'a'.repeat(65) }, 'name: must be 1 to 64 characters'],
    ['an empty name', { name: '' }, 'name: must be 1 to 64 characters'],
    ['count 0', { count: 0 }, 'count: must be an integer from 1 to 10'],
    ['count 11', { count: 11 }, 'count: must be an integer from 1 to 10'],
    ['count 1.5', { count: 1.5 }, 'count: must be an integer from 1 to 10'],
    ['count as a string', { count: '2' }, 'count: must be an integer from 1 to 10'],
    [
      'a launch type with a strategy',
      { launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] },
      'launchType: must not be set together with capacityProviderStrategy (give one or the other)',
    ],
    ['an unknown launch type', { launchType: 'SPOT' }, 'launchType: must be one of FARGATE, EC2, EXTERNAL'],
    [
      'two bases in a strategy',
      {
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1, base: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 2 },
        ],
      },
      'capacityProviderStrategy: at most one capacity provider may have a base above 0',
    ],
    [
      'a strategy with no weight',
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1 }] },
      'capacityProviderStrategy: at least one capacity provider must have a weight above 0',
    ],
    [
      'a strategy of 7',
      {
        capacityProviderStrategy: Array.from({ length: 7 }, (_, i) => ({
          capacityProvider: `cp${i}`,
          weight: 1,
        })),
      },
      'capacityProviderStrategy: must list 1 to 6 capacity providers',
    ],
    [
      'a strategy naming a provider twice',
      {
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1 },
          { capacityProvider: 'FARGATE', weight: 2 },
        ],
      },
      'capacityProviderStrategy.1.capacityProvider: must appear only once',
    ],
    [
      'a weight over 1000',
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] },
      'capacityProviderStrategy.0.weight: must be an integer from 0 to 1000',
    ],
    [
      'a bad subnet id',
      { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-xyz'] } } },
      'networkConfiguration.awsvpcConfiguration.subnets.0: must be a subnet id (subnet- and 8 or 17 hex digits',
    ],
    [
      'no subnets',
      { networkConfiguration: { awsvpcConfiguration: { subnets: [] } } },
      'networkConfiguration.awsvpcConfiguration.subnets: must list 1 to 16 subnets',
    ],
    [
      'a bad security group',
      {
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-12345678'], securityGroups: ['sg-12'] },
        },
      },
      'networkConfiguration.awsvpcConfiguration.securityGroups.0: must be a security group id (sg- and 8 or 17 hex digits',
    ],
    [
      'a network configuration without awsvpcConfiguration',
      { networkConfiguration: { subnets: ['subnet-12345678'] } },
      'networkConfiguration.awsvpcConfiguration: is required; networkConfiguration.subnets: is not a known field',
    ],
    [
      'a public IP on EC2',
      {
        launchType: 'EC2',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-12345678'], assignPublicIp: 'ENABLED' },
        },
      },
      'networkConfiguration.awsvpcConfiguration.assignPublicIp: must not be ENABLED unless the launch type is FARGATE',
    ],
    ['an unknown field', { colour: 'red' }, 'colour: is not a known field'],
    [
      'an unknown nested field',
      { overrides: { containerOverrides: [{ name: 'worker', image: 'x' }] } },
      'overrides.containerOverrides.0.image: is not a known field',
    ],
    [
      'endDate before startDate',
      { startDate: '2025-06-01T00:00:00Z', endDate: '2025-06-01T01:00:00+02:00' },
      'endDate: must be after startDate',
    ],
    [
      'a date without an offset',
      { startDate: '2025-06-01T00:00:00' },
      'startDate: must be an ISO-8601 date and time with Z or an offset',
    ],
    [
      'a tag key starting with aws:',
      { tags: [{ key: 'aws:x', value: 'y' }] },
      'tags.0.key: must not start with aws: (reserved by AWS, in any case)',
    ],
    [
      'a tag key starting with AWS:',
      { tags: [{ key: 'AWS:x', value: 'y' }] },
      'tags.0.key: must not start with aws:',
    ],
    [
      'a tag key reserved for ecs-autopilot',
      { tags: [{ key: 'ecs-autopilot:attempt', value: '3' }] },
      "tags.0.key: must not start with ecs-autopilot: (reserved for ecs-autopilot's own tags)",
    ],
    [
      'a tag value over 256 characters',
      { tags: [{ key: 'k', value: 'v'.repeat(257) }] },
      'tags.0.value: must be at most 256',
    ],
    [
      '51 tags',
      { tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      'tags: must list at most 50 tags',
    ],
    [
      'a tag key twice',
      {
        tags: [
          { key: 'team', value: 'a' },
          { key: 'team', value: 'b' },
        ],
      },
      'tags.1.key: must appear only once',
    ],
    [
      'overrides too large',
      { overrides: { containerOverrides: [{ name: 'worker', command: ['x'.repeat(8200)] }] } },
      'overrides: must be at most 8192 characters as JSON (an ECS limit), got 8257',
    ],
    [
      'a container override without a name',
      { overrides: { containerOverrides: [{ command: ['x'] }] } },
      'overrides.containerOverrides.0.name: is required',
    ],
    [
      'a bad task role',
      { overrides: { taskRoleArn: 'etl-task' } },
      'overrides.taskRoleArn: must be an IAM role ARN',
    ],
    [
      'a bad cluster',
      { cluster: 'my cluster' },
      'cluster: must be a cluster name (1 to 255 letters, digits, -, _) or a cluster ARN',
    ],
    [
      'a bad task definition',
      { taskDefinition: 'etl:latest' },
      'taskDefinition: must be a task definition family, family:revision or task-definition ARN',
    ],
    ['an unknown state', { state: 'DISABLED' }, 'state: must be one of ENABLED, PAUSED'],
    [
      'an unknown concurrency policy',
      { concurrencyPolicy: 'forbid' },
      'concurrencyPolicy: must be one of Allow, Forbid, Replace',
    ],
    [
      'a window of 0',
      { flexibleWindowMinutes: 0 },
      'flexibleWindowMinutes: must be an integer from 1 to 1440 (minutes)',
    ],
    ['a long description', { description: 'd'.repeat(513) }, 'description: must be at most 512 characters'],
    [
      'a restart policy over its limits',
      { restartPolicy: { maxAttempts: 11 } },
      'restartPolicy.maxAttempts: must be an integer from 0 to 10 (restarts after the first run fails)',
    ],
    [
      'a restart policy of the wrong type',
      { restartPolicy: { maxAttempts: 'three' } },
      'restartPolicy.maxAttempts: must be an integer from 0 to 10',
    ],
    [
      'a restart backoff of 0 seconds (a failing task restarted at once)',
      { restartPolicy: { backoff: { baseSeconds: 0 } } },
      'restartPolicy.backoff.baseSeconds: must be from 1 to 3600 seconds (the delay before the first restart; 0 would restart a failing task at once)',
    ],
    [
      'a restart backoff under a second',
      { restartPolicy: { backoff: { baseSeconds: 0.5 } } },
      'restartPolicy.backoff.baseSeconds: must be from 1 to 3600 seconds',
    ],
    [
      'a restart backoff capped at 0 seconds',
      { restartPolicy: { backoff: { baseSeconds: 10, maxSeconds: 0 } } },
      'restartPolicy.backoff.maxSeconds: must be from 1 to 86400 seconds (the longest delay between restarts; 0 would restart a failing task at once)',
    ],
    [
      'a restart policy with unknown fields',
      { restartPolicy: { attempts: 3 } },
      'restartPolicy.attempts: is not a known field',
    ],
    [
      'a Fargate task memory its cpu does not go with',
      { launchType: 'FARGATE', overrides: { cpu: '1 vCPU', memory: '512' } },
      'overrides.memory: must be a task memory Fargate offers with 1024 CPU units: 2048 to 8192 MiB in steps of 1024, got 512',
    ],
    [
      'a task memory between Fargate steps, on a Fargate Spot strategy',
      {
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        overrides: { cpu: '8192', memory: '17 GB' },
      },
      'overrides.memory: must be a task memory Fargate offers with 8192 CPU units: 16384 to 61440 MiB in steps of 4096, got 17 GB',
    ],
    [
      'a task cpu Fargate does not offer',
      { launchType: 'FARGATE', overrides: { cpu: '300' } },
      'overrides.cpu: must be a task CPU value Fargate offers: 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (0.25 to 16 vCPU), got 300',
    ],
    [
      'a task memory no Fargate size has, alone',
      { launchType: 'FARGATE', overrides: { memory: '34 GB' } },
      'overrides.memory: must be a task memory Fargate offers: 512 MiB, 1 to 30 GB in 1 GB steps, 32 to 60 GB in 4 GB steps or 64 to 120 GB in 8 GB steps, got 34 GB',
    ],
  ])('%s', (_what, fields, expected) => {
    const message = problems(scheduleSchema, { ...base, ...fields });
    expect(message).toEqual(expect.stringContaining(expected));
    // Every part reads "field.path: rule", never zod's generic wording.
    expect(message).not.toMatch(/Invalid input|Too (big|small)|expected .*, received/);
  });

  it('lists every missing required field', () => {
    expect(problems(scheduleSchema, {})).toBe(
      'name: is required; expression: is required; cluster: is required; taskDefinition: is required',
    );
  });

  it('names the body when it is not an object', () => {
    expect(problems(scheduleSchema, null)).toBe('(body): must be an object');
    expect(problems(scheduleSchema, [base])).toBe('(body): must be an object');
  });

  it('passes the expression rule through as it is', () => {
    const expression = 'cron(0 0 ? * 8 *)';
    expect(problems(scheduleSchema, { ...base, expression })).toBe(
      `expression: ${validateScheduleExpression(expression)}`,
    );
  });
});

describe('schedulePatchSchema', () => {
  it('accepts any subset of the fields but the name, without defaults', () => {
    expect(schedulePatchSchema.parse({ state: 'PAUSED' })).toEqual({ state: 'PAUSED' });
    expect(schedulePatchSchema.parse({ expression: 'rate(1 day)', count: 3 })).toEqual({
      expression: 'rate(1 day)',
      count: 3,
    });
  });

  it('rejects an empty patch, the name and unknown fields', () => {
    expect(problems(schedulePatchSchema, {})).toBe('(body): must set at least one field');
    expect(problems(schedulePatchSchema, { name: 'other', state: 'PAUSED' })).toBe(
      'name: is not a known field',
    );
    expect(problems(schedulePatchSchema, { count: 0 })).toBe(
      'count: must be an integer from 1 to 10 (RunTask starts at most 10 tasks per call)',
    );
    expect(
      problems(schedulePatchSchema, {
        launchType: 'EC2',
        capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }],
      }),
    ).toBe('launchType: must not be set together with capacityProviderStrategy (give one or the other)');
  });

  it('applies a patch, switching between launch type and strategy', () => {
    const schedule = scheduleSchema.parse({ ...base, launchType: 'FARGATE', networkConfiguration: network });
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    const merged = applySchedulePatch(
      schedule,
      schedulePatchSchema.parse({ capacityProviderStrategy: strategy }),
    );
    expect(merged).not.toHaveProperty('launchType');
    expect(scheduleSchema.parse(merged)).toMatchObject({
      capacityProviderStrategy: strategy,
      networkConfiguration: network,
    });
    expect(schedule.launchType).toBe('FARGATE');
    const back = applySchedulePatch(scheduleSchema.parse(merged), { launchType: 'FARGATE' });
    expect(back).not.toHaveProperty('capacityProviderStrategy');
  });
});

describe('runTaskBodySchema', () => {
  it('accepts the launch fields and a group, defaulting count', () => {
    expect(
      runTaskBodySchema.parse({
        cluster: 'batch',
        taskDefinition: 'etl:3',
        group: 'adhoc',
        networkConfiguration: network,
      }),
    ).toEqual({
      cluster: 'batch',
      taskDefinition: 'etl:3',
      group: 'adhoc',
      count: 1,
      networkConfiguration: network,
    });
  });

  it('rejects a Fargate task size Fargate does not offer, naming it once when it is malformed', () => {
    const fargate = { cluster: 'batch', taskDefinition: 'etl', launchType: 'FARGATE' };
    expect(problems(runTaskBodySchema, { ...fargate, overrides: { cpu: '2048', memory: '2048' } })).toBe(
      'overrides.memory: must be a task memory Fargate offers with 2048 CPU units: 4096 to 16384 MiB in steps of 1024, got 2048',
    );
    expect(problems(runTaskBodySchema, { ...fargate, overrides: { cpu: 'two', memory: '2048' } })).toBe(
      'overrides.cpu: must be CPU units like "1024" or vCPUs like "1 vCPU"',
    );
  });

  it('rejects schedule fields, startedBy and a long group', () => {
    expect(problems(runTaskBodySchema, { cluster: 'batch', taskDefinition: 'etl', startedBy: 'me' })).toBe(
      'startedBy: is not a known field',
    );
    expect(
      problems(runTaskBodySchema, { cluster: 'batch', taskDefinition: 'etl', expression: 'rate(1 day)' }),
    ).toBe('expression: is not a known field');
    expect(
      problems(runTaskBodySchema, { cluster: 'batch', taskDefinition: 'etl', group: 'g'.repeat(256) }),
    ).toBe('group: must be 1 to 255 characters');
  });
});

describe('toRunTaskInput', () => {
  it('maps a schedule to RunTask, with the resolved revision and a startedBy naming the schedule', () => {
    const schedule = scheduleSchema.parse({
      ...base,
      name: 'nightly.etl',
      count: 2,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: network,
      overrides: { containerOverrides: [{ name: 'worker', command: ['run'] }] },
      tags: [{ key: 'team', value: 'data' }],
      restartPolicy: { maxAttempts: 1 },
    });
    const input = toRunTaskInput(schedule, 'arn:aws:ecs:us-east-1:111122223333:task-definition/etl:7');
    expect(input).toEqual({
      cluster: 'batch',
      taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/etl:7',
      count: 2,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: network,
      overrides: { containerOverrides: [{ name: 'worker', command: ['run'] }] },
      startedBy: 'ecs-autopilot/schedule/nightly_etl',
      tags: [{ key: 'team', value: 'data' }],
    });
    // A copy: changing the input leaves the schedule as it was.
    input.networkConfiguration?.awsvpcConfiguration.subnets.push('subnet-99999999');
    expect(schedule.networkConfiguration).toEqual(network);
  });

  it('keeps a family as it is without a resolved revision, and maps a run-now body', () => {
    expect(toRunTaskInput(scheduleSchema.parse({ ...base, launchType: 'EC2' }))).toEqual({
      cluster: 'batch',
      taskDefinition: 'etl',
      count: 1,
      launchType: 'EC2',
      startedBy: 'ecs-autopilot/schedule/nightly-etl',
    });
    expect(
      toRunTaskInput(runTaskBodySchema.parse({ cluster: 'batch', taskDefinition: 'etl:3', group: 'adhoc' })),
    ).toEqual({
      cluster: 'batch',
      taskDefinition: 'etl:3',
      count: 1,
      group: 'adhoc',
    });
  });
});

describe('properties', () => {
  const validName = /^[0-9A-Za-z_.-]{1,64}$/;

  it('rejects any name that is not 1-64 of [0-9A-Za-z-_.], with a message about name', () => {
    const nameChar = fc.constantFrom(...'abcXYZ019-_.');
    const names = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }),
      fc.string({ unit: nameChar, minLength: 65, maxLength: 90 }),
      fc
        .tuple(fc.string({ unit: nameChar, maxLength: 10 }), fc.constantFrom(' ', '/', ':', 'é', '\n', '*'))
        .map(([prefix, bad]) => `${prefix}${bad}`),
    );
    fc.assert(
      fc.property(
        names.filter((name) => !validName.test(name)),
        (name) => {
          const message = problems(scheduleSchema, { ...base, name });
          expect(message).toMatch(/^name: /);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts or rejects any JSON body without throwing', () => {
    const fields = Object.keys(scheduleSchema.shape);
    const bodies = fc.oneof(
      fc.jsonValue(),
      fc.anything(),
      fc
        .record({ field: fc.constantFrom(...fields, 'colour'), value: fc.jsonValue() })
        .map(({ field, value }) => ({
          ...base,
          [field]: value,
        })),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        for (const schema of [scheduleSchema, schedulePatchSchema, runTaskBodySchema]) {
          const result = schema.safeParse(body);
          if (!result.success) expect(describeIssues(result.error)).not.toBe('');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws in validateScheduleExpression on random cron strings', () => {
    const token = fc.constantFrom(
      ...['0', '5', '59', '60', '23', '31', '*', '?', 'L', 'W', 'LW', '15W', '6L', '2#3', '#', '/', '-', ','],
      ...['*/5', '0/15', '1-5', 'MON-FRI', 'JAN', 'jan-mar', 'SUN', '1970', '2199', '2200', '-1', 'x', ''],
    );
    const cron = fc
      .array(
        fc.array(token, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')),
        { maxLength: 8 },
      )
      .map((fields) => `cron(${fields.join(' ')})`);
    fc.assert(
      fc.property(
        fc.oneof(
          cron,
          fc.string().map((inner) => `cron(${inner})`),
        ),
        (expression) => {
          const result = validateScheduleExpression(expression);
          expect(result === undefined || typeof result === 'string').toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
