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
  const names = batch.columns.map((column) => column.name);
  let text = batch.index === 0 ? `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n` : '';
  for (const row of batch.rows) {
    const cells = exportCells(row, batch.columns, batch.options);
    let line = `  <${rowElement}>`;
    for (let index = 0; index < cells.length; index++) {
      const cell = cells[index];
      if (cell === null || cell === undefined) continue;
      const name = names[index] as string;
      line += `<${name}>${typeof cell === 'number' ? String(cell) : xmlText(cell)}</${name}>`;
    }
    text += `${line}</${rowElement}>\n`;
  }
  if (batch.last) text += `</${root}>\n`;
  return text;
}

export default defineExporter({
  format: 'xml',
  fileExtension: 'xml',
  exportSessions: (batch) => exportBatch(batch),
  exportCosts: (batch) => exportBatch(batch),
});
