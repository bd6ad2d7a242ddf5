import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { VirtualClock } from '../../local/core';
import {
  type DeliveryContext,
  nextFireTimes,
  SchedulerEmulator,
  type ScheduleTarget,
  validateScheduleExpression,
} from '../../local/scheduler';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:launch';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/scheduler-launch';

interface Harness {
  clock: VirtualClock;
  scheduler: SchedulerEmulator;
  client: SchedulerClient;
  server: Server;
  deliveries: Array<{ target: ScheduleTarget; context: DeliveryContext }>;
}

/** A throwaway rest-json server in front of the emulator, like the sandbox's edge port. */
async function start(opts: { dropHeaders?: boolean } = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const deliveries: Harness['deliveries'] = [];
  const scheduler = new SchedulerEmulator({
    clock,
    deliver: (target, context) => deliveries.push({ target, context }),
  });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const result = await scheduler.handleRest(
      req.method ?? 'GET',
      url.pathname,
      url.searchParams,
      text ? JSON.parse(text) : {},
    );
    res.writeHead(result.status, {
      'content-type': 'application/json',
      ...(opts.dropHeaders ? {} : result.headers),
    });
    res.end(JSON.stringify(result.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new SchedulerClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { clock, scheduler, client, server, deliveries };
}

function scheduleInput(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: 'nightly',
    ScheduleExpression: 'rate(1 minute)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: '{"scheduleId":"s-1"}' },
    ...overrides,
  };
}

/** `yyyy-mm-ddThh:mm:ss` of the instant `ms` in `timezone`. */
function wallTime(ms: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

describe('Scheduler emulator through the AWS SDK v3', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    h.scheduler.stop();
    h.clock.stop();
    h.client.destroy();
    h.server.closeAllConnections();
    await new Promise((resolve) => h.server.close(resolve));
  });

  it('creates, reads, updates, lists and deletes a schedule', async () => {
    const startDate = new Date(Math.ceil((h.clock.now() + 3_600_000) / 1000) * 1000);
    const created = await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({
          ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
          ScheduleExpressionTimezone: 'Europe/Paris',
          StartDate: startDate,
          Description: 'weekday launch',
        }),
      ),
    );
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly');

    const got = await h.client.send(new GetScheduleCommand({ Name: 'nightly' }));
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'nightly',
      GroupName: 'default',
      ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      Description: 'weekday launch',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: '{"scheduleId":"s-1"}' },
    });
    expect(got.StartDate?.getTime()).toBe(startDate.getTime());
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(got.LastModificationDate).toBeInstanceOf(Date);

    await h.client.send(
      new UpdateScheduleCommand({
        ...scheduleInput({ ScheduleExpression: 'rate(5 minutes)' }),
        State: 'DISABLED',
      }),
    );
    const updated = await h.client.send(new GetScheduleCommand({ Name: 'nightly', GroupName: 'default' }));
    expect(updated).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'DISABLED' });
    expect(updated.Description).toBeUndefined();
    expect(updated.CreationDate?.getTime()).toBe(got.CreationDate?.getTime());

    await h.client.send(new CreateScheduleCommand(scheduleInput({ Name: 'other' })));
    const listed = await h.client.send(new ListSchedulesCommand({ NamePrefix: 'nig' }));
    expect(listed.Schedules).toEqual([
      expect.objectContaining({
        Name: 'nightly',
        GroupName: 'default',
        State: 'DISABLED',
        Target: { Arn: QUEUE_ARN },
      }),
    ]);
    const disabled = await h.client.send(new ListSchedulesCommand({ State: 'ENABLED' }));
    expect(disabled.Schedules?.map((s) => s.Name)).toEqual(['other']);

    await h.client.send(new DeleteScheduleCommand({ Name: 'nightly' }));
    await expect(h.client.send(new GetScheduleCommand({ Name: 'nightly' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(h.client.send(new DeleteScheduleCommand({ Name: 'nightly' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('rejects a second schedule with the same name with ConflictException', async () => {
    await h.client.send(new CreateScheduleCommand(scheduleInput()));
    const error = await h.client.send(new CreateScheduleCommand(scheduleInput())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect((error as ConflictException).message).toContain('nightly');
  });

  it('rejects invalid schedules with ValidationException', async () => {
    const invalid: Array<Partial<CreateScheduleCommandInput>> = [
      { ScheduleExpression: 'cron(0 12 1 * MON *)' },
      { ScheduleExpression: 'rate(1 minutes)' },
      { ScheduleExpressionTimezone: 'Mars/Olympus' },
      { Target: { Arn: QUEUE_ARN, RoleArn: 'not-a-role' } },
      { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } },
      { Name: 'has space' },
    ];
    for (const overrides of invalid) {
      const error = await h.client
        .send(new CreateScheduleCommand(scheduleInput(overrides)))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationException);
    }
    expect(h.scheduler.listSchedules()).toHaveLength(0);
  });

  it('fires rate(1 minute) in Europe/Paris into the target once per advanced minute', async () => {
    await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({
          ScheduleExpressionTimezone: 'Europe/Paris',
          Target: {
            Arn: QUEUE_ARN,
            RoleArn: ROLE_ARN,
            Input: '{"at":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>"}',
          },
        }),
      ),
    );
    h.clock.advance(0);
    expect(h.deliveries).toHaveLength(1);
    for (let minute = 1; minute <= 3; minute++) {
      h.clock.advance(60_000);
      expect(h.deliveries).toHaveLength(minute + 1);
    }
    h.clock.advance(10 * 60_000);
    expect(h.deliveries).toHaveLength(14);

    const times = h.deliveries.map((d) => d.context.scheduledTime.getTime());
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual(Array(13).fill(60_000));
    const first = h.deliveries[0];
    expect(first?.target.Arn).toBe(QUEUE_ARN);
    expect(JSON.parse(first?.target.Input ?? '{}')).toEqual({
      at: new Date(times[0] ?? 0).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly',
    });
  });

  it('fires at() once at its wall time in its time zone, then deletes it with ActionAfterCompletion DELETE', async () => {
    const fireAt = Math.floor((h.clock.now() + 2 * 3_600_000) / 60_000) * 60_000;
    await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({
          Name: 'once',
          ScheduleExpression: `at(${wallTime(fireAt, 'Europe/Paris')})`,
          ScheduleExpressionTimezone: 'Europe/Paris',
          ActionAfterCompletion: 'DELETE',
        }),
      ),
    );
    h.clock.advance(fireAt - h.clock.now() - 1_000);
    expect(h.deliveries).toHaveLength(0);
    h.clock.advance(2_000);
    expect(h.deliveries.map((d) => d.context.scheduledTime.getTime())).toEqual([fireAt]);
    await expect(h.client.send(new GetScheduleCommand({ Name: 'once' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    h.clock.advance(24 * 3_600_000);
    expect(h.deliveries).toHaveLength(1);
  });

  it('keeps a completed at() schedule with ActionAfterCompletion NONE without firing it again', async () => {
    const fireAt = Math.floor((h.clock.now() + 3_600_000) / 60_000) * 60_000;
    await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({ Name: 'once', ScheduleExpression: `at(${wallTime(fireAt, 'UTC')})` }),
      ),
    );
    h.clock.advance(2 * 3_600_000);
    expect(h.deliveries).toHaveLength(1);
    expect((await h.client.send(new GetScheduleCommand({ Name: 'once' }))).Name).toBe('once');
  });

  it('does not fire a disabled schedule, and fires it once enabled', async () => {
    await h.client.send(new CreateScheduleCommand(scheduleInput({ State: 'DISABLED' })));
    h.clock.advance(5 * 60_000);
    expect(h.deliveries).toHaveLength(0);
    await h.client.send(new UpdateScheduleCommand(scheduleInput({ State: 'ENABLED' })));
    h.clock.advance(60_000);
    expect(h.deliveries.length).toBeGreaterThanOrEqual(1);
  });

  it('fires cron occurrences in time order across schedules within an advanced window', async () => {
    await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({ Name: 'quarter', ScheduleExpression: 'cron(0/15 * * * ? *)' }),
      ),
    );
    await h.client.send(
      new CreateScheduleCommand(
        scheduleInput({ Name: 'twenty', ScheduleExpression: 'cron(0/20 * * * ? *)' }),
      ),
    );
    const from = new Date(h.clock.now());
    h.clock.advance(3_600_000);
    const expected = [
      ...nextFireTimes('cron(0/15 * * * ? *)', 'UTC', from, 4).map((d) => ['quarter', d.getTime()] as const),
      ...nextFireTimes('cron(0/20 * * * ? *)', 'UTC', from, 3).map((d) => ['twenty', d.getTime()] as const),
    ].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    expect(h.deliveries.map((d) => [d.context.scheduleName, d.context.scheduledTime.getTime()])).toEqual(
      expected,
    );
  });

  it('stops firing at EndDate', async () => {
    await h.client.send(
      new CreateScheduleCommand(scheduleInput({ EndDate: new Date(h.clock.now() + 150_000) })),
    );
    h.clock.advance(10 * 60_000);
    expect(h.deliveries).toHaveLength(3);
  });

  it('creates schedule groups and lists schedules by group', async () => {
    const group = await h.client.send(new CreateScheduleGroupCommand({ Name: 'launches' }));
    expect(group.ScheduleGroupArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule-group/launches');
    await expect(h.client.send(new CreateScheduleGroupCommand({ Name: 'launches' }))).rejects.toBeInstanceOf(
      ConflictException,
    );
    const created = await h.client.send(new CreateScheduleCommand(scheduleInput({ GroupName: 'launches' })));
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/launches/nightly');
    await h.client.send(new CreateScheduleCommand(scheduleInput()));
    const inGroup = await h.client.send(new ListSchedulesCommand({ GroupName: 'launches' }));
    expect(inGroup.Schedules?.map((s) => s.GroupName)).toEqual(['launches']);
    const groups = await h.client.send(new ListScheduleGroupsCommand({}));
    expect(groups.ScheduleGroups?.map((g) => g.Name)).toEqual(['default', 'launches']);
    await expect(
      h.client.send(new CreateScheduleCommand(scheduleInput({ GroupName: 'missing' }))),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('Scheduler emulator edge cases', () => {
  it('keeps error codes readable by the SDK when the server drops the x-amzn-errortype header', async () => {
    const h = await start({ dropHeaders: true });
    try {
      await h.client.send(new CreateScheduleCommand(scheduleInput()));
      await expect(h.client.send(new CreateScheduleCommand(scheduleInput()))).rejects.toBeInstanceOf(
        ConflictException,
      );
      await expect(h.client.send(new GetScheduleCommand({ Name: 'missing' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: 'Schedule missing does not exist.',
      });
    } finally {
      h.scheduler.stop();
      h.clock.stop();
      h.client.destroy();
      h.server.closeAllConnections();
      await new Promise((resolve) => h.server.close(resolve));
    }
  });

  it('can fire rate() schedules first one period after creation', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const scheduler = new SchedulerEmulator({
      clock,
      deliver: (_target, context) => fired.push(context.scheduledTime.getTime()),
      rateFirstFire: 'afterOnePeriod',
    });
    try {
      const created = clock.now();
      const response = await scheduler.handleRest('POST', '/schedules/every5', new URLSearchParams(), {
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN },
      });
      expect(response.status).toBe(200);
      clock.advance(4 * 60_000);
      expect(fired).toHaveLength(0);
      clock.advance(6 * 60_000);
      // The clock also runs in real time: creation happened a few ms after `created`.
      expect(fired).toHaveLength(2);
      const [first = 0, second = 0] = fired;
      expect(first - created).toBeGreaterThanOrEqual(5 * 60_000);
      expect(first - created).toBeLessThan(5 * 60_000 + 1_000);
      expect(second - first).toBe(5 * 60_000);
    } finally {
      scheduler.stop();
      clock.stop();
    }
  });

  it('answers an unknown route with a 404 rest-json error', async () => {
    const clock = new VirtualClock();
    const scheduler = new SchedulerEmulator({ clock, deliver: () => undefined });
    const response = await scheduler.handleRest('PATCH', '/schedules/x', new URLSearchParams(), {});
    expect(response).toMatchObject({
      status: 404,
      headers: { 'x-amzn-errortype': 'UnknownOperationException' },
    });
    clock.stop();
  });
});

describe('Scheduler expressions', () => {
  const from = (iso: string) => new Date(iso);
  const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

  it('evaluates cron in the schedule time zone with AWS day-of-week numbering', () => {
    expect(
      iso(nextFireTimes('cron(0 9 ? * MON-FRI *)', 'Europe/Paris', from('2025-03-28T00:00:00Z'), 3)),
    ).toEqual(['2025-03-28T08:00:00.000Z', '2025-03-31T07:00:00.000Z', '2025-04-01T07:00:00.000Z']);
    expect(iso(nextFireTimes('cron(0 18 ? * 1 *)', undefined, from('2025-01-01T00:00:00Z'), 1))).toEqual([
      '2025-01-05T18:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 0 ? * 6#3 *)', 'UTC', from('2025-01-01T00:00:00Z'), 1))).toEqual([
      '2025-01-17T00:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 0 ? * 6L *)', 'UTC', from('2025-01-01T00:00:00Z'), 1))).toEqual([
      '2025-01-31T00:00:00.000Z',
    ]);
  });

  it('supports W, LW and the year field', () => {
    expect(iso(nextFireTimes('cron(0 12 15W * ? *)', 'UTC', from('2025-06-01T00:00:00Z'), 2))).toEqual([
      '2025-06-16T12:00:00.000Z',
      '2025-07-15T12:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 0 LW * ? *)', 'UTC', from('2025-05-01T00:00:00Z'), 1))).toEqual([
      '2025-05-30T00:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 0 1 1 ? 2030-2031)', 'UTC', from('2025-01-01T00:00:00Z'), 3))).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2031-01-01T00:00:00.000Z',
    ]);
  });

  it('evaluates rate() from the given instant and at() in its time zone', () => {
    expect(iso(nextFireTimes('rate(5 minutes)', 'UTC', from('2025-01-01T00:00:00Z'), 2))).toEqual([
      '2025-01-01T00:05:00.000Z',
      '2025-01-01T00:10:00.000Z',
    ]);
    expect(
      iso(nextFireTimes('at(2030-07-01T10:00:00)', 'Europe/Paris', from('2025-01-01T00:00:00Z'), 5)),
    ).toEqual(['2030-07-01T08:00:00.000Z']);
    expect(nextFireTimes('at(2020-07-01T10:00:00)', 'UTC', from('2025-01-01T00:00:00Z'), 5)).toEqual([]);
  });

  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 day)',
    'cron(0 12 * * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(15 10 ? * 6L 2019-2022)',
    'cron(0 0 ? * 2#1 *)',
    'cron(0 0 15W * ? *)',
    'cron(0 0 L JAN-MAR ? *)',
    'at(2030-01-01T00:00:00)',
  ])('accepts %s', (expression) => {
    expect(validateScheduleExpression(expression)).toBeUndefined();
  });

  it.each([
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(0 minutes)',
    'rate(5 seconds)',
    'cron(0 12 * * *)',
    'cron(0 12 1 * MON *)',
    'cron(0 12 ? * ? *)',
    'cron(60 12 * * ? *)',
    'cron(0 12 * * ? 2200)',
    'cron(0 0 ? * 8 *)',
    'at(2030-02-30T00:00:00)',
    'at(2030-01-01 00:00:00)',
    'every 5 minutes',
  ])('rejects %s', (expression) => {
    expect(validateScheduleExpression(expression)).toEqual(
      expect.stringContaining('Invalid Schedule Expression'),
    );
  });
});
