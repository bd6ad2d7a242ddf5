/**
 * Next fire times of EventBridge Scheduler expressions in an IANA time zone, with EventBridge Scheduler's
 * daylight saving rules (a local time the clocks skip does not run, a repeated one runs once, at its first
 * occurrence). Product code: the API answers a schedule's nextRunTimes with it (src/domain/nextRunTimes.ts,
 * which loads it lazily so the api's cold start does not pay for cron-parser and luxon), and the sandbox's
 * Scheduler (local/scheduler.ts) fires by it. Pure: no clock, no I/O.
 */
import { CronExpressionParser } from 'cron-parser';
import {
  type CronExpression,
  isValidTimezone,
  MAX_YEAR,
  parseScheduleExpression,
  timezoneOffset,
  type WallTime,
} from './scheduleExpression';

/** The largest instant a Date can hold. */
const MAX_DATE_MS = 8.64e15;
const MAX_ITERATIONS = 10_000;
const DAY_MS = 86_400_000;

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
