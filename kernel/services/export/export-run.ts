import { EXPORT_COLUMNS, type ExportBatch, type ExportColumn, type ExportDataset, type ExportOptions } from '../../../sdk/src/kinds/exporter';
import { ErrorCodes, errorMessage, ExportError, isRimuruError, UsageError } from '../../core/errors';
import type { Database } from '../storage';
import type { ExportDestination } from './export-destination';
import { exportReader, type ExportQuery, type ExportRow } from './export-readers';

/** The plugin side of an export: a running exporter's sandbox (`PluginSandbox` fits). */
export interface ExporterHandle {
  invoke<T = unknown>(method: string, args?: unknown[]): Promise<T>;
}

/** Rows handed to the exporter per call. Costs rows are small; sessions carry titles and paths. */
export const EXPORT_PAGE_SIZE: Readonly<Record<ExportDataset, number>> = { costs: 5_000, sessions: 1_000 };

export interface ExportProgress {
  rows: number;
  /** Rows the export holds, when counted (see `countRows`). */
  total: number | null;
  bytes: number;
}

export interface ExportRunOptions {
  database: Database;
  /** The exporter plugin's name (for messages) and its sandbox. */
  plugin: string;
  exporter: ExporterHandle;
  dataset: ExportDataset;
  query: ExportQuery;
  /** Passed to the plugin; `fields` picks and orders the columns (all when absent). */
  options: ExportOptions;
  destination: ExportDestination;
  /** Rows per batch; default {@link EXPORT_PAGE_SIZE}. */
  pageSize?: number;
  /** Count the rows first, so progress has a total (one count query). */
  countRows?: boolean;
  onProgress?(progress: ExportProgress): void;
}

export interface ExportSummary {
  dataset: ExportDataset;
  rows: number;
  batches: number;
  bytes: number;
  destination: string;
  /** The reader went away before the end (stdout closed); what was written stands. */
  truncated: boolean;
  durationMs: number;
}

/**
 * The columns for `fields` (every column when absent), in the order asked.
 * @throws UsageError for an unknown or repeated field, naming the known ones.
 */
export function exportColumns(dataset: ExportDataset, fields: readonly string[] | undefined): ExportColumn[] {
  const known = EXPORT_COLUMNS[dataset];
  if (fields === undefined || fields.length === 0) return known.map((column) => ({ ...column }));
  const byName = new Map(known.map((column) => [column.name, column]));
  const unknown = fields.filter((field) => !byName.has(field));
  if (unknown.length > 0) {
    throw new UsageError(`--fields ${unknown.map((field) => `"${field}"`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${dataset}: use ${known.map((column) => column.name).join(', ')}`);
  }
  const repeated = fields.filter((field, index) => fields.indexOf(field) !== index);
  if (repeated.length > 0) throw new UsageError(`--fields names ${[...new Set(repeated)].join(', ')} twice`);
  return fields.map((field) => ({ ...(byName.get(field) as ExportColumn) }));
}

function exporterFailed(plugin: string, batch: number, cause: unknown): ExportError {
  const code = isRimuruError(cause) ? ` (${cause.code})` : '';
  return new ExportError(ErrorCodes.EXPORT_FAILED, `exporter ${plugin} failed on batch ${batch}${code}: ${errorMessage(cause)}`, {
    cause,
    details: { plugin, batch },
  });
}

/**
 * Streams one dataset through an exporter plugin into a destination with bounded memory:
 * keyset-paged reads of `pageSize` rows; each page goes to the plugin in its isolate (which
 * runs on its own thread, so the next page is read from the store meanwhile), and the text it
 * returns is written with backpressure before the page after is sent. On any failure the
 * destination is aborted (a file target is left as it was) and the error thrown.
 * @throws ExportError E9101 when the plugin fails or returns something other than text, E9102 when writing fails.
 */
export async function runExport(run: ExportRunOptions): Promise<ExportSummary> {
  const started = Date.now();
  const columns = exportColumns(run.dataset, run.options.fields);
  const options: ExportOptions = { ...run.options, fields: columns.map((column) => column.name) };
  const pageSize = run.pageSize ?? EXPORT_PAGE_SIZE[run.dataset];
  const method = run.dataset === 'costs' ? 'exportCosts' : 'exportSessions';
  const reader = exportReader(run.database, run.dataset, run.query, columns, pageSize);
  const { destination } = run;
  let rows = 0;
  let batches = 0;
  try {
    const total = run.countRows ? await reader.count() : null;
    let page: ExportRow[] = await reader.next();
    for (;;) {
      // A short page is the end; a full one may be followed by more (or by nothing, closed by an empty last batch).
      const last = page.length < pageSize;
      const batch: ExportBatch = { dataset: run.dataset, columns, rows: page, options, index: batches, last };
      const exported = run.exporter.invoke<unknown>(method, [batch]).catch((cause: unknown) => {
        throw exporterFailed(run.plugin, batches, cause);
      });
      // Read the next page while the isolate formats this one; a failed read waits for the export to settle first.
      const following = last ? Promise.resolve<ExportRow[]>([]) : reader.next();
      following.catch(() => undefined);
      const text = await exported;
      if (typeof text !== 'string') {
        throw exporterFailed(run.plugin, batches, new Error(`${method} returned ${text === null ? 'null' : typeof text} instead of text`));
      }
      await destination.write(text);
      rows += page.length;
      batches += 1;
      run.onProgress?.({ rows, total, bytes: destination.bytes });
      if (last || destination.closed) break;
      page = await following;
    }
    await destination.commit();
  } catch (error) {
    await destination.abort().catch(() => undefined);
    throw error;
  }
  return { dataset: run.dataset, rows, batches, bytes: destination.bytes, destination: destination.name, truncated: destination.closed, durationMs: Date.now() - started };
}
