/**
 * Imports: usage that reaches Rimuru as files a user hands it rather than logs an adapter
 * reads — today the Cursor dashboard's usage CSV (`rimuru-kernel agents import cursor <file>`).
 */
export { importCursorUsageCsv, readCursorUsageCsv, MAX_CURSOR_CSV_BYTES } from './cursor-usage-csv';
export type { CursorCsvImportOptions, CursorCsvImportSummary, CursorCsvProblem, CursorCsvReading, CursorCsvTotals } from './cursor-usage-csv';
export { splitCsv } from './csv-records';
export type { CsvProblem, CsvRecord, CsvSplit } from './csv-records';
