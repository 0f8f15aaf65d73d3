import type { Command } from 'commander';
import { BudgetService, resolveBudgets, type BudgetStatus } from '../../services/budgets';
import { HookBus } from '../../core/hooks';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { printJson, renderTable, type CliIo } from '../output';
import { ingestFirst, NO_INGEST } from '../reports/ingest-first';

export function registerBudgetsCommands(program: Command, io: CliIo): void {
  const budgets = program.command('budgets').description('spending budgets (config `budgets`) and where each stands');

  budgets
    .command('status')
    .description(
      'show each budget of the current day/week/month (and the costliest live session): limit, spent, share, projection, thresholds fired. Ingests first, like the reports, so an alert crossed by new data goes out now (each threshold once per period)',
    )
    .option('--json', 'print the budgets as JSON')
    .option('--no-ingest', 'answer from the store without reading new agent data first')
    .action(async (options: { json?: boolean; ingest: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const resolved = resolveBudgets(context.config.budgets);
      const { statuses, outcome } = await withStore(context, async (database) => {
        const ingested = options.ingest && resolved.budgets.length > 0 ? await ingestFirst(context, database, undefined) : NO_INGEST;
        // Status only reads: a bus with no handlers, so it never fires anything itself.
        const service = new BudgetService({ database, hookBus: new HookBus(), budgets: resolved, logger: context.logger });
        return { statuses: await service.status(), outcome: ingested };
      });
      for (const warning of outcome.warnings) io.err(`warning: ${warning.message}`);
      if (options.json) return printJson(io, { timeZone: resolved.timeZone, thresholds: resolved.thresholds, budgets: statuses });
      if (statuses.length === 0) {
        io.out('no budgets configured: set budgets.daily, weekly, monthly, perAgent.<type> or perSession (USD) in the config');
        return;
      }
      io.out(
        renderTable(
          io,
          ['budget', 'period', 'limit', 'spent', 'used', 'projected', 'fired'],
          statuses.map((status) => row(status)),
          { align: ['left', 'left', 'right', 'right', 'right', 'right', 'left'] },
        ),
      );
      io.out(`periods in ${resolved.timeZone}; alerts at ${resolved.thresholds.map((t) => `${Math.round(t * 100)}%`).join(', ')}`);
    });
}

function row(status: BudgetStatus): string[] {
  return [
    status.budget,
    status.periodKey ?? '-',
    `$${status.limitUsd.toFixed(2)}`,
    `$${status.spentUsd.toFixed(2)}`,
    `${Math.round(status.fraction * 100)}%`,
    status.projectedUsd === null ? '-' : `$${status.projectedUsd.toFixed(2)}`,
    status.fired.map((t) => `${Math.round(t * 100)}%`).join(', ') || '-',
  ];
}
