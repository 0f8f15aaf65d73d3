import { defineExporter, exportCells, type ExportBatch } from '@rimuru/sdk';
import { xmlText } from './xml-text';

const ELEMENTS = { sessions: { root: 'sessions', row: 'session' }, costs: { root: 'costs', row: 'cost' } } as const;

/**
 * XML 1.0: `<?xml …?><costs><cost><id>1</id>…</cost>…</costs>` (or `<sessions><session>`),
 * one row per line, each column an element named after it. Text is escaped (see `xmlText`);
 * a `null` cell is left out, so an empty element is an empty string.
 */
function exportBatch(batch: ExportBatch): string {
  const { root, row: rowElement } = ELEMENTS[batch.dataset];
  const open = batch.columns.map((column) => `<${column.name}>`);
  const close = batch.columns.map((column) => `</${column.name}>`);
  const rowOpen = `  <${rowElement}>`;
  const rowClose = `</${rowElement}>\n`;
  const parts: string[] = [];
  if (batch.index === 0) parts.push(`<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n`);
  for (const row of batch.rows) {
    const cells = exportCells(row, batch.columns, batch.options);
    parts.push(rowOpen);
    for (let index = 0; index < cells.length; index++) {
      const cell = cells[index];
      if (cell === null || cell === undefined) continue;
      parts.push(open[index] as string, typeof cell === 'number' ? String(cell) : xmlText(cell), close[index] as string);
    }
    parts.push(rowClose);
  }
  if (batch.last) parts.push(`</${root}>\n`);
  return parts.join('');
}

export default defineExporter({
  format: 'xml',
  fileExtension: 'xml',
  exportSessions: (batch) => exportBatch(batch),
  exportCosts: (batch) => exportBatch(batch),
});
