import { CostAggregator } from '../../services/storage';
import { byCostThenName, toContractTotals, type ContractTotals } from './contract-totals';
import { loadModeCosts } from './mode-costs';
import type { AgentRow, ModelRow } from './period-report';
import { flagUnknownModels, type ReportContext } from './report-context';

/** Totals of the report's scope, and the same split per agent and per model. */
export interface Breakdown {
  totals: ContractTotals;
  /** Most expensive first. */
  agents: AgentRow[];
  models: ModelRow[];
  records: number;
}

/**
 * What the records in `[from, to)` (and the report's agent and project filters) add up to, as
 * a whole, per agent and per model, in the report's cost mode.
 */
export async function buildBreakdown(report: ReportContext, from: number | null, to: number | null): Promise<Breakdown> {
  const { database, scope } = report;
  const aggregator = new CostAggregator(database, { logger: report.cli.logger });
  const range = { from: from ?? undefined, to: to ?? undefined };
  const filter = { agents: scope.agents, projectPath: scope.projectPath };
  const [totals, agents, models] = await Promise.all([
    aggregator.breakdown({ ...filter, ...range }),
    aggregator.byAgent(range, filter),
    aggregator.byModel(range, filter),
  ]);
  const costs = await loadModeCosts(database, { ...scope, from, to }, report.pricer, (record) => ['', `a${record.agentType}`, `m${record.model}`], report.warnings);
  const breakdown: Breakdown = {
    totals: toContractTotals(totals, costs.cost('', totals.costUsd)),
    agents: agents
      .map((agent): AgentRow => ({ agent: agent.agentType, ...toContractTotals(agent, costs.cost(`a${agent.agentType}`, agent.costUsd)) }))
      .sort(byCostThenName((row) => row.agent)),
    models: models
      .map((model): ModelRow => ({ model: model.model, ...toContractTotals(model, costs.cost(`m${model.model}`, model.costUsd)) }))
      .sort(byCostThenName((row) => row.model)),
    records: totals.records,
  };
  flagUnknownModels(report, breakdown.models);
  return breakdown;
}
