import type { Command } from 'commander';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { printJson, renderTable, type CliIo } from '../output';
import { buildModelList, buildModelPricing, searchModels, type ModelListReport, type ModelPricingReport } from '../reports/model-reports';
import { formatTokens } from '../reports/report-format';

/** USD per million tokens, as price lists show them: `3.00`, `0.30`, `0.075`; `-` when not published. */
export function perMillion(price: number | null): string {
  if (price === null) return '-';
  const value = price * 1_000_000;
  if (value === 0) return '0';
  return value >= 0.01 ? value.toFixed(value >= 100 ? 0 : 2) : value.toPrecision(2);
}

function sourceLabel(source: string | null, snapshotDate: string): string {
  if (source === null) return '-';
  return source === 'snapshot' ? `snapshot (${snapshotDate})` : source;
}

function printModels(io: CliIo, report: ModelListReport, json: boolean | undefined, empty: string): void {
  if (json) return printJson(io, report);
  if (report.rows.length === 0) return io.out(empty);
  io.out(
    renderTable(
      io,
      ['Provider', 'Model', 'Input $/M', 'Output $/M', 'Cache write $/M', 'Cache read $/M', 'Context', 'Source'],
      report.rows.map((row) => [
        row.provider,
        row.displayName && row.displayName !== row.model ? `${row.model} (${row.displayName})` : row.model,
        perMillion(row.inputPrice),
        perMillion(row.outputPrice),
        perMillion(row.cacheWritePrice),
        perMillion(row.cacheReadPrice),
        row.contextWindow === null ? '-' : formatTokens(row.contextWindow),
        sourceLabel(row.source, report.snapshotDate),
      ]),
      { align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'] },
    ),
  );
  io.out(`${formatTokens(report.rows.length)} models (snapshot ${report.snapshotDate}, then synced sources; rimuru-kernel models pricing <model> for every price kind)`);
}

function printPricing(io: CliIo, report: ModelPricingReport): void {
  const how = report.matchedBy === 'exact' ? '' : ` (matched ${report.matchedBy} from "${report.asked}")`;
  const lines = [
    `${report.provider}/${report.model}${report.displayName ? ` — ${report.displayName}` : ''}${how}`,
    `context window: ${report.contextWindow.value === null ? '-' : `${formatTokens(report.contextWindow.value)} (${sourceLabel(report.contextWindow.source, report.snapshotDate)})`}` +
      `   max output: ${report.maxOutputTokens.value === null ? '-' : `${formatTokens(report.maxOutputTokens.value)} (${sourceLabel(report.maxOutputTokens.source, report.snapshotDate)})`}`,
  ];
  io.out(lines.join('\n'));
  io.out(
    renderTable(
      io,
      ['Price', 'USD per token', 'USD per M tokens', 'From'],
      report.prices.map((line) => [
        line.kind,
        line.value === null ? '-' : String(line.value),
        line.field === 'fastMultiplier' ? (line.value === null ? '-' : `× ${line.value}`) : perMillion(line.value),
        line.value === null ? `not published — ${line.fallback}` : sourceLabel(line.source, report.snapshotDate),
      ]),
      { align: ['left', 'right', 'right', 'left'] },
    ),
  );
}

export function registerModelsCommands(program: Command, io: CliIo): void {
  const models = program.command('models').description('the models Rimuru can price: the embedded snapshot and what the sync providers added');

  models
    .command('list')
    .description('every known model with its main prices (USD per million tokens), context window and source')
    .option('--provider <name>', 'only this provider (anthropic, openai, gemini, openrouter, …)')
    .option('--json', 'print the models as JSON (prices per token, provenance per field)')
    .action(async (flags: { provider?: string; json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => buildModelList(database, flags.provider));
      printModels(io, report, flags.json, flags.provider ? `no models of provider "${flags.provider}"` : 'no models');
    });

  models
    .command('search <query>')
    .description('models whose provider, name or display name contain every word of the query (`sonnet 4.5` finds claude-sonnet-4-5)')
    .option('--json', 'print the matches as JSON')
    .action(async (query: string, flags: { json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => searchModels(database, query));
      printModels(io, report, flags.json, `no model matches "${query}"`);
    });

  models
    .command('pricing <model>')
    .description('the prices the cost engine uses for a model as an agent logs it: every price kind and where each came from')
    .option('--provider <name>', 'prefer this provider when several have the model')
    .option('--json', 'print the prices as JSON')
    .action(async (model: string, flags: { provider?: string; json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => buildModelPricing(database, model, flags.provider));
      if (flags.json) return printJson(io, report);
      printPricing(io, report);
    });
}
