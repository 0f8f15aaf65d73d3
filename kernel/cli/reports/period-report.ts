import { CostAggregator, type CostReport, type ReportGrouping } from '../../services/storage';
import { periodOfDay } from '../../services/storage/aggregators/zoned-periods';
import { byCostThenName, toContractTotals, type ContractTotals } from './contract-totals';
import { LocalDayResolver } from './local-day-resolver';
import { loadModeCosts, type ModeCosts } from './mode-costs';
import { flagUnknownModels, reportWarnings, type ReportContext } from './report-context';
import type { ReportWarning } from './report-warnings';

export const PERIOD_NAMES = ['daily', 'weekly', 'monthly'] as const;
export type PeriodName = (typeof PERIOD_NAMES)[number];

const GROUPING: Record<PeriodName, ReportGrouping> = { daily: 'day', weekly: 'week', monthly: 'month' };

export type AgentRow = { agent: string } & ContractTotals;
export type ModelRow = { model: string } & ContractTotals;

/** One day (`YYYY-MM-DD`), ISO week (its Monday, `YYYY-MM-DD`) or month (`YYYY-MM`) in the report's zone. */
export type PeriodRow = { period: string } & ContractTotals & { agents: AgentRow[]; models: ModelRow[] };

/** `costs daily|weekly|monthly --json`: the contract, key for key. */
export interface PeriodReport {
  period: PeriodName;
  rows: PeriodRow[];
  totals: ContractTotals;
  warnings: ReportWarning[];
}

const SEPARATOR = '\u0000';

/**
 * The records of the report's scope cut into days, weeks or months of its zone, each with its
 * agents and models, oldest first; totals over all of them. Sums come from the store's
 * aggregator; in `calculate`/`display` mode the records with an agent-reported cost are priced
 * again (see `ModeCosts`).
 */
export async function buildPeriodReport(report: ReportContext, period: PeriodName): Promise<PeriodReport> {
  const { database, scope } = report;
  const grouping = GROUPING[period];
  const aggregator = new CostAggregator(database, { logger: report.cli.logger });
  const stored = await aggregator.report(
    { from: scope.from ?? undefined, to: scope.to ?? undefined },
    { groupBy: grouping, timeZone: scope.timeZone, filter: { agents: scope.agents, projectPath: scope.projectPath } },
  );
  const days = new LocalDayResolver(scope.timeZone);
  const modeCosts = await loadModeCosts(database, scope, report.pricer, (record) => {
    const key = periodOfDay(days.dayOf(record.recordedAt), grouping).key;
    return ['', key, `${key}${SEPARATOR}a${record.agentType}`, `${key}${SEPARATOR}m${record.model}`];
  }, report.warnings);
  const result = toPeriodReport(period, stored, modeCosts);
  flagUnknownModels(report, result.rows.flatMap((row) => row.models));
  result.warnings = reportWarnings(report);
  return result;
}

function toPeriodReport(period: PeriodName, stored: CostReport, costs: ModeCosts): PeriodReport {
  const rows = stored.periods.map((item): PeriodRow => {
    const key = item.period;
    return {
      period: key,
      ...toContractTotals(item.totals, costs.cost(key, item.totals.costUsd)),
      agents: item.agents
        .map((agent): AgentRow => ({ agent: agent.agentType, ...toContractTotals(agent, costs.cost(`${key}${SEPARATOR}a${agent.agentType}`, agent.costUsd)) }))
        .sort(byCostThenName((row) => row.agent)),
      models: item.models
        .map((model): ModelRow => ({ model: model.model, ...toContractTotals(model, costs.cost(`${key}${SEPARATOR}m${model.model}`, model.costUsd)) }))
        .sort(byCostThenName((row) => row.model)),
    };
  });
  return { period, rows, totals: toContractTotals(stored.totals, costs.cost('', stored.totals.costUsd)), warnings: [] };
}
