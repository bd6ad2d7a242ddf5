/**
 * A schedule's due times as an operator reads them: the next ones (GET /schedules/{name} nextRunTimes) and
 * those of a past window (backfill), each in UTC and in the schedule's time zone. EventBridge Scheduler's
 * rules apply (src/domain/scheduleEngine.ts): a local time that daylight saving skips does not run, a repeated
 * one runs once; startDate and endDate bound them. Pure: the caller passes the clock.
 *
 * The engine (cron-parser and luxon, about 100 KB) is required inside the functions, not imported: esbuild
 * then wraps it in a lazy module initialiser, so the api's cold start does not evaluate it, only the first
 * request that asks for due times does.
 */
import type { Schedule } from './schedule';
import { parseScheduleExpression, timezoneOffset } from './scheduleExpression';

type Engine = typeof import('./scheduleEngine');
let engine: Engine | undefined;
function loadEngine(): Engine {
  engine ??= require('./scheduleEngine') as Engine;
  return engine;
}

/** One due time: the instant (UTC) and the wall-clock time in the schedule's time zone, with its offset. */
export interface DueTime {
  time: string;
  localTime: string;
}

/** What the due times of a schedule depend on. `anchorMs`: where a rate() counts from without a startDate. */
export type DueTimeSpec = Pick<Schedule, 'expression' | 'timezone' | 'startDate' | 'endDate'> & {
  anchorMs: number;
};

/** How many due times nextRunTimes lists. */
export const NEXT_RUN_TIMES = 5;

/** `ms` as ISO-8601 wall-clock time in `timezone` with its UTC offset, e.g. 2026-03-29T03:30:00+02:00. */
export function localIsoTime(ms: number, timezone: string): string {
  const offsetMs = timezoneOffset(ms, timezone);
  const wall = Math.floor(ms / 1000) * 1000 + offsetMs;
  const offsetMinutes = Math.round(offsetMs / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset =
    offsetMinutes === 0
      ? 'Z'
      : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${new Date(wall).toISOString().slice(0, 19)}${offset}`;
}

const toDueTime = (ms: number, timezone: string): DueTime => ({
  time: new Date(ms).toISOString().replace(/\.000Z$/, 'Z'),
  localTime: localIsoTime(ms, timezone),
});

/**
 * The due times strictly after `afterMs` and at or before `untilMs`, ascending, at most `limit`. A rate()
 * counts from its startDate, else from `anchorMs` (when the Scheduler schedule was written); an at() is due
 * once; startDate and endDate bound cron() and rate().
 */
export function dueTimesBetween(
  spec: DueTimeSpec,
  afterMs: number,
  untilMs: number,
  limit: number,
): number[] {
  const parsed = parseScheduleExpression(spec.expression);
  if (typeof parsed === 'string' || limit <= 0) return [];
  const timezone = spec.timezone ?? 'UTC';
  const start = spec.startDate === undefined ? undefined : Date.parse(spec.startDate);
  const end = spec.endDate === undefined ? undefined : Date.parse(spec.endDate);
  const upTo = Math.min(untilMs, end ?? Number.POSITIVE_INFINITY);
  const { nextCronOccurrence, wallTimeToUtc } = loadEngine();
  const out: number[] = [];
  if (parsed.kind === 'at') {
    const at = wallTimeToUtc(parsed.wall, timezone);
    return at > afterMs && at <= untilMs ? [at] : [];
  }
  if (parsed.kind === 'rate') {
    const anchor = start ?? spec.anchorMs;
    const first =
      afterMs < anchor
        ? anchor
        : anchor + (Math.floor((afterMs - anchor) / parsed.periodMs) + 1) * parsed.periodMs;
    for (let at = first; at <= upTo && out.length < limit; at += parsed.periodMs) out.push(at);
    return out;
  }
  let cursor = start === undefined ? afterMs : Math.max(afterMs, start - 1);
  while (out.length < limit) {
    const next = nextCronOccurrence(parsed, timezone, cursor);
    if (next === undefined || next > upTo) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** The next NEXT_RUN_TIMES due times after `nowMs`, in UTC and in the schedule's time zone; none while PAUSED. */
export function nextRunTimes(
  spec: DueTimeSpec & Pick<Schedule, 'state'>,
  nowMs: number,
  count = NEXT_RUN_TIMES,
): DueTime[] {
  if (spec.state === 'PAUSED') return [];
  const timezone = spec.timezone ?? 'UTC';
  return dueTimesBetween(spec, nowMs, Number.POSITIVE_INFINITY, count).map((ms) => toDueTime(ms, timezone));
}

/** Due times as the API lists them. */
export function asDueTimes(times: number[], timezone: string | undefined): DueTime[] {
  return times.map((ms) => toDueTime(ms, timezone ?? 'UTC'));
}
