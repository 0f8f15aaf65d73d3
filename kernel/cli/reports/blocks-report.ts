import { roundUsd } from '../../services/storage/aggregators/usage-totals';
import { BillingBlockBuilder, burnRateOf, projectionOf, type BillingBlock, type BlockProjection, type BurnRate } from './billing-blocks';
import { emptyContractTotals, type ContractTotals } from './contract-totals';
import { dateOfDay } from './local-dates';
import { LocalDayResolver } from './local-day-resolver';
import { ModeCosts } from './mode-costs';
import { flagUnknownModels, reportWarnings, type ReportContext } from './report-context';
import type { ReportWarning } from './report-warnings';
import { scanUsageRecords } from './usage-record-scan';

export type BlockRow = {
  id: string;
  startTime: string;
  endTime: string;
  actualEndTime: string | null;
  isActive: boolean;
  isGap: boolean;
  /** Model calls in the block. */
  entries: number;
} & ContractTotals & {
    models: string[];
    /** Active block only (as ccusage): tokens per minute and USD per hour between its first and last call. */
    burnRate: BurnRate | null;
    /** Active block only: totals at its end if the burn rate holds. */
    projection: BlockProjection | null;
  };

/** `costs blocks --json`. */
export interface BlocksReport {
  report: 'blocks';
  timeZone: string;
  /** The instant `isActive` and the projection are computed for. */
  asOf: string;
  blocks: BlockRow[];
  /** Of the listed blocks. */
  totals: ContractTotals;
  warnings: ReportWarning[];
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * 5-hour billing blocks over every record of the report's agents and project (a block's
 * bounds depend on all the activity before it, so the whole history is walked), then the
 * blocks that start on a day within `--since`/`--until` in the report's zone.
 */
export async function buildBlocksReport(report: ReportContext, options: { activeOnly: boolean }): Promise<BlocksReport> {
  const { database, scope, pricer, now } = report;
  const builder = new BillingBlockBuilder();
  await scanUsageRecords(database, { from: null, to: null, agents: scope.agents, projectPath: scope.projectPath }, (records) => {
    for (const record of records) {
      builder.add({ ...record, costUsd: ModeCosts.recordCost(scope.mode, record, pricer) });
    }
  });
  const days = new LocalDayResolver(scope.timeZone);
  const inRange = (block: BillingBlock): boolean => {
    const date = dateOfDay(days.dayOf(block.startTime));
    return (scope.since === null || date >= scope.since) && (scope.until === null || date <= scope.until);
  };
  const blocks = builder.finish(now).filter((block) => inRange(block) && (!options.activeOnly || block.isActive));
  const totals = emptyContractTotals();
  for (const block of blocks) {
    for (const key of Object.keys(totals) as Array<keyof ContractTotals>) totals[key] += block.totals[key];
  }
  totals.costUsd = roundUsd(totals.costUsd);
  // With a catalog this also names the models `calculate` could not price.
  flagUnknownModels(report, blocks.flatMap((block) => block.models.map((model) => ({ model, totalTokens: block.totals.totalTokens }))));
  return {
    report: 'blocks',
    timeZone: scope.timeZone,
    asOf: iso(now),
    blocks: blocks.map((block) => toRow(block, now)),
    totals,
    warnings: reportWarnings(report),
  };
}

function toRow(block: BillingBlock, now: number): BlockRow {
  return {
    id: block.id,
    startTime: iso(block.startTime),
    endTime: iso(block.endTime),
    actualEndTime: block.actualEndTime === null ? null : iso(block.actualEndTime),
    isActive: block.isActive,
    isGap: block.isGap,
    entries: block.entries,
    ...block.totals,
    costUsd: roundUsd(block.totals.costUsd),
    models: block.models,
    burnRate: block.isActive ? burnRateOf(block) : null,
    projection: block.isActive ? projectionOf(block, now) : null,
  };
}
