import { DAY_MS, localDayOf, localDayStart, offsetSpans, periodOfDay } from '../storage/aggregators/zoned-periods';
import type { BudgetPeriod } from './budget-config';

/** One calendar period in a time zone: `[startsAt, endsAt)` in epoch ms. */
export interface BudgetWindow {
  /** `YYYY-MM-DD` (a day; a week: its Monday) or `YYYY-MM` (a month), in the zone. */
  key: string;
  startsAt: number;
  endsAt: number;
}

// Wide enough to hold a month and the DST change that may fall inside it.
const SPAN_REACH_MS = 40 * DAY_MS;

/** The day, ISO week (Monday first) or month of `timeZone` that holds instant `now`. */
export function windowAt(period: BudgetPeriod, now: number, timeZone: string): BudgetWindow {
  const spans = offsetSpans(timeZone, now - SPAN_REACH_MS, now + SPAN_REACH_MS);
  const { key, firstDay, nextDay } = periodOfDay(localDayOf(now, spans), period);
  return { key, startsAt: localDayStart(firstDay, spans), endsAt: localDayStart(nextDay, spans) };
}

/**
 * What the period will have cost at its end if spending goes on at the rate so far (linear).
 * The elapsed time counts as at least a hundredth of the period, so the first minutes of a day
 * do not project a fortune from one record.
 */
export function projectSpend(spentUsd: number, window: BudgetWindow, now: number): number {
  const length = window.endsAt - window.startsAt;
  const elapsed = Math.min(length, Math.max(now - window.startsAt, length / 100));
  return Math.round(((spentUsd * length) / elapsed) * 1e6) / 1e6;
}
