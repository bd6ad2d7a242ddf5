/**
 * EventBridge Scheduler schedule expressions: `rate(value unit)`, `cron(minutes hours day-of-month month
 * day-of-week year)` and `at(yyyy-mm-ddThh:mm:ss)`, their validation (messages name the rule broken) and
 * their cadence. Pure: no clock, no I/O. Their next fire times: src/domain/scheduleEngine.ts (with
 * cron-parser), which only nextRunTimes loads, lazily, so validation keeps no cron parser on the cold start.
 */

/** A wall-clock time: year, month (1-12), day, hour, minute, second. */
export type WallTime = [
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
];

export interface RateExpression {
  kind: 'rate';
  periodMs: number;
}

export interface AtExpression {
  kind: 'at';
  /** Wall-clock time in the schedule's time zone. */
  wall: WallTime;
}

export interface CronExpression {
  kind: 'cron';
  /** Six-field expression (seconds first), day-of-week converted to 0-6: cron-parser's, for the sandbox. */
  expression: string;
  /** Allowed minutes and hours, ascending (to tell times that daylight saving time skips). */
  minutes: number[];
  hours: number[];
  /** Allowed years, ascending; undefined for `*`. */
  years?: number[];
  /** `nW` / `LW` in day-of-month: the weekday nearest to day n / the last weekday of the month. */
  nearestWeekday?: number | 'L';
}

export type ParsedScheduleExpression = RateExpression | AtExpression | CronExpression;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Longest month, by month (February counts its leap day). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

const EXPRESSION_FORMS =
  'must be rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)';
const FIELD_RULES = {
  minutes: 'minutes must be 0-59 (with , - * /)',
  hours: 'hours must be 0-23 (with , - * /)',
  dayOfMonth: 'day-of-month must be 1-31, L, LW, nW or ? (with , - * /)',
  month: 'month must be 1-12 or JAN-DEC (with , - * /)',
  dayOfWeek: 'day-of-week must be 1-7 or SUN-SAT, nL, n#k (k 1-5) or ? (with , - * /)',
  year: `year must be ${MIN_YEAR}-${MAX_YEAR} (with , - * /)`,
};

function parseValue(token: string, min: number, max: number, names?: string[]): number | undefined {
  let value: number | undefined;
  if (/^\d{1,4}$/.test(token)) value = Number(token);
  else if (names) {
    const index = names.indexOf(token.toUpperCase());
    value = index >= 0 ? index + min : undefined;
  }
  return value !== undefined && value >= min && value <= max ? value : undefined;
}

/** Expands `*`, `n`, `n-m`, `*\/s`, `n/s`, `n-m/s` and comma lists; undefined when invalid. */
function expandField(field: string, min: number, max: number, names?: string[]): number[] | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^([^/]+)(?:\/(\d{1,4}))?$/.exec(part);
    if (!match?.[1]) return undefined;
    const range = match[1];
    const step = match[2] === undefined ? undefined : Number(match[2]);
    if (step !== undefined && (step < 1 || step > max)) return undefined;
    let from: number | undefined;
    let to: number | undefined;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b, ...rest] = range.split('-');
      if (a === undefined || b === undefined || rest.length > 0) return undefined;
      from = parseValue(a, min, max, names);
      to = parseValue(b, min, max, names);
    } else {
      from = parseValue(range, min, max, names);
      to = step === undefined ? from : max;
    }
    if (from === undefined || to === undefined || from > to) return undefined;
    for (let value = from; value <= to; value += step ?? 1) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseCron(body: string): CronExpression | string {
  const trimmed = body.trim();
  const fields = trimmed === '' ? [] : trimmed.split(/ +/);
  if (fields.length !== 6) {
    return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  }
  const [minuteField, hourField, domField, monthField, dowField, yearField] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const bad = (rule: string, field: string) => `cron: ${rule}, got '${field}'`;
  const minutes = expandField(minuteField, 0, 59);
  if (!minutes) return bad(FIELD_RULES.minutes, minuteField);
  const hours = expandField(hourField, 0, 23);
  if (!hours) return bad(FIELD_RULES.hours, hourField);
  const months = expandField(monthField, 1, 12, MONTH_NAMES);
  if (!months) return bad(FIELD_RULES.month, monthField);
  if (domField === '?' && dowField === '?') return 'cron: day-of-month and day-of-week cannot both be ?';
  if (domField !== '?' && dowField !== '?') return 'cron: either day-of-month or day-of-week must be ?';
  const longestMonth = Math.max(...months.map((month) => MONTH_DAYS[month - 1] ?? 31));

  let dom = '*';
  let nearestWeekday: number | 'L' | undefined;
  if (domField === 'L') dom = 'L';
  else if (domField === 'LW') nearestWeekday = 'L';
  else if (/^\d{1,2}W$/.test(domField)) {
    nearestWeekday = Number(domField.slice(0, -1));
    if (nearestWeekday < 1 || nearestWeekday > 31) return bad(FIELD_RULES.dayOfMonth, domField);
    if (nearestWeekday > longestMonth) {
      return `cron: day-of-month ${nearestWeekday} never occurs in the selected months`;
    }
  } else if (domField !== '?') {
    const days = expandField(domField, 1, 31);
    if (!days) return bad(FIELD_RULES.dayOfMonth, domField);
    if ((days[0] ?? 1) > longestMonth) {
      return `cron: day-of-month ${days[0]} never occurs in the selected months`;
    }
    dom = days.join(',');
  }

  let dow = '*';
  if (dowField === 'L') dow = '6';
  else if (/^[^,#]+L$/.test(dowField)) {
    const day = parseValue(dowField.slice(0, -1), 1, 7, DAY_NAMES);
    if (day === undefined) return bad(FIELD_RULES.dayOfWeek, dowField);
    dow = `${day - 1}L`;
  } else if (dowField.includes('#')) {
    const match = /^([^,#]+)#([1-5])$/.exec(dowField);
    const day = match?.[1] === undefined ? undefined : parseValue(match[1], 1, 7, DAY_NAMES);
    if (day === undefined || !match) return bad(FIELD_RULES.dayOfWeek, dowField);
    dow = `${day - 1}#${match[2]}`;
  } else if (dowField !== '?') {
    const days = expandField(dowField, 1, 7, DAY_NAMES);
    if (!days) return bad(FIELD_RULES.dayOfWeek, dowField);
    dow = days.map((day) => day - 1).join(',');
  }

  let years: number[] | undefined;
  if (yearField !== '*') {
    years = expandField(yearField, MIN_YEAR, MAX_YEAR);
    if (!years) return bad(FIELD_RULES.year, yearField);
  }
  const expression = `0 ${minutes.join(',')} ${hours.join(',')} ${dom} ${months.join(',')} ${dow}`;
  return {
    kind: 'cron',
    expression,
    minutes,
    hours,
    ...(years ? { years } : {}),
    ...(nearestWeekday !== undefined ? { nearestWeekday } : {}),
  };
}

function parseRate(body: string): RateExpression | string {
  const match = /^(\S+) (\S+)$/.exec(body);
  if (!match?.[1] || !match[2]) return 'rate needs a value and a unit, e.g. rate(5 minutes)';
  const [, rawValue, unit] = match;
  if (!/^\d{1,9}$/.test(rawValue) || Number(rawValue) < 1) {
    return 'rate: the value must be a whole number from 1 to 999999999';
  }
  const value = Number(rawValue);
  const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
  const period = RATE_UNITS[singular];
  if (period === undefined || !Object.hasOwn(RATE_UNITS, singular)) {
    return 'rate: the unit must be minute, minutes, hour, hours, day or days';
  }
  if (value === 1 && unit !== singular) {
    return `rate: the unit must be singular when the value is 1, e.g. rate(1 ${singular})`;
  }
  if (value !== 1 && unit === singular) {
    return `rate: the unit must be plural when the value is not 1, e.g. rate(${value} ${singular}s)`;
  }
  return { kind: 'rate', periodMs: value * period };
}

function parseAt(body: string): AtExpression | string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) return 'at needs a date and time: at(yyyy-mm-ddThh:mm:ss)';
  const wall = match.slice(1, 7).map(Number) as WallTime;
  const [year, month, day, hour, minute, second] = wall;
  if (year < MIN_YEAR || year > MAX_YEAR) return `at: the year must be ${MIN_YEAR}-${MAX_YEAR}`;
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return `at: ${body} is not a real date and time`;
  }
  return { kind: 'at', wall };
}

/** The parsed expression, or the rule it breaks. */
export function parseScheduleExpression(expression: string): ParsedScheduleExpression | string {
  if (typeof expression !== 'string') return EXPRESSION_FORMS;
  if (/[^\x20-\x7e]/.test(expression)) return 'must contain only printable ASCII characters and spaces';
  const form = /^(rate|cron|at)\((.*)\)$/.exec(expression);
  if (!form?.[1] || form[2] === undefined) return EXPRESSION_FORMS;
  if (form[1] === 'rate') return parseRate(form[2]);
  if (form[1] === 'at') return parseAt(form[2]);
  return parseCron(form[2]);
}

/** Undefined when `expression` is a valid Scheduler expression, else the rule it breaks. Never throws. */
export function validateScheduleExpression(expression: string): string | undefined {
  const parsed = parseScheduleExpression(expression);
  return typeof parsed === 'string' ? parsed : undefined;
}

const MAX_FORMATTERS = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter of instants as wall-clock times in `timezone` (throws RangeError for a zone it does not know). */
export function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Offset (ms) of `timezone` from UTC at the instant `utcMs`. */
export function timezoneOffset(utcMs: number, timezone: string): number {
  const parts = formatterFor(timezone).formatToParts(new Date(utcMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** IANA names: `UTC`, `Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+1`; never offsets like +01:00. */
const IANA_NAME = /^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether `timezone` is an IANA time zone name the runtime knows. */
export function isValidTimezone(timezone: string): boolean {
  if (typeof timezone !== 'string' || timezone.length > 64 || !IANA_NAME.test(timezone)) return false;
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

/** How closely the runs of a schedule follow each other. */
export interface Cadence {
  /** The shortest time between two runs, in minutes; undefined for at(), which runs once. */
  minIntervalMinutes?: number;
  /** The most runs in any 60 minutes in a row. */
  maxRunsPerHour: number;
}

const MINUTES_PER_DAY = 1440;

/**
 * The cadence of a valid expression, by the wall clock of its time zone. A cron's is that of its times of day
 * (every allowed minute of every allowed hour), as if two days in a row were both allowed: exact for any
 * expression that runs on consecutive days, never looser for one that does not (a weekly cron counts as
 * daily), and the same whatever the date, unlike a count over the next days, which would miss
 * `cron(* * 1 * ? *)` (every minute of the 1st) on the 2nd. A daylight saving change can bring two runs
 * closer once a year (01:55 and 03:05 across a skipped 02:00-03:00); that is not counted.
 */
export function scheduleCadence(expression: string): Cadence {
  const parsed = parseScheduleExpression(expression);
  if (typeof parsed === 'string') throw new Error(`Invalid Schedule Expression ${expression}: ${parsed}`);
  if (parsed.kind === 'at') return { maxRunsPerHour: 1 };
  if (parsed.kind === 'rate') {
    const minutes = parsed.periodMs / 60_000;
    return { minIntervalMinutes: minutes, maxRunsPerHour: Math.ceil(60 / minutes) };
  }
  const times = parsed.hours.flatMap((hour) => parsed.minutes.map((minute) => hour * 60 + minute));
  // The gap after the last time of a day is to the first of the next.
  const gaps = times.map((time, index) => (times[index + 1] ?? (times[0] ?? 0) + MINUTES_PER_DAY) - time);
  // Any 60 minutes in a row hold each minute of the hour once: at most one run per allowed minute.
  return { minIntervalMinutes: Math.min(...gaps), maxRunsPerHour: parsed.minutes.length };
}
