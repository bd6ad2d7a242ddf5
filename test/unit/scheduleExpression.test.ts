import fc from 'fast-check';
import {
  isValidTimezone,
  scheduleCadence,
  validateScheduleExpression,
} from '../../src/domain/scheduleExpression';

describe('validateScheduleExpression', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'cron(0 12 * * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(15 10 ? * 6L 2019-2022)',
    'cron(0 8 1 * ? *)',
    'cron(0 0 ? * 2#1 *)',
    'cron(0 0 15W * ? *)',
    'cron(0 0 LW * ? *)',
    'cron(0 0 L JAN-MAR ? *)',
    'cron(5,35 14 * * ? *)',
    'cron(0 9 ? * sun *)',
    'cron(0 0 1 1 ? 1970,2199)',
    'at(2030-01-01T00:00:00)',
    'at(2028-02-29T23:59:59)',
  ])('accepts %s', (expression) => {
    expect(validateScheduleExpression(expression)).toBeUndefined();
  });

  it.each([
    ['cron(0 12 * * *)', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5'],
    ['cron()', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 0'],
    ['cron(0 12 1 * MON *)', 'cron: either day-of-month or day-of-week must be ?'],
    ['cron(0 12 * * * *)', 'cron: either day-of-month or day-of-week must be ?'],
    ['cron(0 12 ? * ? *)', 'cron: day-of-month and day-of-week cannot both be ?'],
    ['cron(60 12 * * ? *)', "cron: minutes must be 0-59 (with , - * /), got '60'"],
    ['cron(0 24 * * ? *)', "cron: hours must be 0-23 (with , - * /), got '24'"],
    ['cron(0 0 32 * ? *)', 'cron: day-of-month must be 1-31, L, LW, nW or ? (with , - * /), got '],
    ['cron(0 0 ? 13 * *)', "cron: month must be 1-12 or JAN-DEC (with , - * /), got '13'"],
    [
      'cron(0 0 ? * 8 *)',
      "cron: day-of-week must be 1-7 or SUN-SAT, nL, n#k (k 1-5) or ? (with , - * /), got '8'",
    ],
    ['cron(0 0 ? * MON#6 *)', 'cron: day-of-week must be'],
    ['cron(0 0 ? * 2#1,3#1 *)', 'cron: day-of-week must be'],
    ['cron(0 12 * * ? 2200)', "cron: year must be 1970-2199 (with , - * /), got '2200'"],
    ['cron(*/0 * * * ? *)', "cron: minutes must be 0-59 (with , - * /), got '*/0'"],
    ['cron(0 0 30 2 ? *)', 'cron: day-of-month 30 never occurs in the selected months'],
    ['cron(0 0 31W 4,6 ? *)', 'cron: day-of-month 31 never occurs in the selected months'],
    ['rate(5 hour)', 'rate: the unit must be plural when the value is not 1, e.g. rate(5 hours)'],
    ['rate(1 hours)', 'rate: the unit must be singular when the value is 1, e.g. rate(1 hour)'],
    ['rate(5 minute)', 'rate: the unit must be plural when the value is not 1, e.g. rate(5 minutes)'],
    ['rate(0 minutes)', 'rate: the value must be a whole number from 1 to 999999999'],
    ['rate(1.5 hours)', 'rate: the value must be a whole number from 1 to 999999999'],
    ['rate(5 seconds)', 'rate: the unit must be minute, minutes, hour, hours, day or days'],
    ['rate(5minutes)', 'rate needs a value and a unit, e.g. rate(5 minutes)'],
    ['at(2030-02-30T00:00:00)', 'at: 2030-02-30T00:00:00 is not a real date and time'],
    ['at(2030-01-01T24:00:00)', 'at: 2030-01-01T24:00:00 is not a real date and time'],
    ['at(2030-01-01 00:00:00)', 'at needs a date and time: at(yyyy-mm-ddThh:mm:ss)'],
    ['at(1969-12-31T23:59:59)', 'at: the year must be 1970-2199'],
    ['cron(0\t12 * * ? *)', 'must contain only printable ASCII characters and spaces'],
    ['every 5 minutes', 'must be rate(value unit), cron(minutes hours day-of-month month day-of-week year)'],
    ['RATE(5 minutes)', 'must be rate(value unit)'],
    ['', 'must be rate(value unit)'],
  ])('rejects %j naming the rule', (expression, rule) => {
    expect(validateScheduleExpression(expression)).toEqual(expect.stringContaining(rule));
  });

  it('never throws, whatever the string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((inner) => `cron(${inner})`),
        ),
        (expression) => {
          const result = validateScheduleExpression(expression);
          expect(result === undefined || typeof result === 'string').toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('isValidTimezone', () => {
  it.each(['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'Etc/GMT+1'])(
    'accepts %s',
    (timezone) => expect(isValidTimezone(timezone)).toBe(true),
  );

  it.each(['Mars/Olympus', '+01:00', '', 'europe/paris', 'Europe/Paris ', 'Europe/../Paris'])(
    'rejects %j',
    (timezone) => expect(isValidTimezone(timezone)).toBe(false),
  );
});

describe('scheduleCadence', () => {
  it.each([
    ['rate(1 minute)', { minIntervalMinutes: 1, maxRunsPerHour: 60 }],
    ['rate(7 minutes)', { minIntervalMinutes: 7, maxRunsPerHour: 9 }],
    ['rate(1 hour)', { minIntervalMinutes: 60, maxRunsPerHour: 1 }],
    ['rate(2 days)', { minIntervalMinutes: 2880, maxRunsPerHour: 1 }],
    ['at(2030-01-01T09:00:00)', { maxRunsPerHour: 1 }],
    ['cron(* * * * ? *)', { minIntervalMinutes: 1, maxRunsPerHour: 60 }],
    ['cron(0/1 * * * ? *)', { minIntervalMinutes: 1, maxRunsPerHour: 60 }],
    ['cron(0/15 9-17 ? * MON-FRI *)', { minIntervalMinutes: 15, maxRunsPerHour: 4 }],
    ['cron(0 2 * * ? *)', { minIntervalMinutes: 1440, maxRunsPerHour: 1 }],
    // Every minute of the 1st: a count over the next days would find nothing from the 2nd on.
    ['cron(* * 1 * ? *)', { minIntervalMinutes: 1, maxRunsPerHour: 60 }],
    // 23:58 and 00:00 the next day are 2 minutes apart.
    ['cron(0,58 0,23 * * ? *)', { minIntervalMinutes: 2, maxRunsPerHour: 2 }],
    ['cron(0,59 * * * ? *)', { minIntervalMinutes: 1, maxRunsPerHour: 2 }],
  ])('%s', (expression, cadence) => {
    expect(scheduleCadence(expression)).toEqual(cadence);
  });
});
