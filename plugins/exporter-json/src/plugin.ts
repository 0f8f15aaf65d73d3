import { defineExporter, exportCells, type ExportBatch } from '@rimuru/sdk';

/**
 * JSON: an array of objects, compact (`[{…},{…}]`) or with `pretty: true` indented by two
 * spaces; or with `ndjson: true` one compact object per line (a stream: every line parses on
 * its own). Keys are the columns in order; dates are written per the date format (strings, or
 * numbers for `epoch-ms`/`epoch-s`); `null` stays `null`.
 */
function rowObject(batch: ExportBatch, row: Record<string, unknown>): Record<string, string | number | null> {
  const cells = exportCells(row, batch.columns, batch.options);
  const object: Record<string, string | number | null> = {};
  for (let index = 0; index < cells.length; index++) object[(batch.columns[index] as { name: string }).name] = cells[index] as string | number | null;
  return object;
}

function exportBatch(batch: ExportBatch): string {
  const pretty = batch.options.pretty === true;
  const parts: string[] = [];
  if (batch.options.ndjson === true) {
    for (const row of batch.rows) parts.push(JSON.stringify(rowObject(batch, row)), '\n');
    return parts.join('');
  }
  if (batch.index === 0) parts.push('[');
  for (let index = 0; index < batch.rows.length; index++) {
    // Every row but the very first is preceded by a comma: earlier batches may have written rows.
    const first = batch.index === 0 && index === 0;
    const object = rowObject(batch, batch.rows[index] as Record<string, unknown>);
    if (!first) parts.push(',');
    parts.push(pretty ? `\n  ${JSON.stringify(object, null, 2).replace(/\n/g, '\n  ')}` : JSON.stringify(object));
  }
  if (batch.last) parts.push(pretty ? '\n]\n' : ']\n');
  return parts.join('');
}

export default defineExporter({
  format: 'json',
  fileExtension: 'json',
  exportSessions: (batch) => exportBatch(batch),
  exportCosts: (batch) => exportBatch(batch),
});
