import type { PluginRecord } from '../../core/registry';

/** An exporter a plugin contributes, by format. */
export interface ExporterEntry {
  format: string;
  fileExtension: string;
  plugin: string;
  record: PluginRecord;
}

/**
 * The formats the discovered exporter plugins contribute (read from their manifests, without
 * running them). A format two plugins claim goes to the first in discovery order.
 */
export function exportersOf(records: readonly PluginRecord[]): Map<string, ExporterEntry> {
  const formats = new Map<string, ExporterEntry>();
  for (const record of records) {
    if (record.manifest?.rimuru.kind !== 'exporter') continue;
    for (const contribution of record.manifest.rimuru.contributes?.exporters ?? []) {
      const format = contribution.format.toLowerCase();
      if (!formats.has(format)) formats.set(format, { format, fileExtension: contribution.fileExtension, plugin: record.name, record });
    }
  }
  return formats;
}
