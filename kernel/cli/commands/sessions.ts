import type { Command } from 'commander';
import { UsageError } from '../../core/errors';
import { printJson, renderTable, type CliIo } from '../output';
import { formatLocalTime } from '../reports/local-dates';
import { printWarnings, withReport, type ReportContext } from '../reports/report-context';
import { formatDuration, formatTokens, formatUsd } from '../reports/report-format';
import { addReportOptions, type ReportFlags } from '../reports/report-options';
import { renderUsageTable } from '../reports/report-tables';
import { buildSessionDetail, buildSessionHistory, buildSessionList, buildSessionStats, type SessionListRow } from '../reports/session-reports';

const DEFAULT_LIMIT = 50;

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit "${value}" is not a positive whole number, e.g. --limit 20`);
  return limit;
}

export function registerSessionsCommands(program: Command, io: CliIo): void {
  const sessions = program.command('sessions').description("the agents' sessions: list, one in full, per-day history, statistics (ingests new agent data first)");

  addReportOptions(sessions.command('list').description('sessions that overlap the range, newest first, with their tokens and cost'), { costs: false })
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIMIT})`)
    .action((flags: ReportFlags & { limit?: string }, command: Command) => {
      const limit = flags.limit === undefined ? DEFAULT_LIMIT : parseLimit(flags.limit);
      return withReport(command, flags, async (report) => {
        const result = await buildSessionList(report, limit);
        if (report.scope.json) return printJson(io, result);
        if (result.rows.length === 0) io.out('no sessions found (is the agent installed? try `rimuru-kernel agents scan`)');
        else io.out(renderSessionRows(io, report, result.rows));
        if (result.rows.length === limit) io.err(`(showing the newest ${limit}; --limit for more)`);
        printWarnings(io, result.warnings);
      });
    });

  addReportOptions(sessions.command('show <id>').description("one session in full: its id, the agent's own id, or a unique prefix of either"), { costs: false }).action(
    (id: string, flags: ReportFlags, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildSessionDetail(report, id);
        if (report.scope.json) return printJson(io, result);
        const zone = report.scope.timeZone;
        const s = result.session;
        io.out(
          [
            `session   ${s.sessionId}`,
            `agent     ${s.agent}`,
            `project   ${s.projectPath ?? '-'}`,
            ...(s.title ? [`title     ${s.title}`] : []),
            `status    ${s.status}`,
            `started   ${formatLocalTime(Date.parse(s.startedAt), zone)}`,
            `ended     ${s.endedAt ? formatLocalTime(Date.parse(s.endedAt), zone) : '-'} (last activity ${formatLocalTime(Date.parse(s.lastActivityAt), zone)}, ${formatDuration(s.durationMs)})`,
            `usage     ${formatTokens(s.records)} model calls, ${formatTokens(s.totalTokens)} tokens, ${formatUsd(s.costUsd)}`,
          ].join('\n'),
        );
        if (result.models.length > 0) {
          io.out(renderUsageTable(io, ['Model', 'Calls'], result.models.map((m) => ({ cells: [m.model, formatTokens(m.records)], totals: m })), s, ['Total', formatTokens(s.records)]));
        }
        printWarnings(io, result.warnings);
      }),
  );

  addReportOptions(sessions.command('history').description('per day: sessions started, tokens and cost'), { costs: false }).action((flags: ReportFlags, command: Command) =>
    withReport(command, flags, async (report) => {
      const result = await buildSessionHistory(report);
      if (report.scope.json) return printJson(io, result);
      if (result.rows.length === 0) io.out('no sessions or usage in that range');
      else {
        io.out(
          renderUsageTable(
            io,
            ['Date', 'Sessions'],
            result.rows.map((row) => ({ cells: [row.date, formatTokens(row.sessionsStarted)], totals: row })),
            result.totals,
            ['Total', formatTokens(result.totals.sessionsStarted)],
          ),
        );
        io.out(`days in ${report.scope.timeZone}`);
      }
      printWarnings(io, result.warnings);
    }),
  );

  addReportOptions(sessions.command('stats').description('how many sessions, by status and agent, how long they last, the costliest projects'), { costs: false }).action(
    (flags: ReportFlags, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildSessionStats(report);
        if (report.scope.json) return printJson(io, result);
        const statuses = Object.entries(result.byStatus).map(([status, n]) => `${n} ${status}`).join(', ');
        io.out(
          [
            `sessions  ${formatTokens(result.sessions)} (${statuses})`,
            `duration  average ${result.averageDurationMs === null ? '-' : formatDuration(result.averageDurationMs)}, median ${result.medianDurationMs === null ? '-' : formatDuration(result.medianDurationMs)}`,
            `usage     ${formatTokens(result.totals.totalTokens)} tokens, ${formatUsd(result.totals.costUsd)}`,
          ].join('\n'),
        );
        if (result.byAgent.length > 0) {
          io.out(renderUsageTable(io, ['Agent', 'Sessions'], result.byAgent.map((row) => ({ cells: [row.agent, formatTokens(row.sessions)], totals: row })), result.totals, ['Total', formatTokens(result.sessions)]));
          io.out(renderTable(io, ['Top projects', 'Sessions', 'Tokens', 'Cost'], result.topProjects.map((p) => [p.projectPath ?? '(unknown)', formatTokens(p.sessions), formatTokens(p.totalTokens), formatUsd(p.costUsd)]), { align: ['left', 'right', 'right', 'right'] }));
        }
        printWarnings(io, result.warnings);
      }),
  );
}

function renderSessionRows(io: CliIo, report: ReportContext, rows: SessionListRow[]): string {
  const zone = report.scope.timeZone;
  return renderTable(
    io,
    ['Session', 'Agent', 'Project', 'Status', 'Started', 'Last activity', 'Calls', 'Tokens', 'Cost'],
    rows.map((row) => [
      row.externalId.length > 14 ? `${row.externalId.slice(0, 13)}…` : row.externalId,
      row.agent,
      row.projectPath ?? '-',
      row.status,
      formatLocalTime(Date.parse(row.startedAt), zone),
      formatLocalTime(Date.parse(row.lastActivityAt), zone),
      formatTokens(row.records),
      formatTokens(row.totalTokens),
      formatUsd(row.costUsd),
    ]),
    { align: ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'right', 'right'] },
  );
}
