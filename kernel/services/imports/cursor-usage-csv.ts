import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCodes, errorMessage, ImportError } from '../../core/errors';
import { upsertUsageRecords, type Database, type UsageRecordInput } from '../storage';
import { splitCsv, type CsvProblem } from './csv-records';

/**
 * The usage CSV the Cursor dashboard exports (Dashboard → Usage → Export CSV). Columns are
 * found by name: exports differ in which leading columns they carry (`User`, `Cloud Agent ID`,
 * `Automation ID`). "Input (w/ Cache Write)" is the whole uncached input, cache writes
 * included; "Input (w/o Cache Write)" the part that was not a cache write.
 */
const COLUMNS = {
  date: 'Date',
  model: 'Model',
  inputWithCacheWrite: 'Input (w/ Cache Write)',
  inputWithoutCacheWrite: 'Input (w/o Cache Write)',
  cacheRead: 'Cache Read',
  output: 'Output Tokens',
  cost: 'Cost',
  kind: 'Kind',
  maxMode: 'Max Mode',
} as const;
type Column = keyof typeof COLUMNS;
const REQUIRED: readonly Column[] = ['date', 'model', 'inputWithCacheWrite', 'inputWithoutCacheWrite', 'cacheRead', 'output', 'cost'];

/** Bigger files are refused rather than read into memory whole. */
export const MAX_CURSOR_CSV_BYTES = 256 * 1024 * 1024;

const AGENT_TYPE = 'cursor';

// ISO 8601 with a zone, or the zone-less `YYYY-MM-DD HH:MM:SS` form read as UTC.
const DATE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/;
const UNCHARGED = new Set(['included', 'free', '-', '']);

const tokenCell = (column: string) =>
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      if (value === '') return 0; // errored and aborted requests leave token cells empty
      if (!/^\d+$/.test(value)) {
        ctx.addIssue({ code: 'custom', message: `${column} is not a whole number of tokens: ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return Number(value);
    });

const rowSchema = z
  .object({
    date: z
      .string()
      .trim()
      .transform((value, ctx) => {
        const match = DATE.exec(value);
        const ms = match ? Date.parse(`${match[1]}T${match[2]}${match[3] ?? 'Z'}`) : Number.NaN;
        if (Number.isNaN(ms)) {
          ctx.addIssue({ code: 'custom', message: `Date is not a date and time: ${JSON.stringify(value)}` });
          return z.NEVER;
        }
        return ms;
      }),
    model: z.string().trim().min(1, 'Model is empty'),
    inputWithCacheWrite: tokenCell(COLUMNS.inputWithCacheWrite),
    inputWithoutCacheWrite: tokenCell(COLUMNS.inputWithoutCacheWrite),
    cacheRead: tokenCell(COLUMNS.cacheRead),
    output: tokenCell(COLUMNS.output),
    cost: z
      .string()
      .trim()
      .transform((value, ctx) => {
        if (UNCHARGED.has(value.toLowerCase())) return { usd: 0, included: value !== '' && value !== '-' };
        const match = /^\$?(\d+(?:\.\d+)?)$/.exec(value);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `Cost is not an amount in dollars: ${JSON.stringify(value)}` });
          return z.NEVER;
        }
        return { usd: Number(match[1]), included: false };
      }),
    kind: z.string().trim().optional(),
    maxMode: z.string().trim().optional(),
  })
  .superRefine((row, ctx) => {
    if (row.inputWithoutCacheWrite > row.inputWithCacheWrite) {
      ctx.addIssue({ code: 'custom', message: `${COLUMNS.inputWithoutCacheWrite} is larger than ${COLUMNS.inputWithCacheWrite}` });
    }
  });
type CursorCsvRow = z.output<typeof rowSchema>;

/** A row left out of the import, by its line in the file. */
export type CursorCsvProblem = CsvProblem;

export interface CursorCsvTotals {
  /** Valid rows. */
  records: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** What an import did. */
export interface CursorCsvImportSummary {
  file: string;
  /** Data rows in the file (the header and blank lines not counted). */
  rows: number;
  /** Records stored by this import. */
  imported: number;
  /** Valid rows whose record an earlier import already stored. */
  alreadyImported: number;
  /** Rows left out, with their line and the reason; the rest of the file is imported. */
  skipped: CursorCsvProblem[];
  /** Of the valid rows of the file, whether new or not. */
  totals: CursorCsvTotals;
  /** ISO times of the earliest and latest valid row. */
  firstAt: string | null;
  lastAt: string | null;
  /** True when nothing was written (`dryRun`). */
  dryRun: boolean;
}

export interface CursorCsvImportOptions {
  /** Parse and validate only; write nothing. */
  dryRun?: boolean;
}

/** The rows of a Cursor usage CSV as usage records, and the rows that are not usable. */
export interface CursorCsvReading {
  rows: number;
  records: UsageRecordInput[];
  problems: CursorCsvProblem[];
}

function columnIndexes(header: readonly string[]): Partial<Record<Column, number>> {
  const positions = new Map(header.map((name, index) => [name.trim().toLowerCase(), index]));
  const indexes: Partial<Record<Column, number>> = {};
  for (const [column, name] of Object.entries(COLUMNS) as Array<[Column, string]>) {
    const index = positions.get(name.toLowerCase());
    if (index !== undefined) indexes[column] = index;
  }
  return indexes;
}

/**
 * The dedup key of a row: what identifies one request in the dashboard (time to the
 * millisecond, model, max mode), plus its rank among identical ones in the file (exports list
 * requests in a stable order). Neither tokens nor cost are part of it, so an export that
 * overlaps an earlier one — or repeats it with revised figures — adds nothing twice; nor is the
 * `User` column, which only some export generations carry.
 */
function dedupKey(row: CursorCsvRow, seen: Map<string, number>): string {
  const identity = JSON.stringify([new Date(row.date).toISOString(), row.model, (row.maxMode ?? '').toLowerCase()]);
  const rank = seen.get(identity) ?? 0;
  seen.set(identity, rank + 1);
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return `cursor:csv:${hash}:${rank}`;
}

function toRecord(row: CursorCsvRow, key: string): UsageRecordInput {
  const day = new Date(row.date).toISOString().slice(0, 10);
  const flags = ['dashboard-csv'];
  if (row.cost.included) flags.push('included-in-plan');
  if (/^(yes|true)$/i.test(row.maxMode ?? '')) flags.push('max-mode');
  return {
    dedupKey: key,
    // The CSV names no conversation: its rows are grouped into one pseudo-session per UTC day.
    sessionId: `${AGENT_TYPE}:dashboard-${day}`,
    agentType: AGENT_TYPE,
    model: row.model,
    provider: null,
    inputTokens: row.inputWithoutCacheWrite,
    outputTokens: row.output,
    cacheWriteTokens: row.inputWithCacheWrite - row.inputWithoutCacheWrite,
    cacheReadTokens: row.cacheRead,
    reasoningTokens: 0,
    costUsd: row.cost.usd,
    costSource: 'reported',
    recordedAt: row.date,
    flags,
  };
}

/**
 * Reads the text of a Cursor usage CSV. Rows that cannot be used (a malformed record, a
 * missing cell, a token count or cost that is not a number, a date that is not a date) are
 * reported with their line and left out.
 *
 * @throws ImportError E9002 when the header lacks a column the import needs.
 */
export function readCursorUsageCsv(text: string, file = 'the CSV'): CursorCsvReading {
  const { records: csvRecords, problems } = splitCsv(text);
  const [header, ...data] = csvRecords;
  if (!header) throw new ImportError(ErrorCodes.IMPORT_INVALID_FILE, `${file} is empty: expected a Cursor usage CSV with a header row`, { details: { file } });
  const indexes = columnIndexes(header.fields);
  const missing = REQUIRED.filter((column) => indexes[column] === undefined).map((column) => COLUMNS[column]);
  if (missing.length > 0) {
    throw new ImportError(
      ErrorCodes.IMPORT_INVALID_FILE,
      `${file} is not a Cursor usage CSV: its header (line ${header.line}) lacks ${missing.map((name) => `"${name}"`).join(', ')}. ` +
        'Export it from the Cursor dashboard (Usage → Export CSV).',
      { details: { file, missing } },
    );
  }
  const reading: CursorCsvReading = { rows: problems.length, records: [], problems: [...problems] };
  const seen = new Map<string, number>();
  for (const record of data) {
    if (record.fields.every((field) => field.trim() === '')) continue;
    reading.rows += 1;
    if (record.fields.length !== header.fields.length) {
      reading.problems.push({ line: record.line, message: `${record.fields.length} fields where the header has ${header.fields.length}` });
      continue;
    }
    const cells = Object.fromEntries(Object.entries(indexes).map(([column, index]) => [column, record.fields[index]]));
    const row = rowSchema.safeParse(cells);
    if (!row.success) {
      reading.problems.push({ line: record.line, message: row.error.issues.map((issue) => issue.message).join('; ') });
      continue;
    }
    reading.records.push(toRecord(row.data, dedupKey(row.data, seen)));
  }
  reading.problems.sort((a, b) => a.line - b.line);
  return reading;
}

function totalsOf(records: readonly UsageRecordInput[]): CursorCsvTotals {
  const totals: CursorCsvTotals = { records: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, totalTokens: 0, costUsd: 0 };
  for (const record of records) {
    totals.records += 1;
    totals.inputTokens += record.inputTokens;
    totals.outputTokens += record.outputTokens;
    totals.cacheWriteTokens += record.cacheWriteTokens;
    totals.cacheReadTokens += record.cacheReadTokens;
    totals.costUsd += record.costUsd;
  }
  totals.totalTokens = totals.inputTokens + totals.outputTokens + totals.cacheWriteTokens + totals.cacheReadTokens;
  return totals;
}

async function readText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_CURSOR_CSV_BYTES) {
      throw new ImportError(ErrorCodes.IMPORT_INVALID_FILE, `${file} is ${info.size} bytes, more than the ${MAX_CURSOR_CSV_BYTES} a Cursor usage CSV import reads; export a shorter date range`, {
        details: { file, bytes: info.size },
      });
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(ErrorCodes.IMPORT_UNREADABLE, `cannot read ${file}: ${errorMessage(error)}`, { cause: error, details: { file } });
  }
}

/**
 * Imports a Cursor dashboard usage CSV: each valid row becomes one usage record of agent
 * `cursor` with the CSV's Cost as its reported cost, written in one transaction with the
 * `ignore` rule — importing the same file (or an overlapping export) again changes nothing.
 *
 * @throws ImportError E9001 when the file cannot be read, E9002 when it is not a Cursor usage CSV.
 * @throws StorageError when the store refuses the write (nothing is written).
 */
export async function importCursorUsageCsv(db: Database, file: string, options: CursorCsvImportOptions = {}): Promise<CursorCsvImportSummary> {
  const reading = readCursorUsageCsv(await readText(file), file);
  const dryRun = options.dryRun === true;
  let imported = 0;
  if (!dryRun && reading.records.length > 0) {
    imported = (await db.transaction((trx) => upsertUsageRecords(trx, reading.records, { conflict: 'ignore' }))).inserted;
  }
  let first = Infinity;
  let last = -Infinity;
  for (const { recordedAt } of reading.records) {
    first = Math.min(first, recordedAt);
    last = Math.max(last, recordedAt);
  }
  return {
    file,
    rows: reading.rows,
    imported,
    alreadyImported: dryRun ? 0 : reading.records.length - imported,
    skipped: reading.problems,
    totals: totalsOf(reading.records),
    firstAt: reading.records.length > 0 ? new Date(first).toISOString() : null,
    lastAt: reading.records.length > 0 ? new Date(last).toISOString() : null,
    dryRun,
  };
}
