import { byCostThenName, toContractTotals, type ContractTotals } from './contract-totals';
import { loadModeCosts } from './mode-costs';
import { flagUnknownModels, reportWarnings, type ReportContext } from './report-context';
import type { ReportWarning } from './report-warnings';
import { addUsage, emptyUsage, loadSessionsById, usageBySession } from './session-rows';

export type SessionCostRow = {
  /** `<agent>:<the agent's session id>`. */
  sessionId: string;
  agent: string;
  projectPath: string | null;
  title: string | null;
  /** ISO; the session's own start and end when stored, else its first and last record. */
  startedAt: string;
  endedAt: string | null;
  lastActivityAt: string;
  /** Most expensive first. */
  models: string[];
} & ContractTotals;

/** `costs session --json`. */
export interface SessionCostReport {
  report: 'session';
  rows: SessionCostRow[];
  totals: ContractTotals;
  warnings: ReportWarning[];
}

const iso = (t: number): string => new Date(t).toISOString();

/** Per session with records in the scope: its agent, project, span, tokens and cost there; oldest first. */
export async function buildSessionCostReport(report: ReportContext): Promise<SessionCostReport> {
  const { database, scope } = report;
  const query = { from: scope.from, to: scope.to, agents: scope.agents, projectPath: scope.projectPath };
  const usage = await usageBySession(database, query);
  const sessions = await loadSessionsById(database, [...usage.keys()]);
  const costs = await loadModeCosts(database, scope, report.pricer, (record) => ['', record.sessionId], report.warnings);
  const all = emptyUsage();
  const rows = [...usage.values()]
    .map((item) => {
      addUsage(all, item.totals);
      const session = sessions.get(item.sessionId);
      const startedAt = session?.startedAt ?? item.firstRecordAt;
      const models = [...item.models].map(([model, totals]) => ({ model, costUsd: totals.costUsd })).sort(byCostThenName((m) => m.model));
      const row: SessionCostRow = {
        sessionId: item.sessionId,
        agent: item.agentType,
        projectPath: session?.projectPath ?? null,
        title: session?.title ?? null,
        startedAt: iso(startedAt),
        endedAt: session?.endedAt === null || session?.endedAt === undefined ? null : iso(session.endedAt),
        lastActivityAt: iso(Math.max(session?.lastActivityAt ?? -Infinity, item.lastRecordAt)),
        models: models.map((m) => m.model),
        ...toContractTotals(item.totals, costs.cost(item.sessionId, item.totals.costUsd)),
      };
      return { startedAt, row };
    })
    .sort((a, b) => a.startedAt - b.startedAt || (a.row.sessionId < b.row.sessionId ? -1 : 1))
    .map(({ row }) => row);
  flagUnknownModels(report, [...usage.values()].flatMap((item) => [...item.models].map(([model, totals]) => ({ model, totalTokens: totals.totalTokens }))));
  return { report: 'session', rows, totals: toContractTotals(all, costs.cost('', all.costUsd)), warnings: reportWarnings(report) };
}
