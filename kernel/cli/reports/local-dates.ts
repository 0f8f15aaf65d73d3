import { DAY_MS, localDayOf, localDayStart, offsetSpans, periodOfDay } from '../../services/storage/aggregators/zoned-periods';

/**
 * Calendar dates of a time zone as the reports use them: `YYYY-MM-DD` strings, local day
 * numbers (days since 1970-01-01 on the zone's clock) and the instants where days begin.
 * Built on the storage aggregators' zone arithmetic so a report's `--since` and its rows cut
 * the day at the same instant.
 */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local day number of a `YYYY-MM-DD` date, or `null` when it is not a real date. */
export function dayNumberOf(date: string): number | null {
  const match = DATE_PATTERN.exec(date);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return ms / DAY_MS;
}

/** `YYYY-MM-DD` of a local day number. */
export function dateOfDay(day: number): string {
  return periodOfDay(day, 'day').key;
}

/** The first instant (epoch ms) of local day `day` in `timeZone`. */
export function startOfLocalDay(day: number, timeZone: string): number {
  const midnight = day * DAY_MS;
  return localDayStart(day, offsetSpans(timeZone, midnight - 2 * DAY_MS, midnight + 2 * DAY_MS));
}

/** The local day number of instant `t` in `timeZone`. */
export function localDayAt(t: number, timeZone: string): number {
  return localDayOf(t, offsetSpans(timeZone, t - 2 * DAY_MS, t + 2 * DAY_MS));
}

/** `YYYY-MM-DD HH:MM` of instant `t` on the zone's clock, for tables. */
export function formatLocalTime(t: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(t);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((part) => part.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** True when the runtime's time zone database knows `timeZone`. */
export function isKnownTimeZone(timeZone: string): boolean {
  // Spares the common case loading the zone database (~12 ms of a report's start).
  if (timeZone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The zone this machine runs in (what `--tz` defaults to). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
