import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ProviderRunResult, SyncRunReport } from '../../services/sync';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { ExitCode } from '../exit-codes';
import { printJson, renderTable, type CliIo } from '../output';
import { formatTokens, formatUsd } from '../reports/report-format';
import { buildSyncHistory, buildSyncStatus, runSync } from '../reports/sync-reports';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
}

function note(result: ProviderRunResult): string {
  if (result.error) return `${result.error.code} ${result.error.message}`;
  if (result.reason) return result.reason;
  if (result.rejected.length > 0) return `rejected e.g. ${result.rejected[0]?.model}: ${result.rejected[0]?.reason}`;
  return '';
}

function printRun(io: CliIo, report: SyncRunReport): void {
  io.out(
    renderTable(
      io,
      ['Provider', 'Status', 'Models', 'Rejected', 'Attempts', 'Note'],
      report.providers.map((result) => [
        result.provider,
        result.status,
        result.status === 'ok' || result.status === 'partial' ? formatTokens(result.modelsFetched) : '-',
        result.modelsRejected > 0 ? formatTokens(result.modelsRejected) : '-',
        result.attempts,
        note(result),
      ]),
      { align: ['left', 'left', 'right', 'right', 'right', 'left'] },
    ),
  );
  const repriced =
    report.repriced.records > 0
      ? `; priced ${formatTokens(report.repriced.records)} records that had no price (${formatUsd(report.repriced.costUsd)}: ${report.repriced.models.join(', ')})`
      : '';
  io.out(`wrote ${formatTokens(report.modelsWritten)} model rows in ${report.finishedAt - report.startedAt} ms${repriced}`);
}

export function registerSyncCommands(program: Command, io: CliIo): void {
  const sync = program.command('sync').description('keep model names, context windows and prices current from the sync providers (LiteLLM, OpenRouter, the vendors)');

  sync
    .command('run')
    .description('ask the sync providers now, merge what they return into the models table and re-price records that had no price')
    .option('--provider <name>', 'only this provider (litellm, openrouter, anthropic, openai, google); repeat for several', collect)
    .option('--force', "ask a provider even before the Retry-After it sent has passed")
    .option('--json', 'print the run as JSON')
    .action(async (flags: { provider?: string[]; force?: boolean; json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => runSync(cli, database, { providers: flags.provider, force: flags.force === true }));
      if (flags.json) printJson(io, { report: 'sync-run', ...report });
      else printRun(io, report);
      // A provider that could not be synced is a failure; skipped (no key) and disabled are choices.
      if (report.providers.some((result) => result.status === 'failed' || result.status === 'rate-limited')) process.exitCode = ExitCode.FAILURE;
    });

  sync
    .command('status')
    .description('each sync provider: standing, whether it is on, where its key comes from (never the key), its last run and when it is next due')
    .option('--json', 'print the status as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => buildSyncStatus(cli, database));
      if (flags.json) return printJson(io, report);
      if (report.providers.length === 0) return io.out('no sync plugin is installed');
      io.out(
        renderTable(
          io,
          ['Provider', 'Plugin', 'Standing', 'On', 'Key', 'Last run', 'Status', 'Models', 'Last good', 'Next due', 'Problem'],
          report.providers.map((row) => [
            row.provider,
            `${row.plugin} (${row.pluginState})`,
            `${row.official ? 'official' : 'pricing'} ${row.priority}`,
            row.enabled ? 'yes' : 'no',
            row.key,
            row.lastRun?.at ?? 'never',
            row.lastRun?.status ?? '-',
            row.lastGood ? formatTokens(row.lastGood.models) : '-',
            row.lastGood?.at ?? 'never',
            row.nextDue ?? (report.intervalHours === 0 ? 'schedule off' : '-'),
            row.retryAfter ? `rate-limited until ${row.retryAfter}` : (row.lastRun?.error ?? row.lastRun?.reason ?? ''),
          ]),
        ),
      );
    });

  sync
    .command('history')
    .description('the sync runs, newest first: per provider its status, models fetched and written, records re-priced, error')
    .option('--provider <name>', 'only this provider')
    .option('--limit <n>', 'at most this many runs (default 20)', positiveInt)
    .option('--json', 'print the runs as JSON')
    .action(async (flags: { provider?: string; limit?: number; json?: boolean }, command: Command) => {
      const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const report = await withStore(cli, (database) => buildSyncHistory(database, { provider: flags.provider, limit: flags.limit ?? 20 }));
      if (flags.json) return printJson(io, report);
      if (report.runs.length === 0) return io.out('no sync has run yet (rimuru-kernel sync run)');
      io.out(
        renderTable(
          io,
          ['Started', 'Provider', 'Trigger', 'Status', 'Attempts', 'Fetched', 'Written', 'Rejected', 'Re-priced', 'Error'],
          report.runs.map((run) => [
            new Date(run.startedAt).toISOString(),
            run.provider,
            run.trigger,
            run.status,
            run.attempts,
            formatTokens(run.modelsFetched),
            formatTokens(run.modelsWritten),
            formatTokens(run.modelsRejected),
            formatTokens(run.repricedRecords),
            run.errorMessage ?? run.details.reason ?? '',
          ]),
          { align: ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'] },
        ),
      );
    });
}
