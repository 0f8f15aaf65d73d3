import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors';
import { printJson, renderTable, type CliIo } from '../output';
import { buildBlocksReport, type BlocksReport } from '../reports/blocks-report';
import { buildBreakdown, type Breakdown } from '../reports/breakdown-report';
import { dateOfDay, formatLocalTime, localDayAt, startOfLocalDay } from '../reports/local-dates';
import { buildPeriodReport, PERIOD_NAMES, type PeriodReport } from '../reports/period-report';
import { formatDuration, formatTokens, formatUsd } from '../reports/report-format';
import { printWarnings, reportWarnings, withReport, type ReportContext } from '../reports/report-context';
import { addReportOptions, type ReportFlags } from '../reports/report-options';
import { renderUsageTable, scopeLine } from '../reports/report-tables';
import { buildSessionCostReport, type SessionCostReport } from '../reports/session-cost-report';
import type { ReportWarning } from '../reports/report-warnings';

const SUMMARY_RANGES = ['7d', '30d', 'thismonth', 'lastmonth', 'all'] as const;
type SummaryRange = (typeof SUMMARY_RANGES)[number];

const PERIOD_HEAD = { daily: 'Date', weekly: 'Week of', monthly: 'Month' } as const;
const PERIOD_UNIT = { daily: 'day', weekly: 'ISO week (Monday first)', monthly: 'month' } as const;

export function registerCostsCommands(program: Command, io: CliIo): void {
  const costs = program
    .command('costs')
    .description('what the agents cost: per day, week, month, session, 5-hour block, model or agent (ingests new agent data first)');

  for (const period of PERIOD_NAMES) {
    addReportOptions(costs.command(period).description(`tokens and cost per ${PERIOD_UNIT[period]} in --tz, with each agent and model`), { costs: true }).action(
      (flags: ReportFlags, command: Command) =>
        withReport(command, flags, async (report) => {
          const result = await buildPeriodReport(report, period);
          if (report.scope.json) return printJson(io, result);
          printPeriodReport(io, report, result);
        }),
    );
  }

  addReportOptions(costs.command('session').description('tokens and cost per session: agent, project, start and end'), { costs: true }).action(
    (flags: ReportFlags, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildSessionCostReport(report);
        if (report.scope.json) return printJson(io, result);
        printSessionCosts(io, report, result);
      }),
  );

  addReportOptions(
    costs.command('blocks').description('5-hour billing blocks (as ccusage counts them) with burn rate, and a projection for the active block'),
    { costs: true },
  )
    .option('--active', 'only the active block')
    .action((flags: ReportFlags & { active?: boolean }, command: Command) =>
      withReport(command, flags, async (report) => {
        const result = await buildBlocksReport(report, { activeOnly: flags.active === true });
        if (report.scope.json) return printJson(io, result);
        printBlocks(io, report, result);
      }),
    );

  addReportOptions(costs.command('today').description("today's tokens and cost, per agent and model"), { costs: true }).action(
    (flags: ReportFlags, command: Command) => {
      if (flags.since !== undefined || flags.until !== undefined) throw new UsageError('costs today takes no --since/--until: use `costs daily --since <date> --until <date>`');
      return withReport(command, flags, async (report) => {
        const today = localDayAt(report.now, report.scope.timeZone);
        const date = dateOfDay(today);
        const breakdown = await buildBreakdown(report, startOfLocalDay(today, report.scope.timeZone), startOfLocalDay(today + 1, report.scope.timeZone));
        const result = { report: 'today' as const, date, timeZone: report.scope.timeZone, ...breakdownJson(breakdown), warnings: reportWarnings(report) };
        if (report.scope.json) return printJson(io, result);
        printBreakdown(io, `Today, ${date}`, breakdown, result.warnings, report);
      });
    },
  );

  addReportOptions(costs.command('summary').description('totals over a range, per agent and model'), { costs: true })
    .addOption(new Option('--range <range>', 'the days to sum, ending today (or use --since/--until)').choices([...SUMMARY_RANGES]))
    .action((flags: ReportFlags & { range?: SummaryRange }, command: Command) => {
      if (flags.range !== undefined && (flags.since !== undefined || flags.until !== undefined)) {
        throw new UsageError('give either --range or --since/--until, not both');
      }
      return withReport(command, flags, async (report) => {
        const range = flags.range ?? (report.scope.since !== null || report.scope.until !== null ? 'custom' : '30d');
        const days = summaryDays(range, localDayAt(report.now, report.scope.timeZone), report);
        const zone = report.scope.timeZone;
        const breakdown = await buildBreakdown(
          report,
          days.first === null ? null : startOfLocalDay(days.first, zone),
          days.last === null ? null : startOfLocalDay(days.last + 1, zone),
        );
        const result = {
          report: 'summary' as const,
          range,
          since: days.first === null ? null : dateOfDay(days.first),
          until: days.last === null ? null : dateOfDay(days.last),
          timeZone: zone,
          ...breakdownJson(breakdown),
          warnings: reportWarnings(report),
        };
        if (report.scope.json) return printJson(io, result);
        printBreakdown(io, `Summary (${range}${result.since || result.until ? `: ${result.since ?? '…'} to ${result.until ?? '…'}` : ''})`, breakdown, result.warnings, report);
      });
    });

  for (const by of ['model', 'agent'] as const) {
    addReportOptions(costs.command(`by-${by}`).description(`tokens and cost per ${by}, most expensive first`), { costs: true }).action(
      (flags: ReportFlags, command: Command) =>
        withReport(command, flags, async (report) => {
          const breakdown = await buildBreakdown(report, report.scope.from, report.scope.to);
          const rows = by === 'model' ? breakdown.models : breakdown.agents;
          const result = { report: `by-${by}` as const, rows, totals: breakdown.totals, warnings: reportWarnings(report) };
          if (report.scope.json) return printJson(io, result);
          if (rows.length === 0) io.out(noUsage(report));
          else {
            io.out(renderUsageTable(io, [by === 'model' ? 'Model' : 'Agent'], rows.map((row) => ({ cells: ['model' in row ? row.model : row.agent], totals: row })), breakdown.totals));
            io.out(scopeNote(report));
          }
          printWarnings(io, result.warnings);
        }),
    );
  }
}

function breakdownJson(breakdown: Breakdown): Pick<Breakdown, 'totals' | 'agents' | 'models'> {
  return { totals: breakdown.totals, agents: breakdown.agents, models: breakdown.models };
}

/** The local days a summary range covers (null = unbounded). */
function summaryDays(range: SummaryRange | 'custom', today: number, report: ReportContext): { first: number | null; last: number | null } {
  const { scope } = report;
  switch (range) {
    case 'custom':
      return {
        first: scope.from === null ? null : localDayAt(scope.from, scope.timeZone),
        last: scope.to === null ? null : localDayAt(scope.to, scope.timeZone) - 1,
      };
    case '7d':
      return { first: today - 6, last: today };
    case '30d':
      return { first: today - 29, last: today };
    case 'all':
      return { first: null, last: null };
    case 'thismonth':
    case 'lastmonth': {
      const date = new Date(today * 86_400_000);
      const shift = range === 'thismonth' ? 0 : -1;
      const first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + shift, 1) / 86_400_000;
      const last = range === 'thismonth' ? today : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 86_400_000 - 1;
      return { first, last };
    }
  }
}

function noUsage(report: ReportContext): string {
  return `no usage recorded${report.scope.since || report.scope.until ? ' in that range' : ''}${report.scope.agents ? ` for ${report.scope.agents.join(', ')}` : ''}${
    report.ingest.ran || !report.scope.ingest ? '' : ' (run without --no-ingest, or check `rimuru-kernel agents scan`)'
  }`;
}

function scopeNote(report: ReportContext): string {
  const { scope } = report;
  return scopeLine([
    scope.since || scope.until ? `${scope.since ?? '…'} to ${scope.until ?? '…'}` : 'all time',
    `days in ${scope.timeZone}`,
    scope.agents && `agents: ${scope.agents.join(', ')}`,
    scope.projectPath && `project: ${scope.projectPath}`,
    scope.mode !== 'auto' && `mode: ${scope.mode}`,
    scope.mode !== 'display' && `prices: LiteLLM snapshot ${report.pricer.snapshotDate} + synced`,
  ]);
}

function printPeriodReport(io: CliIo, report: ReportContext, result: PeriodReport): void {
  if (result.rows.length === 0) io.out(noUsage(report));
  else {
    io.out(
      renderUsageTable(
        io,
        [PERIOD_HEAD[result.period], 'Agents', 'Models'],
        result.rows.map((row) => ({ cells: [row.period, row.agents.map((a) => a.agent).join('\n'), row.models.map((m) => m.model).join('\n')], totals: row })),
        result.totals,
      ),
    );
    io.out(scopeNote(report));
  }
  printWarnings(io, result.warnings);
}

function printSessionCosts(io: CliIo, report: ReportContext, result: SessionCostReport): void {
  const zone = report.scope.timeZone;
  if (result.rows.length === 0) io.out(noUsage(report));
  else {
    io.out(
      renderUsageTable(
        io,
        ['Session', 'Agent', 'Project', 'Started', 'Last activity'],
        result.rows.map((row) => ({
          cells: [row.sessionId.slice(row.agent.length + 1, row.agent.length + 13), row.agent, row.projectPath ?? '-', formatLocalTime(Date.parse(row.startedAt), zone), formatLocalTime(Date.parse(row.lastActivityAt), zone)],
          totals: row,
        })),
        result.totals,
      ),
    );
    io.out(scopeNote(report));
  }
  printWarnings(io, result.warnings);
}

function printBreakdown(io: CliIo, title: string, breakdown: Breakdown, warnings: ReportWarning[], report: ReportContext): void {
  if (breakdown.records === 0) io.out(`${title}: ${noUsage(report)}`);
  else {
    io.out(`${title}: ${formatUsd(breakdown.totals.costUsd)}, ${formatTokens(breakdown.totals.totalTokens)} tokens`);
    io.out(renderUsageTable(io, ['Agent'], breakdown.agents.map((row) => ({ cells: [row.agent], totals: row })), breakdown.totals));
    io.out(renderUsageTable(io, ['Model'], breakdown.models.map((row) => ({ cells: [row.model], totals: row })), breakdown.totals));
    io.out(scopeNote(report));
  }
  printWarnings(io, warnings);
}

function printBlocks(io: CliIo, report: ReportContext, result: BlocksReport): void {
  const zone = report.scope.timeZone;
  if (result.blocks.length === 0) io.out(report.scope.since || report.scope.until ? 'no billing blocks in that range' : 'no billing blocks: no usage recorded');
  else {
    const rows: string[][] = [];
    for (const block of result.blocks) {
      const start = formatLocalTime(Date.parse(block.startTime), zone);
      if (block.isGap) {
        rows.push([start, `gap (${formatDuration(Date.parse(block.endTime) - Date.parse(block.startTime))})`, '-', '-', '-', '-']);
        continue;
      }
      const spent = block.actualEndTime ? Date.parse(block.actualEndTime) - Date.parse(block.startTime) : 0;
      const status = block.isActive ? `ACTIVE, ${formatDuration(Date.parse(block.endTime) - Date.parse(result.asOf))} left` : formatDuration(spent);
      const rate = block.burnRate ? `${formatTokens(block.burnRate.tokensPerMinute)} tok/min, ${formatUsd(block.burnRate.costPerHour)}/h` : '';
      rows.push([start, status, block.models.join('\n'), formatTokens(block.totalTokens), formatUsd(block.costUsd), rate]);
      if (block.projection) {
        rows.push(['', 'PROJECTED at block end', '', formatTokens(block.projection.totalTokens), formatUsd(block.projection.costUsd), '(if the burn rate holds)']);
      }
    }
    rows.push(['Total', '', '', formatTokens(result.totals.totalTokens), formatUsd(result.totals.costUsd), '']);
    io.out(renderTable(io, ['Block start', 'Duration / status', 'Models', 'Tokens', 'Cost', 'Burn rate'], rows, { align: ['left', 'left', 'left', 'right', 'right', 'left'] }));
    io.out(scopeNote(report));
  }
  printWarnings(io, result.warnings);
}
