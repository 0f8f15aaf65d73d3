/** Exporters: turn kernel rows into a file format, fed in batches so memory stays bounded. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

/** What is being exported: `sessions` ({@link SessionExportRow}) or `costs` ({@link CostExportRow}). */
export type ExportDataset = 'sessions' | 'costs';

/** How a date column is written (see `formatExportDate`). */
export const EXPORT_DATE_FORMATS = ['iso', 'datetime', 'date', 'epoch-ms', 'epoch-s'] as const;
export type ExportDateFormat = (typeof EXPORT_DATE_FORMATS)[number];

/** The type of a column: dates arrive as epoch milliseconds and are written in the batch's date format. */
export type ExportColumnType = 'string' | 'number' | 'date';

export interface ExportColumn {
  name: string;
  type: ExportColumnType;
}

/** One stored usage record with its cost; times are epoch ms. `totalTokens` = input + output + cache write + cache read. */
export interface CostExportRow {
  id: number;
  recordedAt: number;
  sessionId: string;
  agentType: string;
  model: string;
  provider: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
  costSource: string;
}

/** One stored session with the totals of all its usage records; times are epoch ms. */
export interface SessionExportRow {
  id: string;
  agentType: string;
  externalId: string;
  projectPath: string | null;
  title: string | null;
  status: string;
  startedAt: number;
  endedAt: number | null;
  lastActivityAt: number;
  host: string | null;
  records: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** Every column of each dataset, in their default order. */
export const EXPORT_COLUMNS: Readonly<Record<ExportDataset, readonly ExportColumn[]>> = {
  costs: [
    { name: 'id', type: 'number' },
    { name: 'recordedAt', type: 'date' },
    { name: 'sessionId', type: 'string' },
    { name: 'agentType', type: 'string' },
    { name: 'model', type: 'string' },
    { name: 'provider', type: 'string' },
    { name: 'inputTokens', type: 'number' },
    { name: 'outputTokens', type: 'number' },
    { name: 'cacheWriteTokens', type: 'number' },
    { name: 'cacheWrite1hTokens', type: 'number' },
    { name: 'cacheReadTokens', type: 'number' },
    { name: 'reasoningTokens', type: 'number' },
    { name: 'totalTokens', type: 'number' },
    { name: 'costUsd', type: 'number' },
    { name: 'costSource', type: 'string' },
  ],
  sessions: [
    { name: 'id', type: 'string' },
    { name: 'agentType', type: 'string' },
    { name: 'externalId', type: 'string' },
    { name: 'projectPath', type: 'string' },
    { name: 'title', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'startedAt', type: 'date' },
    { name: 'endedAt', type: 'date' },
    { name: 'lastActivityAt', type: 'date' },
    { name: 'host', type: 'string' },
    { name: 'records', type: 'number' },
    { name: 'inputTokens', type: 'number' },
    { name: 'outputTokens', type: 'number' },
    { name: 'cacheWriteTokens', type: 'number' },
    { name: 'cacheReadTokens', type: 'number' },
    { name: 'reasoningTokens', type: 'number' },
    { name: 'totalTokens', type: 'number' },
    { name: 'costUsd', type: 'number' },
  ],
};

export interface ExportOptions {
  /** Columns to include, in order. The kernel always sets it (every column when the user chose none). */
  fields?: string[];
  /** How dates are written; default `iso`. */
  dateFormat?: ExportDateFormat | string;
  /** IANA time zone dates are written in; default `UTC`. */
  timeZone?: string;
  /**
   * Format-specific options. The built-in exporters read: CSV `delimiter` (one character,
   * default `,`), `bom` (boolean), `header` (boolean, default true); JSON `pretty` (boolean),
   * `ndjson` (boolean: one object per line instead of an array).
   */
  [option: string]: unknown;
}

/** One batch of rows; the output of all batches concatenated, in order, is the file. */
export interface ExportBatch<Row = Record<string, unknown>> {
  dataset: ExportDataset;
  /** The columns of every row, in order (the `fields` asked for, with their types). Rows hold exactly these keys. */
  columns: ExportColumn[];
  rows: Row[];
  options: ExportOptions;
  /** 0 for the first batch (write headers, open documents). */
  index: number;
  /** True for the final batch (close documents). It may have no rows; a dataset with no rows is one batch, first and last. */
  last: boolean;
}

export interface ExporterDefinition extends PluginLifecycle {
  format: string;
  fileExtension: string;
  /** Returns the text for this batch of session rows. */
  exportSessions(batch: ExportBatch<Partial<SessionExportRow>>, ctx: PluginContext): Promise<string> | string;
  /** Returns the text for this batch of cost rows. */
  exportCosts(batch: ExportBatch<Partial<CostExportRow>>, ctx: PluginContext): Promise<string> | string;
}

/** Declares an exporter plugin (manifest `rimuru.kind: "exporter"`, `contributes.exporters: [{ format, fileExtension }]`). */
export function defineExporter(definition: ExporterDefinition): DefinedPlugin {
  return definePlugin({
    kind: 'exporter',
    ...lifecycleOf(definition),
    methods: {
      ...pickMethods(definition, ['exportSessions', 'exportCosts']),
      info: () => ({ format: definition.format, fileExtension: definition.fileExtension }),
    },
  });
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(timeZone, format);
  }
  return format;
}

/** The wall-clock fields of `ms` in `timeZone`, and its offset from UTC in minutes. */
function zonedParts(ms: number, timeZone: string): { iso: string; offsetMinutes: number } {
  const parts: Record<string, string> = {};
  for (const part of zoneFormat(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const wholeSeconds = Math.floor(ms / 1000) * 1000;
  const localAsUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMinutes = Math.round((localAsUtc - wholeSeconds) / 60_000);
  // toISOString of the local wall time keeps four-digit years and milliseconds right.
  const iso = new Date(localAsUtc + (ms - wholeSeconds)).toISOString();
  return { iso, offsetMinutes };
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Writes an instant (epoch ms) in a date format and time zone:
 * `iso` `2026-07-01T09:30:00.000+02:00` (`Z` in UTC), `datetime` `2026-07-01 09:30:00`,
 * `date` `2026-07-01`, `epoch-ms` and `epoch-s` numbers. Unknown formats throw.
 */
export function formatExportDate(ms: number, dateFormat: string = 'iso', timeZone: string = 'UTC'): string | number {
  switch (dateFormat) {
    case 'epoch-ms':
      return ms;
    case 'epoch-s':
      return Math.floor(ms / 1000);
    case 'iso':
    case 'datetime':
    case 'date': {
      const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC';
      const { iso, offsetMinutes } = utc ? { iso: new Date(ms).toISOString(), offsetMinutes: 0 } : zonedParts(ms, timeZone);
      if (dateFormat === 'date') return ISO_DAY.exec(iso)?.[0] ?? iso.slice(0, 10);
      if (dateFormat === 'datetime') return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
      return `${iso.slice(0, -1)}${offsetText(offsetMinutes)}`;
    }
    default:
      throw new Error(`unknown date format "${dateFormat}" (known: ${EXPORT_DATE_FORMATS.join(', ')})`);
  }
}

/**
 * A row's cells in column order, dates formatted per the batch's options: what every format
 * writes. `null` stays `null` (a missing end, provider, title…).
 */
export function exportCells(row: Record<string, unknown>, columns: readonly ExportColumn[], options: ExportOptions): Array<string | number | null> {
  const dateFormat = typeof options.dateFormat === 'string' ? options.dateFormat : 'iso';
  const timeZone = typeof options.timeZone === 'string' ? options.timeZone : 'UTC';
  const cells = new Array<string | number | null>(columns.length);
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index] as ExportColumn;
    const value = row[column.name];
    if (value === null || value === undefined) cells[index] = null;
    else if (column.type === 'date' && typeof value === 'number') cells[index] = formatExportDate(value, dateFormat, timeZone);
    else cells[index] = typeof value === 'number' ? value : String(value);
  }
  return cells;
}
