import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, StorageError } from '../../../core/errors';
import { knexOf, type QueryTarget } from '../repositories/query-target';
import { numberOrNull, rawRows } from '../repositories/row-values';
import { storageCall } from '../repositories/storage-call';
import type { AgentUsage, CostFilter, CostPeriod, CostReport, CostReportOptions, ModelUsage, TimeRange, UsageTotals } from '../types';
import { readUsageGroups, toUsageQuery } from './usage-reader';
import type { UsageQuery, UsageSums } from './usage-totals-query';
import { addSums, byCostThenName, emptySums, toUsageTotals } from './usage-totals';
import { checkTimeZone, DAY_MS, localDayStart, offsetSpans, periodOfDay, type OffsetSpan } from './zoned-periods';

const reportOptionsSchema = z.object({
  groupBy: z.enum(['day', 'week', 'month']),
  timeZone: z.string().min(1).default('UTC'),
});

// Periods reach up to a month beyond the records they hold (a month's first and last day).
const PERIOD_REACH_MS = 32 * DAY_MS;

interface PeriodAccumulator {
  key: string;
  firstDay: number;
  nextDay: number;
  totals: UsageSums;
  agents: Map<string, UsageSums>;
  models: Map<string, UsageSums>;
}

function addTo(map: Map<string, UsageSums>, key: string, sums: UsageSums): void {
  let into = map.get(key);
  if (into === undefined) {
    into = emptySums();
    map.set(key, into);
  }
  addSums(into, sums);
}

/**
 * Cost questions over usage records: totals for a filter, reports by day/week/month in a time
 * zone, and per-model and per-agent totals. Every figure adds up the same records whichever
 * way it is asked, on either backend. Sums read the quarter-hour rollups (migration 0002) and
 * the raw records only at the ragged edges of a range, so a daily report over a million
 * records reads tens of thousands of rows.
 */
export class CostAggregator {
  private readonly logger: Logger | undefined;

  constructor(
    private readonly target: QueryTarget,
    options: { logger?: Logger } = {},
  ) {
    this.logger = options.logger;
  }

  /** Totals of every token kind and the cost of the records matching `filter`. */
  async breakdown(filter: CostFilter = {}): Promise<UsageTotals> {
    const [sums] = await readUsageGroups(this.target, toUsageQuery(filter), {}, this.logger);
    return toUsageTotals(sums ?? emptySums());
  }

  /** Totals per model over `range` (narrowed by `filter`), most expensive first. */
  async byModel(range: TimeRange = {}, filter: Omit<CostFilter, 'from' | 'to'> = {}): Promise<ModelUsage[]> {
    const rows = await readUsageGroups(this.target, toUsageQuery({ ...filter, ...range }), { model: true }, this.logger);
    return rows.map((row) => ({ model: row.model ?? '', ...toUsageTotals(row) })).sort(byCostThenName((item) => item.model));
  }

  /** Totals per agent type over `range` (narrowed by `filter`), most expensive first. */
  async byAgent(range: TimeRange = {}, filter: Omit<CostFilter, 'from' | 'to'> = {}): Promise<AgentUsage[]> {
    const rows = await readUsageGroups(this.target, toUsageQuery({ ...filter, ...range }), { agent: true }, this.logger);
    return rows.map((row) => ({ agentType: row.agentType ?? '', ...toUsageTotals(row) })).sort(byCostThenName((item) => item.agentType));
  }

  /**
   * The records of `range` cut into days, ISO weeks (Monday first) or months of `timeZone`,
   * each with its totals and per-agent and per-model rows. Periods follow the zone's clock
   * across DST changes (a spring-forward day lasts 23 hours) and its :30/:45 offsets; a period
   * cut by the range holds only the records inside it. Only periods with records are listed.
   *
   * @throws StorageError E1009 for an unknown time zone, a grouping other than day/week/month,
   * or a reversed range.
   */
  async report(range: TimeRange, options: CostReportOptions): Promise<CostReport> {
    const parsed = reportOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `invalid report options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const { groupBy } = parsed.data;
    const timeZone = checkTimeZone(parsed.data.timeZone);
    const query = toUsageQuery({ ...options.filter, from: range.from, to: range.to });
    const report: CostReport = { groupBy, timeZone, from: query.from, to: query.to, periods: [], totals: toUsageTotals(emptySums()) };

    const bounds = await this.recordedBounds(query);
    if (bounds === null) return report;
    const spans = offsetSpans(timeZone, bounds.first - PERIOD_REACH_MS, bounds.last + PERIOD_REACH_MS);
    const rows = await readUsageGroups(this.target, query, { localDays: spans, agent: true, model: true }, this.logger);

    const periods = new Map<string, PeriodAccumulator>();
    const totals = emptySums();
    for (const row of rows) {
      const { key, firstDay, nextDay } = periodOfDay(row.day ?? 0, groupBy);
      let period = periods.get(key);
      if (period === undefined) {
        period = { key, firstDay, nextDay, totals: emptySums(), agents: new Map(), models: new Map() };
        periods.set(key, period);
      }
      addSums(period.totals, row);
      addTo(period.agents, row.agentType ?? '', row);
      addTo(period.models, row.model ?? '', row);
      addSums(totals, row);
    }
    report.periods = [...periods.values()].sort((a, b) => a.firstDay - b.firstDay).map((period) => this.toPeriod(period, spans));
    report.totals = toUsageTotals(totals);
    return report;
  }

  private toPeriod(period: PeriodAccumulator, spans: readonly OffsetSpan[]): CostPeriod {
    return {
      period: period.key,
      startsAt: localDayStart(period.firstDay, spans),
      endsAt: localDayStart(period.nextDay, spans),
      totals: toUsageTotals(period.totals),
      agents: [...period.agents].map(([agentType, sums]) => ({ agentType, ...toUsageTotals(sums) })).sort(byCostThenName((item) => item.agentType)),
      models: [...period.models].map(([model, sums]) => ({ model, ...toUsageTotals(sums) })).sort(byCostThenName((item) => item.model)),
    };
  }

  /** First and last `recordedAt` the report can hold (cheap: both ends of an index), or `null` for none. */
  private async recordedBounds(query: UsageQuery): Promise<{ first: number; last: number } | null> {
    // Two subqueries: SQLite reads one end of the index for a lone min() or max(), but scans it all for both together.
    const sql = 'select (select min(recorded_at) from usage_records) as first, (select max(recorded_at) from usage_records) as last';
    const rows = rawRows(await storageCall('finding the time span of usage records', () => knexOf(this.target).raw(sql)));
    const first = numberOrNull(rows[0]?.first);
    const last = numberOrNull(rows[0]?.last);
    if (first === null || last === null) return null;
    const from = Math.max(first, query.from ?? first);
    const to = Math.min(last, query.to === null ? last : query.to - 1);
    return from > to ? null : { first: from, last: to };
  }
}
