import type { Command } from 'commander';
import { loadCliContext, withStore, type CliContext, type GlobalOptions } from '../cli-context';
import type { CliIo } from '../output';
import type { Database } from '../../services/storage';
import { ingestFirst, NO_INGEST, type IngestOutcome } from './ingest-first';
import { parseReportScope, type ReportFlags, type ReportScope } from './report-options';
import { loadReportPricer, type ReportPricer } from './report-pricing';
import { dedupeWarnings, unknownModelWarning, type ReportWarning } from './report-warnings';

/** Everything a report command works with once its options are checked and the ingest ran. */
export interface ReportContext {
  cli: CliContext;
  database: Database;
  scope: ReportScope;
  pricer: ReportPricer;
  ingest: IngestOutcome;
  /** The report's own warnings (unknown models, pricing); see `reportWarnings`. */
  warnings: ReportWarning[];
  /** The instant the report is "as of" (active sessions and blocks, today). */
  now: number;
}

/**
 * The frame of every report: check the options (usage errors before anything is opened),
 * open the store, ingest what is new unless `--no-ingest`, then run `work` and close the store.
 */
export async function withReport<T>(command: Command, flags: ReportFlags, work: (report: ReportContext) => Promise<T>): Promise<T> {
  const scope = parseReportScope(flags);
  const cli = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
  return withStore(cli, async (database) => {
    const ingest = scope.ingest ? await ingestFirst(cli, database, scope.agents) : NO_INGEST;
    const pricer = await loadReportPricer(database, cli.logger);
    return work({ cli, database, scope, pricer, ingest, warnings: [], now: Date.now() });
  });
}

/**
 * Adds a warning for each model among `models` that used tokens but has no price in the
 * catalog (so it was priced at $0), or that the ingest could not price.
 */
export function flagUnknownModels(report: ReportContext, models: Iterable<{ model: string; totalTokens: number }>): void {
  const ingestUnknown = new Set(report.ingest.unknownModels);
  const seen = new Set<string>();
  for (const { model, totalTokens } of models) {
    if (totalTokens <= 0 || seen.has(model)) continue;
    seen.add(model);
    if (ingestUnknown.has(model) || !report.pricer.knows(model)) report.warnings.push(unknownModelWarning(model));
  }
}

/** The ingest's warnings, then the report's, each once. */
export function reportWarnings(report: ReportContext): ReportWarning[] {
  return dedupeWarnings([...report.ingest.warnings, ...report.warnings]);
}

/** Warnings under a human report go to stderr, so the table on stdout can be piped as it is. */
export function printWarnings(io: CliIo, warnings: readonly ReportWarning[]): void {
  for (const warning of warnings) io.err(`warning: ${warning.message}`);
}
