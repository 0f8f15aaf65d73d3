import {
  checkTimeZone,
  DAY_MS,
  localDayOf,
  localDayStart,
  offsetAt,
  offsetSpans,
  periodOfDay,
  spansAlignTo,
} from '../../../../kernel/services/storage/aggregators/zoned-periods';

const at = (iso: string): number => Date.parse(iso);
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const HOUR = 3_600_000;

describe('zoned periods', () => {
  it('reads offsets of whole, :30 and :45 zones', () => {
    expect(offsetAt('UTC', at('2025-03-01T00:00:00Z'))).toBe(0);
    expect(offsetAt('Asia/Kolkata', at('2025-03-01T00:00:00Z'))).toBe(5.5 * HOUR);
    expect(offsetAt('Asia/Kathmandu', at('2025-03-01T00:00:00Z'))).toBe(5.75 * HOUR);
    expect(offsetAt('America/New_York', at('2025-07-01T00:00:00.999Z'))).toBe(-4 * HOUR);
  });

  it('finds a DST change to the second, and nothing else around it', () => {
    const spans = offsetSpans('America/New_York', at('2025-02-01T00:00:00Z'), at('2025-04-01T00:00:00Z'));
    expect(spans).toEqual([
      { start: -Infinity, end: at('2025-03-09T07:00:00Z'), offsetMs: -5 * HOUR },
      { start: at('2025-03-09T07:00:00Z'), end: Infinity, offsetMs: -4 * HOUR },
    ]);
    expect(localDayOf(at('2025-03-09T04:59:59.999Z'), spans)).toBe(dayNumber('2025-03-08'));
    expect(localDayOf(at('2025-03-09T05:00:00Z'), spans)).toBe(dayNumber('2025-03-09'));
    expect(spansAlignTo(spans, 900_000)).toBe(true);
  });

  it('starts a day whose midnight was skipped at the change (America/Santiago, 8 September 2024)', () => {
    const spans = offsetSpans('America/Santiago', at('2024-09-01T00:00:00Z'), at('2024-09-15T00:00:00Z'));
    expect(localDayStart(dayNumber('2024-09-07'), spans)).toBe(at('2024-09-07T04:00:00Z'));
    expect(localDayStart(dayNumber('2024-09-08'), spans)).toBe(at('2024-09-08T04:00:00Z')); // 00:00 never happened: 01:00 -03
    expect(localDayStart(dayNumber('2024-09-09'), spans)).toBe(at('2024-09-09T03:00:00Z'));
  });

  it('starts a day after a fall-back at its first midnight (America/New_York, 2 November 2025)', () => {
    const spans = offsetSpans('America/New_York', at('2025-10-25T00:00:00Z'), at('2025-11-10T00:00:00Z'));
    expect(localDayStart(dayNumber('2025-11-02'), spans)).toBe(at('2025-11-02T04:00:00Z'));
    expect(localDayStart(dayNumber('2025-11-03'), spans) - localDayStart(dayNumber('2025-11-02'), spans)).toBe(25 * HOUR);
  });

  it('notices offsets that are not whole quarter hours (Africa/Monrovia before 1972, −0:44:30)', () => {
    expect(spansAlignTo(offsetSpans('Africa/Monrovia', at('1971-06-01T00:00:00Z'), at('1971-07-01T00:00:00Z')), 900_000)).toBe(false);
    expect(spansAlignTo(offsetSpans('Africa/Monrovia', at('1972-01-01T00:00:00Z'), at('1972-02-01T00:00:00Z')), 900_000)).toBe(false);
    expect(spansAlignTo(offsetSpans('Africa/Monrovia', at('1973-01-01T00:00:00Z'), at('1973-02-01T00:00:00Z')), 900_000)).toBe(true);
  });

  it('cuts days, ISO weeks from Monday and months', () => {
    expect(periodOfDay(dayNumber('2025-03-09'), 'day')).toEqual({ key: '2025-03-09', firstDay: dayNumber('2025-03-09'), nextDay: dayNumber('2025-03-10') });
    expect(periodOfDay(dayNumber('2025-03-09'), 'week')).toEqual({ key: '2025-03-03', firstDay: dayNumber('2025-03-03'), nextDay: dayNumber('2025-03-10') });
    expect(periodOfDay(dayNumber('2025-03-10'), 'week').key).toBe('2025-03-10');
    expect(periodOfDay(dayNumber('1970-01-01'), 'week').key).toBe('1969-12-29');
    expect(periodOfDay(dayNumber('2024-02-29'), 'month')).toEqual({ key: '2024-02', firstDay: dayNumber('2024-02-01'), nextDay: dayNumber('2024-03-01') });
    expect(periodOfDay(dayNumber('2024-12-31'), 'month').nextDay).toBe(dayNumber('2025-01-01'));
  });

  it('refuses a zone the runtime does not know with E1009', () => {
    expect(checkTimeZone('Asia/Kathmandu')).toBe('Asia/Kathmandu');
    expect(() => checkTimeZone('Europe/Atlantis')).toThrow(expect.objectContaining({ code: 'E1009' }));
  });
});
