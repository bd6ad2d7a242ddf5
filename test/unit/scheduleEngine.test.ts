import fc from 'fast-check';
import { nextFireTimes, wallTimeToUtc } from '../../src/domain/scheduleEngine';
import { scheduleCadence, validateScheduleExpression } from '../../src/domain/scheduleExpression';

/** The next-fire-time engine (the API's nextRunTimes, the sandbox's Scheduler). */
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());
const at = (text: string) => new Date(text);

describe('wallTimeToUtc', () => {
  it('maps a wall-clock time in a time zone to its instant', () => {
    expect(new Date(wallTimeToUtc([2025, 7, 1, 10, 0, 0], 'Europe/Paris')).toISOString()).toBe(
      '2025-07-01T08:00:00.000Z',
    );
    expect(new Date(wallTimeToUtc([2025, 1, 15, 10, 0, 0], 'Europe/Paris')).toISOString()).toBe(
      '2025-01-15T09:00:00.000Z',
    );
  });

  it('puts a time the clocks skip after the gap, and a repeated time at its first occurrence', () => {
    // 2025-03-30 02:00 CET → 03:00 CEST; 2025-10-26 03:00 CEST → 02:00 CET.
    expect(new Date(wallTimeToUtc([2025, 3, 30, 2, 30, 0], 'Europe/Paris')).toISOString()).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(new Date(wallTimeToUtc([2025, 10, 26, 2, 30, 0], 'Europe/Paris')).toISOString()).toBe(
      '2025-10-26T00:30:00.000Z',
    );
  });
});

describe('nextFireTimes', () => {
  it('evaluates cron in the schedule time zone: 09:00 Paris is 08:00Z in winter and 07:00Z in summer', () => {
    expect(iso(nextFireTimes('cron(0 9 * * ? *)', 'Europe/Paris', at('2025-01-15T00:00:00Z'), 1))).toEqual([
      '2025-01-15T08:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 9 * * ? *)', 'Europe/Paris', at('2025-07-15T00:00:00Z'), 1))).toEqual([
      '2025-07-15T07:00:00.000Z',
    ]);
  });

  it('follows the daylight saving changes (Paris: 30 March and 26 October 2025)', () => {
    expect(iso(nextFireTimes('cron(0 9 * * ? *)', 'Europe/Paris', at('2025-03-28T12:00:00Z'), 3))).toEqual([
      '2025-03-29T08:00:00.000Z',
      '2025-03-30T07:00:00.000Z',
      '2025-03-31T07:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 9 * * ? *)', 'Europe/Paris', at('2025-10-25T00:00:00Z'), 3))).toEqual([
      '2025-10-25T07:00:00.000Z',
      '2025-10-26T08:00:00.000Z',
      '2025-10-27T08:00:00.000Z',
    ]);
    expect(
      iso(nextFireTimes('cron(0 9 * * ? *)', 'America/New_York', at('2025-03-08T00:00:00Z'), 3)),
    ).toEqual(['2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z', '2025-03-10T13:00:00.000Z']);
  });

  it('skips a time the clocks jump over and runs a repeated time once, as EventBridge Scheduler does', () => {
    // 02:30 does not exist in Paris on 2025-03-30: no run that day.
    expect(iso(nextFireTimes('cron(30 2 * * ? *)', 'Europe/Paris', at('2025-03-29T12:00:00Z'), 2))).toEqual([
      '2025-03-31T00:30:00.000Z',
      '2025-04-01T00:30:00.000Z',
    ]);
    // 02:30 happens twice on 2025-10-26: one run, at the first.
    expect(iso(nextFireTimes('cron(30 2 * * ? *)', 'Europe/Paris', at('2025-10-25T12:00:00Z'), 2))).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
    // Hourly: the repeated 02:00 runs once (the day has 25 hours and 24 runs).
    expect(iso(nextFireTimes('cron(0 * * * ? *)', 'Europe/Paris', at('2025-10-25T22:30:00Z'), 4))).toEqual([
      '2025-10-25T23:00:00.000Z',
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T02:00:00.000Z',
      '2025-10-26T03:00:00.000Z',
    ]);
    // From 00:00 to 23:00 local on 2025-10-26 (22:00Z the day before to 22:00Z): 24 runs in 25 hours.
    const day = nextFireTimes('cron(0 * * * ? *)', 'Europe/Paris', at('2025-10-25T21:30:00Z'), 25);
    expect([day[0], day[23], day[24]]).toEqual([
      at('2025-10-25T22:00:00Z'),
      at('2025-10-26T22:00:00Z'),
      at('2025-10-26T23:00:00Z'),
    ]);
  });

  it('uses AWS day-of-week numbering, L, #, W and the year field', () => {
    expect(iso(nextFireTimes('cron(0 18 ? * 1 *)', 'UTC', at('2025-01-01T00:00:00Z'), 1))).toEqual([
      '2025-01-05T18:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 0 ? * 6#3 *)', 'UTC', at('2025-01-01T00:00:00Z'), 1))).toEqual([
      '2025-01-17T00:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 12 15W * ? *)', 'UTC', at('2025-06-01T00:00:00Z'), 2))).toEqual([
      '2025-06-16T12:00:00.000Z',
      '2025-07-15T12:00:00.000Z',
    ]);
    // The years run out: fewer times than asked.
    expect(iso(nextFireTimes('cron(0 12 ? * 2#1 2025)', 'UTC', at('2025-11-01T00:00:00Z'), 5))).toEqual([
      '2025-11-03T12:00:00.000Z',
      '2025-12-01T12:00:00.000Z',
    ]);
  });

  it('counts rate() from the given instant, in fixed periods whatever the time zone', () => {
    expect(iso(nextFireTimes('rate(1 minute)', 'UTC', at('2025-01-01T00:00:30Z'), 3))).toEqual([
      '2025-01-01T00:01:30.000Z',
      '2025-01-01T00:02:30.000Z',
      '2025-01-01T00:03:30.000Z',
    ]);
    // A day is 24 hours, even over the 23-hour day of 2025-03-30 in Paris.
    expect(iso(nextFireTimes('rate(1 day)', 'Europe/Paris', at('2025-03-29T09:00:00Z'), 2))).toEqual([
      '2025-03-30T09:00:00.000Z',
      '2025-03-31T09:00:00.000Z',
    ]);
    expect(nextFireTimes('rate(5 minutes)', undefined, at('2025-01-01T00:00:00Z'), 0)).toEqual([]);
  });

  it('yields at() once, in its time zone, only when it is still to come', () => {
    expect(
      iso(nextFireTimes('at(2030-07-01T10:00:00)', 'Europe/Paris', at('2025-01-01T00:00:00Z'), 5)),
    ).toEqual(['2030-07-01T08:00:00.000Z']);
    expect(iso(nextFireTimes('at(2030-07-01T10:00:00)', undefined, at('2025-01-01T00:00:00Z'), 5))).toEqual([
      '2030-07-01T10:00:00.000Z',
    ]);
    expect(nextFireTimes('at(2020-07-01T10:00:00)', 'UTC', at('2025-01-01T00:00:00Z'), 5)).toEqual([]);
  });

  it('throws on an invalid expression or time zone', () => {
    expect(() => nextFireTimes('rate(5 minute)', 'UTC', new Date(), 1)).toThrow(
      'Invalid Schedule Expression rate(5 minute): rate: the unit must be plural',
    );
    expect(() => nextFireTimes('rate(5 minutes)', 'Mars/Olympus', new Date(), 1)).toThrow(
      'Invalid ScheduleExpressionTimezone Mars/Olympus',
    );
  });

  it('gives ascending future times for any valid cron expression', () => {
    const field = (...choices: string[]) => fc.constantFrom(...choices);
    const cron = fc
      .tuple(
        field('0', '*/15', '5,35', '0-10/5', '59', '*'),
        field('0', '2', '*/6', '9-17', '23', '*'),
        field('?', '*', '1', '15W', 'L', 'LW', '31', '29', '1-7'),
        field('*', 'JAN', '2', 'FEB-MAR', '*/3', '12'),
        field('?', '*', 'MON-FRI', '6L', '2#1', '1,7', 'L'),
        field('*', '2025-2030', '2027', '2026/2'),
      )
      .map((fields) => `cron(${fields.join(' ')})`);
    const from = fc.date({
      min: at('2024-01-01T00:00:00Z'),
      max: at('2026-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    const timezone = fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Sydney');
    fc.assert(
      fc.property(cron, timezone, from, (expression, tz, start) => {
        if (validateScheduleExpression(expression) !== undefined) return;
        const times = nextFireTimes(expression, tz, start, 3).map((date) => date.getTime());
        let previous = start.getTime();
        for (const time of times) {
          expect(time).toBeGreaterThan(previous);
          previous = time;
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** The product's cadence (src/domain/scheduleExpression.ts), checked against this engine's fire times. */
describe('scheduleCadence', () => {
  it('is never looser than the fire times: no two closer, never more in 60 minutes (UTC)', () => {
    const field = (...values: string[]) => fc.constantFrom(...values);
    const cron = fc
      .tuple(
        field('0', '*/15', '5,35', '0-10/5', '59', '*', '0,1,30', '58,59'),
        field('0', '2', '*/6', '9-17', '23', '*', '0,23'),
        field('*', '1', '1-7', '15', 'L'),
      )
      .map(([minutes, hours, day]) => `cron(${minutes} ${hours} ${day} * ? *)`);
    const from = fc.date({
      min: at('2025-01-01T00:00:00Z'),
      max: at('2026-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(cron, from, (expression, start) => {
        const { minIntervalMinutes = Infinity, maxRunsPerHour } = scheduleCadence(expression);
        const times = nextFireTimes(expression, 'UTC', start, 100).map((date) => date.getTime() / 60_000);
        times.forEach((time, index) => {
          const next = times[index + 1];
          if (next !== undefined) expect(next - time).toBeGreaterThanOrEqual(minIntervalMinutes);
          expect(times.filter((t) => t >= time && t < time + 60).length).toBeLessThanOrEqual(maxRunsPerHour);
        });
      }),
      { numRuns: 20 },
    );
  });
});
