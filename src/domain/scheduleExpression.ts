/**
 * EventBridge Scheduler schedule expressions: `rate(value unit)`, `cron(minutes hours day-of-month month
 * day-of-week year)` and `at(yyyy-mm-ddThh:mm:ss)`, their validation (messages name the rule broken) and
 * their next fire times in an IANA time zone. Pure: no clock, no I/O.
 */
import { CronExpressionParser } from 'cron-parser';

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
  /** Six-field expression (seconds first) for cron-parser, day-of-week converted to 0-6. */
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
const MAX_YEAR = 2199;
/** The largest instant a Date can hold. */
const MAX_DATE_MS = 8.64e15;
const MAX_ITERATIONS = 10_000;
const DAY_MS = 86_400_000;

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
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
  } catch (error) {
    return `cron: ${(error as Error).message}`;
  }
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

function formatterFor(timezone: string): Intl.DateTimeFormat {
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

/** Offset (ms) of `timezone` from UTC at the instant `utcMs`. */
function timezoneOffset(utcMs: number, timezone: string): number {
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

/**
 * The instant at which the wall-clock time `wall` occurs in `timezone`. A time that occurs twice (clocks going
 * back) is its first occurrence; a time that never occurs (clocks going forward) lands after the gap, as if
 * the clocks had not moved yet (02:30 in a 02:00→03:00 gap is 03:30).
 */
export function wallTimeToUtc(wall: WallTime, timezone: string): number {
  const [year, month, day, hour, minute, second] = wall;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Offsets a day either side: the two a daylight saving change can give this wall time (or the same one).
  const candidates = [
    asUtc - timezoneOffset(asUtc - DAY_MS, timezone),
    asUtc - timezoneOffset(asUtc + DAY_MS, timezone),
  ].sort((a, b) => a - b) as [number, number];
  return candidates.find((utc) => utc + timezoneOffset(utc, timezone) === asUtc) ?? candidates[1];
}

function nearestWeekdayOf(year: number, month: number, spec: number | 'L'): number | undefined {
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const weekday = (day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  if (spec === 'L') {
    const dow = weekday(last);
    return dow === 6 ? last - 1 : dow === 0 ? last - 2 : last;
  }
  if (spec > last) return undefined;
  const dow = weekday(spec);
  if (dow === 6) return spec === 1 ? 3 : spec - 1;
  if (dow === 0) return spec === last ? spec - 2 : spec + 1;
  return spec;
}

/** First occurrence of a cron expression strictly after `afterMs` in `timezone`, or undefined when none. */
export function nextCronOccurrence(
  parsed: CronExpression,
  timezone: string,
  afterMs: number,
): number | undefined {
  const start = (fromMs: number) =>
    CronExpressionParser.parse(parsed.expression, { tz: timezone, currentDate: new Date(fromMs) });
  let iterator: ReturnType<typeof start>;
  try {
    iterator = start(afterMs);
  } catch {
    return undefined;
  }
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    let date: ReturnType<typeof iterator.next>;
    try {
      date = iterator.next();
    } catch {
      return undefined;
    }
    const year = date.getFullYear();
    const month = date.getMonth() + 1;
    const day = date.getDate();
    const hour = date.getHours();
    const minute = date.getMinutes();
    if (year > MAX_YEAR) return undefined;
    if (parsed.years && !parsed.years.includes(year)) {
      const nextYear = parsed.years.find((candidate) => candidate > year);
      if (nextYear === undefined) return undefined;
      iterator = start(wallTimeToUtc([nextYear, 1, 1, 0, 0, 0], timezone) - 1000);
      continue;
    }
    if (parsed.nearestWeekday !== undefined) {
      const target = nearestWeekdayOf(year, month, parsed.nearestWeekday);
      if (target === undefined || day > target) {
        const [nextYear, nextMonth] = month === 12 ? [year + 1, 1] : [year, month + 1];
        iterator = start(wallTimeToUtc([nextYear, nextMonth, 1, 0, 0, 0], timezone) - 1000);
        continue;
      }
      if (day < target) {
        iterator = start(wallTimeToUtc([year, month, target, 0, 0, 0], timezone) - 1000);
        continue;
      }
    }
    // Daylight saving time, as EventBridge Scheduler handles it: a time the clocks skip does not run
    // (cron-parser would move it past the gap), and a time they repeat runs once, at its first occurrence.
    if (!parsed.hours.includes(hour) || !parsed.minutes.includes(minute)) continue;
    if (wallTimeToUtc([year, month, day, hour, minute, 0], timezone) !== date.getTime()) continue;
    return date.getTime();
  }
  return undefined;
}

/**
 * The next `count` occurrences of `expression` strictly after `from`, in `timezone` (default UTC), ascending.
 * rate() counts from `from`; at() yields its one instant if it is after `from`; cron() may yield fewer than
 * `count` when its years run out. Throws on an invalid expression or time zone.
 */
export function nextFireTimes(
  expression: string,
  timezone: string | undefined,
  from: Date,
  count: number,
): Date[] {
  const parsed = parseScheduleExpression(expression);
  if (typeof parsed === 'string') throw new Error(`Invalid Schedule Expression ${expression}: ${parsed}`);
  const tz = timezone || 'UTC';
  if (!isValidTimezone(tz)) throw new Error(`Invalid ScheduleExpressionTimezone ${tz}`);
  const result: Date[] = [];
  if (parsed.kind === 'rate') {
    for (let i = 1; i <= count; i++) {
      const next = from.getTime() + i * parsed.periodMs;
      if (next > MAX_DATE_MS) break;
      result.push(new Date(next));
    }
  } else if (parsed.kind === 'at') {
    const at = wallTimeToUtc(parsed.wall, tz);
    if (at > from.getTime() && count > 0) result.push(new Date(at));
  } else {
    let cursor = from.getTime();
    while (result.length < count) {
      const next = nextCronOccurrence(parsed, tz, cursor);
      if (next === undefined) break;
      result.push(new Date(next));
      cursor = next;
    }
  }
  return result;
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
