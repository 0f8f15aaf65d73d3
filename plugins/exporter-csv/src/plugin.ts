import { defineExporter, exportCells, type ExportBatch } from '@rimuru/sdk';
import { csvOptions, csvRecord, type CsvOptions } from './csv-record';

/**
 * RFC 4180 CSV: records end in CRLF; a field holding the delimiter, a quote, CR or LF is
 * quoted, with its quotes doubled; the first batch starts with a header row of the column
 * names (unless `header: false`) and, with `bom: true`, a UTF-8 byte order mark for
 * spreadsheet programs. `null` is an empty field.
 */
function exportBatch(batch: ExportBatch): string {
  const options: CsvOptions = csvOptions(batch.options);
  const parts: string[] = [];
  if (batch.index === 0) {
    if (options.bom) parts.push('\uFEFF');
    if (options.header) parts.push(csvRecord(batch.columns.map((column) => column.name), options.delimiter));
  }
  for (const row of batch.rows) parts.push(csvRecord(exportCells(row, batch.columns, batch.options), options.delimiter));
  return parts.join('');
}

export default defineExporter({
  format: 'csv',
  fileExtension: 'csv',
  exportSessions: (batch) => exportBatch(batch),
  exportCosts: (batch) => exportBatch(batch),
});
