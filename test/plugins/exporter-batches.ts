/**
 * Drives an exporter plugin the way the export service does: rows in batches (index 0 first,
 * `last` on the final one), outputs concatenated into one document.
 */
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { EXPORT_COLUMNS, type ExportBatch, type ExportColumn, type ExportDataset, type ExportOptions } from '../../sdk/src/kinds/exporter';
import { hostileData } from '../fixtures/export/hostile-rows';

export type Row = Record<string, string | number | null>;

/** Cost rows as the export service builds them, from the hostile fixture (no store involved). */
export function hostileCostRows(texts?: readonly string[]): Row[] {
  return hostileData(texts).records.map((record, index) => ({
    id: index + 1,
    recordedAt: record.recordedAt as number,
    sessionId: record.sessionId,
    agentType: record.agentType,
    model: record.model,
    provider: record.provider ?? null,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    cacheWriteTokens: record.cacheWriteTokens,
    cacheWrite1hTokens: record.cacheWrite1hTokens ?? 0,
    cacheReadTokens: record.cacheReadTokens,
    reasoningTokens: record.reasoningTokens ?? 0,
    totalTokens: record.inputTokens + record.outputTokens + record.cacheWriteTokens + record.cacheReadTokens,
    costUsd: record.costUsd,
    costSource: record.costSource,
  }));
}

/** Session rows from the hostile fixture, with made-up totals. */
export function hostileSessionRows(texts?: readonly string[]): Row[] {
  return hostileData(texts).sessions.map((session, index) => ({
    id: session.id,
    agentType: session.agentType,
    externalId: session.externalId,
    projectPath: session.projectPath ?? null,
    title: session.title ?? null,
    status: session.status ?? 'active',
    startedAt: session.startedAt as number,
    endedAt: (session.endedAt as number | null | undefined) ?? null,
    lastActivityAt: session.lastActivityAt as number,
    host: session.host ?? null,
    records: 3,
    inputTokens: index * 10,
    outputTokens: index,
    cacheWriteTokens: 0,
    cacheReadTokens: index * 100,
    reasoningTokens: 0,
    totalTokens: index * 111,
    costUsd: index / 3,
  }));
}

export function columnsOf(dataset: ExportDataset, fields?: readonly string[]): ExportColumn[] {
  const all = EXPORT_COLUMNS[dataset];
  return fields ? fields.map((name) => all.find((column) => column.name === name) as ExportColumn) : [...all];
}

/** Runs `rows` through the plugin in batches of `batchSize` and joins the texts. */
export async function exportThrough(
  plugin: TestPluginHandle,
  dataset: ExportDataset,
  rows: readonly Row[],
  options: ExportOptions = {},
  batchSize = 7,
): Promise<string> {
  const columns = columnsOf(dataset, options.fields);
  const picked = rows.map((row) => Object.fromEntries(columns.map((column) => [column.name, row[column.name] ?? null])));
  const method = dataset === 'costs' ? 'exportCosts' : 'exportSessions';
  let text = '';
  let index = 0;
  for (let start = 0; ; start += batchSize) {
    const page = picked.slice(start, start + batchSize);
    const last = page.length < batchSize;
    const batch: ExportBatch = { dataset, columns, rows: page, options: { ...options, fields: columns.map((c) => c.name) }, index: index++, last };
    const out = await plugin.invoke<string>(method, batch);
    expect(typeof out).toBe('string');
    text += out;
    if (last) return text;
  }
}

/** A row's values as text, the way a format without types (CSV, XML) gives them back; null → `absent`. */
export function asText(row: Row, absent: string | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === null ? absent : String(value)]));
}
