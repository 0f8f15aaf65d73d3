import { DAY_MS, localDayOf, offsetSpans, type OffsetSpan } from '../../services/storage/aggregators/zoned-periods';

// Offsets are looked up once per window of this width, not once per record.
const WINDOW_MS = 64 * DAY_MS;

/**
 * Local day numbers of many instants in one zone, fast: the zone's offset changes are worked
 * out once per window of time and reused for every instant inside it.
 */
export class LocalDayResolver {
  private spans: OffsetSpan[] = [];
  private windowFrom = Infinity;
  private windowTo = -Infinity;

  constructor(readonly timeZone: string) {}

  dayOf(t: number): number {
    if (t < this.windowFrom || t >= this.windowTo) {
      this.windowFrom = t - WINDOW_MS / 2;
      this.windowTo = t + WINDOW_MS / 2;
      this.spans = offsetSpans(this.timeZone, this.windowFrom, this.windowTo);
    }
    return localDayOf(t, this.spans);
  }
}
