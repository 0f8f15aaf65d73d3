import { ErrorCodes, RimuruError, UsageError } from '../../core/errors';
import { CostAggregator, SESSION_STATUSES, type SessionStatus } from '../../services/storage';
import { byCostThenName, toContractTotals, type ContractTotals } from './contract-totals';
import { dateOfDay } from './local-dates';
import { LocalDayResolver } from './local-day-resolver';
import { flagUnknownModels, reportWarnings, type ReportContext } from './report-context';
import type { ReportWarning } from './report-warnings';
import { addUsage, effectiveStatus, emptyUsage, findSessions, loadSessions, usageOfSessions, type SessionRow, type SessionUsage, type UsageSummary } from './session-rows';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export type SessionListRow = {
  sessionId: string;
  agent: string;
  /** The agent's own session id. */
  externalId: string;
  projectPath: string | null;
  title: string | null;
  /** `active` only while written to in the last 30 minutes. */
  status: SessionStatus;
  startedAt: string;
  endedAt: string | null;
  lastActivityAt: string;
  records: number;
} & ContractTotals;

/** `sessions list --json`. */
export interface SessionListReport {
  report: 'sessions';
  rows: SessionListRow[];
  warnings: ReportWarning[];
}

function listRow(session: SessionRow, usage: SessionUsage | undefined, now: number): SessionListRow {
  const totals = usage?.totals ?? emptyUsage();
  return {
    sessionId: session.id,
    agent: session.agentType,
    externalId: session.externalId,
    projectPath: session.projectPath,
    title: session.title,
    status: effectiveStatus(session, now),
    startedAt: iso(session.startedAt) as string,
    endedAt: iso(session.endedAt),
    lastActivityAt: iso(Math.max(session.lastActivityAt, usage?.lastRecordAt ?? -Infinity)) as string,
    records: totals.records,
    ...toContractTotals(totals),
  };
}

const scopeFilter = (report: ReportContext) => ({ from: report.scope.from, to: report.scope.to, agents: report.scope.agents, projectPath: report.scope.projectPath });

/** Sessions that overlap the scope's range, newest first, each with all its records' totals. */
export async function buildSessionList(report: ReportContext, limit: number): Promise<SessionListReport> {
  const sessions = await loadSessions(report.database, { ...scopeFilter(report), limit });
  const usage = await usageOfSessions(report.database, sessions.map((session) => session.id));
  return { report: 'sessions', rows: sessions.map((session) => listRow(session, usage.get(session.id), report.now)), warnings: reportWarnings(report) };
}

/** `sessions show <id> --json`. */
export interface SessionDetailReport {
  report: 'session';
  session: SessionListRow & { durationMs: number };
  firstRecordAt: string | null;
  lastRecordAt: string | null;
  /** Per model, most expensive first. */
  models: Array<{ model: string; records: number } & ContractTotals>;
  warnings: ReportWarning[];
}

/**
 * One session in full. `needle` is its id, the agent's own id, or a prefix of either.
 * @throws RimuruError E6002 when no session matches; UsageError when a prefix matches several.
 */
export async function buildSessionDetail(report: ReportContext, needle: string): Promise<SessionDetailReport> {
  const candidates = await findSessions(report.database, needle);
  if (candidates.length === 0) {
    throw new RimuruError(ErrorCodes.REPORT_SUBJECT_NOT_FOUND, `no session "${needle}" in the store: list them with \`rimuru-kernel sessions list\``);
  }
  if (candidates.length > 1) {
    throw new UsageError(`"${needle}" matches ${candidates.length} sessions (${candidates.slice(0, 5).map((s) => s.id).join(', ')}${candidates.length > 5 ? ', …' : ''}): give more of the id`);
  }
  const session = candidates[0] as SessionRow;
  const usage = (await usageOfSessions(report.database, [session.id])).get(session.id);
  const row = listRow(session, usage, report.now);
  const models = [...(usage?.models ?? new Map<string, UsageSummary>())]
    .map(([model, totals]) => ({ model, records: totals.records, ...toContractTotals(totals) }))
    .sort(byCostThenName((item) => item.model));
  flagUnknownModels(report, models);
  return {
    report: 'session',
    session: { ...row, durationMs: (session.endedAt ?? Date.parse(row.lastActivityAt)) - session.startedAt },
    firstRecordAt: usage ? iso(usage.firstRecordAt) : null,
    lastRecordAt: usage ? iso(usage.lastRecordAt) : null,
    models,
    warnings: reportWarnings(report),
  };
}

export type HistoryRow = { date: string; sessionsStarted: number } & ContractTotals;

/** `sessions history --json`: per local day, the sessions started and what the records cost. */
export interface SessionHistoryReport {
  report: 'history';
  timeZone: string;
  rows: HistoryRow[];
  totals: { sessionsStarted: number } & ContractTotals;
  warnings: ReportWarning[];
}

/** Per day of the scope (in its zone): sessions started that day, and that day's tokens and cost; oldest first. */
export async function buildSessionHistory(report: ReportContext): Promise<SessionHistoryReport> {
  const { scope } = report;
  const sessions = await loadSessions(report.database, scopeFilter(report));
  const days = new LocalDayResolver(scope.timeZone);
  const started = new Map<string, number>();
  for (const session of sessions) {
    if ((scope.from !== null && session.startedAt < scope.from) || (scope.to !== null && session.startedAt >= scope.to)) continue;
    const date = dateOfDay(days.dayOf(session.startedAt));
    started.set(date, (started.get(date) ?? 0) + 1);
  }
  const costs = await new CostAggregator(report.database, { logger: report.cli.logger }).report(
    { from: scope.from ?? undefined, to: scope.to ?? undefined },
    { groupBy: 'day', timeZone: scope.timeZone, filter: { agents: scope.agents, projectPath: scope.projectPath } },
  );
  const byDate = new Map(costs.periods.map((period) => [period.period, period.totals]));
  const dates = [...new Set([...started.keys(), ...byDate.keys()])].sort();
  const rows = dates.map((date): HistoryRow => {
    const totals = byDate.get(date);
    return { date, sessionsStarted: started.get(date) ?? 0, ...(totals ? toContractTotals(totals) : toContractTotals(emptyUsage())) };
  });
  flagUnknownModels(report, costs.periods.flatMap((period) => period.models));
  return {
    report: 'history',
    timeZone: scope.timeZone,
    rows,
    totals: { sessionsStarted: rows.reduce((sum, row) => sum + row.sessionsStarted, 0), ...toContractTotals(costs.totals) },
    warnings: reportWarnings(report),
  };
}

/** `sessions stats --json`. */
export interface SessionStatsReport {
  report: 'stats';
  sessions: number;
  /** By status as a person means it (`active` = written to in the last 30 minutes). */
  byStatus: Record<SessionStatus, number>;
  /** Most sessions first. */
  byAgent: Array<{ agent: string; sessions: number } & ContractTotals>;
  /** Mean of (end, else last activity) − start; null without sessions. */
  averageDurationMs: number | null;
  medianDurationMs: number | null;
  /** The ten most expensive projects. */
  topProjects: Array<{ projectPath: string | null; sessions: number } & ContractTotals>;
  totals: ContractTotals;
  warnings: ReportWarning[];
}

const TOP_PROJECTS = 10;

/** Counts, durations and the costliest projects of the sessions overlapping the scope (their whole usage). */
export async function buildSessionStats(report: ReportContext): Promise<SessionStatsReport> {
  const sessions = await loadSessions(report.database, scopeFilter(report));
  const usage = await usageOfSessions(report.database, sessions.map((session) => session.id));
  const byStatus = Object.fromEntries(SESSION_STATUSES.map((status) => [status, 0])) as Record<SessionStatus, number>;
  const byAgent = new Map<string, { sessions: number; totals: UsageSummary }>();
  const byProject = new Map<string | null, { sessions: number; totals: UsageSummary }>();
  const all = emptyUsage();
  const durations: number[] = [];
  for (const session of sessions) {
    byStatus[effectiveStatus(session, report.now)] += 1;
    const totals = usage.get(session.id)?.totals ?? emptyUsage();
    addUsage(all, totals);
    for (const [map, key] of [
      [byAgent, session.agentType],
      [byProject, session.projectPath],
    ] as Array<[Map<string | null, { sessions: number; totals: UsageSummary }>, string | null]>) {
      const entry = map.get(key) ?? { sessions: 0, totals: emptyUsage() };
      entry.sessions += 1;
      addUsage(entry.totals, totals);
      map.set(key, entry);
    }
    durations.push(Math.max(0, (session.endedAt ?? session.lastActivityAt) - session.startedAt));
  }
  durations.sort((a, b) => a - b);
  const middle = durations.length >> 1;
  flagUnknownModels(report, [...usage.values()].flatMap((item) => [...item.models].map(([model, totals]) => ({ model, totalTokens: totals.totalTokens }))));
  return {
    report: 'stats',
    sessions: sessions.length,
    byStatus,
    byAgent: [...byAgent]
      .map(([agent, entry]) => ({ agent: agent as string, sessions: entry.sessions, ...toContractTotals(entry.totals) }))
      .sort((a, b) => b.sessions - a.sessions || (a.agent < b.agent ? -1 : 1)),
    averageDurationMs: durations.length === 0 ? null : durations.reduce((sum, d) => sum + d, 0) / durations.length,
    medianDurationMs: durations.length === 0 ? null : durations.length % 2 === 1 ? (durations[middle] as number) : ((durations[middle - 1] as number) + (durations[middle] as number)) / 2,
    topProjects: [...byProject]
      .map(([projectPath, entry]) => ({ projectPath, sessions: entry.sessions, ...toContractTotals(entry.totals) }))
      .sort(byCostThenName((item) => item.projectPath ?? ''))
      .slice(0, TOP_PROJECTS),
    totals: toContractTotals(all),
    warnings: reportWarnings(report),
  };
}
