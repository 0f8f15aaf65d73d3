import { Option, type Command } from 'commander';
import { EXPORT_DATE_FORMATS, type ExportDataset, type ExportOptions } from '../../../sdk/src/kinds/exporter';
import { ErrorCodes, ExportError, UsageError } from '../../core/errors';
import { Kernel } from '../../core/lifecycle';
import type { PluginRecord } from '../../core/registry';
import type { IngestProgress } from '../../services/ingestion';
import { exportColumns, exportersOf, fileDestination, runExport, streamDestination, type ExportSummary } from '../../services/export';
import type { Database } from '../../services/storage';
import { loadCliContext, withStore, type CliContext, type GlobalOptions } from '../cli-context';
import { printJson, type CliIo } from '../output';
import { neededForIngest, progressStateOf, summariseIngest } from '../reports/ingest-first';
import { ProgressBar } from '../reports/progress-bar';
import { parseReportScope, type ReportFlags, type ReportScope } from '../reports/report-options';
import { formatTokens } from '../reports/report-format';
import { printWarnings } from '../reports/report-context';
import type { ReportWarning } from '../reports/report-warnings';

interface ExportFlags extends Omit<ReportFlags, 'mode'> {
  format: string;
  output?: string;
  fields?: string;
  dateFormat?: string;
  delimiter?: string;
  bom?: boolean;
  /** `--no-header` sets this to false. */
  header?: boolean;
  pretty?: boolean;
  ndjson?: boolean;
}

const WHAT: Record<ExportDataset, { one: string; many: string; range: string }> = {
  costs: { one: 'cost record', many: 'cost records', range: 'usage records recorded in the range, oldest first' },
  sessions: { one: 'session', many: 'sessions', range: 'sessions overlapping the range, by start, with the totals of all their usage' },
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `\t`, `tab` and the like as the character they name. */
function delimiterOf(value: string): string {
  const named: Record<string, string> = { '\\t': '\t', tab: '\t', comma: ',', semicolon: ';', pipe: '|' };
  return named[value] ?? value;
}

/** Format-specific options, checked against the format they belong to (for the built-in formats). */
function formatOptions(format: string, flags: ExportFlags): Record<string, unknown> {
  const csvFlags = [flags.delimiter !== undefined && '--delimiter', flags.bom === true && '--bom', flags.header === false && '--no-header'].filter(Boolean);
  const jsonFlags = [flags.pretty === true && '--pretty', flags.ndjson === true && '--ndjson'].filter(Boolean);
  if (csvFlags.length > 0 && format !== 'csv') throw new UsageError(`${csvFlags.join(', ')} only apply to --format csv`);
  if (jsonFlags.length > 0 && format !== 'json') throw new UsageError(`${jsonFlags.join(', ')} only apply to --format json`);
  if (flags.pretty === true && flags.ndjson === true) throw new UsageError('--pretty and --ndjson exclude each other: NDJSON is one compact object per line');
  const options: Record<string, unknown> = {};
  if (flags.delimiter !== undefined) {
    const delimiter = delimiterOf(flags.delimiter);
    if ([...delimiter].length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new UsageError(`--delimiter ${JSON.stringify(flags.delimiter)}: use one character other than a double quote or a line break, e.g. ';', '|' or tab`);
    }
    options.delimiter = delimiter;
  }
  if (flags.bom === true) options.bom = true;
  if (flags.header === false) options.header = false;
  if (flags.pretty === true) options.pretty = true;
  if (flags.ndjson === true) options.ndjson = true;
  return options;
}

export function registerExportCommand(program: Command, io: CliIo): void {
  const command = program
    .command('export')
    .description('write sessions or cost records as CSV, JSON or XML (or any format an exporter plugin adds), to a file or stdout');
  for (const dataset of ['costs', 'sessions'] as const) {
    command
      .command(dataset)
      .description(`export ${WHAT[dataset].range} (ingests new agent data first)`)
      .requiredOption('--format <format>', 'csv, json, xml, or a format an installed exporter plugin contributes')
      .option('-o, --output <file>', 'write to this file (replaced only once the export is complete); default stdout')
      .option('--fields <list>', 'comma-separated columns to write, in order (default: all; `--fields help` lists them)')
      .addOption(new Option('--date-format <format>', 'how dates are written (iso: 2026-07-01T09:30:00.000+02:00 in --tz)').choices([...EXPORT_DATE_FORMATS]).default('iso'))
      .option('--delimiter <char>', 'CSV: field delimiter (default ,; `tab` or \\t for tab)')
      .option('--bom', 'CSV: start with a UTF-8 byte order mark (for spreadsheet programs)')
      .option('--no-header', 'CSV: leave the header row out')
      .option('--pretty', 'JSON: indent the array')
      .option('--ndjson', 'JSON: one object per line instead of an array')
      .option('--since <date>', 'first day to include, YYYY-MM-DD (inclusive, in --tz)')
      .option('--until <date>', 'last day to include, YYYY-MM-DD (inclusive, in --tz)')
      .option('--tz <zone>', "IANA time zone of the days and of the dates written (default: this machine's)")
      .option('--agent <type>', 'only this agent; repeat for several', collect)
      .option('--project <path>', 'only sessions of this project directory (and their records)')
      .option('--no-ingest', 'export the store as it is, without reading new agent data first')
      .option('--json', 'with -o: print a summary of the export as JSON on stdout')
      .action((flags: ExportFlags, sub: Command) => exportAction(io, dataset, flags, sub));
  }
}

async function exportAction(io: CliIo, dataset: ExportDataset, flags: ExportFlags, command: Command): Promise<void> {
  // Every usage error before anything is opened.
  const scope = parseReportScope({ since: flags.since, until: flags.until, tz: flags.tz, agent: flags.agent, project: flags.project, ingest: flags.ingest, json: flags.json });
  const format = flags.format.trim().toLowerCase();
  if (flags.fields?.trim() === 'help') {
    io.out(exportColumns(dataset, undefined).map((column) => `${column.name}\t${column.type}`).join('\n'));
    return;
  }
  const fields = flags.fields === undefined ? undefined : flags.fields.split(',').map((field) => field.trim()).filter((field) => field !== '');
  if (fields !== undefined && fields.length === 0) throw new UsageError('--fields needs at least one column, e.g. --fields recordedAt,model,costUsd');
  exportColumns(dataset, fields);
  const extra = formatOptions(format, flags);
  if (scope.json && flags.output === undefined) throw new UsageError('--json prints a summary of an export to a file: add -o <file> (without it the export itself goes to stdout)');
  const options: ExportOptions = { ...extra, fields, dateFormat: flags.dateFormat ?? 'iso', timeZone: scope.timeZone };

  const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
  await withStore(cli, async (database) => {
    // The exporters, and what the ingest before the export needs; not every sync provider.
    const startOnly = (record: PluginRecord): boolean => record.manifest?.rimuru.kind === 'exporter' || (scope.ingest && neededForIngest(record, scope.agents));
    const kernel = await Kernel.boot({ config: cli.config, logger: cli.logger, database, startOnly });
    try {
      const summary = await exportWith(kernel, cli, database, { dataset, format, scope, options, output: flags.output });
      printWarnings(io, summary.warnings);
      if (flags.output === undefined) return;
      if (scope.json) printJson(io, { report: 'export', ...summary.export, format, warnings: summary.warnings });
      else {
        const { rows, bytes, durationMs, destination } = summary.export;
        io.err(`exported ${formatTokens(rows)} ${rows === 1 ? WHAT[dataset].one : WHAT[dataset].many} as ${format} to ${destination} (${(bytes / 1_048_576).toFixed(1)} MB) in ${(durationMs / 1000).toFixed(1)} s`);
      }
    } finally {
      await kernel.shutdown('export done').catch(() => undefined);
    }
  });
}

interface ExportRequest {
  dataset: ExportDataset;
  format: string;
  scope: ReportScope;
  options: ExportOptions;
  output: string | undefined;
}

async function exportWith(kernel: Kernel, cli: CliContext, database: Database, request: ExportRequest): Promise<{ export: ExportSummary; warnings: ReportWarning[] }> {
  const exporters = exportersOf(kernel.registry.list());
  const entry = exporters.get(request.format);
  if (entry === undefined) {
    const known = [...exporters.keys()].sort();
    throw new UsageError(`--format "${request.format}": no exporter plugin writes it; ${known.length > 0 ? `use ${known.join(', ')}` : 'no exporter plugin is installed'}`);
  }
  const sandbox = kernel.plugin(entry.plugin)?.live;
  if (sandbox === undefined) {
    const record = kernel.registry.get(entry.plugin);
    throw new ExportError(
      ErrorCodes.EXPORT_FAILED,
      `the ${request.format} exporter ${entry.plugin} is ${record?.state ?? 'not running'}${record?.reason ? `: ${record.reason}` : ''}${record?.state === 'disabled' ? ` (rimuru-kernel plugin enable ${entry.plugin})` : ''}`,
    );
  }
  const bar = new ProgressBar(process.stderr);
  let warnings: ReportWarning[] = [];
  if (request.scope.ingest) {
    const onProgress = bar.enabled ? (progress: IngestProgress): void => bar.update(progressStateOf(progress)) : undefined;
    warnings = summariseIngest(await kernel.ingest({ agentTypes: request.scope.agents, onProgress })).warnings;
    bar.finish();
  }
  const destination = request.output === undefined ? streamDestination(process.stdout) : await fileDestination(request.output);
  const exportBar = new ProgressBar(process.stderr);
  try {
    const summary = await runExport({
      database,
      plugin: entry.plugin,
      exporter: sandbox,
      dataset: request.dataset,
      query: { from: request.scope.from, to: request.scope.to, agents: request.scope.agents, projectPath: request.scope.projectPath },
      options: request.options,
      destination,
      countRows: exportBar.enabled,
      onProgress: (progress) => exportBar.update({ title: 'exporting', done: progress.rows, total: progress.total ?? 0, unit: 'rows' }),
    });
    cli.logger.debug({ ...summary }, 'export done');
    return { export: summary, warnings };
  } finally {
    exportBar.finish();
  }
}
