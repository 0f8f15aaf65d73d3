import path from 'node:path';
import type { Command } from 'commander';
import { importCursorUsageCsv, type CursorCsvImportSummary } from '../../services/imports';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { printJson, renderTable, type CliIo } from '../output';
import { buildAgentList, buildAgentStatus, scanAgents } from '../reports/agent-reports';
import { formatLocalTime } from '../reports/local-dates';
import { printWarnings, withReport } from '../reports/report-context';
import { formatTokens, formatUsd } from '../reports/report-format';
import { addReportOptions, parseAgentFilter, type ReportFlags } from '../reports/report-options';
import { AGENT_IDS } from '../reports/known-agents';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const yesNo = (value: boolean | null): string => (value === null ? '?' : value ? 'yes' : 'no');

export function registerAgentsCommands(program: Command, io: CliIo): void {
  const agents = program.command('agents').description('the coding agents: which adapters are installed, what discovery finds, what each is doing');

  addReportOptions(agents.command('list').description('every agent Rimuru knows: its adapter plugin and state, and what discovery last found'), { costs: false }).action(
    (flags: ReportFlags, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildAgentList(report);
        if (report.scope.json) return printJson(io, result);
        io.out(
          renderTable(
            io,
            ['Agent', 'Name', 'Adapter plugin', 'State', 'Installed', 'Version', 'Last seen'],
            result.rows.map((row) => [
              row.agent,
              row.displayName,
              row.plugin ? `${row.plugin.name}@${row.plugin.version}` : '(none)',
              row.plugin ? `${row.plugin.state}${row.plugin.reason ? ` — ${row.plugin.reason}` : ''}` : '-',
              yesNo(row.installed),
              row.version ?? '-',
              row.lastSeenAt ? formatLocalTime(Date.parse(row.lastSeenAt), report.scope.timeZone) : 'never',
            ]),
          ),
        );
        printWarnings(io, result.warnings);
      }),
  );

  agents
    .command('scan')
    .description('run every adapter\'s discovery now: installed?, version, data paths and how many sources (writes nothing)')
    .option('--json', 'print the findings as JSON')
    .option('--agent <type>', `only this agent; repeat for several (${AGENT_IDS.join(', ')})`, collect)
    .action(async (flags: { json?: boolean; agent?: string[] }, command: Command) => {
      const selected = parseAgentFilter(flags.agent);
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const result = await withStore(cli, (database) => scanAgents(cli, database, selected));
      if (flags.json) return printJson(io, result);
      io.out(
        renderTable(
          io,
          ['Agent', 'Adapter', 'Installed', 'Version', 'Sources', 'Paths / problem'],
          result.rows.map((row) => [
            row.agent,
            row.plugin ? `${row.plugin.name}@${row.plugin.version}` : '(none)',
            yesNo(row.installed),
            row.version ?? '-',
            row.sources === null ? '-' : formatTokens(row.sources),
            [...row.paths, ...(row.error ? [row.error] : [])].join('\n') || '-',
          ]),
        ),
      );
    });

  addReportOptions(agents.command('status').description('what each agent is doing: sessions, active now, last activity, usage in the range and today'), { costs: false }).action(
    (flags: ReportFlags, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildAgentStatus(report);
        if (report.scope.json) return printJson(io, result);
        io.out(
          renderTable(
            io,
            ['Agent', 'Installed', 'Sessions', 'Active now', 'Last activity', 'Tokens', 'Cost', 'Today'],
            result.rows.map((row) => [
              row.agent,
              yesNo(row.installed),
              formatTokens(row.sessions),
              formatTokens(row.activeSessions),
              row.lastActivityAt ? formatLocalTime(Date.parse(row.lastActivityAt), report.scope.timeZone) : '-',
              formatTokens(row.usage.totalTokens),
              formatUsd(row.usage.costUsd),
              formatUsd(row.today.costUsd),
            ]),
            { align: ['left', 'left', 'right', 'right', 'left', 'right', 'right', 'right'] },
          ),
        );
        printWarnings(io, result.warnings);
      }),
  );

  const imports = agents.command('import').description("import usage an agent keeps outside its logs (Cursor's dashboard CSV)");
  imports
    .command('cursor <file>')
    .description('import a Cursor dashboard usage CSV (Dashboard → Usage → Export CSV); importing it again adds nothing twice')
    .option('--dry-run', 'read and check the file, write nothing')
    .option('--json', 'print the import summary as JSON')
    .action(async (file: string, flags: { dryRun?: boolean; json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const summary = await withStore(cli, (database) => importCursorUsageCsv(database, path.resolve(file), { dryRun: flags.dryRun === true }));
      if (flags.json) return printJson(io, { report: 'import', agent: 'cursor', ...summary });
      io.out(describeImport(summary));
      for (const problem of summary.skipped.slice(0, 10)) io.err(`skipped line ${problem.line}: ${problem.message}`);
      if (summary.skipped.length > 10) io.err(`… and ${summary.skipped.length - 10} more (all of them: --json)`);
    });
}

function describeImport(summary: CursorCsvImportSummary): string {
  const span = summary.firstAt && summary.lastAt ? ` from ${summary.firstAt.slice(0, 10)} to ${summary.lastAt.slice(0, 10)}` : '';
  const skipped = `${formatTokens(summary.skipped.length)} rows skipped`;
  return [
    summary.dryRun
      ? `checked ${summary.file}: nothing written (--dry-run); ${skipped}`
      : `imported ${formatTokens(summary.imported)} Cursor requests${span} (${formatTokens(summary.alreadyImported)} already imported, ${skipped}) from ${summary.file}`,
    `the file: ${formatTokens(summary.totals.records)} valid rows, ${formatTokens(summary.totals.totalTokens)} tokens, ${formatUsd(summary.totals.costUsd)}`,
    ...(summary.dryRun ? [] : ['see them with `rimuru-kernel costs daily --agent cursor --no-ingest`']),
  ].join('\n');
}
