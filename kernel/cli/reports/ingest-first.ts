import { z } from 'zod';
import { errorMessage } from '../../core/errors';
import { Kernel } from '../../core/lifecycle';
import type { Database } from '../../services/storage';
import type { CliContext } from '../cli-context';
import { ProgressBar, type ProgressState, type ProgressStream } from './progress-bar';
import type { ReportWarning } from './report-warnings';

/** What the ingest before a report found worth telling. */
export interface IngestOutcome {
  /** False when the kernel has no ingest (yet) or `--no-ingest` was given. */
  ran: boolean;
  warnings: ReportWarning[];
  /** Models the ingest priced at $0. */
  unknownModels: string[];
}

type ProgressListener = (progress: unknown) => void;

/** The part of the kernel a report needs: `ingest` is the ingestion engine's entry point. */
interface IngestingKernel {
  ingest?: (options?: { onProgress?: ProgressListener }) => Promise<unknown>;
}

// The engine's summary, read leniently: a report must never fail because a count is missing.
const countsSchema = z.record(z.string(), z.number());
const summarySchema = z.object({
  unknownModels: z.array(z.string()).optional(),
  // Per source, per kind: { "<source>": { "corrupt": 3, … } } or [{ source, kind, count }].
  warnings: z.union([z.record(z.string(), countsSchema), z.array(z.object({ source: z.string().optional(), kind: z.string(), count: z.number() }))]).optional(),
});

const progressSchema = z.union([
  z.object({ done: z.number(), total: z.number(), label: z.string().optional() }),
  z.object({ sourcesDone: z.number(), sourcesTotal: z.number(), source: z.string().optional() }),
]);

/** The engine's progress event as a bar state, or null for a shape it does not know. */
export function progressStateOf(event: unknown): ProgressState | null {
  const parsed = progressSchema.safeParse(event);
  if (!parsed.success) return null;
  const value = parsed.data;
  return 'done' in value ? value : { done: value.sourcesDone, total: value.sourcesTotal, label: value.source };
}

/** Sums the engine's per-source warning counts by kind. */
export function summariseIngestWarnings(summary: unknown): IngestOutcome {
  const parsed = summarySchema.safeParse(summary);
  if (!parsed.success) return { ran: true, warnings: [], unknownModels: [] };
  const byKind = new Map<string, { count: number; sources: Set<string> }>();
  const add = (source: string, kind: string, count: number) => {
    if (count <= 0) return;
    const entry = byKind.get(kind) ?? { count: 0, sources: new Set<string>() };
    entry.count += count;
    entry.sources.add(source);
    byKind.set(kind, entry);
  };
  const warnings = parsed.data.warnings;
  if (Array.isArray(warnings)) for (const item of warnings) add(item.source ?? '?', item.kind, item.count);
  else if (warnings) for (const [source, counts] of Object.entries(warnings)) for (const [kind, count] of Object.entries(counts)) add(source, kind, count);
  return {
    ran: true,
    unknownModels: parsed.data.unknownModels ?? [],
    warnings: [...byKind].map(([kind, { count, sources }]) => ({
      kind: 'ingest-skipped' as const,
      count,
      message: `ingest skipped ${count} ${kind} line${count === 1 ? '' : 's'} in ${sources.size} source${sources.size === 1 ? '' : 's'} (details: --log-level debug)`,
    })),
  };
}

/**
 * Reads what is new in the agents' data into the store before a report answers: boots a
 * kernel on the report's store (so the adapters run in their sandboxes with their own
 * permissions), runs its ingest with a progress bar on a terminal, and shuts it down. An
 * ingest that cannot run is a warning, never the end of the report: the store still answers.
 */
export async function ingestFirst(context: CliContext, database: Database, progressStream: ProgressStream = process.stderr): Promise<IngestOutcome> {
  let kernel: Kernel | undefined;
  const bar = new ProgressBar(progressStream);
  try {
    kernel = await Kernel.boot({ config: context.config, logger: context.logger, database });
    const ingest = (kernel as IngestingKernel).ingest;
    if (typeof ingest !== 'function') return { ran: false, warnings: [], unknownModels: [] };
    const summary = await ingest.call(kernel, {
      onProgress: (event: unknown) => {
        const state = progressStateOf(event);
        if (state) bar.update(state);
      },
    });
    return summariseIngestWarnings(summary);
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
