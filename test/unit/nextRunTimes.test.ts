import { dueTimesBetween, localIsoTime, nextRunTimes } from '../../src/domain/nextRunTimes';

/** The API's nextRunTimes: fixed cases on both sides of daylight saving changes in Paris and New York (2026). */
const spec = (expression: string, timezone: string, extra: Record<string, string> = {}) => ({
  expression,
  timezone,
  state: 'ENABLED' as const,
  anchorMs: Date.parse('2026-01-01T00:00:00Z'),
  ...extra,
});
const from = (iso: string) => Date.parse(iso);

describe('nextRunTimes', () => {
  it('skips 02:30 on the day Paris springs forward (2026-03-29: 02:00 CET -> 03:00 CEST)', () => {
    expect(nextRunTimes(spec('cron(30 2 * * ? *)', 'Europe/Paris'), from('2026-03-27T12:00:00Z'))).toEqual([
      { time: '2026-03-28T01:30:00Z', localTime: '2026-03-28T02:30:00+01:00' },
      { time: '2026-03-30T00:30:00Z', localTime: '2026-03-30T02:30:00+02:00' },
      { time: '2026-03-31T00:30:00Z', localTime: '2026-03-31T02:30:00+02:00' },
      { time: '2026-04-01T00:30:00Z', localTime: '2026-04-01T02:30:00+02:00' },
      { time: '2026-04-02T00:30:00Z', localTime: '2026-04-02T02:30:00+02:00' },
    ]);
  });

  it('runs a repeated 02:30 once, at its first occurrence, when Paris falls back (2026-10-25)', () => {
    expect(nextRunTimes(spec('cron(30 2 * * ? *)', 'Europe/Paris'), from('2026-10-23T12:00:00Z'), 3)).toEqual(
      [
        { time: '2026-10-24T00:30:00Z', localTime: '2026-10-24T02:30:00+02:00' },
        { time: '2026-10-25T00:30:00Z', localTime: '2026-10-25T02:30:00+02:00' },
        { time: '2026-10-26T01:30:00Z', localTime: '2026-10-26T02:30:00+01:00' },
      ],
    );
  });

  it('skips 02:30 on the day New York springs forward (2026-03-08: 02:00 EST -> 03:00 EDT)', () => {
    expect(
      nextRunTimes(spec('cron(30 2 * * ? *)', 'America/New_York'), from('2026-03-06T12:00:00Z'), 3),
    ).toEqual([
      { time: '2026-03-07T07:30:00Z', localTime: '2026-03-07T02:30:00-05:00' },
      { time: '2026-03-09T06:30:00Z', localTime: '2026-03-09T02:30:00-04:00' },
      { time: '2026-03-10T06:30:00Z', localTime: '2026-03-10T02:30:00-04:00' },
    ]);
  });

  it('runs a repeated 01:30 once when New York falls back (2026-11-01: 02:00 EDT -> 01:00 EST)', () => {
    expect(
      nextRunTimes(spec('cron(30 1 * * ? *)', 'America/New_York'), from('2026-10-30T12:00:00Z'), 4),
    ).toEqual([
      { time: '2026-10-31T05:30:00Z', localTime: '2026-10-31T01:30:00-04:00' },
      { time: '2026-11-01T05:30:00Z', localTime: '2026-11-01T01:30:00-04:00' },
      { time: '2026-11-02T06:30:00Z', localTime: '2026-11-02T01:30:00-05:00' },
      { time: '2026-11-03T06:30:00Z', localTime: '2026-11-03T01:30:00-05:00' },
    ]);
  });

  it('keeps a rate() even in UTC across a change, the local clock jumping an hour', () => {
    expect(
      nextRunTimes(
        spec('rate(1 hour)', 'Europe/Paris', { startDate: '2026-03-28T20:00:00Z' }),
        from('2026-03-28T23:30:00Z'),
        3,
      ),
    ).toEqual([
      { time: '2026-03-29T00:00:00Z', localTime: '2026-03-29T01:00:00+01:00' },
      { time: '2026-03-29T01:00:00Z', localTime: '2026-03-29T03:00:00+02:00' },
      { time: '2026-03-29T02:00:00Z', localTime: '2026-03-29T04:00:00+02:00' },
    ]);
  });

  it('counts a rate() without startDate from its anchor (when the Scheduler schedule was written)', () => {
    const times = nextRunTimes(
      { ...spec('rate(5 minutes)', 'UTC'), anchorMs: from('2026-05-01T10:02:00Z') },
      from('2026-05-01T10:13:00Z'),
      2,
    );
    expect(times.map((t) => t.time)).toEqual(['2026-05-01T10:17:00Z', '2026-05-01T10:22:00Z']);
  });

  it('lists an at() once, at the first of a repeated local time, and nothing once it is past', () => {
    const once = spec('at(2026-11-01T01:30:00)', 'America/New_York');
    expect(nextRunTimes(once, from('2026-10-01T00:00:00Z'))).toEqual([
      { time: '2026-11-01T05:30:00Z', localTime: '2026-11-01T01:30:00-04:00' },
    ]);
    expect(nextRunTimes(once, from('2026-11-01T05:30:00Z'))).toEqual([]);
  });

  it('lists nothing for a PAUSED schedule, and stops at endDate', () => {
    expect(
      nextRunTimes({ ...spec('rate(1 hour)', 'UTC'), state: 'PAUSED' }, from('2026-05-01T00:00:00Z')),
    ).toEqual([]);
    const bounded = spec('cron(0 12 * * ? *)', 'UTC', {
      startDate: '2026-05-03T00:00:00Z',
      endDate: '2026-05-04T12:00:00Z',
    });
    expect(nextRunTimes(bounded, from('2026-05-01T00:00:00Z')).map((t) => t.time)).toEqual([
      '2026-05-03T12:00:00Z',
      '2026-05-04T12:00:00Z',
    ]);
  });
});

describe('dueTimesBetween', () => {
  it('lists the due times of a window, the end included, at most the limit', () => {
    const hourly = spec('cron(0 * * * ? *)', 'UTC');
    const window = dueTimesBetween(
      hourly,
      from('2026-05-01T09:00:00Z') - 1,
      from('2026-05-01T12:00:00Z'),
      10,
    );
    expect(window.map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-05-01T09:00:00.000Z',
      '2026-05-01T10:00:00.000Z',
      '2026-05-01T11:00:00.000Z',
      '2026-05-01T12:00:00.000Z',
    ]);
    expect(
      dueTimesBetween(hourly, from('2026-05-01T09:00:00Z'), from('2026-05-02T09:00:00Z'), 3),
    ).toHaveLength(3);
  });
});

describe('localIsoTime', () => {
  it('writes UTC as Z and other zones with their offset at that instant', () => {
    expect(localIsoTime(from('2026-07-01T12:00:00Z'), 'UTC')).toBe('2026-07-01T12:00:00Z');
    expect(localIsoTime(from('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2026-07-01T17:30:00+05:30');
  });
});
