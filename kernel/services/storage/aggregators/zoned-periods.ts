import { ErrorCodes, StorageError } from '../../../core/errors';
import type { ReportGrouping } from '../types';

export const DAY_MS = 86_400_000;

/** `[start, end)` in epoch ms during which a zone's UTC offset is `offsetMs`. */
export interface OffsetSpan {
  start: number;
  end: number;
  offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function isUtc(timeZone: string): boolean {
  return timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/**
 * The IANA zone name, checked against the runtime's time zone database.
 * @throws StorageError E1009 for a name it does not know.
 */
export function checkTimeZone(timeZone: string): string {
  // UTC needs no zone database (loading it is ~10 ms of a report).
  if (isUtc(timeZone)) return timeZone;
  try {
    formatterOf(timeZone);
    return timeZone;
  } catch (error) {
    throw new StorageError(
      ErrorCodes.DB_INVALID_QUERY,
      `unknown time zone "${timeZone}": use an IANA name such as UTC, Europe/Paris or America/New_York`,
      { cause: error, details: { timeZone } },
    );
  }
}

/** The zone's UTC offset at instant `t`, in ms (whole seconds, as the tz database has them). */
export function offsetAt(timeZone: string, t: number): number {
  if (isUtc(timeZone)) return 0;
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatterOf(timeZone).formatToParts(t)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const local = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour % 24, fields.minute, fields.second);
  return local - (t - (((t % 1000) + 1000) % 1000));
}

/**
 * The zone's offsets over `[from, to)`, as spans; the first starts at -∞ and the last ends at
 * +∞. Sampled once a day, and each change located to the second by bisection: the tz database
 * has no zone that changes its offset twice within one day.
 */
export function offsetSpans(timeZone: string, from: number, to: number): OffsetSpan[] {
  if (isUtc(timeZone)) return [{ start: -Infinity, end: Infinity, offsetMs: 0 }];
  const spans: OffsetSpan[] = [];
  let start = -Infinity;
  let cursor = from;
  let offset = offsetAt(timeZone, cursor);
  while (cursor < to) {
    const probe = Math.min(cursor + DAY_MS, to);
    if (offsetAt(timeZone, probe) === offset) {
      cursor = probe;
      continue;
    }
    // The first second at which the offset is no longer `offset`.
    let before = Math.floor(cursor / 1000);
    let after = Math.ceil(probe / 1000);
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (offsetAt(timeZone, middle * 1000) === offset) before = middle;
      else after = middle;
    }
    const change = after * 1000;
    spans.push({ start, end: change, offsetMs: offset });
    start = change;
    cursor = change;
    offset = offsetAt(timeZone, change);
  }
  spans.push({ start, end: Infinity, offsetMs: offset });
  return spans;
}

/** The local day number (days since 1970-01-01 in the zone) of instant `t`. */
export function localDayOf(t: number, spans: readonly OffsetSpan[]): number {
  const span = spans.find((candidate) => t < candidate.end) ?? (spans[spans.length - 1] as OffsetSpan);
  return Math.floor((t + span.offsetMs) / DAY_MS);
}

/**
 * The first instant of local day `day`: its midnight, or — where midnight was skipped by a
 * DST change (e.g. America/Santiago) — the change itself.
 */
export function localDayStart(day: number, spans: readonly OffsetSpan[]): number {
  const midnight = day * DAY_MS;
  for (const span of spans) {
    if (midnight < span.start + span.offsetMs) return span.start;
    if (midnight < span.end + span.offsetMs) return midnight - span.offsetMs;
  }
  const last = spans[spans.length - 1] as OffsetSpan;
  return midnight - last.offsetMs;
}

/** True when every offset and change in the spans falls on a UTC quarter hour (all current zones). */
export function spansAlignTo(spans: readonly OffsetSpan[], unitMs: number): boolean {
  return spans.every((span) => span.offsetMs % unitMs === 0 && (!Number.isFinite(span.start) || span.start % unitMs === 0));
}

export interface PeriodOfDay {
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  key: string;
  firstDay: number;
  /** The first day of the next period. */
  nextDay: number;
}

const pad = (value: number): string => String(value).padStart(2, '0');

function dateKey(day: number): string {
  const date = new Date(day * DAY_MS);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** The day, ISO week (Monday first) or month that local day `day` belongs to. */
export function periodOfDay(day: number, grouping: ReportGrouping): PeriodOfDay {
  if (grouping === 'day') return { key: dateKey(day), firstDay: day, nextDay: day + 1 };
  if (grouping === 'week') {
    // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
    const monday = day - (((day + 3) % 7) + 7) % 7;
    return { key: dateKey(monday), firstDay: monday, nextDay: monday + 7 };
  }
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return {
    key: `${year}-${pad(month + 1)}`,
    firstDay: Date.UTC(year, month, 1) / DAY_MS,
    nextDay: Date.UTC(year, month + 1, 1) / DAY_MS,
  };
}
