import { errorMessage } from '../../core/errors';
import { Kernel } from '../../core/lifecycle';
import type { PluginRecord } from '../../core/registry';
import { adapterContribution } from '../../services/ingestion/adapter-plugins';
import type { IngestProgress, IngestRunSummary, IngestWarningKind } from '../../services/ingestion';
import type { Database } from '../../services/storage';
import type { CliContext } from '../cli-context';
import { ProgressBar, type ProgressState, type ProgressStream } from './progress-bar';
import type { ReportWarning } from './report-warnings';

/** What the ingest before a report found worth telling. */
export interface IngestOutcome {
  /** False with `--no-ingest`, or when the kernel could not boot. */
  ran: boolean;
  warnings: ReportWarning[];
  /** Models the ingest priced at $0. */
  unknownModels: string[];
}

export const NO_INGEST: IngestOutcome = Object.freeze({ ran: false, warnings: [], unknownModels: [] });

// Errors of one run listed by name; more are counted.
const LISTED_ERRORS = 3;

// [one, many]
const SKIPPED_WHAT: Record<IngestWarningKind, [string, string]> = {
  corrupt: ['corrupt line', 'corrupt lines'],
  'missing-field': ['line missing a field', 'lines missing a field'],
  'unknown-type': ['line of an unknown type', 'lines of an unknown type'],
  other: ['line with another problem', 'lines with other problems'],
  'huge-line': ['line over the size limit', 'lines over the size limit'],
  'invalid-record': ['invalid record', 'invalid records'],
};

/** The bar's view of the engine's progress: bytes when there are new bytes to read, else sources. */
export function progressStateOf(progress: IngestProgress): ProgressState {
  const label = progress.plugin?.replace(/^@rimuru\/adapter-/, '');
  return progress.bytesTotal > 0
    ? { done: progress.bytesDone, total: progress.bytesTotal, unit: 'bytes', label }
    : { done: progress.sourcesDone, total: progress.sourcesTotal, unit: 'sources', label };
}

/** The run's skipped lines (per kind, over every source) and failures, as report warnings. */
export function summariseIngest(summary: Pick<IngestRunSummary, 'warnings' | 'errors' | 'unknownModels'>): IngestOutcome {
  const byKind = new Map<IngestWarningKind, { count: number; sources: Set<string> }>();
  for (const source of summary.warnings) {
    for (const [kind, count] of Object.entries(source.counts) as Array<[IngestWarningKind, number]>) {
      if (!(count > 0)) continue;
      const entry = byKind.get(kind) ?? { count: 0, sources: new Set<string>() };
      entry.count += count;
      entry.sources.add(source.sourceId);
      byKind.set(kind, entry);
    }
  }
  const warnings: ReportWarning[] = [...byKind].map(([kind, { count, sources }]) => ({
    kind: 'ingest-skipped',
    count,
    message: `ingest skipped ${count} ${SKIPPED_WHAT[kind]?.[count === 1 ? 0 : 1] ?? kind} in ${sources.size} source${sources.size === 1 ? '' : 's'} (details: --log-level debug)`,
  }));
  for (const error of summary.errors.slice(0, LISTED_ERRORS)) {
    warnings.push({ kind: 'ingest-failed', message: `ingest: ${error.plugin}${error.sourceId ? ` (${error.sourceId})` : ''}: ${error.code} ${error.message}` });
  }
  if (summary.errors.length > LISTED_ERRORS) {
    warnings.push({ kind: 'ingest-failed', message: `ingest: ${summary.errors.length - LISTED_ERRORS} more sources or adapters failed (details: --log-level debug)` });
  }
  return { ran: true, warnings, unknownModels: summary.unknownModels };
}

/** What a report's ingest (and the budget check after it) can emit. */
const INGEST_HOOKS: ReadonlySet<string> = new Set(['AgentDiscovered', 'SessionStart', 'SessionEnd', 'CostRecorded', 'CostThreshold']);

/**
 * The plugins a report's ingest may need: the adapters of the agents asked about (all when
 * none were named), the hook plugins with a handler for something the ingest emits, and the
 * notifiers (budget alerts). Exporters, sync providers, views, mux backends and hook plugins
 * for other moments (`KernelReady`, …) wait for the commands that use them. Even these start
 * only when used (`startOnUse`): a report with nothing new to read starts none.
 */
export function neededForIngest(record: PluginRecord, agentTypes: readonly string[] | undefined): boolean {
  const kind = record.manifest?.rimuru.kind;
  if (kind === 'notifier') return true;
  if (kind === 'hook') return (record.manifest?.rimuru.contributes?.hooks ?? []).some((contribution) => INGEST_HOOKS.has(contribution.hook));
  const adapter = adapterContribution(record.manifest);
  return adapter !== null && (agentTypes === undefined || agentTypes.length === 0 || agentTypes.includes(adapter.agentType));
}

/**
 * Reads what is new in the agents' data into the store before a report answers: boots a
 * kernel on the report's store (so the adapters run in their sandboxes with their own
 * permissions), ingests (only the `--agent`s asked about, when given) with a progress bar on a
 * terminal, and shuts it down. A kernel that cannot boot is a warning, never the end of the
 * report: the store still answers.
 */
export async function ingestFirst(
  context: CliContext,
  database: Database,
  agentTypes: readonly string[] | undefined,
  progressStream: ProgressStream = process.stderr,
): Promise<IngestOutcome> {
  let kernel: Kernel | undefined;
  const bar = new ProgressBar(progressStream);
  try {
    kernel = await Kernel.boot({
      config: context.config,
      logger: context.logger,
      database,
      startOnly: (record) => neededForIngest(record, agentTypes),
      startOnUse: true,
      prepareIngest: true,
    });
    // Progress costs the engine a stat of every source up front: only asked for when a bar is drawn.
    const onProgress = bar.enabled ? (progress: IngestProgress): void => bar.update(progressStateOf(progress)) : undefined;
    const summary = await kernel.ingest({ agentTypes, onProgress });
    return summariseIngest(summary);
  } catch (error) {
    return {
      ran: false,
      unknownModels: [],
      warnings: [{ kind: 'ingest-failed', message: `could not read new agent data (${errorMessage(error)}); showing what the store already holds` }],
    };
  } finally {
    bar.finish();
    await kernel?.shutdown('report done').catch(() => undefined);
  }
}
