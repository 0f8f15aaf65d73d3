import { ErrorCodes, StorageError } from '../../../core/errors';
import type { Instant, PageOptions, TimeRange } from '../types';

/** Epoch milliseconds of a time given to storage (whole milliseconds, as the columns hold). */
export function toEpochMs(value: Instant, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `${what} must be a Date or epoch milliseconds, got ${String(value)}`, {
      details: { what },
    });
  }
  return Math.floor(ms);
}

export interface EpochRange {
  from: number | null;
  to: number | null;
}

/** A `TimeRange` as epoch ms, checked: `from` after `to` is a mistake, not an empty answer. */
export function toEpochRange(range: TimeRange | undefined, what = 'range'): EpochRange {
  const from = range?.from === undefined ? null : toEpochMs(range.from, `${what}.from`);
  const to = range?.to === undefined ? null : toEpochMs(range.to, `${what}.to`);
  if (from !== null && to !== null && from > to) {
    throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `${what}.from (${new Date(from).toISOString()}) is after ${what}.to (${new Date(to).toISOString()})`, {
      details: { from, to },
    });
  }
  return { from, to };
}

/** Checked paging: non-negative integers. */
export function toPage(options: PageOptions | undefined): { limit: number | null; offset: number } {
  const limit = options?.limit ?? null;
  const offset = options?.offset ?? 0;
  for (const [name, value] of [['limit', limit], ['offset', offset]] as const) {
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  return { limit, offset };
}
